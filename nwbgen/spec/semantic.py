"""A namespace's schema by meaning, not by spelling.

hdmf caches specs rewritten: default keys dropped or added (``quantity: 1``,
``required: true``), attributes with a default marked ``required: false``, a type's
members copied into the members that include it, namespace ``doc``/``title`` gone,
and (before hdmf 3) fixed values of 0 dropped.
The raw sha256 of a cached spec therefore never equals its release YAML's, though
both compile to the same models. :func:`semantic_sha256` hashes what the compiler
reads instead: every type rolled down, typed members expanded with their type,
defaults normalised, member order ignored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from .catalog import NamespaceCatalog, merge_spec
from .model import Attribute, Dataset, Group


class _Canonical:
    """The canonical form of the specs of one namespace. A member object is shared
    by every type that inherits it, so each (member, expansion stack) is computed
    once (the memo holds the node, so its ``id`` stays its own)."""

    def __init__(self, catalog: NamespaceCatalog, ns: str) -> None:
        self.catalog = catalog
        self.ns = ns
        self._memo: dict[tuple[int, tuple, bool], tuple[Any, str]] = {}

    def member(self, node: Any, stack: tuple) -> str:
        """The canonical JSON text of a member (sorted among its siblings)."""
        key = (id(node), stack, True)
        hit = self._memo.get(key)
        if hit is None:
            text = json.dumps(
                self.node(node, stack, nested=True), sort_keys=True, default=str
            )
            hit = self._memo[key] = (node, text)
        return hit[1]

    def node(self, node: Any, stack: tuple = (), nested: bool = False) -> Any:
        catalog, ns = self.catalog, self.ns
        if isinstance(node, Attribute):
            out = {
                f.name: self.node(getattr(node, f.name))
                for f in dataclasses.fields(node)
            }
            out["required"] = (
                node.required and node.value is None and node.default_value is None
            )
            return out
        if isinstance(node, (Dataset, Group)):
            if node.inc_type and not node.def_type and node.inc_type not in stack:
                # a member is what its type is, refined (hdmf caches it expanded)
                base = catalog.rolled_down(catalog.resolve(node.inc_type, ns).ref)
                stack = (*stack, node.inc_type)
                node = merge_spec(base, node)
            elif nested and node.def_type and node.def_type not in stack:
                # a type defined inside another is what it is rolled down (hdmf
                # caches it with its base's members copied in, the YAML without)
                stack = (*stack, node.def_type)
                node = catalog.rolled_down(catalog.resolve(node.def_type, ns).ref)
            out = {}
            for f in dataclasses.fields(node):
                if f.name == "given":
                    continue
                value = getattr(node, f.name)
                if f.name in ("attributes", "datasets", "groups", "links"):
                    out[f.name] = sorted(self.member(m, stack) for m in value)
                else:
                    out[f.name] = self.node(value, stack)
            if _is_zero(out.get("value")):
                # hdmf before 3.x cached a fixed value of 0 as no value at all (it
                # tested the value for truth): IZeroClampSeries' bias_current and
                # kin in files pynwb 1.x-2.x wrote (core 2.2-2.5)
                out["value"] = None
            return out
        if dataclasses.is_dataclass(node):
            return {
                f.name: self.node(getattr(node, f.name))
                for f in dataclasses.fields(node)
            }
        if isinstance(node, (list, tuple)):
            return [self.node(v, stack) for v in node]
        return node


def _is_zero(value: Any) -> bool:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0
    )


def semantic_sha256(catalog: NamespaceCatalog, namespace: str) -> str:
    """Equal for two spellings of one schema (release YAML, an hdmf cache)."""
    canonical = _Canonical(catalog, namespace)
    types = {
        t.ref.name: canonical.node(catalog.rolled_down(t.ref))
        for t in catalog.types_of(namespace)
    }
    ns = catalog.namespaces[namespace]
    payload = {"name": ns.name, "version": ns.version, "types": types}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode()
    ).hexdigest()
