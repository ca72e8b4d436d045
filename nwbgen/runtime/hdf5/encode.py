"""Values as HDF5 stores them for a schema dtype: the inverse of ``values``' decoding.

A writer hands over what a model holds (Python values, numpy arrays, datetimes,
HDF5 objects or models as reference targets); :func:`encode_values` returns the
numpy array to store, its dtype the one hdmf (pynwb) would write: text as
variable-length UTF-8, ``ascii`` and ``isodatetime`` as variable-length ASCII
(ISO 8601 from ``isoformat``), ``bool`` as h5py's boolean enum, references as
object or region references.

Numeric schema dtypes are minimums, as the schema language and hdmf read them:
numpy values keep their own dtype when it is at least as wide (``float64`` data for
a ``float32`` dataset stays ``float64``; ``float32`` stays ``float32``), narrower
ones are widened. Python numbers have no width of their own and take the schema
dtype exactly. A cast that would change a value (1.5 into an integer, 300 into
``uint8``) raises instead.

Imports only numpy, h5py and the standard library (compiled packages vendor it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np

from ..errors import HDF5WriteError
from .lazy import LazyArray

__all__ = [
    "ASCII",
    "UTF8",
    "Kind",
    "encode_values",
    "minimum_dtype",
    "parse_kind",
    "safe_cast",
    "target_in",
    "to_reference",
]

UTF8 = h5py.string_dtype("utf-8")
ASCII = h5py.string_dtype("ascii")
OBJECT_REF = h5py.ref_dtype
REGION_REF = h5py.regionref_dtype

#: maps a value that is not an HDF5 target (a model) to one: object, path or ref
TargetOf = Callable[[Any], Any]


# --- schema dtypes ---------------------------------------------------------

_NUMBERS = {
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
    "long": "i8",
    "int64": "i8",
    "int": "i4",
    "int32": "i4",
    "short": "i2",
    "int16": "i2",
    "int8": "i1",
    "uint": "u4",
    "uint64": "u8",
    "uint32": "u4",
    "uint16": "u2",
    "uint8": "u1",
    "bool": "?",
}
_TEXT = {"text": UTF8, "utf": UTF8, "utf8": UTF8, "utf-8": UTF8, "str": UTF8}
_TEXT.update({"ascii": ASCII, "bytes": ASCII})


@dataclass(frozen=True)
class Kind:
    """A schema dtype reduced to what encoding needs (see :func:`parse_kind`)."""

    #: keep | number | text | isodatetime | reference | compound | exact
    tag: str
    #: number: the target (None: any number); text: the string dtype; reference:
    #: the reference dtype; exact: the dtype to cast to
    dtype: Any = None
    #: number: cast numpy values too (an explicit numpy dtype, not a schema dtype)
    exact: bool = False
    fields: tuple[tuple[str, Kind], ...] = ()


_KEEP = Kind("keep")
_ISO = Kind("isodatetime", ASCII)
_KINDS: dict[str, Kind] = {}


def parse_kind(kind: Any) -> Kind:
    """A schema dtype (string, reference dict, compound list or numpy dtype)."""
    if kind is None:
        return _KEEP
    if isinstance(kind, Kind):
        return kind
    if isinstance(kind, str):
        known = _KINDS.get(kind)
        if known is None:
            known = _KINDS[kind] = _parse_name(kind)
        return known
    if isinstance(kind, np.dtype):
        return _kind_of_dtype(kind)
    if isinstance(kind, dict):
        if "reftype" in kind:
            return _parse_name(str(kind["reftype"]))
        if "dtype" in kind:
            return parse_kind(kind["dtype"])
    if isinstance(kind, (list, tuple)):
        pairs = []
        for item in kind:
            if isinstance(item, dict):
                pairs.append((str(item["name"]), parse_kind(item["dtype"])))
            else:
                name, dtype = item
                pairs.append((str(name), parse_kind(dtype)))
        return Kind("compound", fields=tuple(pairs))
    raise TypeError(f"not a schema dtype: {kind!r}")


def _parse_name(kind: str) -> Kind:
    head = kind.split(":", 1)[0].strip().lower()
    if head in ("numeric", "number"):
        return Kind("number")
    if head in _NUMBERS:
        return Kind("number", np.dtype(_NUMBERS[head]))
    if head in _TEXT:
        return Kind("text", _TEXT[head])
    if head in ("isodatetime", "datetime"):
        return _ISO
    if head in ("object", "ref", "reference"):
        return Kind("reference", OBJECT_REF)
    if head == "region":
        return Kind("reference", REGION_REF)
    raise ValueError(f"unknown schema dtype {kind!r}")


def _kind_of_dtype(dtype: np.dtype) -> Kind:
    """The kind that writes exactly ``dtype`` (a dtype as h5py reads it)."""
    if dtype.names is not None:
        pairs = tuple((n, _kind_of_dtype(dtype[n])) for n in dtype.names)
        return Kind("compound", fields=pairs)
    string = h5py.check_string_dtype(dtype)
    if string is not None and string.length is None:
        return Kind("text", h5py.string_dtype(string.encoding))
    ref = h5py.check_dtype(ref=dtype)
    if ref is not None:
        region = ref is h5py.RegionReference
        return Kind("reference", REGION_REF if region else OBJECT_REF)
    if dtype.kind in "biuf":
        return Kind("number", dtype, exact=True)
    return Kind("exact", dtype)


# --- conversion of values ----------------------------------------------------


def encode_values(
    value: Any, kind: Kind, dest: h5py.File, target_of: TargetOf | None = None
) -> np.ndarray:
    """``value`` as a numpy array whose dtype is the one to store (0-d for a scalar).

    ``dest`` is the file being written (reference targets are looked up in it);
    ``target_of`` maps what is not an HDF5 object or path (a model) to one.
    """
    tag = kind.tag
    if isinstance(value, LazyArray) or (
        isinstance(value, h5py.Dataset) and tag != "reference"  # else the target
    ):  # small: an attribute, a row
        value = value.dataset[()] if isinstance(value, LazyArray) else value[()]
    if tag == "keep":
        return encode_values(value, _infer_kind(value), dest, target_of)
    if tag == "number":
        return _to_number(value, kind)
    if tag == "text":
        return _to_strings(value, kind.dtype, _text_element)
    if tag == "isodatetime":
        return _to_strings(value, ASCII, _iso_element)
    if tag == "reference":
        return _to_references(value, kind.dtype, dest, target_of)
    if tag == "compound":
        return _to_compound(value, kind.fields, dest, target_of)
    return np.asarray(value).astype(kind.dtype)


def _first(values: Any) -> Any:
    if isinstance(values, np.ndarray):
        flat = values.reshape(-1)
        return flat[0] if flat.size else None
    while isinstance(values, (list, tuple)) and values:
        values = values[0]
    return None if isinstance(values, (list, tuple)) else values


def _infer_kind(value: Any) -> Kind:
    """The kind a value carries itself (no schema dtype given)."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype != object:
        if value.dtype.kind == "U":
            return _TEXT_UTF8
        return _kind_of_dtype(value.dtype)
    element = _first(value)
    if isinstance(element, str):
        return _TEXT_UTF8
    if isinstance(element, bytes):
        return _TEXT_ASCII
    if isinstance(element, h5py.RegionReference):
        return Kind("reference", REGION_REF)
    if isinstance(element, (h5py.Reference, h5py.HLObject)):
        return Kind("reference", OBJECT_REF)
    if isinstance(element, (datetime, date)):
        return _ISO
    return Kind("number")


_TEXT_UTF8 = Kind("text", UTF8)
_TEXT_ASCII = Kind("text", ASCII)


def _to_number(value: Any, kind: Kind) -> np.ndarray:
    # numpy values carry their dtype (a list of numpy scalars too: a table's rows
    # as ``add_row`` collects them); Python numbers take the schema's
    own = isinstance(value, (np.ndarray, np.generic)) or (
        isinstance(value, list) and bool(value) and isinstance(value[0], np.generic)
    )
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers, got {array.dtype} values")
    if kind.dtype is None:
        return array
    target = kind.dtype
    if own and not kind.exact:
        target = minimum_dtype(array.dtype, kind.dtype)
    return safe_cast(array, target)


def minimum_dtype(given: np.dtype, spec: np.dtype) -> np.dtype:
    """The dtype to store numpy values of dtype ``given`` for schema dtype ``spec``.

    The schema dtype is a minimum (as hdmf reads it): ``given`` wins when it is the
    same kind and at least as wide; integers into ``float32`` widen as numpy
    promotes them; signed into unsigned keeps the width (values are checked).
    """
    if given == spec or given.kind == "b":
        return spec
    if given.kind == spec.kind:
        return given if given.itemsize >= spec.itemsize else spec
    if spec.kind == "f" and given.kind in "iu":
        return np.promote_types(given, spec)
    if spec.kind == "u" and given.kind == "i":
        return np.dtype(f"u{max(given.itemsize, spec.itemsize)}")
    if spec.kind == "i" and given.kind == "u":
        promoted = np.promote_types(given, spec)
        return promoted if promoted.kind == "i" else np.dtype("i8")
    return spec  # floats into integers or bool: values are checked


def safe_cast(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``array`` as ``dtype``, or ``ValueError`` when a value would change."""
    if array.dtype == dtype:
        return array
    if array.size and dtype.kind in "iub" and array.dtype.kind in "iuf":
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise ValueError(f"non-finite values cannot be stored as {dtype}")
        if dtype.kind == "b":
            low, high = 0, 1
        else:
            info = np.iinfo(dtype)
            low, high = info.min, info.max
        if array.dtype.kind == "f" and np.any(array != np.trunc(array)):
            raise ValueError(f"fractional values cannot be stored as {dtype}")
        smallest, largest = array.min(), array.max()
        if smallest < low or largest > high:
            raise ValueError(
                f"values from {smallest} to {largest} do not fit in {dtype}"
            )
    if array.size and dtype.kind == "f" and array.dtype.kind in "iuf":
        with np.errstate(over="ignore"):
            out = array.astype(dtype)
        if np.any(np.isinf(out) & np.isfinite(array)):
            raise ValueError(f"values beyond the range of {dtype}")
        return out
    return array.astype(dtype)


def _text_element(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, (np.str_, np.bytes_)):
        return value.item()
    if value is None:
        raise TypeError("None where text is expected")
    return str(value)


def _iso_element(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat().encode("ascii")
    if isinstance(value, np.datetime64):
        return np.datetime_as_string(value).encode("ascii")
    return _text_element(value)


def _to_strings(value: Any, dtype: np.dtype, element: Callable[[Any], Any]):
    """Variable-length strings: ``str`` for UTF-8; for ASCII, ``str`` as its UTF-8
    bytes (nothing lost; the reader decodes UTF-8) and ``bytes`` as given."""
    if isinstance(value, np.ndarray) and value.size == 0 and value.dtype.kind in "iuf":
        return value  # hdmf writes an empty list as float64 (0,): keep it
    source = np.asarray(value, dtype=object)
    out = np.empty(source.shape, dtype=dtype)
    flat_in, flat_out = source.reshape(-1), out.reshape(-1)
    ascii_ = h5py.check_string_dtype(dtype).encoding == "ascii"
    for i in range(flat_in.size):
        item = element(flat_in[i])
        flat_out[i] = item.encode("utf-8") if ascii_ and isinstance(item, str) else item
    return out


def _to_references(value: Any, dtype: np.dtype, dest: h5py.File, target_of: Any):
    region = h5py.check_dtype(ref=dtype) is h5py.RegionReference
    if isinstance(value, np.ndarray):
        source = value.astype(object)
    elif isinstance(value, list):  # not np.asarray: (dataset, selection) tuples
        source = np.empty(len(value), dtype=object)
        for i, item in enumerate(value):
            source[i] = item
    else:
        source = np.empty((), dtype=object)
        source[()] = value
    out = np.empty(source.shape, dtype=dtype)
    flat_in, flat_out = source.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        flat_out[i] = to_reference(flat_in[i], dest, region=region, target_of=target_of)
    return out


def to_reference(
    value: Any,
    dest: h5py.File,
    *,
    region: bool = False,
    target_of: TargetOf | None = None,
) -> Any:
    """An HDF5 reference into ``dest`` for ``value``.

    ``value`` may be ``None`` (a null reference), an h5py reference (kept: it must
    point into ``dest``), an h5py object of ``dest``, an h5py object of another
    file or a path (the object at the same path in ``dest``), a callable returning
    one of these, or anything ``target_of`` maps to one (a model). A region
    reference is given as ``(target, selection)``; a target alone selects all.
    """
    if value is None:
        return h5py.RegionReference() if region else h5py.Reference()
    if isinstance(value, h5py.Reference):
        return value
    selection: Any = ()
    if region and isinstance(value, tuple) and len(value) == 2:
        value, selection = value
    if callable(value) and not isinstance(value, h5py.HLObject):
        value = value()
    if target_of is not None and not isinstance(
        value, (h5py.HLObject, str, h5py.Reference)
    ):
        value = target_of(value)
    if isinstance(value, h5py.Reference):
        return value
    target = target_in(value, dest)
    return target.regionref[selection] if region else target.ref


def target_in(value: Any, dest: h5py.File) -> Any:
    """The object of ``dest`` that ``value`` (an h5py object or a path) names."""
    if isinstance(value, h5py.HLObject) and value.file.id == dest.id:
        return value
    path = value.name if isinstance(value, h5py.HLObject) else value
    if not isinstance(path, str):
        raise TypeError(f"cannot refer to {value!r}: not an HDF5 object or path")
    target = dest.get(path)
    if target is None:
        raise HDF5WriteError(
            f"{dest.filename}: reference to {path}, which is not (yet) written"
        )
    return target


def _to_compound(value: Any, kinds: tuple, dest: h5py.File, target_of: Any):
    names = [name for name, _ in kinds]
    if isinstance(value, (np.ndarray, np.void)) and value.dtype.names is not None:
        array = np.asarray(value)
        columns = {n: array[n] for n in names}
        shape = array.shape
    else:
        rows = [value] if isinstance(value, (tuple, dict)) else list(value)
        shape = () if isinstance(value, (tuple, dict)) else (len(rows),)
        columns = {n: _column(rows, i, n) for i, n in enumerate(names)}
    converted = {}
    for name, kind in kinds:
        converted[name] = encode_values(columns[name], kind, dest, target_of)
    out = np.empty(shape, dtype=[(n, converted[n].dtype) for n in names])
    for name in names:
        out[name] = converted[name].reshape(shape)
    return out


def _column(rows: list, index: int, name: str) -> list:
    return [row[name] if isinstance(row, dict) else row[index] for row in rows]
