"""The pipeline: namespaces -> catalog -> LinkML -> views -> {path: bytes}.

Pure: nothing here touches the disk. :mod:`nwbgen.generator.emit` writes the result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

from linkml_runtime.linkml_model.meta import SchemaDefinition

from .. import __version__
from ..spec.catalog import NamespaceCatalog
from ..spec.model import Namespace, version_key
from ..spec.semantic import semantic_sha256
from .linkml import build_linkml, dtypes_schema
from .naming import package_name
from .readers import build_reader_module
from .render import (
    format_all,
    render,
    render_module,
    render_reader,
    render_version_init,
    render_writer,
)
from .views import ViewBuilder, docstring
from .writers import build_writer_module

#: what a compiled package needs installed (written to its manifest)
REQUIRES = ("h5py", "numpy", "pydantic>=2.7")


def runtime_modules() -> list[str]:
    """The runtime modules a compiled package vendors: all of ``nwbgen.runtime``."""
    return sorted(
        p.name
        for p in resources.files("nwbgen.runtime").iterdir()
        if p.name.endswith(".py")
    )


@dataclass
class CompileResult:
    files: dict[str, bytes]
    catalog: NamespaceCatalog
    schemas: dict[str, SchemaDefinition]
    manifest: dict = field(default_factory=dict)


def compile_namespaces(
    namespaces: Iterable[Namespace],
    *,
    fallback: Iterable[Namespace] = (),
    only: Iterable[str] | None = None,
    runtime_import: str | None = None,
    emit_linkml: bool = False,
    format: bool = True,
    progress: Callable[[str], None] = lambda message: None,
    inputs: str = "",
) -> CompileResult:
    """Compile namespaces (and what they include) into the files of a package.

    ``runtime_import`` names the module generated code takes its base classes from;
    by default the package vendors a copy as ``_runtime`` and imports it relatively.
    ``only`` restricts the emitted packages to some namespace names (their includes
    must then already be importable beside them).
    """
    return compile_sets(
        [list(namespaces)],
        fallback=fallback,
        only=only,
        runtime_import=runtime_import,
        emit_linkml=emit_linkml,
        format=format,
        progress=progress,
        inputs=inputs,
    )


def compile_sets(
    sets: Sequence[Sequence[Namespace]],
    *,
    fallback: Iterable[Namespace] = (),
    only: Iterable[str] | None = None,
    runtime_import: str | None = None,
    emit_linkml: bool = False,
    format: bool = True,
    progress: Callable[[str], None] = lambda message: None,
    inputs: str = "",
    semantic_keys: bool = False,
) -> CompileResult:
    """Several namespace sets (core 2.7.0 with its hdmf-common, core 2.11.0 with its
    own, ...) compiled side by side into one package.

    ``semantic_keys`` also records each namespace's :func:`semantic_sha256` in the
    manifest (the bundle does, so that files spelling its specs differently match).
    """
    fallback = list(fallback)
    vendored = runtime_import is None
    sources: dict[str, str] = {}  # python files, formatted together at the end
    files: dict[str, bytes] = {}
    entries: dict[tuple[str, str], dict] = {}
    catalog = None
    schemas: dict[str, SchemaDefinition] = {}
    for namespaces in sets:
        catalog = NamespaceCatalog(namespaces, fallback)
        names = ", ".join(f"{n} {ns.version}" for n, ns in catalog.namespaces.items())
        progress(f"building {names}")
        schemas = build_linkml(catalog)
        builder = ViewBuilder(
            schemas, "..._runtime" if vendored else runtime_import, __version__
        )
        for ns_name in schemas:
            if only is not None and ns_name not in set(only):
                continue
            ns = catalog.namespaces[ns_name]
            if (ns_name, ns.version) in entries:
                continue
            package = builder.package(ns_name)
            base = package.package
            for module in package.modules:
                sources[f"{base}/{module.name}.py"] = render_module(module)
            sources[f"{base}/__init__.py"] = render_version_init(package)
            sources[f"{base}/_reader.py"] = render_reader(
                build_reader_module(builder, ns_name)
            )
            sources[f"{base}/_writer.py"] = render_writer(
                build_writer_module(builder, ns_name)
            )
            files[f"{base}/_spec.json"] = _spec_json(ns)
            files.setdefault(
                f"{package_name(ns_name)}/__init__.py", _namespace_init(ns_name)
            )
            entries[(ns_name, ns.version)] = {
                "name": ns_name,
                "version": package.version,
                "package": base,
                "sha256": package.sha256,
                **(
                    {"semantic_sha256": semantic_sha256(catalog, ns_name)}
                    if semantic_keys
                    else {}
                ),
                "includes": [
                    {"name": inc, "version": catalog.namespaces[inc].version}
                    for inc in catalog.includes[ns_name]
                    if inc in catalog.namespaces
                ],
            }
        if emit_linkml:
            for name, data in linkml_files(schemas).items():
                files[f"linkml/{name}"] = data
    assert catalog is not None, "no namespace set given"
    ordered = [
        entries[k] for k in sorted(entries, key=lambda k: (k[0], version_key(k[1])))
    ]
    if vendored:
        for name in runtime_modules():
            text = (
                resources.files("nwbgen.runtime")
                .joinpath(name)
                .read_text(encoding="utf-8")
            )
            files[f"_runtime/{name}"] = (_RUNTIME_HEADER + text).encode()
    sources["__init__.py"] = _root_init(ordered)
    progress(f"formatting {len(sources)} modules")
    formatted = format_all(sources) if format else sources
    files.update((path, text.encode()) for path, text in formatted.items())
    files["py.typed"] = b""
    files = dict(sorted(files.items()))
    manifest = {
        "generator": "nwbgen",
        "nwbgen_version": __version__,
        "requires": list(REQUIRES),
        "namespaces": ordered,
        "inputs": inputs,
        "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()},
    }
    files["manifest.json"] = (
        json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    ).encode()
    return CompileResult(
        files=files, catalog=catalog, schemas=schemas, manifest=manifest
    )


_RUNTIME_HEADER = (
    "# Copied by nwbgen from nwbgen.runtime so that this package needs no nwbgen.\n"
)


def _spec_json(ns: Namespace) -> bytes:
    raw = ns.raw or {"name": ns.name, "version": ns.version, "sources": {}}
    raw = {"name": ns.name, "version": ns.version, "sources": raw["sources"]}
    return (json.dumps(raw, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _namespace_init(ns_name: str) -> bytes:
    return f'# Generated by nwbgen {__version__}.\n"""Versions of the {ns_name} namespace."""\n'.encode()


def _root_init(entries: list[dict]) -> str:
    names = ", ".join(f"{e['name']} {e['version']}" for e in entries)
    root = {
        "header": f"# Generated by nwbgen {__version__}: {names}.\n# Do not edit: recompile with `nwbgen compile`.",
        "docstring": docstring(
            f"Typed models of NWB namespaces compiled by nwbgen: {names}."
        ),
        "packages": [
            (e["name"], e["version"], e["package"].replace("/", ".")) for e in entries
        ],
    }
    return render("root_init.py.j2", root=root)


def linkml_files(schemas: dict[str, SchemaDefinition]) -> dict[str, bytes]:
    """The IR as LinkML YAML, one file per schema, loadable by linkml's SchemaView."""
    from linkml_runtime.dumpers import yaml_dumper

    out = {"nwb_dtypes.yaml": yaml_dumper.dumps(dtypes_schema()).encode()}
    for schema in schemas.values():
        out[f"{schema.name}.yaml"] = yaml_dumper.dumps(schema).encode()
    return out


__all__ = ["CompileResult", "compile_namespaces", "compile_sets", "linkml_files"]
