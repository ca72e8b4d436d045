"""Lazy HDF5 datasets: reading a file touches metadata only.

A generated reader wraps every array dataset in a :class:`LazyArray`; data is read
(and decoded, see :mod:`.values`) when it is sliced. :meth:`LazyArray.to_dask` is a
dask array of it whose tasks reopen the file by themselves (see :mod:`.dask`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5s, h5t

# the selection code h5py itself reads with
from h5py._hl import selections  # type: ignore[import-untyped]

from ..errors import ClosedFileError
from .files import damaged, is_hdf5_failure
from .references import Dereferencer
from .values import (
    Resolve,
    decode_attribute,
    decode_values,
    has_references,
    memory_type,
)

#: bytes per block when iterating a dataset without a ``rows`` count
BLOCK_BYTES = 8 << 20


class LazyArray:
    """An HDF5 dataset read on demand: slicing reads only the selection, decoded.

    Metadata (``shape``, ``dtype``, ``name``) is answered without reading data and
    stays available after the file is closed, so that ``repr`` and error messages
    keep working; data access after close raises :class:`ClosedFileError`. Equality
    and hashing are by identity: comparing two arrays must never read them.

    ``kind`` is the schema dtype (see :func:`decode_values`); ``resolve`` turns
    references into Python objects (usually ``Resolver.deref`` bound to this
    dataset). A dataset with a NULL dataspace has shape ``()`` and reads as ``None``.

    A lazy array pickles as where it is — its file's path or URL and its HDF5
    path — and unpickles reopened (once per process, see :mod:`.reopen`), so that
    ``dask.array.from_array(lazy)`` computes on worker processes too; copies share
    the file. :meth:`to_dask` is the better dask array: blocks on the HDF5 chunks
    and the decoded dtype (``from_array`` takes the file's).
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
    def chunks(self) -> tuple[int, ...] | None:
        """The HDF5 chunk shape, ``None`` for a contiguous dataset."""
        return self.dataset.chunks

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
        return math.prod(self.shape)

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

    # other processes ----------------------------------------------------

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        from .reopen import reopen_lazy, source_and_path

        if self._resolve is not None and has_references(self._dtype):
            raise TypeError(
                f"{self._filename}:{self._name}: a dataset of references resolved "
                "to models cannot be pickled (its resolver stays in this process)"
            )
        return reopen_lazy, (*source_and_path(self), self._kind)

    def __copy__(self) -> LazyArray:
        return self

    def __deepcopy__(self, memo: Any) -> LazyArray:
        return self

    def __dask_tokenize__(self) -> tuple[Any, ...]:
        """dask's name of this array without pickling it (which would reopen it)."""
        from .reopen import stamp

        return ("nwbgen.LazyArray", *stamp(self), repr(self._kind))

    def to_dask(self, chunks: Any = None) -> Any:
        """A ``dask.array.Array`` of the decoded values whose tasks reopen the file
        by its path or URL, so that it computes on ``dask.distributed`` worker
        processes too. Blocks are whole HDF5 chunks (rows of a contiguous dataset)
        of about dask's ``array.chunk-size``; ``chunks`` (anything dask accepts)
        overrides. Needs the optional extra ``dask``; see :mod:`.dask`."""
        from .dask import to_dask

        return to_dask(self, chunks)

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
        except Exception as exc:
            self._check_open()  # closed in the middle: say so, not h5py's message
            if is_hdf5_failure(exc):  # a damaged chunk or heap
                raise damaged(self._filename, self._name, exc) from None
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


def read_dataset(
    dataset: h5py.Dataset,
    kind: Any = None,
    *,
    scalar: bool | None = None,
    resolver: Dereferencer | None = None,
    name: str | None = None,
    filename: str | None = None,
) -> Any:
    """A dataset's value: decoded now when the schema says scalar (and the stored
    value has at most one element), else a :class:`LazyArray` that reads nothing."""
    resolve = None
    # only values that can hold references keep the resolver (and through it
    # the reader's frame): the models of a numeric array are freed by counting
    if resolver is not None and has_references(dataset.dtype):

        def resolve(ref: Any) -> Any:
            return resolver.deref(ref, dataset)

    shape = dataset.shape
    if scalar and (shape is None or math.prod(shape) <= 1):
        if shape is None:
            return None
        raw = read_small(dataset, shape)
        return decode_attribute(raw, kind, scalar=True, resolve=resolve)
    return LazyArray(dataset, kind, resolve, name=name, filename=filename)


def read_small(dataset: h5py.Dataset, shape: tuple[int, ...]) -> Any:
    """``dataset[()]`` of a dataset of at most one element, through HDF5's
    low-level read: h5py's selection machinery is most of the cost of reading
    one value (a compound or array type is read the high-level way)."""
    dtype = dataset.dtype
    if dtype.fields is not None or dtype.subdtype is not None:
        return dataset[()]
    out = np.zeros(shape, dtype=dtype)
    dataset.id.read(h5s.ALL, h5s.ALL, out, memory_type(dtype))
    return out[()]
