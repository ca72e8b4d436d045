"""Type hints of generated fields: schema dtypes as Python and numpy types, array
annotations, and whether a subclass's hint narrows its base's (as mypy wants).
"""

from __future__ import annotations

import json
from typing import Any

from linkml_runtime.linkml_model.meta import SlotDefinition

from .classes import ClassIndex, ann
from .imports import ImportView
from .members import Role, ranges, role_of

PY_SCALARS = {
    "float32": "float",
    "float64": "float",
    "numeric": "float",
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint8": "int",
    "uint16": "int",
    "uint32": "int",
    "uint64": "int",
    "bool": "bool",
    "text": "str",
    "ascii": "str",
    "isodatetime": "datetime",
}

NP_SCALARS = {
    "float32": "np.float32",
    "float64": "np.float64",
    "numeric": "np.number",
    "int8": "np.int8",
    "int16": "np.int16",
    "int32": "np.int32",
    "int64": "np.int64",
    "uint8": "np.uint8",
    "uint16": "np.uint16",
    "uint32": "np.uint32",
    "uint64": "np.uint64",
    "bool": "np.bool_",
    "text": "np.str_",
    "ascii": "np.str_",
    "isodatetime": "np.object_",
}

NUMERIC_SCALARS = frozenset(
    v
    for k, v in NP_SCALARS.items()
    if k not in ("bool", "text", "ascii", "isodatetime")
)


def optional(hint: str) -> str:
    """``X | None``; for an annotated array the None goes inside ``Annotated[...]``,
    which IDEs (jedi) follow where they give up on ``Annotated[...] | None``."""
    marker = ", ArraySpec("
    if hint.startswith("Annotated[") and marker in hint:
        return hint.replace(marker, " | None" + marker, 1)
    return f"{hint} | None"


def array_core(hint: str) -> str:
    """``Annotated[Array[np.float32], ArraySpec(...)]`` -> ``Array[np.float32]``."""
    if hint.startswith("Annotated[Array[") and hint.endswith(")]"):
        return hint[len("Annotated[") : hint.index("]") + 1]
    return hint


def dtype_label(dtype: Any) -> Any:
    if isinstance(dtype, dict):
        return f"{dtype.get('reftype', 'object')}:{dtype.get('target_type', '')}"
    return dtype


def pystr(text: str) -> str:
    """A double-quoted Python literal (JSON escapes are Python escapes)."""
    return json.dumps(text, ensure_ascii=False)


def _literal(value: Any) -> str:
    """A Python literal as black prints it (double quotes)."""
    if isinstance(value, str):
        return pystr(value)
    return repr(value)


def _tuples(value: Any) -> str:
    """JSON lists as a tuple literal: [[null, 3]] -> ((None, 3),)."""
    if isinstance(value, list):
        inner = ", ".join(_tuples(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _literal(value)


def simplified(index: ClassIndex, union: str) -> set[str]:
    """The members of a ``A | B`` union less those that subclass another member."""
    members = set(union.split(" | "))
    return {
        m
        for m in members
        if not any(o != m and index.is_subclass(m, o) for o in members)
    }


def compatible(index: ClassIndex, hint: str, inherited: str) -> bool:
    """Whether mypy accepts ``hint`` overriding ``inherited`` (narrowing only)."""
    optional = " | None"
    if hint.endswith(optional):
        if not inherited.endswith(optional):
            return False  # a subtype making a required member optional widens it
        hint = hint[: -len(optional)]
    if inherited.endswith(optional):
        inherited = inherited[: -len(optional)]
    hint, inherited = array_core(hint), array_core(inherited)
    if hint == inherited or (hint.startswith("Literal[") and inherited == "str"):
        return True
    if inherited == "Any" or (hint.startswith("Array[") and inherited == "Array[Any]"):
        return True
    if inherited == "Array[np.number]" and hint[6:-1] in NUMERIC_SCALARS:
        return True  # Array is covariant and np.float32 is an np.number
    prefix = "dict[str, "
    if hint.startswith(prefix) and inherited.startswith(prefix):
        # dict is invariant: the value unions must be the same once members that
        # subclass another member are dropped (A | SubA is A)
        return simplified(index, hint[len(prefix) : -1]) == simplified(
            index, inherited[len(prefix) : -1]
        )
    return (
        hint in index.classes
        and inherited in index.classes
        and index.is_subclass(hint, inherited)
    )


def slot_hint(
    index: ClassIndex, slot: SlotDefinition, aliases: dict[str, str] | None = None
) -> tuple[str, set[str], set[ImportView]]:
    """(type hint, LinkML classes it names, imports it needs)."""
    role = role_of(slot, index)
    needs: set[ImportView] = set()
    refs: set[str] = set()

    def cls_name(linkml_name: str) -> str:
        refs.add(linkml_name)
        return aliases[linkml_name] if aliases is not None else linkml_name

    if role == Role.CHILDREN:
        names = [cls_name(r) for r in ranges(slot)]
        return f"dict[str, {' | '.join(names)}]", refs, needs
    slot_range = str(slot.range)
    if role == Role.NAME:
        return "str", refs, needs
    if slot_range in index.info:
        name = cls_name(slot_range)
        if slot.multivalued:
            return f"list[{name}]", refs, needs
        return name, refs, needs
    fixed = ann(slot, "value")
    compound = ann(slot, "compound")
    if slot.multivalued:
        needs |= {
            ImportView("typing", "Annotated"),
            ImportView("numpy", "", "np"),
            ImportView(index.runtime_import, "Array"),
            ImportView(index.runtime_import, "ArraySpec"),
        }
        if compound:
            fields = json.loads(compound)
            dtype_repr = _tuples([[f["name"], dtype_label(f["dtype"])] for f in fields])
            scalar = "np.void"
        else:
            dtype = json.loads(ann(slot, "dtype", "null"))
            dtype_repr = _literal(dtype_label(dtype))
            scalar = (
                NP_SCALARS.get(dtype, "np.object_") if isinstance(dtype, str) else "Any"
            )
            if scalar == "Any":
                needs.add(ImportView("typing", "Any"))
        shape = ann(slot, "shape")
        spec_args = [f"dtype={dtype_repr}"]
        if shape is not None:
            spec_args.append(f"shape={_tuples(json.loads(shape))}")
            spec_args.append(f"dims={_tuples(json.loads(ann(slot, 'dims')))}")
        return (
            f"Annotated[Array[{scalar}], ArraySpec({', '.join(spec_args)})]",
            refs,
            needs,
        )
    if compound:
        needs.add(ImportView("typing", "Any"))
        return "Any", refs, needs
    scalar = PY_SCALARS.get(slot_range)
    if scalar is None:
        needs.add(ImportView("typing", "Any"))
        return "Any", refs, needs
    if scalar == "datetime":
        needs.add(ImportView("datetime", "datetime"))
    if fixed is not None and scalar == "str":
        needs.add(ImportView("typing", "Literal"))
        return f"Literal[{pystr(json.loads(fixed))}]", refs, needs
    return scalar, refs, needs
