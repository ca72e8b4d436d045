"""The typed tree of models, as text (``nwbgen show``) and as HTML (a model's
``_repr_html_``, the collapsible view a Jupyter notebook shows).

Each object is a node: its name and type, for a dataset its shape and dtype, then
its scalar attributes (shortened); members follow, one level in. An object
reached by reference or link (not contained) is a ``-> /path`` node, so the tree
is a tree even when the file's graph has cycles. Only metadata is touched: arrays
are never read.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import is_model

#: longest attribute value printed in full
VALUE_WIDTH = 40
#: nodes an HTML view shows before it says how many more there are
HTML_NODES = 2000


@dataclass
class Node:
    """One object of the tree at ``level`` (0 for the root)."""

    level: int
    name: str
    #: "(Type)" and, for a dataset or a plain value, its shape and dtype or value
    label: str
    #: the HDF5 path of an object reached by reference or link, else None
    elsewhere: str | None = None
    #: ``name=value`` of its scalar attributes
    attributes: list[str] = field(default_factory=list)
    #: whether members follow (at ``level + 1``)
    has_members: bool = False


def nodes(
    root: Any, *, depth: int | None = None, attributes: bool = True
) -> Iterator[Node]:
    """The nodes under ``root`` (a model, or a dict of models), depth first."""
    if isinstance(root, dict):
        for name, model in root.items():
            yield from _nodes(name, model, 0, depth, attributes, None)
        return
    yield from _nodes(getattr(root, "name", "?"), root, 0, depth, attributes, None)


def _path(model: Any) -> str:
    source = (getattr(model, "__pydantic_private__", None) or {}).get("_h5")
    return getattr(source, "path", "") if source is not None else ""


def type_label(model: Any) -> str:
    nwb_type = type(model).__nwb_type__
    if nwb_type is not None and type(model).__dict__.get("__nwb_type__"):
        return str(nwb_type[1])
    # a nested member class: its own name, and the type it refines if any
    for base in type(model).__mro__[1:]:
        if base.__dict__.get("__nwb_type__"):
            return f"{type(model).__name__} ({base.__dict__['__nwb_type__'][1]})"
    return type(model).__name__


def _array_label(value: Any) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    shape_text = "scalar" if shape == () else "×".join(map(str, shape or ()))
    return f"[{shape_text or 0}] {dtype}"


def _scalar_label(value: Any) -> str:
    if isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


def _nodes(
    name: str,
    model: Any,
    level: int,
    depth: int | None,
    attributes: bool,
    parent: str | None,
) -> Iterator[Node]:
    if not is_model(model):
        yield Node(level, name, f": {_value_label(model)}")
        return
    path = _path(model)
    if parent is not None and path and (path.rsplit("/", 1)[0] or "/") != parent:
        yield Node(level, name, f" ({type_label(model)})", elsewhere=path)
        return
    label = f" ({type_label(model)})"
    value = (
        getattr(model, "value", None) if "value" in type(model).model_fields else None
    )
    if value is not None:
        label += "  " + _value_label(value)
    node = Node(level, name, label)
    if depth is not None and depth <= 0:
        yield node
        return
    members: list[tuple[str, Any]] = []
    for member in type(model).model_fields:
        if member in ("name", "value"):
            continue
        value = getattr(model, member, None)
        if value is None:
            continue
        if member == "children" and isinstance(value, dict):
            members.extend(value.items())
        elif is_model(value) or _is_array(value):
            members.append((member, value))
        elif attributes and not isinstance(value, (list, dict)):
            node.attributes.append(f"{member}={_scalar_label(value)}")
    node.has_members = bool(members)
    yield node
    next_depth = None if depth is None else depth - 1
    for member_name, member in members:
        yield from _nodes(
            member_name, member, level + 1, next_depth, attributes, path or None
        )


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _value_label(value: Any) -> str:
    if _is_array(value):
        return _array_label(value)
    if isinstance(value, list) and value and is_model(value[0]):
        return f"[{len(value)}] references to {type_label(value[0])}"
    if isinstance(value, tuple) and len(value) == 2 and is_model(value[0]):
        return f"-> {_path(value[0])} (region)"
    return _scalar_label(value)


# -- text ------------------------------------------------------------------------


def tree_lines(
    root: Any, *, depth: int | None = None, attributes: bool = True
) -> Iterator[str]:
    """Lines of the tree under ``root``: what ``nwbgen show`` prints."""
    for node in nodes(root, depth=depth, attributes=attributes):
        indent = "  " * node.level
        if node.elsewhere is not None:
            yield f"{indent}{node.name} -> {node.elsewhere}{node.label}"
            continue
        yield f"{indent}{node.name}{node.label}"
        if node.attributes:
            yield f"{indent}  · " + ", ".join(node.attributes)


def format_tree(root: Any, *, depth: int | None = None, attributes: bool = True) -> str:
    return "\n".join(tree_lines(root, depth=depth, attributes=attributes))


# -- HTML ------------------------------------------------------------------------

_STYLE = (
    "<style>.nwbgen-tree{font-family:monospace;font-size:12px}"
    ".nwbgen-tree details{margin-left:1.2em}.nwbgen-tree .leaf{margin-left:2.4em}"
    ".nwbgen-tree .type{color:#6a737d}.nwbgen-tree .attrs{margin-left:2.4em;"
    "color:#586069}.nwbgen-tree summary{cursor:pointer}</style>"
)


def tree_html(root: Any, *, depth: int | None = None, limit: int = HTML_NODES) -> str:
    """The tree under ``root`` as nested, collapsible ``<details>`` (the root
    open), metadata only; after ``limit`` nodes, how many more there are."""
    out = [_STYLE, '<div class="nwbgen-tree">']
    open_levels: list[int] = []
    shown = more = 0
    for node in nodes(root, depth=depth):
        if shown >= limit:
            more += 1
            continue
        shown += 1
        while open_levels and open_levels[-1] >= node.level:
            open_levels.pop()
            out.append("</details>")
        name = f"<b>{html.escape(node.name)}</b>"
        label = f'<span class="type">{html.escape(node.label)}</span>'
        attrs = (
            f'<div class="attrs">{html.escape(", ".join(node.attributes))}</div>'
            if node.attributes
            else ""
        )
        if node.elsewhere is not None:
            out.append(
                f'<div class="leaf">{name} → {html.escape(node.elsewhere)}{label}</div>'
            )
        elif node.has_members:
            opened = " open" if node.level == 0 else ""
            out.append(f"<details{opened}><summary>{name}{label}</summary>{attrs}")
            open_levels.append(node.level)
        else:
            out.append(f'<div class="leaf">{name}{label}{attrs}</div>')
    out.extend("</details>" for _ in open_levels)
    if more:
        out.append(
            f'<div class="leaf">… {more} more objects (nwbgen show lists all)</div>'
        )
    out.append("</div>")
    return "".join(out)


__all__ = ["Node", "format_tree", "nodes", "tree_html", "tree_lines", "type_label"]
