"""What generated ``_reader`` modules run on: one read of one file.

A generated reader function knows its type's members and their dtypes; it asks a
:class:`Frame` (one per HDF5 object) for each member by name, and the frame does the
HDF5 work: attributes read once per object, members listed once per group, models
built once per HDF5 object (hard links, references and links share them), and what
the schema does not name kept on the model's :class:`Source`.

Schema violations never stop a read: each is collected as a :class:`Violation` with
its HDF5 path; :class:`ReadContext` in strict mode raises them together at the end.

Imports only numpy, h5py, pydantic and the standard library (vendored into compiled
packages) and never generated code: readers register themselves with the context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5, h5a, h5l, h5o, h5r, h5t
from pydantic import ValidationError

from .h5read import (
    DanglingLinkError,
    ExternalLink,
    ExternalLinkInfo,
    SoftLinkInfo,
    UnknownMembers,
    _high_level,
    _where,
    decode_attribute,
    member_link,
    object_key,
    read_dataset,
    region_selection,
)
from .lazy import HDF5ReadError, LazyArray

__all__ = [
    "Frame",
    "ReadContext",
    "Reader",
    "SchemaViolationError",
    "Source",
    "UnknownTypeError",
    "Violation",
    "has_type",
    "source_of",
]

#: a generated reader: (context, HDF5 object, its attributes) -> model
Reader = Callable[["ReadContext", Any, dict[str, Any]], Any]

#: path searches (h5py ``name``) before the read indexes the file's paths instead
INDEX_AFTER = 2

#: attributes every typed object carries; the writer writes them again
TYPE_ATTRIBUTES = frozenset({"neurodata_type", "data_type", "namespace", "object_id"})


class SchemaViolationError(HDF5ReadError):
    """A strict read found objects that break their schema; lists every one."""

    def __init__(self, filename: str, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{filename}: {len(violations)} schema violation(s):\n{lines}")


class UnknownTypeError(HDF5ReadError):
    """An object names a neurodata type no loaded namespace defines."""


@dataclass(frozen=True)
class Violation:
    """One way an object breaks its schema, at one HDF5 path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Source:
    """Where a model was read from, and what its object held beyond the schema.

    Kept on the model (see :func:`source_of`) so that a later write can put every
    attribute, member and link back as it was.
    """

    filename: str
    path: str
    object_id: str | None = None
    #: attributes, datasets, groups and links the schema does not name
    unknown: UnknownMembers = field(default_factory=UnknownMembers)
    #: typed members the schema has no place for, read as models
    extra_children: dict[str, Any] = field(default_factory=dict)
    #: members stored as soft or external links: HDF5 name -> the link as stored
    links: dict[str, SoftLinkInfo | ExternalLinkInfo] = field(default_factory=dict)
    #: attributes of untyped member datasets the schema gives no class: name -> attrs
    member_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: stored numeric dtypes of values decoded to Python numbers, by attribute or
    #: member name ("" for a dataset's own value), so a write keeps them
    dtypes: dict[str, Any] = field(default_factory=dict)
    #: the attribute naming the type: "neurodata_type" (NWB) or "data_type" (hdmf)
    type_attribute: str = "neurodata_type"


def source_of(model: Any) -> Source | None:
    """The :class:`Source` of a model read from a file; ``None`` for one built in
    Python."""
    private = getattr(model, "__pydantic_private__", None) or {}
    return private.get("_h5")


class ReadContext:
    """One read: the readers of every loaded namespace, the models built so far (by
    HDF5 object identity) and the violations found."""

    def __init__(
        self,
        types: dict[tuple[str, str], type],
        readers: dict[type, Reader],
        *,
        strict: bool = False,
        validate: bool = True,
    ) -> None:
        #: (namespace, neurodata_type) -> model class
        self.types = types
        #: model class (typed or nested member class) -> its generated reader
        self.readers = readers
        self.strict = strict
        self.validate = validate
        self.violations: list[Violation] = []
        self._models: dict[tuple[int, int], Any] = {}
        self._upgrading: set[tuple[int, int]] = set()
        self._path: str | None = None  # of the object build() hands to a reader
        self._index: dict[tuple[int, int], str] | None = None
        self._searches = 0
        #: the file read (its name is asked of HDF5 once)
        self.filename = ""
        self._by_name: dict[str, list[type]] = {}
        for (_, type_name), cls in types.items():
            self._by_name.setdefault(type_name, []).append(cls)

    # -- entry points -------------------------------------------------------------
    def read(self, h5obj: Any, expected: type | None = None) -> Any:
        """The model of any HDF5 object: typed objects by their type, else as
        ``expected`` (a model class) says."""
        return self.build(h5obj, expected)

    def known(self, h5obj: Any) -> Any:
        """The model already built for ``h5obj``, or ``None``."""
        return self._models.get(object_key(h5obj))

    def path_of(self, h5obj: Any) -> str | None:
        """Where an object reached by reference lives (``None``: nowhere). h5py's
        ``name`` searches the file each time; after a few such searches one walk
        of the file indexes every object's path instead."""
        if self._index is None:
            self._searches += 1
            if self._searches <= INDEX_AFTER:
                return h5obj.name or None
            self._index = _path_index(h5obj.file)
        return self._index.get(object_key(h5obj))

    def violation(self, path: str, message: str) -> None:
        self.violations.append(Violation(path, message))

    def check(self, filename: str) -> None:
        """Raise the collected violations in strict mode."""
        if self.strict and self.violations:
            raise SchemaViolationError(filename, self.violations)

    # -- dispatch -----------------------------------------------------------------
    def build(
        self,
        h5obj: Any,
        expected: type | None,
        fallback: type | None = None,
        path: str | None = None,
    ) -> Any:
        """The model of ``h5obj`` (built once): by its ``neurodata_type`` when it has
        one, else as the ``expected`` class. ``path`` is where it lives, when the
        caller knows (h5py's ``name`` asks HDF5 to search the file for one)."""
        key = object_key(h5obj)
        model = self._models.get(key)
        if model is not None:
            if (
                expected is None
                or isinstance(model, expected)
                or not issubclass(expected, type(model))
                or key in self._upgrading
            ):
                return model
            # reached first through a reference, as its stored type; the schema
            # refines it here (a table column with its own class): read it again
            # as the refined class into the same object, which is already shared
            self._upgrading.add(key)
            try:
                object.__setattr__(model, "__class__", expected)
                self._path = _source_path(model) or path
                return self.readers[expected](self, h5obj, _attributes(h5obj))
            finally:
                self._upgrading.discard(key)
        attrs = _attributes(h5obj)
        if path is None:
            path = h5obj.name
        cls = self._class_of(path, attrs, expected, fallback)
        if cls is None:
            return None
        reader = self.readers.get(cls)
        if reader is None:
            raise UnknownTypeError(
                f"{_where(h5obj)}: no reader for {cls.__module__}.{cls.__name__}"
            )
        self._path = path
        return reader(self, h5obj, attrs)

    def _class_of(
        self,
        path: str,
        attrs: dict[str, Any],
        expected: type | None,
        fallback: type | None = None,
    ) -> type | None:
        type_name = _text(attrs.get("neurodata_type", attrs.get("data_type")))
        if type_name is None:
            return expected
        namespace = _text(attrs.get("namespace"))
        cls = self.types.get((namespace, type_name)) if namespace else None
        if cls is None:
            candidates = self._by_name.get(type_name, [])
            if expected is not None:  # a type of that name the schema allows here
                fitting = [c for c in candidates if issubclass(c, expected)]
                candidates = fitting or candidates
            if candidates:
                cls = candidates[0]
                if namespace:
                    self.violation(
                        path,
                        f"type {type_name!r} is not in namespace {namespace!r}; "
                        f"read as {getattr(cls, '__nwb_type__', ('?',))[0]}:{type_name}",
                    )
        if cls is not None and expected is not None and issubclass(expected, cls):
            return expected  # the schema refines the stored type in place
        if cls is None:
            known = f" of namespace {namespace!r}" if namespace else ""
            read_as = expected or fallback
            self.violation(
                path,
                f"unknown type {type_name!r}{known}"
                + (f"; read as {read_as.__name__}" if read_as is not None else ""),
            )
            return read_as
        if expected is not None and not issubclass(cls, expected):
            self.violation(
                path,
                f"is a {type_name}, where the schema expects a {expected.__name__}",
            )
        return cls

    def common_base(self, classes: tuple[type, ...]) -> type | None:
        """The most derived class with a reader that all ``classes`` derive from:
        what an object of an unknown type among them is read as."""
        for cls in classes[0].__mro__:
            if cls in self.readers and all(issubclass(c, cls) for c in classes):
                return cls
        return None

    # -- frames -------------------------------------------------------------------
    def begin(self, h5obj: Any, attrs: dict[str, Any], cls: type) -> Frame:
        """Start reading ``h5obj`` as ``cls``: its model is registered (empty) before
        any member is read, so that references back to it (cycles) get it."""
        key = object_key(h5obj)
        model = self._models.get(key) if key in self._upgrading else None
        if model is None:
            model = object.__new__(cls)
            self._models.setdefault(key, model)
        path, self._path = self._path or h5obj.name, None
        return Frame(self, h5obj, attrs, model, path)

    def finish(self, frame: Frame) -> Any:
        """Fill the frame's model: validated when it can be, else as read, with each
        validation error recorded as a violation of its HDF5 path."""
        model, values = frame.model, frame.values
        cls = type(model)
        if self.validate:
            try:
                cls.__init__(model, **values)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    loc = ".".join(str(p) for p in error["loc"])
                    self.violation(frame.path, f"{loc}: {error['msg']}")
                _construct_into(model, values)
        else:
            _construct_into(model, values)
        object.__setattr__(model, "__pydantic_private__", {"_h5": frame.source})
        return model


def _construct_into(model: Any, values: dict[str, Any]) -> None:
    """``model_construct`` into an existing instance: defaults for absent fields,
    ``None`` for absent required ones."""
    fields = type(model).__pydantic_fields__
    data: dict[str, Any] = {}
    for name, info in fields.items():
        if name in values:
            data[name] = values[name]
        elif info.is_required():
            data[name] = None
        else:
            data[name] = info.get_default(call_default_factory=True)
    object.__setattr__(model, "__dict__", data)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)


class Frame:
    """The read of one HDF5 object: what generated code asks for, member by member.

    Every ``attribute``/``member``/... call takes the model field name and the HDF5
    name, and stores a value only when the object has that member, so that the
    model's defaults apply otherwise.
    """

    __slots__ = (
        "attrs",
        "ctx",
        "h5obj",
        "members",
        "model",
        "opened",
        "path",
        "source",
        "values",
    )

    def __init__(
        self,
        ctx: ReadContext,
        h5obj: Any,
        attrs: dict[str, Any],
        model: Any,
        path: str,
    ) -> None:
        self.ctx = ctx
        self.h5obj = h5obj
        self.model = model
        self.path: str = path or "/"
        self.opened: str | None = None  # path of the member _open() returned last
        self.attrs = dict(attrs)  # consumed as read
        self.members = _links(h5obj) if isinstance(h5obj, h5py.Group) else {}
        self.source = Source(ctx.filename or h5obj.file.filename, self.path)
        self.values: dict[str, Any] = {"name": self.path.rsplit("/", 1)[-1] or "root"}

    # -- attributes and values -----------------------------------------------------
    def attribute(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        if h5_name not in self.attrs:
            return
        raw = self.attrs.pop(h5_name)
        dtype = getattr(raw, "dtype", None)
        if dtype is not None and dtype.kind in "biuf":
            self.source.dtypes[h5_name] = dtype
        self.values[field] = self._decode(raw, kind, scalar, f"attribute {h5_name!r}")

    def _decode(self, raw: Any, kind: Any, scalar: bool | None, where: str) -> Any:

        def resolve(ref: Any) -> Any:  # called for references only
            return self.deref(ref, where)

        return decode_attribute(raw, kind, scalar=scalar, resolve=resolve)

    def value(self, kind: Any, scalar: bool) -> None:
        """A dataset's own values: scalars now, arrays lazily."""
        value = read_dataset(
            self.h5obj,
            kind,
            scalar=scalar,
            resolver=_Deref(self),
            name=self.path,
            filename=self.source.filename,
        )
        if scalar and not isinstance(value, LazyArray):
            _keep_dtype(self.source, "", self.h5obj)
        self.values["value"] = value

    def deref(self, ref: Any, where: str | None = None) -> Any:
        """The model an object (or region) reference points to; ``None`` if null."""
        return _Deref(self).deref(ref, self.h5obj, where=where)

    # -- members -------------------------------------------------------------------
    def _open(self, h5_name: str) -> Any:
        """The member's HDF5 object (links followed), ``None`` if it is absent; an
        external link whose file is missing stays an :class:`ExternalLink`."""
        kind = self.members.pop(h5_name, None)
        self.opened = None
        if kind is None:
            return None
        if kind == h5l.TYPE_HARD:
            self.opened = f"{self.path.rstrip('/')}/{h5_name}"
            return _open_member(self.h5obj, h5_name)
        group = self.h5obj
        if kind not in (h5l.TYPE_SOFT, h5l.TYPE_EXTERNAL):
            self.ctx.violation(
                f"{self.path.rstrip('/')}/{h5_name}", f"user-defined link type {kind}"
            )
            return None
        link = member_link(group, h5_name)
        assert link is not None  # soft or external, as listed
        self.source.links[h5_name] = link
        if isinstance(link, SoftLinkInfo):
            target = link.path
            # opened by its target path, so that the object's name (and its home
            # when written back) is where it lives, not where it is linked from
            found = group.file.get(target) if target.startswith("/") else None
            if found is None:
                found = group.get(h5_name)
            else:
                self.opened = target
            if found is None:
                self.ctx.violation(
                    f"{self.path.rstrip('/')}/{h5_name}",
                    f"soft link to {target}: no such object (dangling link)",
                )
            return found
        external = ExternalLink(link.filename, link.path, self.source.filename)
        try:
            return external.resolve()
        except DanglingLinkError:
            return external

    def member(self, field: str, h5_name: str, cls: type) -> None:
        """A named subgroup or dataset read as ``cls`` (or the subtype it names)."""
        obj = self._open(h5_name)
        if obj is None:
            return
        if isinstance(obj, ExternalLink):
            self.values[field] = obj
            return
        self.values[field] = self.ctx.build(obj, cls, path=self.opened)

    def dataset(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        """A named untyped dataset with no class of its own: its values."""
        obj = self._open(h5_name)
        if obj is None:
            return
        if isinstance(obj, ExternalLink):
            self.values[field] = obj
            return
        path = self.opened or obj.name
        if not isinstance(obj, h5py.Dataset):
            self.ctx.violation(path, "is a group, where the schema expects a dataset")
            self.source.unknown.groups[h5_name] = obj
            return
        extra = _attributes(obj)
        if extra:
            self.source.member_attributes[h5_name] = extra
        value = read_dataset(
            obj,
            kind,
            scalar=scalar,
            resolver=_Deref(self),
            name=path,
            filename=self.source.filename,
        )
        if scalar and not isinstance(value, LazyArray):
            _keep_dtype(self.source, h5_name, obj)
        self.values[field] = value

    def link(self, field: str, h5_name: str, cls: type) -> None:
        """A named link: the model of its target; the link itself is remembered
        (a hard link where the schema says link reads the same, as a member)."""
        self.member(field, h5_name, cls)

    def children(self, field: str, allowed: tuple[type, ...]) -> None:
        """Every remaining typed member (and link to a typed object), by HDF5 name."""
        out: dict[str, Any] = {}
        for h5_name in list(self.members):
            kind = self.members[h5_name]
            if kind == h5l.TYPE_HARD and not _is_typed(self.h5obj, h5_name):
                continue  # untyped: stays unknown
            obj = self._open(h5_name)
            if obj is None:
                continue
            if isinstance(obj, ExternalLink):
                out[h5_name] = obj
                continue
            if not has_type(obj):
                self.members[h5_name] = kind  # a link to something untyped
                self.source.links.pop(h5_name, None)
                continue
            if len(allowed) == 1:
                out[h5_name] = self.ctx.build(obj, allowed[0], path=self.opened)
            else:
                base = self.ctx.common_base(allowed)
                out[h5_name] = self.ctx.build(obj, None, base, self.opened)
        if out:
            self.values[field] = out

    # -- the end -------------------------------------------------------------------
    def end(self) -> Any:
        """What is left is kept on the model's :class:`Source`; then the model is
        filled (see :meth:`ReadContext.finish`)."""
        source = self.source
        attrs = self.attrs
        object_id = attrs.pop("object_id", None)
        if object_id is not None:
            source.object_id = decode_attribute(object_id, "text", scalar=True)
        if "data_type" in attrs and "neurodata_type" not in attrs:
            source.type_attribute = "data_type"
        for name in TYPE_ATTRIBUTES:
            attrs.pop(name, None)
        for name, raw in attrs.items():
            source.unknown.attributes[name] = self._decode(
                raw, None, None, f"attribute {name!r}"
            )
        for h5_name in list(self.members):
            self._keep_unknown(h5_name)
        return self.ctx.finish(self)

    def _keep_unknown(self, h5_name: str) -> None:
        kind = self.members.pop(h5_name)
        unknown = self.source.unknown
        group = self.h5obj
        if kind != h5l.TYPE_HARD:
            link = member_link(group, h5_name)
            if link is not None:
                unknown.links[h5_name] = link
            return
        obj = _open_member(group, h5_name)
        path = f"{self.path.rstrip('/')}/{h5_name}"
        if _is_typed(group, h5_name):
            self.source.extra_children[h5_name] = self.ctx.build(obj, None, path=path)
            self.ctx.violation(path, "a typed member the schema has no place for")
        elif isinstance(obj, h5py.Dataset):
            unknown.datasets[h5_name] = read_dataset(
                obj, resolver=_Deref(self), name=path, filename=self.source.filename
            )
        else:
            unknown.groups[h5_name] = obj


class _Deref:
    """What :func:`read_dataset` and lazy arrays call to resolve references: the
    context's models, built on first use."""

    __slots__ = ("frame",)

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def deref(
        self, ref: Any, from_obj: Any, *, build: Any = None, where: str | None = None
    ) -> Any:
        if not ref:
            return None
        try:
            oid = h5r.dereference(ref, from_obj.id)
        except (KeyError, ValueError, RuntimeError, OSError):
            oid = None

        def holder() -> str:  # named only for a violation: h5py's name searches
            path = self.frame.path if from_obj is self.frame.h5obj else from_obj.name
            return f"{path}" + (f" {where}" if where else "")

        if oid is None:
            self.frame.ctx.violation(
                holder(), "refers to no object (dangling reference)"
            )
            return None
        target = _high_level(oid)
        ctx = self.frame.ctx
        model = ctx.known(target)
        if model is not None:
            return _with_region(model, ref, from_obj)
        path = ctx.path_of(target)
        if not path:
            ctx.violation(holder(), "refers to an unlinked object (dangling)")
            return None
        return _with_region(ctx.build(target, None, path=path), ref, from_obj)


def _with_region(model: Any, ref: Any, from_obj: Any) -> Any:
    if isinstance(ref, h5py.RegionReference):
        return model, region_selection(ref, from_obj)
    return model


# --- HDF5 helpers -------------------------------------------------------------


def _path_index(h5file: Any) -> dict[tuple[int, int], str]:
    """(file number, address) -> a path, for every object of a file: one walk."""
    index: dict[tuple[int, int], str] = {}

    def visit(name: bytes, info: Any) -> None:
        text = name.decode("utf-8")
        path = "/" if text == "." else f"/{text}"
        index.setdefault((info.fileno, info.addr), path)

    h5o.visit(h5file.id, visit, info=True)
    return index


def _source_path(model: Any) -> str | None:
    source = source_of(model)
    return source.path if source is not None else None


def _keep_dtype(source: Source, name: str, dataset: Any) -> None:
    """Remember a scalar dataset's numeric dtype (its value became a Python number)."""
    dtype = dataset.dtype
    if dtype.kind in "biuf":
        source.dtypes[name] = dtype


def _attributes(h5obj: Any) -> dict[str, Any]:
    """Every attribute of an object, as stored, in one pass.

    What ``h5obj.attrs[name]`` does, through h5py's low-level calls: about a third
    faster, which matters when reading is mostly reading attributes. Variable-length
    strings come back as ``bytes`` (the decoders make them ``str``); an attribute
    it cannot read this way is read the high-level way.
    """
    oid = h5obj.id
    names: list[bytes] = []
    h5a.iterate(oid, lambda name, *_: names.append(name), index_type=h5.INDEX_NAME)
    out: dict[str, Any] = {}
    for bname in names:
        name = bname.decode("utf-8", "surrogateescape")
        try:
            out[name] = _read_attribute(h5a.open(oid, bname))
        except (TypeError, ValueError, OSError):
            out[name] = h5obj.attrs[name]
    return out


def _read_attribute(attr: Any) -> Any:
    shape = attr.shape
    dtype = attr.dtype
    if shape is None:
        return h5py.Empty(dtype)
    mtype = h5t.py_create(dtype)
    if dtype.subdtype is not None:  # an array type: numpy has no such scalar
        dtype, inner = dtype.subdtype
        shape = shape + inner
    values = np.zeros(shape, dtype=dtype)
    attr.read(values, mtype=mtype)
    return values[()] if values.ndim == 0 else values


def _links(group: h5py.Group) -> dict[str, int]:
    """Member name -> link type (hard, soft, external), in one pass, opening none."""
    out: dict[str, int] = {}

    def visit(name: bytes, info: Any) -> None:
        out[name.decode("utf-8")] = info.type

    group.id.links.iterate(visit, info=True)
    return out


def _open_member(group: h5py.Group, name: str) -> Any:
    return _high_level(h5o.open(group.id, name.encode("utf-8")))


def has_type(obj: Any) -> bool:
    """The object names its type (``neurodata_type``, or hdmf's ``data_type``)."""
    attrs = obj.attrs
    return "neurodata_type" in attrs or "data_type" in attrs


def _is_typed(group: h5py.Group, name: str) -> bool:
    bname = name.encode("utf-8")
    return bool(
        h5a.exists(group.id, b"neurodata_type", obj_name=bname)
        or h5a.exists(group.id, b"data_type", obj_name=bname)
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    out = decode_attribute(value, "text", scalar=True)
    return out if isinstance(out, str) else None


def merge_registries(
    packages: Iterable[Any],
) -> tuple[dict[tuple[str, str], type], dict[type, Reader]]:
    """(types, readers) of several generated version packages, for a context."""
    types: dict[tuple[str, str], type] = {}
    readers: dict[type, Reader] = {}
    for package in packages:
        for type_name, cls in package.TYPES.items():
            types[(package.NAMESPACE, type_name)] = cls
        readers.update(package.readers())
    return types, readers
