"""The layers of the package import only what lies below them.

```
commands/cli  ->  io entry (HDF5IO, provider)  ->  runtime read/write  ->  runtime hdf5
                  io toolkit (graph, refs, truncate)  ----------------->  runtime hdf5
                  generator (only the provider calls it, lazily)  ->  spec
generated code  ->  the runtime's public names only
```

Each rule is checked on the source (no import is run), so a forbidden import is
found whether or not the code path that holds it is tested. ``check`` is run on a
copy of the package with a forbidden import added, to show the test would fail.
"""

from __future__ import annotations

import ast
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import nwbgen

PACKAGE = Path(nwbgen.__file__).resolve().parent
#: what the runtime (vendored into compiled packages) may import besides itself
RUNTIME_THIRD_PARTY = {"numpy", "h5py", "pydantic", "pydantic_core"}
#: optional extras the runtime may load inside the function that needs them
RUNTIME_OPTIONAL = {
    "pandas",
    "dask",
    "distributed",
    "fsspec",
    "aiohttp",
    "remfile",
    "s3fs",
}


@dataclass(frozen=True)
class Import:
    module: str  # the file doing the import, dotted
    target: str  # the module imported, absolute and dotted
    line: int
    top_level: bool  # at module level (not inside a function)

    def __str__(self) -> str:
        where = "" if self.top_level else " (inside a function)"
        return f"{self.module}:{self.line} imports {self.target}{where}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> Iterator[Import]:
    """Every import of one file, relative ones made absolute."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(n) for n in ast.walk(node) if n is not node)
    for node in ast.walk(tree):
        top = id(node) not in nested
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or node.level and not node.module:
                # ``from . import x``: each name may be a module
                for alias in node.names:
                    yield Import(name, f"{target}.{alias.name}", node.lineno, top)
            else:
                yield Import(name, target, node.lineno, top)


def all_imports(root: Path) -> list[Import]:
    return [
        imp for path in sorted(root.rglob("*.py")) for imp in imports_of(root, path)
    ]


def _in(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def check(root: Path) -> list[str]:
    """Every import of the package at ``root`` that breaks a layer rule."""
    pkg = root.name
    runtime, generator, generated = (
        f"{pkg}.runtime",
        f"{pkg}.generator",
        f"{pkg}.generated",
    )
    commands, spec = f"{pkg}.commands", f"{pkg}.spec"
    entry, toolkit = f"{pkg}.io.entry", f"{pkg}.io.toolkit"
    broken: list[str] = []
    for imp in all_imports(root):
        src, target = imp.module, imp.target
        top = target.split(".")[0]
        stdlib = top in sys.stdlib_module_names or top == "__future__"
        if _in(src, runtime):
            ok = (
                _in(target, runtime)
                or stdlib
                or top in RUNTIME_THIRD_PARTY
                or (top in RUNTIME_OPTIONAL and not imp.top_level)
            )
            if not ok:
                broken.append(
                    f"the runtime imports only itself, the standard library, numpy, h5py and pydantic: {imp}"
                )
        if _in(src, generated):
            ok = (
                _in(target, generated)
                or target == runtime
                or stdlib
                or top in ("numpy", "pydantic")
            )
            if not ok:
                broken.append(
                    f"generated code imports only the runtime's public names: {imp}"
                )
        if imp.top_level and _in(target, generator):
            if any(_in(src, layer) for layer in (spec, runtime, toolkit, entry)):
                broken.append(
                    f"the compiler loads only when something is compiled: {imp}"
                )
        if _in(target, commands) and not (_in(src, commands) or src == f"{pkg}.cli"):
            broken.append(f"nothing but the CLI imports commands: {imp}")
        if _in(src, toolkit) and _in(target, entry):
            broken.append(f"the toolkit works without models: {imp}")
        if _in(src, spec) and any(
            _in(target, t) for t in (f"{pkg}.io", generator, commands, generated)
        ):
            broken.append(f"spec imports nothing above it: {imp}")
        if _in(src, f"{runtime}.hdf5") and (
            _in(target, f"{runtime}.read")
            or _in(target, f"{runtime}.write")
            or _in(target, f"{runtime}.source")
            or _in(target, f"{runtime}.models")
        ):
            broken.append(f"the HDF5 primitives know nothing of models: {imp}")
    return broken


def test_the_package_keeps_its_layers():
    broken = check(PACKAGE)
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("file", "line", "rule"),
    [
        ("runtime/hdf5/lazy.py", "import linkml", "the runtime imports only"),
        (
            "runtime/read.py",
            "from ..io.entry import hdf5io",
            "the runtime imports only",
        ),
        (
            "runtime/hdf5/values.py",
            "from ..models import base",
            "know nothing of models",
        ),
        ("spec/model.py", "from ..generator import compile", "the compiler loads only"),
        (
            "io/toolkit/graph.py",
            "from ...generator.compile import x",
            "the compiler loads only",
        ),
        ("io/toolkit/truncate.py", "from ..entry import hdf5io", "without models"),
        ("io/entry/hdf5io.py", "from ...commands import show", "nothing but the CLI"),
        (
            "generated/core/__init__.py",
            "from nwbgen.runtime.read import ReadContext",
            "public names",
        ),
        ("generated/core/__init__.py", "import jinja2", "public names"),
    ],
)
def test_a_forbidden_import_is_found(tmp_path: Path, file: str, line: str, rule: str):
    copy = tmp_path / "nwbgen"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.j2", "v*_*_*"),
    )
    assert not check(copy)
    target = copy / file
    target.write_text(target.read_text() + f"\n{line}\n")
    broken = check(copy)
    assert any(rule in b for b in broken), broken


def test_an_import_inside_a_function_may_load_the_compiler(tmp_path: Path):
    """As the provider does: the compiler loads when something must be compiled."""
    copy = tmp_path / "nwbgen"
    shutil.copytree(PACKAGE / "io", copy / "io")
    (copy / "__init__.py").write_text("")
    target = copy / "io" / "entry" / "hdf5io.py"
    target.write_text(
        target.read_text() + "\n\ndef _later():\n    from ...generator import compile\n"
    )
    assert not check(copy)
