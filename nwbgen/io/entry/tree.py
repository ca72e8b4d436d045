"""The typed tree of read models as text: what ``nwbgen show`` prints.

Each object is one line: its name and type, then for datasets their shape and
dtype, then its scalar attributes (shortened); members follow indented. Objects
reached by reference or link (not contained) are printed as ``-> /path`` once,
so the tree is a tree even when the file's graph has cycles. Only metadata is
touched: arrays are never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...runtime.models.base import is_model
from ...runtime.source import source_of

#: longest attribute value printed in full
VALUE_WIDTH = 40


def format_tree(root: Any, *, depth: int | None = None, attributes: bool = True) -> str:
    return "\n".join(tree_lines(root, depth=depth, attributes=attributes))


def tree_lines(
    root: Any, *, depth: int | None = None, attributes: bool = True
) -> Iterator[str]:
    """Lines of the tree under ``root`` (a model, or a dict of models)."""
    if isinstance(root, dict):
        for name, model in root.items():
            yield from _lines(name, model, "", depth, attributes, None)
        return
    yield from _lines(getattr(root, "name", "?"), root, "", depth, attributes, None)


def _path(model: Any) -> str:
    source = source_of(model)
    return source.path if source is not None else ""


def _type_label(model: Any) -> str:
    nwb_type = type(model).__nwb_type__
    if nwb_type is not None and type(model).__dict__.get("__nwb_type__"):
        return nwb_type[1]
    # a nested member class: its own name, and the type it refines if any
    for base in type(model).__mro__[1:]:
        if base.__dict__.get("__nwb_type__"):
            return f"{type(model).__name__} ({base.__nwb_type__[1]})"
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


def _lines(
    name: str,
    model: Any,
    indent: str,
    depth: int | None,
    attributes: bool,
    parent: str | None,
) -> Iterator[str]:
    if not is_model(model):
        yield f"{indent}{name}: {_value_label(model)}"
        return
    path = _path(model)
    if parent is not None and path and (path.rsplit("/", 1)[0] or "/") != parent:
        yield f"{indent}{name} -> {path} ({_type_label(model)})"
        return
    head = f"{indent}{name} ({_type_label(model)})"
    value = (
        getattr(model, "value", None) if "value" in type(model).model_fields else None
    )
    if value is not None:
        head += "  " + _value_label(value)
    yield head
    if depth is not None and depth <= 0:
        return
    inner = indent + "  "
    next_depth = None if depth is None else depth - 1
    members: list[tuple[str, Any]] = []
    scalars: list[str] = []
    for field in type(model).model_fields:
        if field in ("name", "value"):
            continue
        value = getattr(model, field, None)
        if value is None:
            continue
        if field == "children" and isinstance(value, dict):
            members.extend(value.items())
        elif is_model(value) or _is_array(value):
            members.append((field, value))
        elif attributes and not isinstance(value, (list, dict)):
            scalars.append(f"{field}={_scalar_label(value)}")
    if scalars:
        yield f"{inner}· " + ", ".join(scalars)
    for member_name, member in members:
        yield from _lines(
            member_name, member, inner, next_depth, attributes, path or None
        )


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _value_label(value: Any) -> str:
    if _is_array(value):
        return _array_label(value)
    if isinstance(value, list) and value and is_model(value[0]):
        return f"[{len(value)}] references to {_type_label(value[0])}"
    if isinstance(value, tuple) and len(value) == 2 and is_model(value[0]):
        return f"-> {_path(value[0])} (region)"
    return _scalar_label(value)


__all__ = ["format_tree", "tree_lines"]
