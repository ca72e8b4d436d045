"""References: which values are references, their targets by address, regions.

References are compared by address, read raw from the file: deciding what an
object refers to never dereferences anything, and a dataset of a million
references to the same three objects is resolved three times, not a million.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5a, h5o, h5r, h5s, h5t

from ..errors import DanglingReferenceError, ReferenceCycleError
from .objects import address, dereference, location, object_key

OBJECT = "object"

REGION = "region"

#: what a null object reference reads as
_NULL_ADDRESSES = (0, 0xFFFFFFFFFFFFFFFF)

#: references read per block from a large dataset
_BLOCK_ITEMS = 1 << 20


def reference_fields(dtype: np.dtype) -> tuple[tuple[str | None, str], ...]:
    """``(field, kind)`` for each reference in a dtype; ``field`` None for the whole."""
    kind = _ref_kind(dtype)
    if kind:
        return ((None, kind),)
    if dtype.names is None:
        return ()
    out = []
    for name in dtype.names:
        kind = _ref_kind(dtype[name])
        if kind:
            out.append((name, kind))
    return tuple(out)


def _ref_kind(dtype: np.dtype) -> str | None:
    ref = h5py.check_dtype(ref=dtype)
    if ref is None:
        return None
    return REGION if ref is h5py.RegionReference else OBJECT


@dataclass(frozen=True)
class ReferenceSite:
    """Where references are stored: an attribute or the values of a dataset."""

    attribute: str | None
    field: str | None
    kind: str

    def __str__(self) -> str:
        where = f"attribute {self.attribute!r}" if self.attribute else "data"
        return f"{where} field {self.field!r}" if self.field else where


def reference_sites(obj_id: Any) -> Iterator[tuple[ReferenceSite, Any]]:
    """Each reference-holding attribute or dataset of an object, with its low-level id.

    Attributes and dataset types are tested with ``H5Tdetect_class`` before any
    numpy dtype is built, so objects without references cost one call per attribute.
    """
    for index in range(h5o.get_info(obj_id).num_attrs):
        aid = h5a.open(obj_id, index=index)
        if aid.get_type().detect_class(h5t.REFERENCE):
            name = aid.name.decode("utf-8", "surrogateescape")
            for field, kind in reference_fields(aid.dtype):
                yield ReferenceSite(name, field, kind), aid
    if isinstance(obj_id, h5py.h5d.DatasetID) and obj_id.get_type().detect_class(
        h5t.REFERENCE
    ):
        for field, kind in reference_fields(obj_id.dtype):
            yield ReferenceSite(None, field, kind), obj_id


def read_addresses(site: ReferenceSite, sid: Any, rows: int | None = None) -> Any:
    """The addresses of the objects referred to at ``site``, in storage order.

    Object references are read raw (8-byte addresses); region references are
    dereferenced one by one. Null references read as 0. ``rows`` limits a dataset
    to its first rows.
    """
    if site.kind == REGION:
        return _region_addresses(site, sid, rows)
    mtype = h5t.STD_REF_OBJ
    if site.field is not None:
        mtype = h5t.create(h5t.COMPOUND, 8)
        mtype.insert(site.field.encode("utf-8"), 0, h5t.STD_REF_OBJ)
    space = sid.get_space()
    if space.get_simple_extent_type() == h5s.NULL:
        return np.zeros(0, dtype=np.uint64)
    shape = space.shape
    if isinstance(sid, h5a.AttrID):
        out = np.zeros(shape, dtype=np.uint64)
        sid.read(out, mtype=mtype)
        return out.reshape(-1)
    blocks = list(_dataset_blocks(sid, shape, mtype, rows))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.uint64)


def _dataset_blocks(sid: Any, shape: tuple, mtype: Any, rows: int | None) -> Iterator:
    if not shape:
        out = np.zeros((), dtype=np.uint64)
        sid.read(h5s.ALL, h5s.ALL, out, mtype=mtype)
        yield out.reshape(-1)
        return
    total = shape[0] if rows is None else min(rows, shape[0])
    row_items = int(np.prod(shape[1:], dtype=np.int64))
    step = max(1, _BLOCK_ITEMS // max(row_items, 1))
    for start in range(0, total, step):
        count = (min(step, total - start),) + tuple(shape[1:])
        fspace = sid.get_space()
        fspace.select_hyperslab((start,) + (0,) * (len(shape) - 1), count)
        out = np.zeros(count, dtype=np.uint64)
        sid.read(h5s.create_simple(count), fspace, out, mtype=mtype)
        yield out.reshape(-1)


def read_reference_values(site: ReferenceSite, sid: Any, rows: int | None = None):
    """The reference objects at ``site`` as a flat object array (h5py references)."""
    if isinstance(sid, h5a.AttrID):
        if sid.get_space().get_simple_extent_type() == h5s.NULL:
            return np.zeros(0, dtype=object)
        values = np.zeros(sid.shape, dtype=sid.dtype)
        sid.read(values)
    else:
        dataset = h5py.Dataset(sid)
        if dataset.shape is None:
            return np.zeros(0, dtype=object)
        values = dataset[()] if not dataset.shape else dataset[slice(rows)]
    if site.field is not None:
        values = values[site.field]
    return np.asarray(values, dtype=object).reshape(-1)


def _region_addresses(site: ReferenceSite, sid: Any, rows: int | None) -> Any:
    refs = read_reference_values(site, sid, rows)
    out = np.zeros(len(refs), dtype=np.uint64)
    for i, ref in enumerate(refs):
        if ref:
            target = dereference(ref, sid)
            # a dangling one gets an address no object has
            out[i] = address(target) if target is not None else 0xFFFFFFFFFFFFFFFE
    return out


def unique_targets(addresses: Any) -> Any:
    """The distinct non-null addresses of a raw address array."""
    uniq = np.unique(addresses)
    return uniq[~np.isin(uniq, _NULL_ADDRESSES)]


def region_selection(ref: Any, from_obj: Any) -> tuple:
    """What a region reference selects, as an index numpy accepts.

    One rectangular block → a tuple of slices; points, several blocks or nothing →
    a tuple of index arrays, one per dimension, in C order (the order h5py reads
    the region in). ``target_array[selection]`` gives the selected values.
    """
    space = h5r.get_region(ref, from_obj.id)
    ndim = space.get_simple_extent_ndims()
    kind = space.get_select_type()
    if kind == h5s.SEL_ALL:
        return (slice(None),) * ndim
    if kind == h5s.SEL_POINTS:
        points = np.asarray(space.get_select_elem_pointlist(), dtype=np.intp)
    elif kind == h5s.SEL_HYPERSLABS:
        blocks = np.asarray(space.get_select_hyper_blocklist(), dtype=np.intp)
        blocks = blocks.reshape(-1, 2, ndim)
        if len(blocks) == 1:
            return tuple(slice(s, e + 1) for s, e in zip(*blocks[0]))
        parts = [
            np.stack(np.meshgrid(*map(np.arange, s, e + 1), indexing="ij"), -1)
            for s, e in blocks
        ]
        points = np.unique(np.concatenate([p.reshape(-1, ndim) for p in parts]), axis=0)
    else:
        points = np.zeros((0, ndim), dtype=np.intp)
    return tuple(points.reshape(-1, ndim).T)


class Dereferencer(Protocol):
    """What resolves references while reading: a :class:`Resolver`, or a read
    context that builds models through generated readers."""

    def deref(
        self, ref: Any, from_obj: Any, *, where: str | None = None, build: Any = None
    ) -> Any:
        """The object ``ref`` (held by ``from_obj``) points to; ``where`` in the
        holder it is (for messages), and how to ``build`` it if need be."""


class Resolver:
    """The Python object built for each HDF5 object of a read, by identity.

    ``build(h5obj)`` makes the model of an object reached for the first time; every
    later reference, link or path to the same object returns the same model. To
    allow cycles (A refers to B refers to A), ``build`` registers the object with
    :meth:`put` (or :meth:`placeholder`) *before* reading its members, and fills it
    in afterwards; reaching an object again while it is being built and not yet
    registered raises :class:`ReferenceCycleError` instead of recursing forever.
    """

    def __init__(self, build: Callable[[Any], Any] | None = None) -> None:
        self.build = build
        self._models: dict[tuple[int, int], Any] = {}
        self._building: set[tuple[int, int]] = set()

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, obj: Any) -> bool:
        return object_key(obj) in self._models

    def get(self, obj: Any, default: Any = None) -> Any:
        return self._models.get(object_key(obj), default)

    def put(self, obj: Any, model: Any) -> Any:
        """Register ``model`` for ``obj`` and return it. Registering a second, other
        model for one object is an error: references already handed out would
        point to the first."""
        key = object_key(obj)
        known = self._models.setdefault(key, model)
        if known is not model:
            raise ValueError(
                f"{location(obj)}: a different object is already registered for it"
            )
        return model

    def placeholder(self, obj: Any, cls: type) -> Any:
        """An empty instance of ``cls`` registered for ``obj``, to fill in later.

        For pydantic models: ``cls.__new__(cls)`` now, ``model.__init__(**fields)``
        once the members are read; ``__init__`` validates into the same instance, so
        references taken in between stay valid.
        """
        return self.put(obj, object.__new__(cls))

    def get_or_build(self, obj: Any, build: Callable[[Any], Any] | None = None) -> Any:
        key = object_key(obj)
        if key in self._models:
            return self._models[key]
        if key in self._building:
            raise ReferenceCycleError(
                f"{location(obj)}: reached again while it is being built; its build "
                "function must put() a placeholder before reading members"
            )
        build = build or self.build
        if build is None:
            raise TypeError("Resolver has no build function")
        self._building.add(key)
        try:
            model = build(obj)
        finally:
            self._building.discard(key)
        return self._models.setdefault(key, model)

    def deref(
        self,
        ref: Any,
        from_obj: Any,
        *,
        build: Callable[[Any], Any] | None = None,
        where: str | None = None,
    ) -> Any:
        """The model ``ref`` points to (built once); ``(model, selection)`` for a
        region reference (see :func:`region_selection`); ``None`` for a null one.

        ``from_obj`` is the HDF5 object holding the reference (it names the file
        and, in errors, the holder); ``where`` says where in it (an attribute).
        """
        if not ref:
            return None
        target = dereference(ref, from_obj)
        if target is None:
            raise DanglingReferenceError(_dangling(from_obj, where))
        model = self._models.get(object_key(target))
        if model is None:
            if not target.name:  # alive but unlinked: no path reaches it
                raise DanglingReferenceError(_dangling(from_obj, where))
            model = self.get_or_build(target, build)
        if isinstance(ref, h5py.RegionReference):
            return model, region_selection(ref, from_obj)
        return model


def _dangling(from_obj: Any, where: str | None) -> str:
    site = f" {where}" if where else ""
    return (
        f"{location(from_obj)}:{site} refers to an object that does not exist "
        "(dangling reference)"
    )
