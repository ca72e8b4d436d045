"""Comparing an edited model's values with what the file holds, whether new values
fit the stored dataset, and the paths an edit names (:mod:`.edit_plan` decides
what to write)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np

from ...runtime.hdf5.encode import parse_kind, safe_cast
from ...runtime.hdf5.lazy import LazyArray
from ...runtime.hdf5.write import smallest_uint
from ...runtime.models.base import is_model

#: rows compared per block when checking that stored rows are unchanged
COMPARE_ROWS = 1 << 16


def same(a: Any, b: Any) -> bool:
    """``a`` and ``b`` hold the same value: models by identity, lazy arrays by
    dataset, containers element by element, NaN equal to NaN."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, LazyArray) or isinstance(b, LazyArray):
        return (
            isinstance(a, LazyArray)
            and isinstance(b, LazyArray)
            and not a.closed
            and not b.closed
            and a.dataset.id == b.dataset.id
        )
    if is_model(a) or is_model(b):
        return False
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.void):
        a = tuple(a)
    if isinstance(b, np.void):
        b = tuple(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return same_arrays(a, b)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))):
            return False
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        return bool(a == b or (a != a and b != b))
    if type(a) is not type(b) and isinstance(a, (str, bytes)) != isinstance(
        b, (str, bytes)
    ):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def same_arrays(a: Any, b: Any) -> bool:
    if not isinstance(a, np.ndarray):
        if not isinstance(a, (list, tuple)) or holds_models(a):
            return False
        a = as_array(a)
    if not isinstance(b, np.ndarray):
        if not isinstance(b, (list, tuple)) or holds_models(b):
            return False
        b = as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        differ = a != b
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            differ &= ~(np.isnan(a) & np.isnan(b))
        return not bool(np.any(differ))
    if a.dtype.names is not None or b.dtype.names is not None:
        return all(same(x, y) for x, y in zip(a.reshape(-1), b.reshape(-1)))
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    return all(same(flat_a[i], flat_b[i]) for i in range(flat_a.size))


def as_array(values: Any) -> np.ndarray | None:
    try:
        return np.asarray(values)
    except (ValueError, TypeError):  # ragged
        return None


def holds_models(values: Any) -> bool:
    return any(
        is_model(v) or (isinstance(v, tuple) and v and is_model(v[0])) for v in values
    )


def models_in(value: Any) -> Iterator[Any]:
    """The models a value refers to (a model, (model, selection), or a list or
    object array of them, tuples of compound rows too)."""
    if value is None or isinstance(value, (LazyArray, str, bytes)):
        return
    if is_model(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            if is_model(item):
                yield item
            elif isinstance(item, (list, tuple, np.void, np.ndarray)):
                yield from models_in(item)
    elif isinstance(value, np.void):
        yield from models_in(tuple(value))
    elif isinstance(value, np.ndarray) and (value.dtype == object or value.dtype.names):
        for item in value.reshape(-1):
            if is_model(item):
                yield item
            elif isinstance(item, (tuple, np.void)):
                yield from models_in(item)


def has_refs(dtype: np.dtype) -> bool:
    if dtype.names is not None:
        return any(has_refs(dtype[n]) for n in dtype.names)
    return h5py.check_dtype(ref=dtype) is not None


def is_reference_kind(kind: Any) -> bool:
    parsed = parse_kind(kind)
    if parsed.tag == "reference":
        return True
    return parsed.tag == "compound" and any(
        k.tag == "reference" for _, k in parsed.fields
    )


def join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def under(path: str, roots: Any) -> str | None:
    """The root of ``roots`` that ``path`` is, or is inside."""
    for root in roots:
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return root
    return None


def describe(model: Any) -> str:
    return f"{type(model).__name__} {getattr(model, 'name', '?')!r}"


def length_of(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, LazyArray):
        return value.shape[0] if value.shape else 1
    return len(value) if hasattr(value, "__len__") else 1


NOTHING = object()


def flat(rows: Any) -> Iterator[Any]:
    for row in rows:
        if isinstance(row, (list, tuple)):
            yield from flat(row)
        elif isinstance(row, np.ndarray):
            yield from row.reshape(-1)
        else:
            yield row


def is_text(value: Any) -> bool:
    from datetime import date

    return isinstance(value, (str, bytes, np.str_, np.bytes_, date, np.datetime64))


def numbers(rows: Any) -> np.ndarray | None:
    if holds_models(rows) if isinstance(rows, (list, tuple)) else False:
        return None
    try:
        values = np.asarray(rows)
    except (ValueError, TypeError):
        return None
    return values if values.dtype.kind in "biuf" else None


def wider(stored: np.dtype, values: np.ndarray, index: bool) -> np.dtype | None:
    """A dtype of the stored kind wide enough for ``values``, if there is one."""
    if not values.size:
        return None
    if index:
        if values.dtype.kind not in "iu" or values.min() < 0:
            return None
        return smallest_uint(int(values.max()))
    if stored.kind == values.dtype.kind or (
        stored.kind == "i" and values.dtype.kind == "u"
    ):
        wider = np.promote_types(stored, values.dtype)
        return wider if wider.kind == stored.kind else None
    return None


def show_rows(rows: Any) -> str:
    text = repr(rows)
    return text if len(text) <= 60 else text[:57] + "..."


def same_rows(old: Any, cur: Any) -> bool:
    """Blocks of rows: the stored ones (decoded) and the model's."""
    if len(old) != len(cur):
        return False
    if isinstance(old, np.ndarray) and old.dtype.kind in "biufc":
        values = numbers(cur) if not isinstance(cur, np.ndarray) else cur
        if values is not None and values.shape == old.shape:
            return same_arrays(old, values)
    return all(same(a, b) for a, b in zip(old, cur))


def fits_in_place(data: np.ndarray, dset: h5py.Dataset) -> bool:
    """An encoded scalar the stored dataset takes as it is."""
    if dset.shape not in ((), (1,)) or data.size != 1:
        return False
    stored = dset.dtype
    if h5py.check_string_dtype(stored) is not None:
        string, new = h5py.check_string_dtype(stored), h5py.check_string_dtype(
            data.dtype
        )
        if new is None or string.length is not None:
            return False
        if string.encoding == "ascii":
            item = data.reshape(-1)[0]
            return isinstance(item, bytes) or (isinstance(item, str) and item.isascii())
        return True
    if stored.kind in "biuf" and data.dtype.kind in "biuf" and stored.names is None:
        try:
            safe_cast(data, stored)
        except ValueError:
            return False
        return True
    return False


def from_elsewhere(value: Any) -> bool:
    """Data that is not in memory: another dataset, an iterator, an array-like."""
    if isinstance(value, (LazyArray, h5py.Dataset, Iterator)):
        return True
    if isinstance(value, (np.ndarray, np.generic, list, tuple, str, bytes, dict)):
        return False
    return all(hasattr(value, a) for a in ("shape", "dtype", "__getitem__"))
