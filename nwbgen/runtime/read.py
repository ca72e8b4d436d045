"""What generated ``_reader`` modules run on: one read of one file.

A generated reader function knows its type's members and their dtypes; it asks a
:class:`ReadFrame` (one per HDF5 object) for each member by name, and the frame does the
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
from typing import Any

import h5py  # type: ignore[import-untyped]
from h5py import h5l
from pydantic import ValidationError

from .errors import (
    DanglingLinkError,
    LinkCycleError,
    SchemaViolationError,
    UnknownTypeError,
)
from .hdf5.attributes import (
    TYPE_ATTRIBUTES,
    has_type,
    is_typed,
    read_attributes,
    type_text,
)
from .hdf5.files import damaged, is_hdf5_failure, reading
from .hdf5.lazy import LazyArray, read_dataset
from .hdf5.links import (
    ExternalLink,
    SoftLinkInfo,
    member_link,
    member_links,
    resolve_path,
)
from .hdf5.objects import ObjectMap, dereference, location, object_key, open_member
from .hdf5.references import region_selection
from .hdf5.structure import CHECK_ITEMS, index_problem, region_problem
from .hdf5.values import decode_attribute
from .models.tables import DynamicTableRegionMixin, VectorIndexMixin
from .source import Source, Violation, source_of

__all__ = [
    "ReadContext",
    "ReadFrame",
    "Reader",
    "SchemaViolationError",
    "Source",
    "UnknownTypeError",
    "Violation",
    "has_type",
    "merge_registries",
    "source_of",
]

#: a generated reader: (context, HDF5 object, its attributes) -> model
Reader = Callable[["ReadContext", Any, dict[str, Any]], Any]

#: path searches (h5py ``name``) before the read indexes the file's paths instead
INDEX_AFTER = 2


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
        self._index: ObjectMap | None = None
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
            self._index = ObjectMap(h5obj.file)
        return self._index.path_at(object_key(h5obj))

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
        caller knows (h5py's ``name`` asks HDF5 to search the file for one).

        HDF5 failing to read the object (a damaged block) is a
        :class:`~nwbgen.errors.DamagedFileError` naming it (the innermost object
        being read, when one is inside another)."""
        try:
            return self._build(h5obj, expected, fallback, path)
        except (OSError, RuntimeError) as exc:
            if not is_hdf5_failure(exc):
                raise
            where = path or _name_of(h5obj)
            raise damaged(self.filename or _filename_of(h5obj), where, exc) from None

    def _build(
        self,
        h5obj: Any,
        expected: type | None,
        fallback: type | None,
        path: str | None,
    ) -> Any:
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
                return self.readers[expected](self, h5obj, read_attributes(h5obj))
            finally:
                self._upgrading.discard(key)
        attrs = read_attributes(h5obj)
        if path is None:
            path = h5obj.name
        cls = self._class_of(path, attrs, expected, fallback)
        if cls is None:
            return None
        reader = self.readers.get(cls)
        if reader is None:
            raise UnknownTypeError(
                f"{location(h5obj)}: no reader for {cls.__module__}.{cls.__name__}"
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
        type_name = type_text(attrs.get("neurodata_type", attrs.get("data_type")))
        if type_name is None:
            return expected
        namespace = type_text(attrs.get("namespace"))
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
    def begin(self, h5obj: Any, attrs: dict[str, Any], cls: type) -> ReadFrame:
        """Start reading ``h5obj`` as ``cls``: its model is registered (empty) before
        any member is read, so that references back to it (cycles) get it."""
        key = object_key(h5obj)
        model = self._models.get(key) if key in self._upgrading else None
        if model is None:
            model = object.__new__(cls)
            self._models.setdefault(key, model)
        path, self._path = self._path or h5obj.name, None
        return ReadFrame(self, h5obj, attrs, model, path)

    def finish(self, frame: ReadFrame) -> Any:
        """Fill the frame's model: validated when it can be, else as read, with each
        validation error recorded as a violation of its HDF5 path."""
        model, values = frame.model, frame.values
        cls = type(model)
        if isinstance(model, (VectorIndexMixin, DynamicTableRegionMixin)):
            self._check_structure(frame)
        if self.validate:
            try:
                cls.__init__(model, **values)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    loc = ".".join(str(p) for p in error["loc"])
                    self.violation(frame.path, f"{loc}: {error['msg']}")
                    if error["loc"]:
                        frame.source.as_read.add(str(error["loc"][0]))
                _construct_into(model, values)
        else:
            _construct_into(model, values)
        object.__setattr__(model, "__pydantic_private__", {"_h5": frame.source})
        return model

    def _check_structure(self, frame: ReadFrame) -> None:
        """A VectorIndex's values within its target, a DynamicTableRegion's rows
        within its table: a violation of the object's path when they are not
        (every value read in strict mode; at most :data:`CHECK_ITEMS` otherwise)."""
        limit = None if self.strict else CHECK_ITEMS
        if isinstance(frame.model, VectorIndexMixin):
            problem = index_problem(frame.h5obj, limit)
        else:
            problem = region_problem(frame.h5obj, limit)
        if problem:
            self.violation(frame.path, problem)


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


class ReadFrame:
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
        self.members = member_links(h5obj) if isinstance(h5obj, h5py.Group) else {}
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
            self.opened = self._child(h5_name)
            with reading(self.source.filename, self.opened):
                return open_member(self.h5obj, h5_name)
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
            # followed one link at a time and opened by the path of hard links it
            # ends at, so that the object's name (and its home when written back)
            # is where it lives, not where it is linked from
            here = self._child(h5_name)
            try:
                with reading(self.source.filename, here):
                    found = resolve_path(group.file, h5_name, group)
            except LinkCycleError as exc:
                chain = " -> ".join(getattr(exc, "chain", ()) or (here, link.path))
                self._broken_link(
                    h5_name, f"soft link to {link.path}: a cycle of soft links ({chain})"
                )
                return None
            if found.obj is None:
                self._broken_link(
                    h5_name, f"soft link to {link.path}: no such object (dangling link)"
                )
                return None
            if found.path:
                self.opened = found.path
            return found.obj
        external = ExternalLink(link.filename, link.path, self.source.filename)
        try:
            return external.resolve()
        except DanglingLinkError:
            return external

    def _child(self, h5_name: str) -> str:
        return f"{self.path.rstrip('/')}/{h5_name}"

    def _broken_link(self, h5_name: str, message: str) -> None:
        """A soft link that reaches no object: a violation, and the link kept as
        stored so that writing the model back writes it again."""
        self.ctx.violation(self._child(h5_name), message)
        link = self.source.links.pop(h5_name, None)
        if link is not None:
            self.source.unknown.links[h5_name] = link

    def _target(self, field: str, h5_name: str) -> Any:
        """:meth:`_open`; an external link to a missing file is the field's value
        as it is (and ``None`` is returned: nothing more to read)."""
        obj = self._open(h5_name)
        if isinstance(obj, ExternalLink):
            self.values[field] = obj
            return None
        return obj

    def member(self, field: str, h5_name: str, cls: type) -> None:
        """A named subgroup or dataset read as ``cls`` (or the subtype it names)."""
        obj = self._target(field, h5_name)
        if obj is not None:
            self.values[field] = self.ctx.build(obj, cls, path=self.opened)

    def dataset(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        """A named untyped dataset with no class of its own: its values."""
        obj = self._target(field, h5_name)
        if obj is None:
            return
        path = self.opened or obj.name
        with reading(self.source.filename, path):
            self._dataset(field, h5_name, obj, path, kind, scalar)

    def _dataset(
        self, field: str, h5_name: str, obj: Any, path: str, kind: Any, scalar: bool
    ) -> None:
        if not isinstance(obj, h5py.Dataset):
            self.ctx.violation(path, "is a group, where the schema expects a dataset")
            self.source.unknown.groups[h5_name] = obj
            return
        extra = read_attributes(obj)
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
            if kind == h5l.TYPE_HARD:
                with reading(self.source.filename, self._child(h5_name)):
                    if not is_typed(self.h5obj, h5_name):
                        continue  # untyped: stays unknown
            obj = self._open(h5_name)
            if obj is None:  # a dangling link: kept as it is stored
                self._keep_as_stored(h5_name, None)
                continue
            if isinstance(obj, ExternalLink):
                out[h5_name] = obj
                continue
            with reading(self.source.filename, self.opened or self._child(h5_name)):
                typed = has_type(obj)
            if not typed:
                self.members[h5_name] = kind  # a link to something untyped
                self.source.links.pop(h5_name, None)
                continue
            if len(allowed) == 1:
                out[h5_name] = self.ctx.build(obj, allowed[0], path=self.opened)
            else:
                base = self.ctx.common_base(allowed)
                model = self.ctx.build(obj, None, base, self.opened)
                if model is None:  # an unknown type no class here fits
                    self._keep_as_stored(h5_name, obj)
                    continue
                out[h5_name] = model
        if out:
            self.values[field] = out

    def _keep_as_stored(self, h5_name: str, obj: Any) -> None:
        """A member no model holds, kept on the Source as stored: the link itself
        if it was reached through one, else the dataset or group."""
        link = self.source.links.pop(h5_name, None)
        unknown = self.source.unknown
        if link is not None:
            unknown.links[h5_name] = link
        elif isinstance(obj, h5py.Dataset):
            unknown.datasets[h5_name] = read_dataset(
                obj,
                resolver=_Deref(self),
                name=f"{self.path.rstrip('/')}/{h5_name}",
                filename=self.source.filename,
            )
        elif obj is not None:
            unknown.groups[h5_name] = obj

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
        with reading(self.source.filename, self._child(h5_name)):
            self._keep_unknown_member(h5_name)

    def _keep_unknown_member(self, h5_name: str) -> None:
        kind = self.members.pop(h5_name)
        unknown = self.source.unknown
        group = self.h5obj
        if kind != h5l.TYPE_HARD:
            link = member_link(group, h5_name)
            if link is not None:
                unknown.links[h5_name] = link
            return
        obj = open_member(group, h5_name)
        path = f"{self.path.rstrip('/')}/{h5_name}"
        if is_typed(group, h5_name):
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

    def __init__(self, frame: ReadFrame) -> None:
        self.frame = frame

    def deref(
        self, ref: Any, from_obj: Any, *, build: Any = None, where: str | None = None
    ) -> Any:
        if not ref:
            return None
        target = dereference(ref, from_obj)

        def holder() -> str:  # named only for a violation: h5py's name searches
            path = self.frame.path if from_obj is self.frame.h5obj else from_obj.name
            return f"{path}" + (f" {where}" if where else "")

        if target is None:
            self.frame.ctx.violation(
                holder(), "refers to no object (dangling reference)"
            )
            return None
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


def _name_of(h5obj: Any) -> str:
    """The object's path for a message (``?`` when HDF5 cannot say)."""
    try:
        return h5obj.name or "?"
    except (OSError, RuntimeError):
        return "?"


def _filename_of(h5obj: Any) -> str:
    try:
        return h5obj.file.filename
    except (OSError, RuntimeError):
        return "?"


def _source_path(model: Any) -> str | None:
    source = source_of(model)
    return source.path if source is not None else None


def _keep_dtype(source: Source, name: str, dataset: Any) -> None:
    """Remember a scalar dataset's numeric dtype (its value became a Python number)."""
    dtype = dataset.dtype
    if dtype.kind in "biuf":
        source.dtypes[name] = dtype


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
