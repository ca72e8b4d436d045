"""What a generated writer calls: attributes, datasets, links, ids, files.

Generated writers know the schema; these primitives know HDF5. Values are encoded
for their schema dtype by :mod:`.encode` (hdmf's storage conventions, numeric dtypes
as minimums). Data already in HDF5 (a :class:`~.lazy.LazyArray`, an h5py dataset of
another file) is copied block by block, never loaded whole, and its references are
re-pointed to the same paths in the new file; iterators are appended block by block
to a resizable dataset. A file is written beside its target and renamed onto it
once complete.

Imports only numpy, h5py, the standard library and sibling runtime modules, and
never generated code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5d, h5i, h5o, h5r

from ..errors import HDF5WriteError
from .encode import (
    Kind,
    TargetOf,
    encode_values,
    minimum_dtype,
    parse_kind,
    safe_cast,
    target_in,
)
from .files import damaged, is_hdf5_failure
from .lazy import LazyArray
from .temporary import atomic_h5_file

__all__ = [
    "DataIO",
    "StorageOptions",
    "atomic_h5_file",
    "external_link",
    "new_object_id",
    "repoint_references",
    "smallest_uint",
    "soft_link",
    "storage_layout",
    "write_attribute",
    "write_dataset",
]

#: bytes per block when copying a dataset or comparing blocks
BLOCK_BYTES = 4 << 20
#: array-likes (not in HDF5) larger than this are written chunked by default
LARGE_BYTES = 32 << 20


def _where(h5obj: Any, name: str) -> str:
    return f"{h5obj.file.filename}:{h5obj.name.rstrip('/')}/{name}"


# --- attributes --------------------------------------------------------------


def write_attribute(
    h5obj: Any,
    name: str,
    value: Any,
    kind: Any = None,
    *,
    target_of: TargetOf | None = None,
    dest: h5py.File | None = None,
) -> None:
    """Write attribute ``name`` of ``h5obj`` for schema dtype ``kind``.

    ``None`` writes nothing (an absent optional attribute); ``h5py.Empty`` writes an
    attribute with a null dataspace. Scalars become scalar attributes, sequences
    arrays. ``kind=None`` keeps the value's own type (``str`` as UTF-8, ``bytes``
    as ASCII, numpy values with their dtype). For references see
    :func:`.encode.to_reference`.
    """
    if value is None:
        return
    if isinstance(value, h5py.Empty):
        h5obj.attrs.create(name, value)
        return
    try:
        # ``dest`` (the file, for references) given by a caller that has it:
        # ``h5obj.file`` builds a new File object on every call
        data = encode_values(value, parse_kind(kind), dest or h5obj.file, target_of)
        h5obj.attrs.create(name, data, dtype=data.dtype)
    except (KeyError, TypeError, ValueError, OverflowError, HDF5WriteError) as error:
        # a reference target's error names the target; this names the holder
        where = f"{h5obj.file.filename}:{h5obj.name}"
        raise HDF5WriteError(f"{where}: attribute {name!r}: {error}") from error


# --- storage options ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StorageOptions:
    """How one dataset is stored; ``None`` leaves a setting to the default.

    Defaults: in-memory arrays contiguous, iterators chunked and resizable, data
    copied from HDF5 keeps its source's layout and filters, other array-likes
    larger than :data:`LARGE_BYTES` chunked. ``compression`` is ``"gzip"`` (level in
    ``compression_opts``, default 4), a gzip level as an int, ``True`` for gzip 4,
    ``"lzf"``, or ``False`` for none.
    """

    chunks: bool | tuple[int, ...] | None = None
    compression: str | int | bool | None = None
    compression_opts: Any = None
    shuffle: bool | None = None
    fillvalue: Any = None
    maxshape: tuple[int | None, ...] | None = None

    def settings(self) -> dict[str, Any]:
        """The settings given, as ``create_dataset`` keywords."""
        out: dict[str, Any] = {}
        if self.chunks is not None:
            out["chunks"] = self.chunks if self.chunks is not False else None
        compression, level = self.compression, self.compression_opts
        if compression is True or isinstance(compression, int) and compression:
            level = 4 if compression is True else compression
            compression = "gzip"
        if compression == "gzip" and level is None:
            level = 4
        if compression is False or compression == 0:
            out["compression"] = out["compression_opts"] = None
        elif compression is not None:
            out["compression"], out["compression_opts"] = compression, level
        for name in ("shuffle", "fillvalue", "maxshape"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class DataIO(StorageOptions):
    """Data with its storage options, in the manner of pynwb's ``H5DataIO``:
    ``DataIO(array, compression="gzip", compression_opts=6, shuffle=True)``."""

    data: Any

    @property
    def options(self) -> StorageOptions:
        return StorageOptions(
            **{f.name: getattr(self, f.name) for f in fields(StorageOptions)}
        )


# --- datasets ----------------------------------------------------------------


def write_dataset(
    group: h5py.Group,
    name: str,
    value: Any,
    kind: Any = None,
    *,
    options: StorageOptions | None = None,
    target_of: TargetOf | None = None,
) -> h5py.Dataset | None:
    """Write dataset ``name`` in ``group`` for schema dtype ``kind``; return it.

    ``value``: a scalar, sequence or numpy array; a :class:`LazyArray` or h5py
    dataset (copied block by block, references re-pointed to the same paths in
    this file); another array-like with ``shape``, ``dtype`` and slicing (copied
    block by block); an iterator of blocks along axis 0 (appended to a resizable
    dataset; an item with one dimension fewer than the dataset is one row); or a
    :class:`DataIO` wrapping any of these, whose options win over ``options``.
    ``None`` writes nothing; pandas objects are written as their numpy values.
    """
    if isinstance(value, DataIO):
        options, value = value.options, value.data
    if value is None:
        return None
    if hasattr(value, "to_numpy") and not isinstance(value, LazyArray):
        value = value.to_numpy()
    settings = (options or StorageOptions()).settings()
    parsed = parse_kind(kind)
    try:
        if isinstance(value, h5py.Empty):
            return group.create_dataset(name, data=value)
        source = value.dataset if isinstance(value, LazyArray) else value
        if isinstance(source, h5py.Dataset):
            return _copy_h5(group, name, source, parsed, settings)
        if isinstance(value, Iterator):
            return _write_iterator(group, name, value, parsed, settings, target_of)
        if _is_array_like(value):
            return _copy_array_like(group, name, value, parsed, settings, target_of)
        data = encode_values(value, parsed, group.file, target_of)
        return _create(group, name, data.shape, data.dtype, settings, data=data)
    except (KeyError, TypeError, ValueError, OverflowError, HDF5WriteError) as error:
        where = _where(group, name)
        if isinstance(error, HDF5WriteError) and where in str(error):
            raise  # it names this dataset already
        raise HDF5WriteError(f"{where}: {error}") from error


def _is_array_like(value: Any) -> bool:
    if isinstance(value, (np.ndarray, np.generic, list, tuple, str, bytes, dict)):
        return False
    return all(hasattr(value, a) for a in ("shape", "dtype", "__getitem__"))


def _create(
    group: h5py.Group,
    name: str,
    shape: tuple[int, ...],
    dtype: np.dtype,
    settings: dict[str, Any],
    data: Any = None,
) -> h5py.Dataset:
    if shape == ():  # scalars cannot be chunked or filtered
        settings = {k: v for k, v in settings.items() if k == "fillvalue"}
    if settings.get("compression") is None:
        settings.pop("compression_opts", None)
    return group.create_dataset(name, shape, dtype, data=data, **settings)


def _layout_of(source: h5py.Dataset) -> dict[str, Any]:
    """The storage settings of ``source``, to copy it as it was."""
    out: dict[str, Any] = {"chunks": source.chunks, "maxshape": source.maxshape}
    if source.compression is not None:
        out["compression"] = source.compression
        out["compression_opts"] = source.compression_opts
    for name in ("shuffle", "fletcher32"):
        if getattr(source, name):
            out[name] = True
    if source.scaleoffset is not None:
        out["scaleoffset"] = source.scaleoffset
    plist = source.id.get_create_plist()
    if source.dtype.kind in "biuf" and (
        plist.fill_value_defined() == h5d.FILL_VALUE_USER_DEFINED
    ):
        out["fillvalue"] = source.fillvalue
    return out


def storage_layout(source: h5py.Dataset) -> dict[str, Any]:
    """The storage settings of dataset ``source`` (chunks, maximum shape, filters,
    fill value), as ``create_dataset`` keywords: to write it again as it was."""
    return _layout_of(source)


def _has_refs(dtype: np.dtype) -> bool:
    if dtype.names is not None:
        return any(_has_refs(dtype[n]) for n in dtype.names)
    return h5py.check_dtype(ref=dtype) is not None


def _stored_dtype(given: np.dtype, kind: Kind) -> np.dtype:
    """The dtype to store data of an HDF5 dataset as: its own, widened to a numeric
    schema dtype if narrower; text and references stay as stored."""
    if kind.tag == "number" and kind.dtype is not None and given.kind in "biuf":
        return kind.dtype if kind.exact else minimum_dtype(given, kind.dtype)
    return given


def _copy_h5(
    group: h5py.Group,
    name: str,
    source: h5py.Dataset,
    kind: Kind,
    settings: dict[str, Any],
) -> h5py.Dataset:
    """Copy an HDF5 dataset: by HDF5 itself (chunk by chunk, filters untouched) when
    nothing changes, else block by block."""
    if source.shape is None:
        return group.create_dataset(name, data=h5py.Empty(source.dtype))
    dtype = _stored_dtype(source.dtype, kind)
    refs = _has_refs(source.dtype)
    if not refs and dtype == source.dtype and not settings:
        with _reading_source(source):
            group.copy(source, name, without_attrs=True)
        return group[name]
    layout = {**_layout_of(source), **settings}
    if "maxshape" not in settings and layout["maxshape"] == source.shape:
        del layout["maxshape"]
    if settings.get("chunks") is None and "chunks" in settings:
        layout.pop("chunks")  # contiguous asked: not the source's chunks
    dset = _create(group, name, source.shape, dtype, layout)
    translate = _RefTranslator(source, group.file) if refs else None
    for selection in blocks(source.shape, _itemsize(source.dtype), source.chunks):
        with _reading_source(source):
            block = source[selection]
        if translate is not None:
            block = translate(block)
        elif block.dtype != dtype:
            block = safe_cast(block, dtype)
        dset[selection] = block
    return dset


@contextmanager
def _reading_source(source: h5py.Dataset) -> Iterator[None]:
    """HDF5 failing to read a dataset being copied: the source is damaged (the
    error names its file and path, not the file being written)."""
    try:
        yield
    except Exception as exc:
        if not is_hdf5_failure(exc):
            raise
        try:
            where = source.file.filename, source.name or "?"
        except Exception:  # noqa: BLE001 - any failure: reported, not raised
            where = "?", "?"
        raise damaged(*where, exc) from None


def copy_group(group: h5py.Group, name: str, source: h5py.Group) -> None:
    """``group[name]`` a copy of ``source`` (another file's group, as stored);
    the references in it need :func:`repoint_references` once their targets
    exist."""
    with _reading_source(source):
        group.copy(source, name)


def repoint_references(copy: Any, source: Any) -> None:
    """Point the references in ``copy`` (an HDF5 copy of ``source``, a group or
    dataset of another file) to the objects at the same paths in ``copy``'s
    file: HDF5 copies them pointing nowhere. In attributes and datasets, at any
    depth."""
    translate = _RefTranslator(source, copy.file)
    if translate.same_file:
        return

    def repoint(held: Any, copied: Any) -> None:
        for name in held.attrs:
            dtype = held.attrs.get_id(name).dtype
            if not _has_refs(dtype):
                continue
            with _reading_source(held):
                values = held.attrs[name]
            values = translate(values, dtype)
            del copied.attrs[name]
            copied.attrs.create(name, values, dtype=dtype)
        if isinstance(held, h5py.Dataset) and held.shape and _has_refs(held.dtype):
            for selection in blocks(held.shape, _itemsize(held.dtype), held.chunks):
                with _reading_source(held):
                    block = held[selection]
                copied[selection] = translate(block, held.dtype)

    repoint(source, copy)
    if not isinstance(source, h5py.Group):
        return
    inside: list[tuple[str, Any]] = []
    with _reading_source(source):
        source.visititems(lambda rel, obj: inside.append((rel, obj)))
    for rel, held in inside:
        repoint(held, copy[rel])


def _itemsize(dtype: np.dtype) -> int:
    return max(dtype.itemsize, 64 if dtype.hasobject else 1)


def blocks(
    shape: tuple[int, ...],
    itemsize: int,
    chunks: tuple[int, ...] | None = None,
    limit: int | None = None,
) -> Iterator[tuple[slice, ...]]:
    """Selections that tile an array of ``shape`` in C order, each about ``limit``
    bytes (:data:`BLOCK_BYTES` by default) or less (one chunk at least), aligned to
    ``chunks`` when given.

    Blocks span whole trailing dimensions when a row fits in ``limit``; otherwise
    they split the first axis whose sub-rows fit, one index of the axes before.
    """
    if not shape:
        yield ()
        return
    limit = BLOCK_BYTES if limit is None else limit
    if any(n == 0 for n in shape):
        return
    axis, inner = len(shape) - 1, itemsize
    for k in range(len(shape)):
        inner = itemsize * int(np.prod(shape[k + 1 :], dtype=np.int64))
        if inner <= limit:
            axis = k
            break
    step = max(1, limit // inner)
    if chunks:
        step = max(chunks[axis], step - step % chunks[axis])
    for outer in np.ndindex(*shape[:axis]):
        for start in range(0, shape[axis], step):
            head = tuple(slice(i, i + 1) for i in outer)
            yield head + (slice(start, min(start + step, shape[axis])),)


class _RefTranslator:
    """Re-points references read from ``source`` to the objects at the same paths in
    ``dest`` (each target looked up once)."""

    def __init__(self, source: h5py.Dataset, dest: h5py.File) -> None:
        self.source, self.dest = source, dest
        self.same_file = source.file.id == dest.id
        #: (file number, address) of a source object -> its path and dest reference
        self._targets: dict[tuple[int, int], tuple[bytes, Any]] = {}

    def __call__(self, block: Any, dtype: np.dtype | None = None) -> np.ndarray:
        """``block`` (of ``dtype``, the source dataset's by default) re-pointed."""
        block = np.asarray(block)  # a scalar dataset reads as one element
        if self.same_file:
            return block
        dtype = self.source.dtype if dtype is None else dtype
        if dtype.names is None:
            return self._refs(block, dtype)
        out = block.copy()
        for name in dtype.names:
            if h5py.check_dtype(ref=dtype[name]) is not None:
                out[name] = self._refs(block[name], dtype[name])
        return out

    def _refs(self, refs: np.ndarray, dtype: np.dtype) -> np.ndarray:
        out = np.empty(refs.shape, dtype=dtype)
        flat_in, flat_out = refs.reshape(-1), out.reshape(-1)
        for i in range(flat_in.size):
            flat_out[i] = self.one(flat_in[i])
        return out

    def one(self, ref: Any) -> Any:
        """The reference into ``dest`` for one reference read from ``source``."""
        region = isinstance(ref, h5py.RegionReference)
        if not ref:
            return h5py.RegionReference() if region else h5py.Reference()
        try:
            oid = h5r.dereference(ref, self.source.id)
        except (KeyError, ValueError, RuntimeError, OSError):
            oid = None
        path = h5i.get_name(oid) if oid is not None else None
        if path is None:
            # to nothing (a deleted object) or to an object no longer linked
            # (no path to point at here): a null reference, as the read said
            return h5py.RegionReference() if region else h5py.Reference()
        assert oid is not None
        info = h5o.get_info(oid)
        known = self._targets.get((info.fileno, info.addr))
        if known is None:
            target = target_in(path.decode("utf-8"), self.dest)  # or a clear error
            known = self._targets[(info.fileno, info.addr)] = (path, target.ref)
        if region:
            space = h5r.get_region(ref, self.source.id)
            return h5r.create(self.dest.id, known[0], h5r.DATASET_REGION, space)
        return known[1]


def _copy_array_like(
    group: h5py.Group,
    name: str,
    source: Any,
    kind: Kind,
    settings: dict[str, Any],
    target_of: TargetOf | None,
) -> h5py.Dataset:
    """Copy an array-like that is not in memory (dask, zarr, ...) block by block."""
    shape = tuple(int(n) for n in source.shape)
    dtype = np.dtype(source.dtype)
    nbytes = _itemsize(dtype) * int(np.prod(shape, dtype=np.int64))
    if "chunks" not in settings and nbytes > LARGE_BYTES and shape:
        settings = {**settings, "chunks": True}
    chunks = getattr(source, "chunks", None)
    if not (isinstance(chunks, tuple) and all(isinstance(c, int) for c in chunks)):
        chunks = None  # dask's chunks are tuples of tuples
    dset = None
    for selection in blocks(shape, _itemsize(dtype), chunks):
        block = encode_values(
            np.asarray(source[selection]), kind, group.file, target_of
        )
        if dset is None:
            dset = _create(group, name, shape, block.dtype, settings)
        dset[selection] = _fit(block, dset.dtype)
    if dset is None:  # no elements: the dtype alone decides
        empty = encode_values(np.zeros(shape, dtype), kind, group.file, target_of)
        dset = _create(group, name, shape, empty.dtype, settings)
    return dset


def _write_iterator(
    group: h5py.Group,
    name: str,
    items: Iterator[Any],
    kind: Kind,
    settings: dict[str, Any],
    target_of: TargetOf | None,
) -> h5py.Dataset:
    """Append each block of ``items`` along axis 0 of a resizable, chunked dataset."""
    dset = None
    for item in items:
        block = encode_values(item, kind, group.file, target_of)
        if dset is None:
            if block.ndim == 0:
                block = block.reshape(1)
            rows = block.shape[1:]
            layout = {
                "chunks": _iterator_chunks(rows, block.dtype),
                "maxshape": (None, *rows),
                **settings,
            }
            dset = _create(group, name, (0, *rows), block.dtype, layout)
        if block.ndim == dset.ndim - 1:
            block = block.reshape(1, *block.shape)
        if block.shape[1:] != dset.shape[1:]:
            raise ValueError(
                f"a block of shape {block.shape} does not continue rows of shape "
                f"{dset.shape[1:]}"
            )
        start = dset.shape[0]
        dset.resize(start + block.shape[0], axis=0)
        dset[start:] = _fit(block, dset.dtype)
    if dset is None:
        dset = _empty_series(group, name, kind, settings)
    return dset


#: the size iterator-written datasets aim their chunks at
ITERATOR_CHUNK_BYTES = 1 << 20


def _iterator_chunks(rows: tuple[int, ...], dtype: np.dtype) -> tuple[int, ...]:
    """Chunks of about :data:`ITERATOR_CHUNK_BYTES` whole rows for data appended
    along axis 0 (h5py's guess for an empty resizable dataset is a few KiB, which
    makes a large file slow to write and read); rows too large for one chunk are
    split along their first axes."""
    itemsize = max(_itemsize(dtype), 1)
    shape = list(rows)
    # halve the trailing row shape until one row fits the budget
    axis = 0
    while shape and int(np.prod(shape)) * itemsize > ITERATOR_CHUNK_BYTES:
        shape[axis] = max(1, shape[axis] // 2)
        axis = (axis + 1) % len(shape)
    per_row = max(int(np.prod(shape)) * itemsize if shape else itemsize, 1)
    return (max(1, ITERATOR_CHUNK_BYTES // per_row), *(max(1, n) for n in shape))


def _fit(block: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """A later block in the dtype the first one chose (numbers checked)."""
    if block.dtype.kind in "biuf" and dtype.kind in "biuf":
        return safe_cast(block, dtype)
    return block


def _empty_series(
    group: h5py.Group, name: str, kind: Kind, settings: dict[str, Any]
) -> h5py.Dataset:
    """The dataset of an iterator that yielded nothing: zero rows of the schema
    dtype, rows shaped as ``maxshape`` says."""
    typed = kind.tag in ("text", "reference", "isodatetime")
    if not typed and not (kind.tag == "number" and kind.dtype is not None):
        raise ValueError("the iterator yielded nothing and no dtype says what it is")
    dtype = kind.dtype
    rows = tuple(settings.get("maxshape") or (None,))[1:]
    layout = {"chunks": True, "maxshape": (None, *rows), **settings}
    return _create(group, name, (0, *rows), dtype, layout)


# --- links, ids, indices -------------------------------------------------------


def soft_link(group: h5py.Group, name: str, target_path: str) -> None:
    """A soft link ``name`` in ``group`` to ``target_path`` (need not exist yet)."""
    if not target_path:
        raise HDF5WriteError(f"{_where(group, name)}: soft link to an empty path")
    group[name] = h5py.SoftLink(target_path)


def external_link(group: h5py.Group, name: str, filename: str, path: str) -> None:
    """An external link ``name`` in ``group`` to ``path`` in file ``filename``
    (stored as given: a relative name is resolved beside the linking file)."""
    if not filename or not path:
        raise HDF5WriteError(
            f"{_where(group, name)}: external link needs a file name and a path"
        )
    group[name] = h5py.ExternalLink(filename, path)


def new_object_id() -> str:
    """A fresh ``object_id``: a random UUID4 as text, as hdmf writes it."""
    return str(uuid.uuid4())


_UINTS = tuple(np.dtype(t) for t in ("u1", "u2", "u4", "u8"))


def smallest_uint(max_value: int) -> np.dtype:
    """The narrowest unsigned dtype holding ``max_value`` (a VectorIndex's dtype)."""
    value = int(max_value)
    if value < 0:
        raise ValueError(f"no unsigned dtype holds {value}")
    for dtype in _UINTS:
        if value <= np.iinfo(dtype).max:
            return dtype
    raise OverflowError(f"{value} does not fit in 64 bits")


# --- files -------------------------------------------------------------------
