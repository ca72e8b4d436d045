"""What a generated reader calls: attributes, scalars, references, links, types.

Generated readers are specialised per neurodata type and know the schema; these
primitives know HDF5 and the ways real files differ from the schema (text stored as
bytes, scalars stored as one-element arrays, dates in several ISO forms, references
that point nowhere). Each is lenient about representation and strict about loss:
a value it cannot interpret is returned as stored, never dropped.

Imports only numpy, h5py and the standard library (compiled packages vendor it),
and never generated code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5i, h5l, h5o, h5r, h5s

from .lazy import HDF5ReadError, LazyArray, base_kind, decode_values

__all__ = [
    "DanglingLinkError",
    "DanglingReferenceError",
    "Dereferencer",
    "ExternalLink",
    "ExternalLinkInfo",
    "ReferenceCycleError",
    "Resolver",
    "SoftLinkInfo",
    "UnknownMembers",
    "close_external_files",
    "decode_attribute",
    "follow_link",
    "member_link",
    "neurodata_type_of",
    "object_key",
    "read_attribute",
    "read_dataset",
    "region_selection",
    "unknown_members",
]


class DanglingReferenceError(HDF5ReadError):
    """An object or region reference to no object."""


class DanglingLinkError(HDF5ReadError):
    """A soft or external link whose target does not exist."""


class ReferenceCycleError(HDF5ReadError):
    """An object reached again while it is being built, with no placeholder."""


class Dereferencer(Protocol):
    """What resolves references while reading: a :class:`Resolver`, or a read
    context that builds models through generated readers."""

    def deref(
        self,
        ref: Any,
        from_obj: Any,
        *,
        build: Callable[[Any], Any] | None = None,
        where: str | None = None,
    ) -> Any: ...


# --- values ----------------------------------------------------------------


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
        return float(str(value)) if value.dtype.itemsize < 8 else float(value)
    return value.item()


def read_attribute(
    obj: Any,
    name: str,
    kind: Any = None,
    *,
    scalar: bool | None = None,
    default: Any = None,
    resolver: Dereferencer | None = None,
) -> Any:
    """Attribute ``name`` of ``obj`` decoded (see :func:`decode_attribute`), or
    ``default`` when absent. References resolve through ``resolver`` if given."""
    try:
        value = obj.attrs[name]
    except KeyError:
        return default
    resolve = None
    if resolver is not None:
        where = f"attribute {name!r}"

        def resolve(ref: Any) -> Any:
            return resolver.deref(ref, obj, where=where)

    return decode_attribute(value, kind, scalar=scalar, resolve=resolve)


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
    if resolver is not None:

        def resolve(ref: Any) -> Any:
            return resolver.deref(ref, dataset)

    shape = dataset.shape
    if scalar and (shape is None or int(np.prod(shape, dtype=np.int64)) <= 1):
        if shape is None:
            return None
        return decode_attribute(dataset[()], kind, scalar=True, resolve=resolve)
    return LazyArray(dataset, kind, resolve, name=name, filename=filename)


# --- identity and references -----------------------------------------------


def object_key(obj: Any) -> tuple[int, int]:
    """(file number, object header address): equal for every path to one object.

    HDF5 numbers each open file, so objects of two files (through external links)
    never collide, and hard links to one object share its header address. One
    ``H5Oget_info`` call (a few microseconds); no path search.
    """
    info = h5o.get_info(obj.id if isinstance(obj, h5py.HLObject) else obj)
    return (info.fileno, info.addr)


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
                f"{_where(obj)}: a different object is already registered for it"
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
                f"{_where(obj)}: reached again while it is being built; its build "
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
        try:
            oid = h5r.dereference(ref, from_obj.id)
        except (KeyError, ValueError, RuntimeError, OSError):
            oid = None
        if oid is None:
            raise DanglingReferenceError(_dangling(from_obj, where))
        key = object_key(oid)
        model = self._models.get(key)
        if model is None:
            target = _high_level(oid)
            if not target.name:  # alive but unlinked: no path reaches it
                raise DanglingReferenceError(_dangling(from_obj, where))
            model = self.get_or_build(target, build)
        if isinstance(ref, h5py.RegionReference):
            return model, region_selection(ref, from_obj)
        return model


def _high_level(oid: Any) -> Any:
    kind = h5i.get_type(oid)
    if kind == h5i.DATASET:
        return h5py.Dataset(oid)
    if kind == h5i.GROUP:
        return h5py.Group(oid)
    return h5py.Datatype(oid)


def _where(obj: Any) -> str:
    return f"{obj.file.filename}:{obj.name}"


def _dangling(from_obj: Any, where: str | None) -> str:
    site = f" {where}" if where else ""
    return (
        f"{_where(from_obj)}:{site} refers to an object that does not exist "
        "(dangling reference)"
    )


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


# --- links -----------------------------------------------------------------


@dataclass(frozen=True)
class SoftLinkInfo:
    """A soft link as stored: the path it names in the same file."""

    path: str


@dataclass(frozen=True)
class ExternalLinkInfo:
    """An external link as stored: a file name (often relative) and a path in it."""

    filename: str
    path: str


def member_link(group: h5py.Group, name: str) -> SoftLinkInfo | ExternalLinkInfo | None:
    """How ``name`` is linked in ``group``: ``None`` for an ordinary (hard) member.

    Reads the link only, never its target, so it works on dangling links.
    Raises ``KeyError`` when ``group`` has no member ``name``.
    """
    bname = name.encode("utf-8")
    links = group.id.links
    if not links.exists(bname):
        raise KeyError(f"{_where(group)}: no member {name!r}")
    kind = links.get_info(bname).type
    if kind == h5l.TYPE_HARD:
        return None
    if kind == h5l.TYPE_SOFT:
        return SoftLinkInfo(links.get_val(bname).decode("utf-8"))
    if kind == h5l.TYPE_EXTERNAL:
        filename, path = links.get_val(bname)
        return ExternalLinkInfo(filename.decode("utf-8"), path.decode("utf-8"))
    raise ValueError(f"{_where(group)}/{name}: user-defined link type {kind}")


def follow_link(group: h5py.Group, name: str) -> Any:
    """The object ``name`` reaches (links followed by HDF5), or a clear error."""
    target = group.get(name)
    if target is not None:
        return target
    link = member_link(group, name)  # KeyError if there is no such member
    holder = f"{_where(group).rstrip('/')}/{name}"
    if isinstance(link, ExternalLinkInfo):
        raise DanglingLinkError(
            f"{holder}: external link to {link.path} in {link.filename}: "
            "no such file or object"
        )
    path = link.path if isinstance(link, SoftLinkInfo) else name
    raise DanglingLinkError(f"{holder}: soft link to {path}: no such object")


_OPEN_FILES: dict[str, h5py.File] = {}


@dataclass(frozen=True)
class ExternalLink:
    """A link into another file, held by a model instead of the target's model.

    A value (frozen, compared by value), so a model can be read, compared and
    written back without the other file present. ``source`` is the file holding the
    link: a relative ``filename`` is looked up beside it first, as HDF5 does.
    """

    filename: str
    path: str
    source: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, group: h5py.Group, name: str) -> ExternalLink:
        """The external link ``name`` of ``group`` as a value."""
        link = member_link(group, name)
        if not isinstance(link, ExternalLinkInfo):
            raise TypeError(f"{_where(group)}/{name} is not an external link")
        return cls(link.filename, link.path, group.file.filename)

    def candidates(self) -> list[str]:
        if os.path.isabs(self.filename) or not self.source:
            return [self.filename]
        beside = os.path.join(
            os.path.dirname(os.path.abspath(self.source)), self.filename
        )
        return [beside, self.filename]

    def resolve(self) -> Any:
        """The target object, its file opened read-only once and kept open (see
        :func:`close_external_files`)."""
        for candidate in self.candidates():
            if os.path.exists(candidate):
                h5f = _open_read_only(candidate)
                target = h5f.get(self.path)
                if target is None:
                    raise DanglingLinkError(
                        f"{self.source}: external link to {self.path} in "
                        f"{candidate}: no such object"
                    )
                return target
        raise DanglingLinkError(
            f"{self.source}: external link to {self.path} in {self.filename}: "
            "no such file"
        )


def _open_read_only(path: str) -> h5py.File:
    key = os.path.realpath(path)
    h5f = _OPEN_FILES.get(key)
    if h5f is None or not h5f.id.valid:
        h5f = _OPEN_FILES[key] = h5py.File(key, "r")
    return h5f


def close_external_files() -> None:
    """Close every file :meth:`ExternalLink.resolve` opened."""
    while _OPEN_FILES:
        _, h5f = _OPEN_FILES.popitem()
        if h5f.id.valid:
            h5f.close()


# --- types and what the schema does not name -------------------------------


def neurodata_type_of(obj: Any) -> tuple[str | None, str] | None:
    """``(namespace, type)`` from the ``neurodata_type`` (NWB) or ``data_type``
    (hdmf) attribute and ``namespace``; ``None`` for an untyped object. A missing
    namespace reads as ``None`` for the dispatcher to settle."""
    attrs = obj.attrs
    for name in ("neurodata_type", "data_type"):
        if name in attrs:
            kind = decode_attribute(attrs[name], "text", scalar=True)
            namespace = read_attribute(obj, "namespace", "text", scalar=True)
            return namespace, kind
    return None


@dataclass
class UnknownMembers:
    """What an object holds beyond its schema, kept so that nothing is lost."""

    attributes: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, LazyArray] = field(default_factory=dict)
    groups: dict[str, h5py.Group] = field(default_factory=dict)
    #: soft and external links, not followed (possibly dangling)
    links: dict[str, SoftLinkInfo | ExternalLinkInfo] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.attributes or self.datasets or self.groups or self.links)


def unknown_members(
    obj: Any,
    known_attrs: Iterable[str] = (),
    known_members: Iterable[str] = (),
    *,
    resolver: Dereferencer | None = None,
) -> UnknownMembers:
    """The attributes, datasets, groups and links of ``obj`` not in the known names.

    Attributes are decoded with no schema dtype (numpy scalars keep their dtype);
    datasets come back as :class:`LazyArray`, groups as h5py groups for the
    dispatcher, soft and external links as their link info.
    """
    out = UnknownMembers()
    known_attrs = frozenset(known_attrs)
    for name in obj.attrs:
        if name not in known_attrs:
            out.attributes[name] = read_attribute(obj, name, resolver=resolver)
    if not isinstance(obj, h5py.Group):
        return out
    known_members = frozenset(known_members)
    for name in obj:
        if name in known_members:
            continue
        link = member_link(obj, name)
        if link is not None:
            out.links[name] = link
            continue
        member = obj[name]
        if isinstance(member, h5py.Dataset):
            out.datasets[name] = read_dataset(member, resolver=resolver)
        elif isinstance(member, h5py.Group):
            out.groups[name] = member
    return out
