"""Typed rows of the table types: for a DynamicTable class whose schema declares
columns, a row model with those columns as typed fields.

``Units`` declares ``spike_times`` (ragged float64), ``obs_intervals``,
``electrodes`` (a region), ...; ``UnitsRow`` has ``spike_times: np.ndarray |
None``, ``electrodes: list[int] | None``, ... and takes any other column as an
extra. The table class names it in ``__row_model__`` and types ``rows()`` with it,
so that a type checker knows ``row.spike_times``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from linkml_runtime.linkml_model.meta import ClassDefinition, SlotDefinition

from .classes import ClassIndex, ann
from .members import Role, role_of

#: the mixins that make a class a table with rows
TABLE_MIXINS = ("DynamicTableMixin", "AlignedDynamicTableMixin")

_NUMBERS = {"float": "float", "int": "int", "uint": "int", "bool": "bool"}


@dataclass(frozen=True)
class RowFieldView:
    name: str
    type_hint: str


@dataclass(frozen=True)
class RowView:
    name: str
    table: str
    fields: tuple[RowFieldView, ...]
    #: the row class it derives from: TableRow, or the nearest base table's row
    base: str = "TableRow"
    #: LinkML name of that base table (None: TableRow)
    base_of: str | None = None


def _typed(index: ClassIndex, cls: ClassDefinition, neurodata_type: str) -> bool:
    """Whether ``cls`` is or derives from the hdmf type ``neurodata_type``."""
    return any(
        ann(c, "neurodata_type") == neurodata_type
        and ann(c, "namespace") in ("hdmf-common", "core")
        for c in index.lineage(cls)
    )


def is_table(index: ClassIndex, cls: ClassDefinition) -> bool:
    return _typed(index, cls, "DynamicTable")


def _columns(index: ClassIndex, cls: ClassDefinition) -> list[SlotDefinition]:
    """The declared columns of a table class: named members that are VectorData
    (not a VectorIndex of another column, not the ids)."""
    out = []
    for slot in index.slots(cls):
        column = index.classes.get(str(slot.range or ""))
        if (
            slot.name == "id"
            or column is None
            or role_of(slot, index) != Role.MEMBER
            or not _typed(index, column, "VectorData")
            or _typed(index, column, "VectorIndex")
        ):
            continue
        out.append(slot)
    return out


def _cell_hint(index: ClassIndex, column: ClassDefinition, ragged: bool) -> str:
    """What one row holds of a column of class ``column``."""
    if _typed(index, column, "DynamicTableRegion"):
        return "list[int]" if ragged else "int"
    value = next((s for s in index.slots(column) if s.name == "value"), None)
    dtype = json.loads(ann(value, "dtype") or "null") if value is not None else None
    shapes = json.loads(ann(value, "shape") or "null") if value is not None else None
    base = "Any"
    if isinstance(dtype, str):
        if dtype in ("text", "utf", "utf8", "utf-8", "ascii"):
            base = "str"
        else:
            base = next((v for k, v in _NUMBERS.items() if dtype.startswith(k)), "Any")
    array_cell = bool(shapes) and min(len(s) for s in shapes) > 1
    if base in ("float", "int", "bool") and (ragged or array_cell):
        return "np.ndarray"
    if array_cell:
        return "Any"
    return f"list[{base}]" if ragged else base


def row_view(
    index: ClassIndex, cls: ClassDefinition, python_name: str
) -> RowView | None:
    """The row model of table class ``cls``, if it declares columns of its own
    (a subclass that declares none uses its base's)."""
    if not is_table(index, cls):
        return None
    columns = _columns(index, cls)
    if not {str(s.name) for s in columns} & set(cls.attributes):
        return None
    names = {str(s.name) for s in index.slots(cls)}
    fields = tuple(
        RowFieldView(
            str(slot.name),
            _cell_hint(
                index,
                index.classes[str(slot.range)],
                f"{slot.name}_index" in names,
            ),
        )
        for slot in columns
    )
    base, base_of = "TableRow", None
    for ancestor in index.lineage(cls)[1:]:
        if row_view(index, ancestor, ann(ancestor, "python_name")) is not None:
            base, base_of = f"{ann(ancestor, 'python_name')}Row", str(ancestor.name)
            break
    return RowView(
        name=f"{python_name}Row",
        table=python_name,
        fields=fields,
        base=base,
        base_of=base_of,
    )
