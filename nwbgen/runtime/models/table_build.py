"""Building hdmf tables the way hdmf does: ``add_column`` and ``add_row``.

The names, signatures and meanings are hdmf's (``DynamicTable.add_column(name,
description, data, table, index, ...)``, ``add_row(data, id, enforce_unique_id,
**values)``); what is new is that every column is of the class the table's own
schema declares (``Units.spike_times`` is a ``UnitsSpikeTimes``, its index the
declared ``VectorIndex``), that ``colnames`` and ``id`` are kept right, and that a
wrong call is a :class:`~nwbgen.errors.BuildError` naming the table, the column
and the row, raised before the table changed.

Rows are appended to Python lists (a column read from a file, or given as an
array, becomes one on its first new row), so that adding n rows costs O(n), not
the O(n^2) of growing arrays (neuroconv#1920).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import BuildError
from .fields import built, field_class, model_classes, sibling_class

#: table fields that are not columns
NOT_COLUMNS = frozenset({"name", "colnames", "description", "id", "children"})


def no_columns() -> Any:
    """A new table's ``colnames`` (the generated default; a read leaves it
    absent when the file lacks it)."""
    return []


def _cells(data: Any) -> list[Any]:
    """``data`` as a list of cells (an array's first axis)."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return list(np.asarray(data))
    return list(data)


def _numpy(value: Any) -> Any:
    """A Python float as numpy's float64, which the writer keeps (the schema's
    float32 is a minimum), as hdmf stores the floats of ``add_row``."""
    return np.float64(value) if type(value) is float else value


def _growable(model: Any) -> list[Any]:
    """The ``value`` of column-like ``model`` as a list rows are appended to."""
    value = model.__dict__.get("value")
    if not isinstance(value, list):
        value = model.__dict__["value"] = _cells(value)
    return value


def _kind_of(value: Any) -> str | None:
    """ "number", "text", "model" or None (anything else), of one cell's elements."""
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return "number"
        if value.dtype.kind in "US":
            return "text"
        value = value.reshape(-1)[0] if value.size else None
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return "number"
    if isinstance(value, (str, bytes)):
        return "text"
    if hasattr(value, "__nwb_type__"):
        return "model"
    return None


class _Ids(list[Any]):
    """A table's ids as rows are added: a list that answers "is this id taken"
    in O(1) (hdmf's ``enforce_unique_id`` scans the ids: O(n^2) for n rows)."""

    _seen: set[Any] | None = None

    def taken(self, value: Any) -> bool:
        if self._seen is None or len(self._seen) != len(self):
            self._seen = set(self)
        return value in self._seen

    def append(self, value: Any) -> None:
        super().append(value)
        if self._seen is not None:
            self._seen.add(value)


class TableBuildingMixin:
    """``add_column`` / ``add_row`` for the generated ``DynamicTable`` classes."""

    # -- the classes this table's columns are made of ----------------------------

    @classmethod
    def _column_class(cls, name: str, region: bool) -> Any:
        """The class the schema declares for column ``name``, else VectorData (or
        DynamicTableRegion), of this table's hdmf-common version."""
        fields = built(cls).__pydantic_fields__
        if name in fields and name not in NOT_COLUMNS:
            found = model_classes(fields[name].annotation)
            if found:
                return found[0]
        id_class = field_class(cls, "id")
        return sibling_class(id_class, "DynamicTableRegion" if region else "VectorData")

    @classmethod
    def _index_class(cls, name: str) -> Any:
        fields = built(cls).__pydantic_fields__
        key = f"{name}_index"
        if key in fields:
            found = model_classes(fields[key].annotation)
            if found:
                return found[0]
        return sibling_class(field_class(cls, "id"), "VectorIndex")

    def _put(self, name: str, model: Any) -> None:
        """Column-like ``model`` into its declared field, or among the children."""
        fields = type(self).__pydantic_fields__  # type: ignore[attr-defined]
        if name in fields and name not in NOT_COLUMNS:
            self.__dict__[name] = model
            self.__pydantic_fields_set__.add(name)  # type: ignore[attr-defined]
        else:
            children = self.__dict__.get("children")
            if children is None:
                children = self.__dict__["children"] = {}
            children[name] = model
            self.__pydantic_fields_set__.add("children")  # type: ignore[attr-defined]

    def _ids(self) -> _Ids:
        ids = self.__dict__.get("id")
        if ids is None:
            ids = field_class(type(self), "id")(name="id", value=[])
            self.__dict__["id"] = ids
            self.__pydantic_fields_set__.add("id")  # type: ignore[attr-defined]
        value = ids.__dict__.get("value")
        if not isinstance(value, _Ids):
            value = ids.__dict__["value"] = _Ids(_cells(value))
        return value

    def _fail(self, message: str) -> BuildError:
        return BuildError(f"table {self.name!r}: {message}")  # type: ignore[attr-defined]

    @classmethod
    def from_dataframe(
        cls,
        df: Any,
        name: str,
        table_description: str = "",
        column_descriptions: Mapping[str, str] | None = None,
        **values: Any,
    ) -> Any:
        """A table of ``df``'s columns (hdmf's ``DynamicTable.from_dataframe``):
        a column of sequences is ragged (a VectorIndex is built), the index
        gives the ids."""
        described = dict(column_descriptions or {})
        fields = built(cls).__pydantic_fields__
        if "description" in fields:
            values.setdefault("description", table_description or name)
        table = built(cls).model_construct(name=name, **values)
        for key in fields:
            table.__dict__.setdefault(key, None)
        for key, info in fields.items():
            if info.default_factory is not None and table.__dict__.get(key) is None:
                table.__dict__[key] = info.get_default(call_default_factory=True)
        ids = list(df.index)
        for column in df.columns:
            cells = list(df[column])
            ragged = bool(cells) and all(
                isinstance(c, (list, tuple, np.ndarray)) for c in cells
            )
            table.add_column(
                str(column),
                described.get(str(column), str(column)),
                data=cells,
                index=ragged,
            )
        table.id.__dict__["value"] = _Ids(int(i) for i in ids)
        return table

    # -- columns ----------------------------------------------------------------

    def add_column(
        self,
        name: str,
        description: str,
        data: Any = None,
        table: Any = False,
        index: Any = False,
        enum: bool = False,
        col_cls: type | None = None,
        check_ragged: bool = True,
    ) -> Any:
        """Add column ``name`` (hdmf's ``DynamicTable.add_column``): ``data`` one
        cell per row (for ``index=True`` each cell a sequence, stored through a
        VectorIndex built here; ``index`` may also be the index values for flat
        ``data``); ``table`` a DynamicTable makes a region column of its row
        numbers. Returns the column."""
        if enum:
            raise self._fail(f"column {name!r}: enum columns are not supported")
        names = list(self.column_names)  # type: ignore[attr-defined]
        if name in names:
            raise self._fail(f"column {name!r} already exists")
        region = table is not False and table is not None
        klass = col_cls or type(self)._column_class(name, region)
        n = len(self)  # type: ignore[arg-type]
        cells = _cells(data)
        flat, bounds = cells, None
        if index is True or (
            isinstance(index, int) and not isinstance(index, bool) and index > 1
        ):
            if isinstance(index, int) and index is not True and index > 1:
                raise self._fail(
                    f"column {name!r}: multi-level indexes are not supported"
                )
            flat, bounds = [], []
            for i, cell in enumerate(cells):
                if check_ragged is not None and np.ndim(cell) == 0:
                    raise self._fail(
                        f"column {name!r}, row {i}: an indexed column takes a "
                        f"sequence per row, got {cell!r}"
                    )
                flat.extend(_cells(cell))
                bounds.append(len(flat))
        elif index is not False and index is not None:
            bounds = [int(b) for b in _cells(index)]
            if bounds and (bounds[-1] != len(cells) or any(np.diff([0, *bounds]) < 0)):
                raise self._fail(
                    f"column {name!r}: the index must rise to len(data) = {len(cells)}"
                )
        rows = len(bounds) if bounds is not None else len(flat)
        if ((data is not None and rows) or n) and rows != n and (n or names):
            raise self._fail(f"column {name!r} has {rows} rows, the table {n}")
        if region:
            self._check_rows(name, flat, table)
        # no rows yet: the values' shape cannot be checked (None skips the check
        # of an array; a list of references takes [])
        values: dict[str, Any] = {"name": name, "description": description}
        if region:
            values["table"] = table
        column = None
        candidates: list[Any] = [None, []] if not flat else [flat]
        for empty in candidates:
            values["value"] = empty
            try:
                column = klass(**values)
                break
            except Exception as exc:  # noqa: BLE001 - pydantic's reason, in our words
                reason = str(exc)
        if column is None:
            raise self._fail(f"column {name!r}: {reason}")
        column.__dict__["value"] = [_numpy(v) for v in flat]
        if n == 0 and not names and rows:
            self._ids().extend(range(rows))
        self._put(name, column)
        if bounds is not None:
            index_cls = type(self)._index_class(name)
            self._put(
                f"{name}_index",
                index_cls.model_construct(
                    name=f"{name}_index",
                    description=f"Index for VectorData '{name}'",
                    target=column,
                    value=list(bounds),
                ),
            )
        self.__dict__["colnames"] = [*names, name]
        self.__pydantic_fields_set__.add("colnames")  # type: ignore[attr-defined]
        return column

    def create_region(self, name: str, region: Any, description: str) -> Any:
        """A DynamicTableRegion of rows ``region`` (row numbers or a slice) of
        this table (hdmf's ``DynamicTable.create_region``); a member that declares
        its own region class (``ElectricalSeries.electrodes``) takes it as is."""
        n = len(self)  # type: ignore[arg-type]
        rows = (
            list(range(n))[region]
            if isinstance(region, slice)
            else [r for r in _cells(region)]
        )
        self._check_rows(name, rows, self)
        klass = sibling_class(field_class(type(self), "id"), "DynamicTableRegion")
        return klass(
            name=name,
            description=description,
            table=self,
            value=np.asarray(rows, dtype=np.int64),
        )

    def _check_rows(
        self, name: str, rows: Sequence[Any], table: Any, row: int | None = None
    ) -> None:
        count = len(table)
        where = f"column {name!r}" + ("" if row is None else f", row {row}")
        for value in rows:
            if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, np.integer)
            ):
                raise self._fail(
                    f"{where}: a region row is a row number, got {value!r}"
                )
            if not 0 <= int(value) < count:
                raise self._fail(
                    f"{where}: row {int(value)} out of range for table "
                    f"{table.name!r} ({count} rows)"
                )

    # -- rows -------------------------------------------------------------------

    def add_row(
        self,
        data: Mapping[str, Any] | Any = None,
        id: Any = None,
        enforce_unique_id: bool = False,
        check_ragged: bool = True,
        **values: Any,
    ) -> None:
        """Append one row (hdmf's ``DynamicTable.add_row``): a value for every
        column, by name (``data`` a dict or a typed row, and/or keywords). On an
        empty table, a column the schema declares is added by its first row."""
        given: dict[str, Any] = {}
        if data is not None:
            given.update(data if isinstance(data, Mapping) else dict(data))
        given.update(values)
        if id is None:
            id = given.pop("id", None)
        else:
            given.pop("id", None)
        n = len(self)  # type: ignore[arg-type]
        names = list(self.column_names)  # type: ignore[attr-defined]
        declared = built(type(self)).__pydantic_fields__
        new = [k for k in given if k not in names]
        for key in new:
            if n or key not in declared or key in NOT_COLUMNS or key.endswith("_index"):
                raise self._fail(
                    f"row {n}: no column {key!r} (columns: {', '.join(names) or 'none'};"
                    " add_column first)"
                )
        missing = [k for k in names if k not in given]
        if missing:
            raise self._fail(f"row {n}: no value for column(s) {', '.join(missing)}")
        ids = self._ids()
        row_id = n if id is None else id
        if enforce_unique_id and ids.taken(row_id):
            raise self._fail(f"row {n}: id {row_id!r} is taken")
        for key in new:  # a column the schema declares, added by the first row
            klass = type(self)._column_class(key, region=False)
            if "table" in built(klass).__pydantic_fields__:
                raise self._fail(
                    f"row {n}: column {key!r} refers to rows of another table: "
                    f"add_column({key!r}, ..., table=that_table) first"
                )
        members = self._members()  # type: ignore[attr-defined]
        plan = [(k, self._cell_plan(k, given[k], n, members)) for k in names]
        if new:
            before = dict(self.__dict__)
            children = dict(before.get("children") or {})
            try:
                for key in new:
                    ragged = f"{key}_index" in declared and (
                        isinstance(given[key], (list, tuple)) or np.ndim(given[key]) > 0
                    )
                    self.add_column(
                        key, _declared_description(type(self), key), index=ragged
                    )
                    plan.append(
                        (key, self._cell_plan(key, given[key], n, self._members()))  # type: ignore[attr-defined]
                    )
            except BuildError:
                self.__dict__.clear()
                self.__dict__.update(before)
                if before.get("children") is not None:
                    before["children"].clear()
                    before["children"].update(children)
                raise
        for _key, (target, index_list, cells) in plan:
            if index_list is None:
                target.append(cells)
            else:
                target.extend(cells)
                index_list.append(len(target))
        ids.append(row_id)

    def _cell_plan(
        self, name: str, value: Any, row: int, members: dict[str, Any]
    ) -> tuple[list[Any], list[Any] | None, Any]:
        """Where row ``row``'s ``value`` of column ``name`` goes, checked first:
        (the list it lands in, the index list or None, the cell or its elements).
        ``members`` is the table's columns by HDF5 name."""
        column = members.get(name)
        if column is None:
            raise self._fail(f"row {row}: column {name!r} is in colnames but missing")
        index = members.get(f"{name}_index")
        if index is not None and f"{name}_index_index" in members:
            raise self._fail(
                f"column {name!r}: rows of a doubly indexed column are not supported"
            )
        where = f"column {name!r}, row {row}"
        target = column.__dict__.get("table")
        if index is not None:
            if not isinstance(value, (list, tuple)) and np.ndim(value) == 0:
                raise self._fail(
                    f"{where}: an indexed column takes a sequence, got {value!r}"
                )
            cells = _cells(value)
            if target is not None:
                self._check_rows(name, cells, target, row)
            self._check_kind(name, column, cells[0] if cells else None, row)
            return _growable(column), _growable(index), [_numpy(c) for c in cells]
        if target is not None:
            self._check_rows(name, [value], target, row)
        self._check_kind(name, column, value, row)
        return _growable(column), None, _numpy(value)

    def _check_kind(self, name: str, column: Any, value: Any, row: int) -> None:
        """A cell of the kind the column holds: the schema's dtype, else the
        column's first value's."""
        if value is None:
            return
        got = _kind_of(value)
        spec = _schema_dtype(type(column))
        if spec is not None:
            want = (
                "text"
                if spec in ("text", "utf", "utf8", "utf-8", "ascii", "bytes")
                else (
                    "number"
                    if spec.startswith(("int", "uint", "float", "bool", "numeric"))
                    else None
                )
            )
        else:
            existing = column.__dict__.get("value")
            first = (
                existing[0]
                if isinstance(existing, list) and existing
                else (
                    np.asarray(existing).reshape(-1)[0]
                    if existing is not None and np.size(existing)
                    else None
                )
            )
            want = _kind_of(first) if first is not None else None
        if want is not None and got is not None and got != want:
            raise self._fail(
                f"column {name!r}, row {row}: expected {want}, got {value!r}"
            )


_SCHEMA_DTYPES: dict[type, str | None] = {}


def _schema_dtype(column_cls: type) -> str | None:
    """The schema dtype of a column class's values, if it declares a plain one."""
    if column_cls in _SCHEMA_DTYPES:
        return _SCHEMA_DTYPES[column_cls]
    found = None
    info = built(column_cls).__pydantic_fields__.get("value")
    for meta in getattr(info, "metadata", ()) or ():
        dtype = getattr(meta, "dtype", None)
        if isinstance(dtype, str):
            found = dtype
    _SCHEMA_DTYPES[column_cls] = found
    return found


def _declared_description(cls: type, name: str) -> str:
    info = built(cls).__pydantic_fields__.get(name)
    return str(getattr(info, "description", None) or name)
