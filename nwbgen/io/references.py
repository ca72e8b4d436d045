"""Object and region references between the objects of an HDF5 file.

What an object refers to (:func:`get_references`), who refers to an object
(:func:`find_references`, or :class:`ReferenceIndex` for many questions), and the
one path of an object reached through several hard links (:func:`resolve_hardlink`).

References are compared by address, read raw from the file: deciding whether an
object refers to ``path`` never dereferences anything, and a dataset of a million
references to the same three objects is resolved three times, not a million.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5a, h5o, h5r, h5s, h5t

from ..errors import DanglingReferenceError, HDF5PathError, SourceError

OBJECT = "object"
REGION = "region"

#: what a null object reference reads as
_NULL_ADDRESSES = (0, 0xFFFFFFFFFFFFFFFF)
#: references read per block from a large dataset
_BLOCK_ITEMS = 1 << 20


@contextlib.contextmanager
def open_h5(source: Any) -> Iterator[h5py.File]:
    """An open h5py file for a file object (left open) or a path (closed after)."""
    if isinstance(source, h5py.Group):
        yield source.file
        return
    path = Path(source)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    try:
        h5f = h5py.File(path, "r")
    except OSError as exc:
        reason = exc.args[0] if exc.args else exc
        raise SourceError(f"{path}: not an HDF5 file ({reason})") from None
    with h5f:
        yield h5f


def get_object(h5f: h5py.File, path: str) -> Any:
    """The object at ``path`` (links followed), or an error naming file and path."""
    try:
        obj = h5f.get(path)
    except (KeyError, ValueError, OSError, RuntimeError):
        obj = None
    if obj is None:
        raise HDF5PathError(f"{h5f.filename}: no object at {path}")
    return obj


def address(obj: Any) -> int:
    """The object's header address: equal for every path to one object."""
    return h5o.get_info(obj.id).addr


@dataclass(frozen=True)
class ObjectInfo:
    """What h5py's reused ``ObjInfo`` said about one object, kept."""

    addr: int
    type: int
    num_attrs: int
    rc: int
    fileno: int

    @classmethod
    def of(cls, info: Any) -> ObjectInfo:
        return cls(info.addr, info.type, info.num_attrs, info.rc, info.fileno)


class ObjectMap:
    """Every object of a file that hard links reach, by address and canonical path.

    The canonical path of an object is the first path to it in name order, the path
    ``visititems`` reports; the other hard links to it are aliases.
    """

    def __init__(self, h5f: h5py.File) -> None:
        self.file = h5f
        root = ObjectInfo.of(h5o.get_info(h5f.id))
        self.path_of: dict[int, str] = {root.addr: "/"}
        self.info: dict[str, ObjectInfo] = {"/": root}

        def visit(name: bytes, info: Any) -> None:
            if info.addr not in self.path_of:
                path = "/" + name.decode("utf-8")
                self.path_of[info.addr] = path
                self.info[path] = ObjectInfo.of(info)

        h5o.visit(h5f.id, visit, info=True)

    def __len__(self) -> int:
        return len(self.info)

    def resolve(self, addr: int, holder: str, where: str) -> str:
        """The canonical path at ``addr``, or a dangling-reference error."""
        try:
            return self.path_of[addr]
        except KeyError:
            raise DanglingReferenceError(
                f"{self.file.filename}:{holder}: {where} refers to an object "
                "that no path in the file reaches (dangling reference)"
            ) from None


def resolve_hardlink(obj: Any) -> str:
    """The path of the original object behind ``obj`` (a hard link, soft link or path).

    The original is the first path to the object in name order, the one
    ``visititems`` reports; an object with a single hard link on a path of single
    hard links is its own original and costs no walk.
    """
    h5f = obj.file
    target = h5o.get_info(obj.id)
    if obj.name and _single_hard_path(h5f, obj.name):
        return obj.name
    root = h5o.get_info(h5f.id)
    if root.addr == target.addr:
        return "/"

    def visit(name: bytes, info: Any) -> str | None:
        return "/" + name.decode("utf-8") if info.addr == target.addr else None

    found = h5o.visit(h5f.id, visit, info=True)
    if found is None:
        raise HDF5PathError(f"{h5f.filename}: {obj.name} is reached by no hard link")
    return found


def _single_hard_path(h5f: h5py.File, path: str) -> bool:
    """True when every step of ``path`` is the only hard link to its object."""
    parent = h5f.id
    for part in path.strip("/").split("/"):
        if not part:
            continue
        name = part.encode("utf-8")
        if not parent.links.exists(name) or parent.links.get_info(name).type != 0:
            return False
        child = h5o.open(parent, name)
        if h5o.get_info(child).rc != 1:
            return False
        parent = child
    return True


# --- which values are references ------------------------------------------


def reference_fields(dtype: np.dtype) -> tuple[tuple[str | None, str], ...]:
    """``(field, kind)`` for each reference in a dtype; ``field`` None for the whole."""
    kind = _ref_kind(dtype)
    if kind:
        return ((None, kind),)
    if dtype.names is None:
        return ()
    out = []
    for name in dtype.names:
        kind = _ref_kind(dtype.fields[name][0])
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
            name = aid.name.decode("utf-8")
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
            try:
                out[i] = h5o.get_info(h5r.dereference(ref, sid)).addr
            except (KeyError, ValueError, RuntimeError, OSError):
                out[i] = 0xFFFFFFFFFFFFFFFE  # not an address any object has
    return out


def unique_targets(addresses: Any) -> Any:
    """The distinct non-null addresses of a raw address array."""
    uniq = np.unique(addresses)
    return uniq[~np.isin(uniq, _NULL_ADDRESSES)]


# --- queries ---------------------------------------------------------------


def get_references(obj: Any, objects: ObjectMap | None = None) -> list[str]:
    """Every path ``obj`` refers to: attributes, scalar, column and compound datasets.

    Paths are canonical (see :func:`resolve_hardlink`), each listed once, in the
    order first met. A reference to no object raises :class:`DanglingReferenceError`.
    """
    out: dict[str, None] = {}
    holder = obj.name or "<anonymous>"
    for site, sid in reference_sites(obj.id):
        addresses = read_addresses(site, sid)
        targets = unique_targets(addresses)
        if not len(targets):
            continue
        if objects is not None:
            for addr in targets:
                out[objects.resolve(int(addr), holder, str(site))] = None
            continue
        values = read_reference_values(site, sid)
        for addr in targets:
            first = int(np.flatnonzero(addresses == addr)[0])
            out[_dereference(obj, values[first], holder, site)] = None
    return list(out)


def _dereference(obj: Any, ref: Any, holder: str, site: ReferenceSite) -> str:
    try:
        target = obj.file[ref]
    except (KeyError, ValueError, RuntimeError, OSError):
        target = None
    if target is None or not target.name:
        raise DanglingReferenceError(
            f"{obj.file.filename}:{holder}: {site} refers to an object "
            "that no path in the file reaches (dangling reference)"
        )
    return resolve_hardlink(target)


def find_references(h5f: Any, path: str, *, first: bool = False) -> list[str]:
    """The canonical paths of every object holding a reference to ``path``.

    One pass over the file; only reference-typed attributes and datasets are read,
    raw, and compared by address, so nothing is dereferenced. With ``first`` the
    pass stops at the first referrer. A reference to any hard link of the object
    counts. For many queries on one file, build a :class:`ReferenceIndex` once.
    """
    with open_h5(h5f) as f:
        info = h5o.get_info(get_object(f, path).id)
        if info.fileno != h5o.get_info(f.id).fileno:
            return []  # behind an external link: no reference leaves its file
        target = info.addr
        found: list[str] = []

        def check(obj_id: Any, holder: str) -> bool:
            for site, sid in reference_sites(obj_id):
                if np.any(read_addresses(site, sid) == target):
                    found.append(holder)
                    return first
            return False

        if check(f.id, "/"):
            return found

        def visit(name: bytes, info: Any) -> bool | None:
            if info.num_attrs == 0 and info.type != h5o.TYPE_DATASET:
                return None
            holder = "/" + name.decode("utf-8")
            return True if check(h5o.open(f.id, name), holder) else None

        h5o.visit(f.id, visit, info=True)
        return found


class ReferenceIndex:
    """Every reference of a file, from one pass: answers many queries cheaply.

    ``referrers(path)`` is who refers to ``path``; ``references(path)`` what ``path``
    refers to. Both take any path to an object (hard or soft link) and answer with
    canonical paths.
    """

    def __init__(self, h5f: h5py.File, objects: ObjectMap | None = None) -> None:
        self.file = h5f
        self.objects = objects or ObjectMap(h5f)
        self._targets: dict[str, dict[str, str]] = {}
        self._referrers: dict[str, dict[str, str]] = {}
        for holder in self.objects.info:
            self._scan(holder)

    def _scan(self, holder: str) -> None:
        info = self.objects.info[holder]
        if info.num_attrs == 0 and info.type != h5o.TYPE_DATASET:
            return
        obj_id = self.file.id if holder == "/" else h5o.open(self.file.id, _b(holder))
        for site, sid in reference_sites(obj_id):
            for addr in unique_targets(read_addresses(site, sid)):
                target = self.objects.resolve(int(addr), holder, str(site))
                self._targets.setdefault(holder, {}).setdefault(target, str(site))
                self._referrers.setdefault(target, {}).setdefault(holder, str(site))

    def _canonical(self, path: str) -> str:
        """'' for an object behind an external link: no reference reaches it."""
        info = h5o.get_info(get_object(self.file, path).id)
        if info.fileno != self.objects.info["/"].fileno:
            return ""
        return self.objects.path_of.get(info.addr, "")

    def referrers(self, path: str) -> list[str]:
        """Canonical paths of the objects holding a reference to ``path``, sorted."""
        return sorted(self._referrers.get(self._canonical(path), ()))

    def references(self, path: str) -> list[str]:
        """Canonical paths ``path`` refers to, sorted."""
        return sorted(self._targets.get(self._canonical(path), ()))

    def edges(self) -> Iterator[tuple[str, str, str]]:
        """``(holder, target, where)`` for every distinct holder → target reference."""
        for holder, targets in self._targets.items():
            for target, where in targets.items():
                yield holder, target, where


def _b(path: str) -> bytes:
    return path.encode("utf-8")
