"""Everything in ../shared compiles, imports, type-checks and lints.

* every core release 2.2.0-2.11.0 with an hdmf-common release of its time;
* every extension in ../shared/extensions (with the extensions it includes);
* every file in ../shared/data that has /specifications.

Outputs are grouped into a few package roots so that one mypy run checks many.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nwbgen.generator.compile import compile_namespaces
from nwbgen.generator.emit import write_package
from nwbgen.spec.model import version_key
from nwbgen.spec.sources import bundled_namespaces, load_sources, namespaces_from_yaml
from tests.support.paths import SHARED, core_sources

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

#: core release -> hdmf-common release compiled with it
CORE_HDMF = {
    "2.2.0": "1.1.0",
    "2.2.1": "1.1.0",
    "2.2.2": "1.1.3",
    "2.2.3": "1.1.3",
    "2.2.4": "1.1.3",
    "2.2.5": "1.1.3",
    "2.3.0": "1.5.0",
    "2.4.0": "1.5.1",
    "2.5.0": "1.5.1",
    "2.6.0": "1.6.0",
    "2.7.0": "1.8.0",
    "2.8.0": "1.8.0",
    "2.9.0": "1.8.0",
    "2.10.0": "1.9.0",
    "2.11.0": "1.10.0",
}

IMPORT_ALL = """
import importlib, json, sys, pydantic
root = sys.argv[1]
sys.path.insert(0, root)
for name in sys.argv[2:]:
    manifest = json.load(open(f"{root}/{name}/manifest.json"))
    count = 0
    for entry in manifest["namespaces"]:
        module = importlib.import_module(name + "." + entry["package"].replace("/", "."))
        for export in module.__all__:
            cls = getattr(module, export)
            if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel):
                cls.model_rebuild(raise_errors=True)
                count += 1
    assert count > 0, name
"""


def _shared_available() -> bool:
    return (SHARED / "schemas").is_dir()


def _ident(text: str) -> str:
    return "p_" + "".join(ch if ch.isalnum() else "_" for ch in text)


def _core_versions() -> list[str]:
    if not _shared_available():
        return []
    present = {p.name for p in (SHARED / "schemas" / "core").iterdir()}
    return sorted((v for v in CORE_HDMF if v in present), key=version_key)


def _extensions() -> list[Path]:
    if not _shared_available():
        return []
    return sorted(p for p in (SHARED / "extensions").iterdir() if p.is_dir())


def _data_files() -> list[Path]:
    if not _shared_available():
        return []
    import h5py

    out = []
    for path in sorted((SHARED / "data").rglob("*.nwb")):
        with h5py.File(path, "r") as f:
            if "specifications" in f:
                out.append(path)
    return out


def _extension_sources(folder: Path) -> list[Path]:
    """The extension's namespace file and those of the extensions it includes."""
    by_name = {}
    for other in _extensions():
        for ns_file in other.glob("*.namespace.yaml"):
            for ns in namespaces_from_yaml(ns_file):
                by_name.setdefault(ns.name, ns_file)
    own = sorted(folder.glob("*.namespace.yaml"))
    todo, sources = list(own), []
    while todo:
        ns_file = todo.pop()
        if ns_file in sources:
            continue
        sources.append(ns_file)
        for ns in namespaces_from_yaml(ns_file):
            todo.extend(
                by_name[inc.namespace]
                for inc in ns.includes
                if inc.namespace in by_name
            )
    return sources


@pytest.fixture(scope="module")
def roots(tmp_path_factory, shared):
    return tmp_path_factory.mktemp("corpus")


CORE = _core_versions()
EXTENSIONS = _extensions()
FILES = _data_files()


@pytest.mark.parametrize("core", CORE)
def test_core_release_compiles(roots, core):
    out = roots / "cores" / _ident(core)
    write_package(
        compile_namespaces(
            load_sources(core_sources(SHARED, core, CORE_HDMF[core]))
        ).files,
        out,
    )


def test_every_extension_compiles(roots):
    """All extensions in one compile: each resolves core and hdmf-common against the
    newest bundled releases, and extensions that include others find them."""
    sources = sorted(
        {src for folder in EXTENSIONS for src in _extension_sources(folder)}
    )
    if not sources:
        pytest.skip("no extensions in ../shared")
    result = compile_namespaces(load_sources(sources), fallback=bundled_namespaces())
    compiled = {e["name"] for e in result.manifest["namespaces"]}
    for folder in EXTENSIONS:
        for ns_file in folder.glob("*.namespace.yaml"):
            for ns in namespaces_from_yaml(ns_file):
                assert ns.name in compiled, f"{folder.name}: {ns.name} not compiled"
    write_package(result.files, roots / "extensions" / "p_all_extensions")


def _spec_key(path: Path) -> str:
    from nwbgen.spec.sources import namespaces_from_h5, spec_sha256

    namespaces = namespaces_from_h5(path)
    return json.dumps(
        sorted(
            [ns.name, ns.version, spec_sha256(ns.raw["sources"])] for ns in namespaces
        )
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_data_file_compiles(roots, path):
    # files caching identical specs compile to identical packages: compile each once
    key = _spec_key(path)
    done = roots / "files" / "keys.json"
    keys = json.loads(done.read_text()) if done.is_file() else {}
    if key in keys:
        assert (roots / "files" / keys[key] / "manifest.json").is_file()
        return
    result = compile_namespaces(load_sources([path]))
    write_package(result.files, roots / "files" / _ident(path.stem))
    keys[key] = _ident(path.stem)
    done.write_text(json.dumps(keys))


def _packages(group: Path) -> list[Path]:
    if not group.is_dir():
        pytest.skip(
            f"nothing compiled under {group.name} (its compile tests did not run)"
        )
    found = sorted(p for p in group.iterdir() if (p / "manifest.json").is_file())
    # identical outputs (same namespaces, versions and hashes) are checked once
    seen, unique = set(), []
    for package in found:
        manifest = json.loads((package / "manifest.json").read_text())
        key = tuple(
            (e["name"], e["version"], e["sha256"]) for e in manifest["namespaces"]
        )
        if key not in seen:
            seen.add(key)
            unique.append(package)
    return unique


@pytest.mark.parametrize("group", ["cores", "extensions", "files"])
def test_outputs_import_typecheck_and_lint(roots, group):
    packages = _packages(roots / group)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORT_ALL,
            str(roots / group),
            *[p.name for p in packages],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    mypy_ini = roots / "mypy.ini"
    mypy_ini.write_text(
        "[mypy]\nplugins = pydantic.mypy\nwarn_unused_ignores = True\ncache_dir = .mypy_cache\n"
    )
    args = [sys.executable, "-m", "mypy", "--config-file", str(mypy_ini)]
    for package in packages:
        args += ["-p", package.name]
    proc = subprocess.run(args, cwd=roots / group, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            *[p.name for p in packages],
        ],
        cwd=roots / group,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "black", "--check", "-q", *[p.name for p in packages]],
        cwd=roots / group,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stderr[-3000:]
