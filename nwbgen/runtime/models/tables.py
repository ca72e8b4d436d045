"""Behaviour of the hdmf table types, mixed into their generated models.

The generated ``DynamicTable``, ``VectorIndex``, ``DynamicTableRegion`` and
``AlignedDynamicTable`` classes list one of these before their pydantic base. They
add methods only (no fields), working on the fields every version of those types
has: ``colnames``, ``id``, ``target``, ``table``, ``categories`` and the columns.

Imports only pydantic, numpy and the standard library (vendored into compiled packages).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from .fields import built, model_classes
from .table_build import TableBuildingMixin, no_columns

__all__ = [
    "AlignedDynamicTableMixin",
    "DynamicTableMixin",
    "DynamicTableRegionMixin",
    "TableRow",
    "VectorIndexMixin",
    "no_columns",
]


def _values(column: Any) -> Any:
    """All values of a column model (or a bare array): loaded, decoded."""
    value = getattr(column, "value", column)
    if value is None:
        return np.asarray([])
    if hasattr(value, "load"):
        return value.load()
    return np.asarray(value) if not isinstance(value, np.ndarray) else value


def _texts(names: Any) -> list[str]:
    """A text attribute that lists names (``colnames``) as a list of str."""
    if names is None:
        return []
    return [str(n) for n in np.asarray(_values(names)).reshape(-1)]


def _split(values: Any, bounds: np.ndarray) -> list[Any]:
    starts = np.concatenate(([0], bounds[:-1])) if len(bounds) else bounds
    return [values[int(a) : int(b)] for a, b in zip(starts, bounds)]


class VectorIndexMixin:
    """A ragged column's index: ``index[i]`` is row ``i`` of its target."""

    def __len__(self) -> int:
        return len(self.value)  # type: ignore[attr-defined]

    def __getitem__(self, row: Any) -> Any:
        if not isinstance(row, (int, np.integer)):
            return self.value[row]  # type: ignore[attr-defined]
        n = len(self)
        i = int(row) + n if row < 0 else int(row)
        if not 0 <= i < n:
            raise IndexError(f"row {row} out of range for {n} rows")
        start = 0 if i == 0 else int(self.value[i - 1])  # type: ignore[attr-defined]
        stop = int(self.value[i])  # type: ignore[attr-defined]
        target = self.target  # type: ignore[attr-defined]
        if isinstance(target, VectorIndexMixin):  # a nested ragged column
            return [target[j] for j in range(start, stop)]
        return target.value[start:stop]

    def rows(self) -> list[Any]:
        """Every row, reading the index and its target once each."""
        bounds = np.asarray(_values(self), dtype=np.int64)
        target = self.target  # type: ignore[attr-defined]
        inner = (
            target.rows() if isinstance(target, VectorIndexMixin) else _values(target)
        )
        return _split(inner, bounds)


class DynamicTableRegionMixin:
    """Rows of another table: ``region.table`` is the table, ``region[i]`` the row
    (a dict) that element ``i`` points to."""

    def __len__(self) -> int:
        return len(self.value)  # type: ignore[attr-defined]

    def __getitem__(self, i: Any) -> Any:
        rows = self.value[i]  # type: ignore[attr-defined]
        table = self.table  # type: ignore[attr-defined]
        if np.ndim(rows) == 0:
            return table.row(int(rows))
        return [table.row(int(r)) for r in np.asarray(rows).reshape(-1)]


class TableRow(BaseModel):
    """One row of a table: the columns its schema declares as typed fields (the
    generated ``UnitsRow``, ...), any other column as an extra. Reads like a dict
    too (``row["quality"]``, ``dict(row)``), and ``add_row`` takes one."""

    model_config = ConfigDict(
        extra="allow", arbitrary_types_allowed=True, defer_build=True
    )

    def keys(self) -> list[str]:
        """The columns this row has values of."""
        declared = [k for k in type(self).model_fields if k in self.model_fields_set]
        return declared + list(self.__pydantic_extra__ or {})

    def __getitem__(self, name: str) -> Any:
        if name not in self.keys():
            raise KeyError(name)
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self) == dict(other)
        return BaseModel.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


_MEMBER_FIELDS: dict[type, tuple[str, ...]] = {}


def _member_fields(cls: type) -> tuple[str, ...]:
    """The fields of table class ``cls`` that hold models (columns, indexes,
    sub-tables), in declaration order."""
    found = _MEMBER_FIELDS.get(cls)
    if found is None:
        found = _MEMBER_FIELDS[cls] = tuple(
            name
            for name, info in built(cls).__pydantic_fields__.items()
            if name not in ("name", "colnames", "description", "children")
            and model_classes(info.annotation)
        )
    return found


class DynamicTableMixin(TableBuildingMixin):
    """Columns in ``colnames`` order, ragged columns through their index, rows;
    built with hdmf's ``add_column`` / ``add_row``."""

    def _declared(self) -> list[Any]:
        """The values of the table's declared member fields (not its attributes)."""
        values = self.__dict__
        return [
            value
            for field in _member_fields(type(self))
            if (value := values.get(field)) is not None and hasattr(value, "name")
        ]

    def _members(self) -> dict[str, Any]:
        """HDF5 name -> column-like member (declared fields and children)."""
        out = {v.name: v for v in self._declared() if hasattr(v, "value")}
        out.update(getattr(self, "children", None) or {})
        return out

    @property
    def column_names(self) -> list[str]:
        """``colnames`` as a list of str (empty when the table has no columns)."""
        return _texts(getattr(self, "colnames", None))

    @property
    def columns(self) -> dict[str, Any]:
        """Column name -> its data column model, in ``colnames`` order."""
        members = self._members()
        return {name: members[name] for name in self.column_names if name in members}

    def column(self, name: str) -> Any:
        """The column model ``name`` (for a ragged column, its data, not its index)."""
        members = self._members()
        if name not in members:
            raise KeyError(
                f"table {self.name!r} has no column {name!r} "  # type: ignore[attr-defined]
                f"(columns: {', '.join(self.column_names)})"
            )
        return members[name]

    def index_of(self, name: str) -> Any:
        """The (outermost) VectorIndex of a ragged column, or ``None``: a doubly
        ragged column ``x`` has ``x_index`` into ``x`` and ``x_index_index`` into
        ``x_index``; rows are the outermost index's."""
        members = self._members()
        found = None
        key = f"{name}_index"
        while isinstance(members.get(key), VectorIndexMixin):
            found = members[key]
            key = f"{key}_index"
        return found

    def __len__(self) -> int:
        ids = getattr(self, "id", None)
        return 0 if ids is None else len(ids.value)

    def __getitem__(self, key: Any) -> Any:
        """``table["col"]`` is a column model, ``table[i]`` row ``i`` (a typed
        row: the generated ``<Table>Row``)."""
        if isinstance(key, str):
            return self.column(key)
        if isinstance(key, (int, np.integer)):
            return self.row_model.model_construct(**self.row(int(key)))
        raise TypeError(f"index a table by column name or row number, not {key!r}")

    def __contains__(self, name: object) -> bool:
        return name in self._members()

    def values(self, name: str) -> Any:
        """All values of column ``name``: an array, or one entry per row for a
        ragged column (nested lists for nested indexes)."""
        index = self.index_of(name)
        if index is not None:
            return index.rows()
        return _values(self.column(name))

    @property
    def row_model(self) -> type[TableRow]:
        """The class of this table's rows (``UnitsRow`` for ``Units``)."""
        return getattr(type(self), "__row_model__", TableRow)

    def _typed_rows(self) -> Iterator[TableRow]:
        model = self.row_model
        for i in range(len(self)):
            yield model.model_construct(**self.row(i))

    def rows(self) -> Iterator[TableRow]:
        """The table's rows, typed, read as iterated."""
        return self._typed_rows()

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i``: column name -> value (a ragged cell is an array or list;
        a region cell the row number(s) it points to)."""
        n = len(self)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"row {i} out of range for {n} rows")
        out: dict[str, Any] = {}
        for name in self.column_names:
            index = self.index_of(name)
            if index is not None:
                out[name] = index[j]
            else:
                out[name] = self.column(name).value[j]
        return out

    @property
    def ids(self) -> Any:
        """The ``id`` column's values."""
        ids = getattr(self, "id", None)
        return _values(ids) if ids is not None else np.asarray([], dtype=np.int64)

    def to_dataframe(self) -> Any:
        """The table as a pandas DataFrame indexed by ``id`` (needs pandas)."""
        try:
            import pandas as pd  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas: pip install pandas"
            ) from None
        data: dict[str, Any] = {}
        for name in self.column_names:
            values = self.values(name)
            if isinstance(values, np.ndarray) and values.ndim > 1:
                values = list(values)
            data[name] = values
        return pd.DataFrame(data, index=pd.Index(self.ids, name="id"))


class AlignedDynamicTableMixin(DynamicTableMixin):
    """A table with category sub-tables aligned row by row."""

    @property
    def category_names(self) -> list[str]:
        return _texts(getattr(self, "categories", None))

    def _sub_tables(self) -> dict[str, Any]:
        """HDF5 name -> sub-table: named table members (a subtype's declared
        categories) and tables held by type."""
        children = (getattr(self, "children", None) or {}).values()
        return {
            value.name: value  # type: ignore[attr-defined]
            for value in [*self._declared(), *children]
            if isinstance(value, DynamicTableMixin)
        }

    def category(self, name: str) -> Any:
        """The sub-table of category ``name``."""
        found = self._sub_tables().get(name)
        if found is None:
            raise KeyError(
                f"table {self.name!r} has no category {name!r} "  # type: ignore[attr-defined]
                f"(categories: {', '.join(self.category_names)})"
            )
        return found

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i``: the main table's columns, then each category's row as a dict."""
        out = super().row(i)
        for name in self.category_names:
            out[name] = self.category(name).row(i)
        return out
