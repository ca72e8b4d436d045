"""Lazy HDF5 datasets and the decoding of values read from HDF5.

A generated reader wraps every array dataset in a :class:`LazyArray`: reading a file
touches metadata only, and data is read (and decoded) when it is sliced. Decoding
turns what h5py hands back into what a model holds: text as ``str`` (h5py gives
``bytes`` for datasets and fixed-length strings), ``isodatetime`` text as
``datetime``, references resolved through a callback, compound rows as a numpy
structured array whose text and reference fields become object fields.

This module is the lower layer of the read primitives (``h5read`` builds on it) and
imports only numpy, h5py and the standard library: compiled packages vendor it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5s, h5t

# the selection code h5py itself reads with
from h5py._hl import selections  # type: ignore[import-untyped]

#: a resolver callback: an h5py (region) reference in, the Python object out
Resolve = Callable[[Any], Any]

TEXT_KINDS = frozenset({"text", "utf", "utf8", "utf-8", "ascii", "str"})
REFERENCE_KINDS = frozenset({"object", "region", "ref", "reference"})

#: bytes per block when iterating a dataset without a ``rows`` count
BLOCK_BYTES = 8 << 20


class HDF5ReadError(Exception):
    """Base of the read primitives' errors: each message names file and HDF5 path."""


class ClosedFileError(HDF5ReadError):
    """Data asked of an HDF5 object whose file has been closed."""


# --- kinds -----------------------------------------------------------------


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


# --- isodatetime -----------------------------------------------------------

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


# --- decoding --------------------------------------------------------------


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


# --- the lazy array --------------------------------------------------------


class LazyArray:
    """An HDF5 dataset read on demand: slicing reads only the selection, decoded.

    Metadata (``shape``, ``dtype``, ``name``) is answered without reading data and
    stays available after the file is closed, so that ``repr`` and error messages
    keep working; data access after close raises :class:`ClosedFileError`. Equality
    and hashing are by identity: comparing two arrays must never read them.

    ``kind`` is the schema dtype (see :func:`decode_values`); ``resolve`` turns
    references into Python objects (usually ``Resolver.deref`` bound to this
    dataset). A dataset with a NULL dataspace has shape ``()`` and reads as ``None``.
    """

    __slots__ = (
        "__weakref__",
        "_dataset",
        "_dtype",
        "_filename",
        "_kind",
        "_name",
        "_resolve",
        "_shape",
    )

    def __init__(
        self,
        dataset: h5py.Dataset,
        kind: Any = None,
        resolve: Resolve | None = None,
        *,
        name: str | None = None,
        filename: str | None = None,
    ) -> None:
        self._dataset = dataset
        self._kind = kind
        self._resolve = resolve
        # a reader that knows the path passes it: h5py's ``name`` asks HDF5 to
        # search for one, which grows with the file
        self._name: str = name or dataset.name or "<anonymous dataset>"
        self._filename: str = filename or dataset.file.filename
        self._shape: tuple[int, ...] = dataset.shape or ()
        self._dtype: np.dtype = dataset.dtype

    # metadata ----------------------------------------------------------

    @property
    def name(self) -> str:
        """The dataset's HDF5 path."""
        return self._name

    @property
    def filename(self) -> str:
        return self._filename

    @property
    def kind(self) -> Any:
        """The schema dtype the values are decoded for."""
        return self._kind

    @property
    def closed(self) -> bool:
        return not self._dataset.id.valid

    @property
    def dataset(self) -> h5py.Dataset:
        """The open h5py dataset (for the writer: chunks, filters, attributes)."""
        self._check_open()
        return self._dataset

    @property
    def file(self) -> h5py.File:
        return self.dataset.file

    @property
    def shape(self) -> tuple[int, ...]:
        if self._dataset.id.valid:  # live: the file may be open for appending
            self._shape = self._dataset.shape or ()
        return self._shape

    @property
    def dtype(self) -> np.dtype:
        """The file's dtype (h5py's: text and references are ``object``)."""
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError(f"len() of a scalar dataset {self._name}")
        return shape[0]

    def __repr__(self) -> str:
        closed = ", file closed" if self.closed else ""
        return (
            f"LazyArray({self._name!r}, shape={self.shape}, "
            f"dtype={_dtype_label(self._dtype)}{closed})"
        )

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # data --------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._dataset.id.valid:
            raise ClosedFileError(
                f"{self._filename}:{self._name}: the file was closed; "
                "reopen it to read this dataset"
            )

    def __getitem__(self, key: Any) -> Any:
        self._check_open()
        try:
            values = self._dataset[key]
            if self._resolve is not None and isinstance(values, np.ndarray):
                self._resolve_object_refs(values, key)
        except Exception:
            self._check_open()  # closed in the middle: say so, not h5py's message
            raise
        if isinstance(values, h5py.Empty):
            return None
        return decode_values(values, self._kind, self._resolve)

    def load(self) -> Any:
        """The whole dataset, decoded."""
        return self[()]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if copy is False:
            raise ValueError(f"{self._name}: reading from HDF5 always makes a copy")
        return np.asarray(self.load(), dtype=dtype)

    def iter_chunks(self, rows: int | None = None) -> Iterator[Any]:
        """Decoded blocks of ``rows`` rows along axis 0 (the last may be shorter).

        Without ``rows``, blocks are whole multiples of the dataset's chunk rows and
        about :data:`BLOCK_BYTES` big, so each chunk is decompressed once and memory
        stays bounded however large the dataset.
        """
        self._check_open()
        if not self.shape:
            raise TypeError(f"{self._name} is a scalar dataset: no rows to iterate")
        if rows is None:
            rows = self._default_rows()
        if rows < 1:
            raise ValueError(f"rows must be positive, got {rows}")
        for start in range(0, self.shape[0], rows):
            yield self[start : start + rows]

    def _default_rows(self) -> int:
        shape = self.shape
        row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * self._itemsize())
        rows = max(1, BLOCK_BYTES // row_bytes)
        chunks = self._dataset.chunks
        if chunks:
            rows = max(chunks[0], rows - rows % chunks[0])
        return rows

    def _itemsize(self) -> int:
        # variable-length items cost more than their 16-byte handle once decoded
        return max(self._dtype.itemsize, 64 if self._dtype.hasobject else 1)

    def __iter__(self) -> Iterator[Any]:
        for block in self.iter_chunks():
            yield from block

    # references --------------------------------------------------------

    def _resolve_object_refs(self, values: np.ndarray, key: Any) -> None:
        """Resolve the object references of ``values`` in place, once per object.

        Many rows refer to few objects (a TimeSeriesReferenceVectorData column). The
        selection is read a second time as raw 8-byte addresses so that each
        distinct object is resolved once; when that is not possible (no object
        references, or a reference type that does not read raw), decoding resolves
        each reference on its own.
        """
        field = _object_ref_field(self._dtype)
        if field is None or values.size < 2:
            return
        addresses = self._raw_addresses(key, field)
        if addresses is None or addresses.shape != values.shape:
            return
        refs = (values[field] if field else values).reshape(-1)
        resolved = np.empty(refs.shape, dtype=object)
        seen: dict[int, Any] = {}
        assert self._resolve is not None
        for i, addr in enumerate(addresses.reshape(-1).tolist()):
            ref = refs[i]
            if not ref:
                resolved[i] = None
            elif addr in seen:
                resolved[i] = seen[addr]
            else:
                resolved[i] = seen[addr] = self._resolve(ref)
        if field:
            values[field] = resolved.reshape(values.shape)
        else:
            values[...] = resolved.reshape(values.shape)

    def _raw_addresses(self, key: Any, field: str) -> np.ndarray | None:
        mtype = h5t.STD_REF_OBJ
        if field:
            mtype = h5t.create(h5t.COMPOUND, 8)
            mtype.insert(field.encode("utf-8"), 0, h5t.STD_REF_OBJ)
        try:
            selection = selections.select(self.shape, key, self._dataset)
            out = np.zeros(selection.array_shape, dtype=np.uint64)
            if selection.nselect:
                mspace = h5s.create_simple(selection.mshape)
                self._dataset.id.read(mspace, selection.id, out, mtype=mtype)
            return out
        except (OSError, TypeError, ValueError):  # selection h5py cannot read raw
            return None


def _object_ref_field(dtype: np.dtype) -> str | None:
    """``""`` for a dataset of object references, the field name for a compound with
    one object reference field, else ``None``."""
    if dtype.names is None:
        return "" if h5py.check_dtype(ref=dtype) is h5py.Reference else None
    fields = [n for n in dtype.names if h5py.check_dtype(ref=dtype[n])]
    if len(fields) == 1 and h5py.check_dtype(ref=dtype[fields[0]]) is (h5py.Reference):
        return fields[0]
    return None


def _dtype_label(dtype: np.dtype) -> str:
    string = h5py.check_string_dtype(dtype)
    if string is not None:
        return "str" if string.length is None else f"bytes{string.length}"
    ref = h5py.check_dtype(ref=dtype)
    if ref is not None:
        return "region_ref" if ref is h5py.RegionReference else "object_ref"
    return str(dtype)
