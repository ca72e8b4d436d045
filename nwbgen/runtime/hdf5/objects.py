"""HDF5 objects by identity: keys, high-level handles, paths.

An object is identified by (file number, header address): equal for every hard link
to it, and found without searching the file. A path is asked of HDF5 only when one
is needed; :class:`ObjectMap` gives every object's canonical path in one walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h5py  # type: ignore[import-untyped]
from h5py import h5i, h5o, h5r

from ..errors import DanglingReferenceError, HDF5PathError
from .files import damaged, is_hdf5_failure, reading


def object_key(obj: Any) -> tuple[int, int]:
    """(file number, object header address): equal for every path to one object.

    HDF5 numbers each open file, so objects of two files (through external links)
    never collide, and hard links to one object share its header address. One
    ``H5Oget_info`` call (a few microseconds); no path search.
    """
    info = h5o.get_info(obj.id if isinstance(obj, h5py.HLObject) else obj)
    return (info.fileno, info.addr)


def high_level(oid: Any, readonly: bool = False) -> Any:
    """The h5py object (dataset, group or named datatype) of a low-level id.

    ``readonly``: the file is open for reading only, so a dataset's shape is
    asked of HDF5 once (h5py keeps it; each ask makes and registers a dataspace),
    as h5py's own ``group[name]`` does for a file opened ``"r"``."""
    kind = h5i.get_type(oid)
    if kind == h5i.DATASET:
        return _dataset(oid, readonly)
    if kind == h5i.GROUP:
        return h5py.Group(oid)
    return h5py.Datatype(oid)


#: the attributes ``h5py.Dataset.__init__`` gives a dataset, when they are the
#: ones :func:`_dataset` knows (checked on the first dataset made)
_DATASET_FIELDS = frozenset({"_id", "_dxpl", "_readonly", "_cache_props"})
#: the dataset transfer property list the datasets made here share (``None``:
#: not made yet; ``False``: this h5py's datasets are made its own way)
_shared_dxpl: Any = None


def _dataset(oid: Any, readonly: bool) -> h5py.Dataset:
    """``h5py.Dataset(oid, readonly=readonly)``, sharing one default transfer
    property list: h5py makes each dataset a new one (``H5Pcreate``, most of the
    cost of making a dataset object: a read makes one a dataset), and a reader
    never changes it. Only when this h5py's datasets hold exactly what is set
    here, and not under MPI (whose collective mode changes a dataset's list)."""
    global _shared_dxpl
    if not _shared_dxpl:
        made = h5py.Dataset(oid, readonly=readonly)
        if _shared_dxpl is None:
            fits = set(vars(made)) == _DATASET_FIELDS and not h5py.get_config().mpi
            _shared_dxpl = made._dxpl if fits else False
        return made
    dataset = object.__new__(h5py.Dataset)
    dataset._id = oid  # set one by one: no instance dict made (Python 3.11+)
    dataset._dxpl = _shared_dxpl
    dataset._readonly = readonly
    dataset._cache_props = {}
    return dataset


def location(obj: Any) -> str:
    """``file:path`` of an object, for messages (h5py's ``name`` searches the file:
    call it for errors, not on the way)."""
    return f"{obj.file.filename}:{obj.name}"


def address(obj: Any) -> int:
    """The object's header address: equal for every path to one object."""
    return h5o.get_info(obj.id).addr


def get_object(h5f: h5py.File, path: str) -> Any:
    """The object at ``path`` (links followed), or an error naming file and path."""
    try:
        obj = h5f.get(path)
    except (KeyError, ValueError, OSError, RuntimeError):
        obj = None
    if obj is None:
        raise HDF5PathError(f"{h5f.filename}: no object at {path}")
    return obj


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
        with reading(h5f.filename, "/"):
            root = ObjectInfo.of(h5o.get_info(h5f.id))
        self.fileno = root.fileno
        self.path_of: dict[int, str] = {root.addr: "/"}
        self.info: dict[str, ObjectInfo] = {"/": root}

        def visit(name: bytes, info: Any) -> None:
            if info.addr not in self.path_of:
                path = "/" + name.decode("utf-8", "surrogateescape")
                self.path_of[info.addr] = path
                self.info[path] = ObjectInfo.of(info)

        visit_objects(h5f, visit)

    def __len__(self) -> int:
        return len(self.info)

    def path_at(self, key: tuple[int, int]) -> str | None:
        """The canonical path of the object with :func:`object_key` ``key``;
        ``None`` for one of another file or that no hard link reaches."""
        return self.path_of.get(key[1]) if key[0] == self.fileno else None

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
        return (
            "/" + name.decode("utf-8", "surrogateescape")
            if info.addr == target.addr
            else None
        )

    found = visit_objects(h5f, visit)
    if found is None:
        raise HDF5PathError(f"{h5f.filename}: {obj.name} is reached by no hard link")
    return found


def visit_objects(h5f: h5py.File, visit: Any, start: Any = None) -> Any:
    """``h5o.visit(start, visit, info=True)`` (every object hard links reach, once):
    when HDF5 fails on a damaged file, a :class:`~nwbgen.errors.DamagedFileError`
    naming the first object that cannot be read."""
    start = h5f.id if start is None else start
    try:
        return h5o.visit(start, visit, info=True)
    except Exception as exc:
        if not is_hdf5_failure(exc):
            raise
        raise damaged(h5f.filename, find_damage(h5f) or "/", exc) from None


def find_damage(h5f: h5py.File) -> str | None:
    """The first path (in name order, groups before their members) whose object
    HDF5 cannot open, list or describe; ``None`` if every object reads. A slow walk,
    one call per link: for an error message after HDF5 failed."""
    stack: list[tuple[str, Any]] = []
    seen: set[int] = set()
    try:
        root = h5py.h5g.open(h5f.id, b"/")
        seen.add(h5o.get_info(root).addr)
        stack.append(("", root))
    except Exception:  # noqa: BLE001 - any failure: reported, not raised
        return "/"
    while stack:
        path, gid = stack.pop()
        try:
            names: list[bytes] = []
            gid.links.iterate(names.append)
        except Exception:  # noqa: BLE001 - any failure: reported, not raised
            return path or "/"
        groups = []
        for bname in names:
            child = f"{path}/{bname.decode('utf-8', 'surrogateescape')}"
            try:
                if gid.links.get_info(bname).type != h5py.h5l.TYPE_HARD:
                    continue
                oid = h5o.open(gid, bname)
                info = h5o.get_info(oid)
                for index in range(info.num_attrs):
                    h5py.h5a.open(oid, index=index).get_type()
            except Exception:  # noqa: BLE001 - any failure: reported, not raised
                return child
            if info.addr not in seen:
                seen.add(info.addr)
                if info.type == h5o.TYPE_GROUP:
                    groups.append((child, oid))
        stack.extend(reversed(groups))
    return None


def _single_hard_path(h5f: h5py.File, path: str) -> bool:
    """True when every step of ``path`` is the only hard link to its object."""
    parent = h5f.id
    for part in path.strip("/").split("/"):
        if not part:
            continue
        name = part.encode("utf-8", "surrogateescape")
        if not parent.links.exists(name) or parent.links.get_info(name).type != 0:
            return False
        child = h5o.open(parent, name)
        if h5o.get_info(child).rc != 1:
            return False
        parent = child
    return True


def open_member_keyed(
    group: h5py.Group, name: str, readonly: bool = False
) -> tuple[Any, tuple[int, int]]:
    """:func:`open_member`, and the member's :func:`object_key` from the member
    just opened (no second open, no path)."""
    obj = open_member(group, name, readonly)
    info = h5o.get_info(obj.id)
    return obj, (info.fileno, info.addr)


def open_member(group: h5py.Group, name: str, readonly: bool = False) -> Any:
    """The member ``name`` of ``group`` through its hard link, as an h5py object
    (``readonly``: see :func:`high_level`)."""
    oid = h5o.open(group.id, name.encode("utf-8", "surrogateescape"))
    return high_level(oid, readonly)


def dereference(ref: Any, holder: Any) -> Any:
    """The h5py object an object or region reference points to; ``None`` for a
    null reference and for one whose target is gone (the caller says which it is:
    ``not ref`` is null). ``holder`` is any object of the reference's file."""
    if not ref:
        return None
    try:
        oid = h5r.dereference(
            ref, holder.id if isinstance(holder, h5py.HLObject) else holder
        )
    except (KeyError, ValueError, RuntimeError, OSError):
        return None
    return None if oid is None else high_level(oid)
