"""What the stored values of one object say about another, checked: a VectorIndex's
values within its target, a DynamicTableRegion's rows within its table.

HDF5 knows nothing of either; a file that breaks them reads and copies without a
word unless someone looks. Each check reads at most ``limit`` values (a VectorIndex
beyond that: its last value, the largest of a sorted index) and returns why the
object is broken, in words, or ``None``.
"""

from __future__ import annotations

from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np

from .objects import dereference

#: values read per check at most (a larger region is not checked)
CHECK_ITEMS = 1 << 20


def _referenced(obj: Any, attribute: str) -> Any:
    """The object the reference attribute ``attribute`` of ``obj`` points to, or
    ``None`` (absent, null, dangling or not a reference: reported elsewhere)."""
    ref = obj.attrs.get(attribute)
    if isinstance(ref, np.ndarray) and ref.size == 1:
        ref = ref.reshape(-1)[0]
    if not isinstance(ref, h5py.Reference) or not ref:
        return None
    return dereference(ref, obj)


def _integers(dataset: Any, limit: int | None) -> np.ndarray | None:
    """All values of an integer dataset (its last one if there are more than
    ``limit``); ``None`` for anything else."""
    if not isinstance(dataset, h5py.Dataset) or not dataset.shape:
        return None
    if dataset.dtype.kind not in "iu" or dataset.size == 0:
        return None
    if limit is not None and dataset.size > limit:
        n = dataset.shape[0]
        return np.asarray(dataset[n - 1 : n]).reshape(-1)
    return np.asarray(dataset[()]).reshape(-1)


def _rows(obj: Any) -> int | None:
    """Items along axis 0 of a dataset; rows (``id``) of a table group."""
    if isinstance(obj, h5py.Group):
        obj = obj.get("id")
    if not isinstance(obj, h5py.Dataset) or not obj.shape:
        return None
    return int(obj.shape[0])


def index_problem(index: Any, limit: int | None = CHECK_ITEMS) -> str | None:
    """Why the VectorIndex ``index`` does not fit its ``target``, or ``None``."""
    target = _referenced(index, "target")
    size = _rows(target)
    values = _integers(index, limit) if size is not None else None
    if values is None or size is None:
        return None
    top, low = int(values.max()), int(values.min())
    if top > size:
        return (
            f"index value {top} is past the end of its target {target.name} "
            f"({size} elements)"
        )
    if low < 0:
        return f"index value {low} is negative"
    return None


def region_problem(region: Any, limit: int | None = CHECK_ITEMS) -> str | None:
    """Why the DynamicTableRegion ``region`` points outside its ``table``, or
    ``None``."""
    table = _referenced(region, "table")
    rows = _rows(table)
    if rows is None or not isinstance(region, h5py.Dataset) or region.shape is None:
        return None  # no table, or no values (a null dataspace) to check
    if limit is not None and region.size > limit:
        return None
    values = _integers(region, None)
    if values is None:
        return None
    top, low = int(values.max()), int(values.min())
    if top >= rows or low < 0:
        bad = top if top >= rows else low
        return f"row {bad} is out of range of its table {table.name} ({rows} rows)"
    return None
