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


def _canonical(node: Any, catalog: NamespaceCatalog, ns: str, stack: tuple = ()) -> Any:
    if isinstance(node, Attribute):
        out = {
            f.name: _canonical(getattr(node, f.name), catalog, ns)
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
        out = {}
        for f in dataclasses.fields(node):
            if f.name == "given":
                continue
            value = getattr(node, f.name)
            if f.name in ("attributes", "datasets", "groups", "links"):
                out[f.name] = sorted(
                    json.dumps(
                        _canonical(m, catalog, ns, stack), sort_keys=True, default=str
                    )
                    for m in value
                )
            else:
                out[f.name] = _canonical(value, catalog, ns, stack)
        if _is_zero(out.get("value")):
            # hdmf before 3.x cached a fixed value of 0 as no value at all (it
            # tested the value for truth): IZeroClampSeries' bias_current and
            # kin in files pynwb 1.x-2.x wrote (core 2.2-2.5)
            out["value"] = None
        return out
    if dataclasses.is_dataclass(node):
        return {
            f.name: _canonical(getattr(node, f.name), catalog, ns)
            for f in dataclasses.fields(node)
        }
    if isinstance(node, (list, tuple)):
        return [_canonical(v, catalog, ns, stack) for v in node]
    return node


def _is_zero(value: Any) -> bool:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0
    )


def semantic_sha256(catalog: NamespaceCatalog, namespace: str) -> str:
    """Equal for two spellings of one schema (release YAML, an hdmf cache)."""
    types = {
        t.ref.name: _canonical(catalog.rolled_down(t.ref), catalog, namespace)
        for t in catalog.types_of(namespace)
    }
    ns = catalog.namespaces[namespace]
    payload = {"name": ns.name, "version": ns.version, "types": types}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode()
    ).hexdigest()
