"""Which bundled packages (:mod:`nwbgen.generated`) serve a file's namespaces.

A bundled build serves a namespace of a file when its version is the file's, its
spec is the file's (byte for byte, or by meaning: hdmf's caching respells every
spec it stores) and every namespace it was built on is served, for that file, by
the very build it was compiled over. A namespace that no build serves is compiled,
over the bundled builds of what it includes: only what the bundle lacks.
"""

from __future__ import annotations

import functools
from typing import Any

from ...errors import NWBGenError
from ...spec.catalog import NamespaceCatalog, includes_of
from ...spec.identity import spec_hash
from ...spec.model import Namespace
from ...spec.sources import bundled_manifest, spec_json_namespace

BUNDLE_ROOT = "nwbgen.generated"

EXACT, SAME_SCHEMA, OTHER_SCHEMA, ABSENT = (
    "exact",
    "same schema",
    "other schema",
    "absent",
)


@functools.lru_cache(maxsize=1)
def _builds() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(namespace, version) -> the bundle's builds of it (manifest entries)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in bundled_manifest().get("namespaces", []):
        out.setdefault((entry["name"], entry["version"]), []).append(entry)
    return out


def module_of(entry: dict[str, Any]) -> str:
    """The absolute module of a bundled build (``nwbgen.generated.core.v2_11_0``)."""
    return f"{BUNDLE_ROOT}.{entry['package'].replace('/', '.')}"


def bundled_namespace(module: str) -> Namespace:
    """The spec a bundled build was compiled from (its ``_spec.json``): what a
    compile over it must see, so that the names it imports are the build's."""
    import importlib
    from pathlib import Path

    package = importlib.import_module(module)
    spec_file = Path(str(package.__file__)).with_name("_spec.json")
    return spec_json_namespace(spec_file, module)


class _Semantic:
    """Semantic hashes of a file's namespaces, computed once and only if asked
    (building the catalog they need costs a few hundred milliseconds)."""

    def __init__(self, namespaces: list[Namespace]) -> None:
        self.namespaces = namespaces
        self._catalog: NamespaceCatalog | None | bool = False

    def sha256(self, ns: Namespace) -> str | None:
        if self._catalog is False:
            try:
                self._catalog = NamespaceCatalog(self.namespaces)
            except NWBGenError:
                self._catalog = None  # a spec the catalog rejects: compiled, reported
        catalog = self._catalog
        if not isinstance(catalog, NamespaceCatalog):
            return None
        if catalog.namespaces.get(ns.name) is not ns:
            return None
        from ...spec.semantic import semantic_sha256

        return semantic_sha256(catalog, ns.name)


def bundle_plan(namespaces: list[Namespace]) -> dict[str, dict[str, Any] | None]:
    """namespace name -> the bundled build that serves it (a manifest entry), or
    ``None`` when it must be compiled. ``namespaces``: one version per name."""
    by_name = {ns.name: ns for ns in namespaces}
    semantic = _Semantic(namespaces)
    plan: dict[str, dict[str, Any] | None] = {}

    def serve(name: str, stack: tuple[str, ...]) -> dict[str, Any] | None:
        if name in plan:
            return plan[name]
        ns = by_name[name]
        includes = [
            inc for inc in includes_of(ns, by_name) if inc in by_name and inc != name
        ]
        served = {
            inc: serve(inc, (*stack, name)) for inc in includes if inc not in stack
        }
        plan[name] = None
        candidates = [
            entry
            for entry in _builds().get((ns.name, ns.version), [])
            if _built_over(entry, served, includes)
        ]
        exact = spec_hash(ns)
        found = next((e for e in candidates if e["sha256"] == exact), None)
        if found is None and candidates:
            meaning = semantic.sha256(ns)
            found = next(
                (
                    e
                    for e in candidates
                    if meaning and e.get("semantic_sha256") == meaning
                ),
                None,
            )
        plan[name] = found
        return found

    for name in sorted(by_name):
        serve(name, ())
    return plan


def _built_over(
    entry: dict[str, Any], served: dict[str, dict[str, Any] | None], includes: list
) -> bool:
    """The build was compiled over exactly the builds that serve its includes."""
    over = {i["name"]: i.get("identity") for i in entry.get("includes", [])}
    if set(over) != set(includes):
        return False
    return all(
        served.get(name) is not None and served[name]["identity"] == identity
        for name, identity in over.items()
    )


def status_of(ns: Namespace, entry: dict[str, Any] | None) -> str:
    """How a namespace matches the bundle, given the build that serves it (if any):
    byte for byte (``EXACT``), by meaning (``SAME_SCHEMA``), ``OTHER_SCHEMA`` (the
    bundle has the version, but not this schema or not over these includes) or
    ``ABSENT``."""
    if entry is not None:
        return EXACT if entry["sha256"] == spec_hash(ns) else SAME_SCHEMA
    return OTHER_SCHEMA if _builds().get(ns.key) else ABSENT


__all__ = [
    "ABSENT",
    "BUNDLE_ROOT",
    "EXACT",
    "OTHER_SCHEMA",
    "SAME_SCHEMA",
    "bundle_plan",
    "bundled_namespace",
    "module_of",
    "status_of",
]
