"""Lazy arrays as dask arrays that compute on worker processes too.

:func:`to_dask` (``LazyArray.to_dask``) builds a ``dask.array.Array`` whose blocks
are read through one :class:`Blocks` object in the graph. In the process that
built it, that object reads through the lazy array's open dataset; pickled (sent
to a ``dask.distributed`` worker), it carries only the file's path or URL and the
dataset's HDF5 path, and reopens them once per process (:mod:`.reopen`). Values
are decoded as ``LazyArray`` slicing decodes them, with the dtype that gives
(text and ``isodatetime`` as objects, ``bool`` stored as integers as ``bool``).

dask and distributed are the optional extra ``dask``: ``pip install
"nwbgen[dask]"``. Imported only when a dask array is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import HDF5ReadError, MissingExtraError, SourceError
from .lazy import LazyArray
from .reopen import reopen_lazy, source_and_path, stamp
from .values import decode_values, has_references


def dask_array_module() -> Any:
    """``dask.array``, or a :class:`MissingExtraError` naming the extra."""
    try:
        import dask.array as da  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise MissingExtraError(
            "dask arrays need the optional extra 'dask' " '(pip install "nwbgen[dask]")'
        ) from None
    return da


def to_dask(lazy: LazyArray, chunks: Any = None) -> Any:
    """``lazy`` as a dask array: see :meth:`LazyArray.to_dask`."""
    da = dask_array_module()
    from dask import config  # type: ignore[import-not-found, unused-ignore]
    from dask.base import tokenize  # type: ignore[import-not-found, unused-ignore]
    from dask.utils import parse_bytes  # type: ignore[import-not-found, unused-ignore]

    where = f"{lazy.filename}:{lazy.name}"
    dataset = lazy.dataset  # a ClosedFileError once the file is closed
    if dataset.shape is None:
        raise HDF5ReadError(f"{where}: a dataset with a NULL dataspace has no array")
    if has_references(lazy.dtype):
        raise HDF5ReadError(
            f"{where}: a dataset of references cannot be a dask array (its values "
            "are objects of this process's file); slice the LazyArray instead"
        )
    dtype = decoded_dtype(lazy)
    shape = lazy.shape
    if chunks is None:
        limit = parse_bytes(config.get("array.chunk-size"))
        chunks = block_shape(shape, dataset.chunks, _itemsize(lazy.dtype), limit)
    chunks = da.core.normalize_chunks(
        chunks, shape, dtype=dtype, previous_chunks=dataset.chunks
    )
    blocks = Blocks.of(lazy, dtype)
    name = "nwbgen-" + tokenize(stamp(lazy), repr(lazy.kind), str(dtype), chunks)
    return da.from_array(
        blocks,
        chunks=chunks,
        name=name,
        meta=np.empty((0,) * len(shape), dtype=dtype),
        asarray=False,
        fancy=False,
        lock=False,
        inline_array=True,  # in each task: any worker can run any task
    )


def decoded_dtype(lazy: LazyArray) -> np.dtype:
    """The dtype of ``lazy``'s values once decoded (what decoding an empty
    selection gives)."""
    empty = np.empty((0,), dtype=lazy.dtype)
    return np.asarray(decode_values(empty, lazy.kind)).dtype


def block_shape(
    shape: tuple[int, ...], chunks: tuple[int, ...] | None, itemsize: int, limit: int
) -> tuple[int, ...]:
    """Whole HDF5 ``chunks`` (elements of a contiguous dataset), taken along the
    last axis first, to its full extent, then the one before..., to about
    ``limit`` bytes: blocks of whole rows when a row fits, aligned to chunks, so
    each chunk is read and decompressed by one task."""
    block = [max(1, min(c, n)) for c, n in zip(chunks or (1,) * len(shape), shape)]
    nbytes = itemsize * int(np.prod(block, dtype=np.int64))
    for axis in reversed(range(len(shape))):
        factor = limit // nbytes
        if factor < 2:
            break
        grown = block[axis] * factor
        if grown < shape[axis]:
            block[axis] = grown
            break
        grown = max(1, shape[axis])
        nbytes = nbytes // block[axis] * grown
        block[axis] = grown
    return tuple(block)


def _itemsize(dtype: np.dtype) -> int:
    # variable-length items cost more than their 16-byte handle once decoded
    return max(dtype.itemsize, 64 if dtype.hasobject else 1)


class Blocks:
    """What the tasks of a dask array of a lazy array read from: the lazy array
    itself in this process; pickled, its source and HDF5 path, reopened there."""

    __slots__ = ("_error", "_lazy", "_path", "_source", "dtype", "kind", "shape")

    def __init__(
        self,
        lazy: LazyArray | None,
        source: str | None,
        path: str,
        kind: Any,
        dtype: np.dtype,
        shape: tuple[int, ...],
        error: str = "",
    ) -> None:
        self._lazy, self._source, self._path, self._error = lazy, source, path, error
        self.kind, self.dtype, self.shape = kind, dtype, shape

    @classmethod
    def of(cls, lazy: LazyArray, dtype: np.dtype) -> Blocks:
        try:
            source, path = source_and_path(lazy)
        except SourceError as exc:  # a file object: readable here, not elsewhere
            return cls(lazy, None, lazy.name, lazy.kind, dtype, lazy.shape, str(exc))
        return cls(lazy, source, path, lazy.kind, dtype, lazy.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if self._source is None:
            raise SourceError(self._error)
        return Blocks, (
            None,
            self._source,
            self._path,
            self.kind,
            self.dtype,
            self.shape,
        )

    def _array(self) -> LazyArray:
        lazy = self._lazy
        if lazy is None or (lazy.closed and self._source is not None):
            # a worker, or the file was closed here: reopened by its path or URL
            assert self._source is not None
            lazy = self._lazy = reopen_lazy(self._source, self._path, self.kind)
        return lazy

    def __getitem__(self, key: Any) -> np.ndarray:
        values = self._array()[key]
        if not self.shape:  # a scalar dataset: one decoded value
            out = np.empty((), dtype=self.dtype)
            out[()] = values
            return out
        values = np.asarray(values)
        return values if values.dtype == self.dtype else values.astype(self.dtype)
