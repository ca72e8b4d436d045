"""The identity of a compiled namespace: its name, version and spec, *and* the
identities of the namespaces it was built on.

hdmf-experimental 0.6.0 compiled over hdmf-common 1.9.0 and over 1.10.0 are two
packages: its ``EnumData`` derives from two different ``VectorData`` classes. The
bundle, the user cache, the manifest, the provider and ``/specifications`` of a
written file all key packages by this identity, so a file's models never mix two
versions of one namespace.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Protocol

from ..errors import CompileError
from .model import Namespace
from .sources import spec_sha256

#: characters of the sha256 kept: unique among any realistic set of builds
IDENTITY_CHARS = 16


class _Catalog(Protocol):
    namespaces: Mapping[str, Namespace]
    includes: Mapping[str, tuple[str, ...]]


def identity(name: str, version: str, sha256: str, includes: Iterable[str]) -> str:
    """The identity of one build from its spec hash and its includes' identities."""
    payload = json.dumps([name, version, sha256, sorted(includes)])
    return hashlib.sha256(payload.encode()).hexdigest()[:IDENTITY_CHARS]


def spec_hash(ns: Namespace) -> str:
    """sha256 of the namespace's spec sources as given (the file's or the YAML's)."""
    return spec_sha256(ns.raw["sources"] if ns.raw else {})


def catalog_identities(catalog: _Catalog) -> dict[str, str]:
    """namespace name -> identity, for every namespace of a catalog."""
    out: dict[str, str] = {}

    def visit(name: str, stack: tuple[str, ...]) -> str:
        if name in out:
            return out[name]
        if name in stack:
            chain = " -> ".join((*stack, name))
            raise CompileError(f"namespace include cycle: {chain}")
        ns = catalog.namespaces[name]
        included = [
            visit(inc, (*stack, name))
            for inc in catalog.includes.get(name, ())
            if inc in catalog.namespaces and inc != name
        ]
        out[name] = identity(ns.name, ns.version, spec_hash(ns), included)
        return out[name]

    for name in catalog.namespaces:
        visit(name, ())
    return out


def built_on(catalog: _Catalog, name: str) -> list[tuple[str, str]]:
    """(name, version) of each namespace ``name`` includes directly, sorted."""
    return sorted(
        (inc, catalog.namespaces[inc].version)
        for inc in catalog.includes.get(name, ())
        if inc in catalog.namespaces and inc != name
    )
