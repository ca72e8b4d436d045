"""``/specifications`` of a written file: the exact specs embedded in the generated
packages whose models were written, with the namespaces they include."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py


def _manifest_of(package: ModuleType) -> tuple[str, dict]:
    """(root package name, its manifest) of a version package."""
    root_name = package.__name__.rsplit(".", 2)[0]
    return root_name, _manifest(root_name)


@functools.lru_cache(maxsize=16)
def _manifest(root_name: str) -> dict:
    """A generated root package's manifest, read once (it is never rewritten while
    the package is imported: compiling writes a new directory)."""
    path = Path(sys.modules[root_name].__file__ or "").parent / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def with_includes(packages: set[ModuleType]) -> list[ModuleType]:
    """The packages and every package they were built on (by the manifest, which
    names the very build of each include), includes first."""
    import importlib

    out: dict[str, ModuleType] = {}

    def visit(package: ModuleType) -> None:
        if package.__name__ in out:
            return
        root_name, manifest = _manifest_of(package)
        folder = package.__name__[len(root_name) + 1 :].replace(".", "/")
        entry = next(
            (e for e in manifest["namespaces"] if e["package"] == folder), None
        )
        for include in (entry or {}).get("includes", []):
            module = include.get("module") or (
                f"{root_name}.{include['package'].replace('/', '.')}"
            )
            visit(importlib.import_module(module))
        out[package.__name__] = package

    for package in sorted(packages, key=lambda p: p.__name__):
        visit(package)
    return list(out.values())


def spec_of(package: ModuleType) -> dict[str, Any]:
    """The package's embedded spec: ``{"name", "version", "sources": {...}}``."""
    path = Path(package.__file__ or "").parent / "_spec.json"
    return json.loads(path.read_text(encoding="utf-8"))


def write_specifications(h5file: h5py.File, packages: list[ModuleType]) -> None:
    """Add ``/specifications/<ns>/<version>/<source>`` for each package not already
    there (a file copied from another keeps the specs it had), and ``.specloc``."""
    specs = h5file.require_group("specifications")
    for package in packages:
        spec = spec_of(package)
        if spec["version"] in specs.get(spec["name"], {}):
            continue
        group = specs.require_group(spec["name"]).create_group(spec["version"])
        for source, content in _as_cached(spec["sources"]).items():
            text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
            group.create_dataset(source, data=text, dtype=h5py.string_dtype())
    h5file.attrs.create(".specloc", specs.ref, dtype=h5py.ref_dtype)


def _as_cached(sources: dict[str, Any]) -> dict[str, Any]:
    """The sources as NWB files cache them: the namespace names each schema source
    by its dataset name (``nwb.base``, not ``nwb.base.yaml``), as pynwb's validator
    and nwbinspector look them up."""
    namespace = json.loads(json.dumps(sources.get("namespace", {})))
    for entry in namespace.get("namespaces", []):
        for item in entry.get("schema", []):
            name = item.get("source")
            if isinstance(name, str):
                stem = (
                    name.rsplit(".", 1)[0] if name.endswith((".yaml", ".yml")) else name
                )
                if stem in sources:
                    item["source"] = stem
    return {**sources, "namespace": namespace} if "namespace" in sources else sources
