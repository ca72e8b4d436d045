"""The pipeline: namespaces -> catalog -> LinkML -> views -> {path: bytes}.

Pure: nothing here touches the disk. :mod:`nwbgen.generator.emit` writes the result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from linkml_runtime.linkml_model.meta import SchemaDefinition

from .. import __version__
from ..spec.catalog import NamespaceCatalog
from ..spec.identity import built_on, catalog_identities
from ..spec.model import Namespace, version_key
from ..spec.semantic import semantic_sha256
from .classes import ClassIndex
from .frame_views import build_reader_module, build_writer_module
from .linkml import build_linkml, dtypes_schema
from .model_views import ModelViewBuilder, docstring
from .naming import package_name, version_package
from .render import (
    format_all,
    render,
    render_module,
    render_reader,
    render_version_init,
    render_writer,
)

#: what a compiled package needs installed (written to its manifest)
REQUIRES = ("h5py", "numpy", "pydantic>=2.7")


def runtime_modules() -> list[str]:
    """The runtime modules a compiled package vendors: all of ``nwbgen.runtime``,
    its subpackages included, as paths relative to it (``hdf5/lazy.py``)."""
    out = []
    folders = [("", resources.files("nwbgen.runtime"))]
    while folders:
        prefix, folder = folders.pop()
        for item in folder.iterdir():
            if item.is_dir() and item.joinpath("__init__.py").is_file():
                folders.append((f"{prefix}{item.name}/", item))
            elif item.name.endswith(".py"):
                out.append(f"{prefix}{item.name}")
    return sorted(out)


@dataclass
class CompileResult:
    files: dict[str, bytes]
    catalog: NamespaceCatalog
    schemas: dict[str, SchemaDefinition]
    manifest: dict = field(default_factory=dict)


def compile_namespaces(
    namespaces: Iterable[Namespace], **options: Any
) -> CompileResult:
    """Compile namespaces (and what they include) into the files of a package:
    :func:`compile_sets` of one set, with the same options."""
    return compile_sets([list(namespaces)], **options)


def compile_sets(
    sets: Sequence[Sequence[Namespace]],
    *,
    fallback: Iterable[Namespace] = (),
    only: Iterable[str] | None = None,
    external: Mapping[str, str] | None = None,
    runtime_import: str | None = None,
    emit_linkml: bool = False,
    format: bool = True,
    progress: Callable[[str], None] = lambda message: None,
    inputs: str = "",
    semantic_keys: bool = False,
) -> CompileResult:
    """Several namespace sets (core 2.7.0 with its hdmf-common, core 2.11.0 with its
    own, ...) compiled side by side into one package.

    Each namespace build is one package, keyed by its identity (name, version, spec
    and the identities of its includes: see :mod:`nwbgen.spec.identity`): a version
    built over two different includes (hdmf-experimental 0.6.0 over hdmf-common
    1.9.0 and 1.10.0) is two packages, ``v0_6_0_with_hdmf_common_1_9_0`` and
    ``v0_6_0_with_hdmf_common_1_10_0``; a version built once is ``v0_6_0``.

    ``runtime_import`` names the module generated code takes its base classes from;
    by default the package vendors a copy as ``_runtime`` and imports it relatively.
    ``only`` restricts the emitted packages to some namespace names (their includes
    must then already be importable beside them). ``external`` maps namespace names
    to the absolute version package that already holds their models
    (``{"core": "nwbgen.generated.core.v2_11_0"}``): they are not emitted, and the
    emitted ones import their classes from there. ``semantic_keys`` also records
    each namespace's :func:`semantic_sha256` in the manifest (the bundle does, so
    that files spelling its specs differently match).
    """
    fallback = list(fallback)
    external = dict(external or {})
    vendored = runtime_import is None
    sources: dict[str, str] = {}  # python files, formatted together at the end
    files: dict[str, bytes] = {}
    catalogs = [NamespaceCatalog(namespaces, fallback) for namespaces in sets]
    identities = [catalog_identities(c) for c in catalogs]
    emitted = {
        name
        for c in catalogs
        for name in c.namespaces
        if name not in external and (only is None or name in set(only))
    }
    paths = _package_paths(catalogs, identities, emitted)
    entries: dict[str, dict] = {}
    schemas: dict[str, SchemaDefinition] = {}
    for catalog, ids in zip(catalogs, identities):
        names = ", ".join(f"{n} {ns.version}" for n, ns in catalog.namespaces.items())
        progress(f"building {names}")
        schemas = build_linkml(catalog)
        index = ClassIndex(
            schemas,
            "..._runtime" if vendored else runtime_import,
            __version__,
            packages={n: external.get(n) or paths[ids[n]] for n in catalog.namespaces},
            external=set(external),
        )
        builder = ModelViewBuilder(index)
        for ns_name in schemas:
            if ns_name not in emitted or ids[ns_name] in entries:
                continue
            ns = catalog.namespaces[ns_name]
            package = builder.package(ns_name)
            base = package.package
            for module in package.modules:
                sources[f"{base}/{module.name}.py"] = render_module(module)
            sources[f"{base}/__init__.py"] = render_version_init(package)
            sources[f"{base}/_reader.py"] = render_reader(
                build_reader_module(index, ns_name)
            )
            sources[f"{base}/_writer.py"] = render_writer(
                build_writer_module(index, ns_name)
            )
            files[f"{base}/_spec.json"] = _spec_json(ns)
            files.setdefault(
                f"{package_name(ns_name)}/__init__.py", _namespace_init(ns_name)
            )
            entries[ids[ns_name]] = {
                "name": ns_name,
                "version": package.version,
                "package": base,
                "sha256": package.sha256,
                "identity": ids[ns_name],
                **(
                    {"semantic_sha256": semantic_sha256(catalog, ns_name)}
                    if semantic_keys
                    else {}
                ),
                "includes": [
                    {
                        "name": inc,
                        "version": catalog.namespaces[inc].version,
                        "identity": ids[inc],
                        **(
                            {"module": external[inc]}
                            if inc in external
                            else {"package": paths[ids[inc]].replace(".", "/")}
                        ),
                    }
                    for inc in catalog.includes[ns_name]
                    if inc in catalog.namespaces and inc != ns_name
                ],
            }
        if emit_linkml:
            for name, data in linkml_files(schemas).items():
                files[f"linkml/{name}"] = data
    assert catalogs, "no namespace set given"
    ordered = sorted(
        entries.values(),
        key=lambda e: (e["name"], version_key(e["version"]), e["package"]),
    )
    if vendored:
        for name in runtime_modules():
            text = (
                resources.files("nwbgen.runtime")
                .joinpath(*name.split("/"))
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
        files=files, catalog=catalogs[-1], schemas=schemas, manifest=manifest
    )


def _package_paths(
    catalogs: list[NamespaceCatalog], identities: list[dict[str, str]], emitted: set
) -> dict[str, str]:
    """identity -> dotted package path (``core.v2_11_0``) of every build. A version
    built once is ``v<X_Y_Z>``; one built over several includes names each build by
    the versions it was built on (``v0_6_0_with_hdmf_common_1_10_0``)."""
    builds: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}
    for catalog, ids in zip(catalogs, identities):
        for name, ns in catalog.namespaces.items():
            builds.setdefault((name, ns.version), {})[ids[name]] = built_on(
                catalog, name
            )
    out: dict[str, str] = {}
    for (name, version), by_id in builds.items():
        plain = f"{package_name(name)}.{version_package(version)}"
        if len(by_id) == 1:
            out.update(dict.fromkeys(by_id, plain))
            continue
        suffixes = {
            # a build over nothing keeps the plain name (core 2.1.0 beside core
            # 2.1.0 over hdmf-common 1.0.0)
            ident: (
                "_with_"
                + "_".join(f"{package_name(n)}_{version_package(v)[1:]}" for n, v in on)
                if on
                else ""
            )
            for ident, on in by_id.items()
        }
        if len(set(suffixes.values())) < len(suffixes):  # same includes, other spec
            suffixes = {ident: f"{s}_{ident[:8]}" for ident, s in suffixes.items()}
        out.update({ident: plain + s for ident, s in suffixes.items()})
    return out


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
            (
                e["name"],
                e["version"],
                sorted((i["name"], i["version"]) for i in e["includes"]),
                e["package"].replace("/", "."),
            )
            for e in entries
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
