"""Values read from HDF5 as a model holds them: text, dates, compounds, scalars.

h5py hands back ``bytes`` for datasets and fixed-length strings, one-element arrays
for some scalars of old files, ``isodatetime`` in several ISO forms. Decoding turns
that into what a model holds: text as ``str``, ``isodatetime`` as ``datetime``,
references through a callback, compound rows as a structured array whose text and
reference fields are object fields. Lenient about representation, strict about
loss: a value it cannot interpret is returned as stored, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5t

#: a resolver callback: an h5py (region) reference in, the Python object out
Resolve = Callable[[Any], Any]

TEXT_KINDS = frozenset({"text", "utf", "utf8", "utf-8", "ascii", "str"})

REFERENCE_KINDS = frozenset({"object", "region", "ref", "reference"})


def base_kind(kind: Any) -> Any:
    """The part of a schema dtype that decoding cares about.

    ``"object:TimeSeries"`` → ``"object"``; text aliases → ``"text"``; compound
    (a tuple of ``(field, dtype)``) and ``None`` unchanged; anything else as given.
    """
    if not isinstance(kind, str):
        return kind
    head = kind.split(":", 1)[0]
    if head in TEXT_KINDS:
        return "text"
    if head in REFERENCE_KINDS:
        return "region" if head == "region" else "object"
    return head


_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?"
)


def parse_isodatetime(text: Any) -> Any:
    """``datetime`` for an ISO 8601 string, or the input unchanged if it is not one.

    Written by hand rather than with ``datetime.fromisoformat`` because the runtime
    supports Python 3.10, whose parser rejects ``Z``, basic format and fractions of
    other than 3 or 6 digits, all of which real files contain. Fractions beyond
    microseconds are truncated. Naive stays naive; a date alone reads as midnight.
    """
    if isinstance(text, bytes):
        text = decode_text(text)
    if not isinstance(text, str):
        return text
    match = _ISO.fullmatch(text.strip())
    if match is None:
        return text
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tzinfo = None
    if zone in ("Z", "z"):
        tzinfo = timezone.utc  # noqa: UP017 (datetime.UTC is Python 3.11+)
    elif zone:
        digits = zone[1:].replace(":", "")
        offset = timedelta(
            hours=int(digits[:2]),
            minutes=int(digits[2:4] or 0),
            seconds=int(digits[4:6] or 0),
        )
        tzinfo = timezone(-offset if zone[0] == "-" else offset)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tzinfo,
        )
    except ValueError:  # month 13, offset of 25 hours...: keep the text
        return text


def decode_text(value: bytes) -> str:
    """UTF-8 (ASCII is a subset), falling back to Latin-1 so that no bytes are lost."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decode_element(value: Any, resolve: Resolve | None) -> Any:
    if isinstance(value, bytes):
        return decode_text(value)
    if isinstance(value, h5py.Reference):  # RegionReference is a subclass
        if resolve is None:
            return value
        return resolve(value) if value else None
    if isinstance(value, np.ndarray):  # a variable-length sequence
        return decode_values(value, None, resolve)
    return value


def _map(values: np.ndarray, func: Callable[[Any], Any]) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        flat_out[i] = func(flat_in[i])
    return out


def decode_values(values: Any, kind: Any = None, resolve: Resolve | None = None) -> Any:
    """Decode what h5py read (an array or one element) for a schema dtype ``kind``.

    Arrays stay arrays with the file's dtype, except: text becomes an object array of
    ``str``; ``isodatetime`` an object array of ``datetime`` (unparsable text kept);
    references are passed to ``resolve`` (null ones become ``None``) or kept as
    h5py references when there is no resolver; ``bool`` stored as integers becomes
    ``bool``; compound becomes a structured array with the same decoding per field.
    """
    kind = base_kind(kind)
    if isinstance(values, np.void) and values.dtype.names is not None:
        return _decode_compound(np.array(values), kind, resolve)[()]  # one row
    if not isinstance(values, np.ndarray):
        value = _decode_element(values, resolve)
        return parse_isodatetime(value) if kind == "isodatetime" else value
    if values.dtype.names is not None:
        return _decode_compound(values, kind, resolve)
    if values.dtype.kind in "SO":
        values = _map(values, lambda v: _decode_element(v, resolve))
    elif kind == "bool" and values.dtype.kind in "iu":
        values = values.astype(bool)
    if kind == "isodatetime":
        values = _map(values, parse_isodatetime)
    return values


def _decode_compound(values: np.ndarray, kind: Any, resolve: Resolve | None) -> Any:
    kinds = dict(kind) if isinstance(kind, (tuple, list)) else {}
    names = values.dtype.names
    assert names is not None
    decoded = {n: decode_values(values[n], kinds.get(n), resolve) for n in names}
    fields = []
    for name in names:
        original = values.dtype[name]
        if decoded[name].dtype == object:
            fields.append((name, object, original.shape))
        else:
            fields.append((name, decoded[name].dtype, original.shape))
    out = np.empty(values.shape, dtype=np.dtype(fields))
    for name in names:
        out[name] = decoded[name]
    return out


def decode_attribute(
    value: Any,
    kind: Any = None,
    *,
    scalar: bool | None = None,
    resolve: Callable[[Any], Any] | None = None,
) -> Any:
    """An attribute (or scalar dataset) value as a model holds it.

    ``scalar`` is what the schema says: ``True`` unwraps a one-element array (old
    files store some scalars with shape ``(1,)``), ``False`` wraps a scalar in a
    1-d array, ``None`` keeps the stored shape. Scalars become Python values when
    ``kind`` names a dtype; with ``kind=None`` (an attribute the schema does not
    name) numeric scalars stay numpy scalars so that writing back keeps their dtype.
    ``float32`` scalars become the Python float with the shortest decimal that
    reads back as the same float32 (0.1, not 0.10000000149011612).
    """
    if isinstance(value, h5py.Empty):
        return value if kind is None else None
    if isinstance(value, np.ndarray):
        if scalar and value.size == 1 and value.dtype.names is None:
            value = value.reshape(())[()]
        elif value.ndim == 0 and value.dtype.names is None:
            value = value[()]
        else:
            return decode_values(value, kind, resolve)
    elif scalar is False:
        return decode_values(np.atleast_1d(np.asarray(value)), kind, resolve)
    value = decode_values(value, kind, resolve)
    if kind is None or not isinstance(value, np.generic):
        return value
    if isinstance(value, np.bool_) or base_kind(kind) == "bool":
        return bool(value)
    if isinstance(value, np.floating):
        return float_value(value)
    return value.item()


def float_value(value: np.floating) -> float:
    """A numpy float as a Python float; a ``float32`` as the shortest decimal
    that reads back as the same ``float32`` (0.1, not 0.10000000149011612)."""
    return float(str(value)) if value.dtype.itemsize < 8 else float(value)


def is_plain_float(value: Any, kind: Any, scalar: bool | None) -> bool:
    """:func:`decode_attribute` of ``value`` for ``kind`` is
    :func:`float_value`: a numpy float scalar, a schema dtype that is neither
    ``bool`` nor ``isodatetime``, and not to be wrapped in an array."""
    t = type(value)
    return (
        (t is np.float64 or t is np.float32)
        and scalar is not False
        and isinstance(kind, str)
        and base_kind(kind) not in ("bool", "isodatetime")
    )


#: HDF5 memory types of plain dtypes, made once: reading a small value is mostly
#: the calls around it (a third of an attribute's time went to making this type)
_MEMORY_TYPES: dict[tuple[str, str], Any] = {}


def memory_type(dtype: np.dtype) -> Any:
    """The HDF5 memory type h5py reads ``dtype`` with."""
    if dtype.fields is not None or dtype.subdtype is not None:
        return h5t.py_create(dtype)  # fields may carry metadata a key would miss
    # numpy's == ignores metadata: a reference and a string are both "O"
    metadata = dtype.metadata
    key = (dtype.str, "" if metadata is None else repr(metadata))
    found = _MEMORY_TYPES.get(key)
    if found is None:
        found = _MEMORY_TYPES[key] = h5t.py_create(dtype)
    return found


def has_references(dtype: np.dtype) -> bool:
    """``dtype`` holds object or region references (in a field, a sequence...)."""
    if h5py.check_dtype(ref=dtype) is not None:
        return True
    if dtype.names is not None:
        return any(has_references(dtype[n]) for n in dtype.names)
    if dtype.subdtype is not None:
        return has_references(dtype.subdtype[0])
    vlen = h5py.check_vlen_dtype(dtype)
    return vlen not in (None, str, bytes) and has_references(np.dtype(vlen))
