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

import gc
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from .collection import collector_paused
from .errors import (
    DamagedFileError,
    HDF5ReadError,
    SchemaViolationError,
    UnknownTypeError,
)
from .hdf5.attributes import (
    has_type,
    read_attributes,
    type_text,
)
from .hdf5.files import READING, damaged, is_hdf5_failure
from .hdf5.lazy import LazyArray
from .hdf5.objects import ObjectMap, location, object_key
from .hdf5.search import SmallFirstSearch, hard_members
from .hdf5.structure import CHECK_ITEMS, index_problem, region_problem
from .lazy_children import LazyChildren
from .models.base import NWBModel
from .models.file import created_now
from .models.tables import DynamicTableRegionMixin, VectorIndexMixin, no_columns
from .read_frame import ReadFrame, filename_of, name_of
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
#: members of a group looked through for a reference's target (see path_of)
AROUND_LIMIT = 1000


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
        lazy: bool = False,
    ) -> None:
        #: (namespace, neurodata_type) -> model class
        self.types = types
        #: model class (typed or nested member class) -> its generated reader
        self.readers = readers
        self.strict = strict
        self.validate = validate
        #: members by type read when first asked for (a strict read reads all)
        self.lazy = lazy and not strict
        self.violations: list[Violation] = []
        self._models: dict[tuple[int, int], Any] = {}
        self._upgrading: set[tuple[int, int]] = set()
        self._path: str | None = None  # of the object build() hands to a reader
        #: and that object with its key (asked of HDF5 once an object)
        self._key: tuple[Any, tuple[int, int]] | None = None
        self._index: ObjectMap | None = None
        #: the read failure :meth:`build` raised last (see _reraise_read_failure)
        self._failure: HDF5ReadError | None = None
        self._searches = 0
        #: object key -> path, of every object a frame opened by its path (what
        #: a reference reaches is found here before any search)
        self._paths: dict[tuple[int, int], str] = {}
        self._looked: set[str] = set()
        #: (path, group) of groups whose members a lazy read listed unopened:
        #: registered by address only when a reference lookup needs them
        self._unopened: list[tuple[str, Any]] = []
        #: file key -> the small-groups-first search of its paths
        self._searchers: dict[tuple[int, int], SmallFirstSearch] = {}
        #: the file read (its name is asked of HDF5 once)
        self.filename = ""
        #: the file is open for reading only: datasets keep their shapes
        self.readonly = False
        #: the :class:`~.hdf5.remote.RemoteFile` a file opened from a URL reads
        #: through (members about to be opened are fetched ahead), else ``None``
        self.remote: Any = None
        self._by_name: dict[str, list[type]] = {}
        for (_, type_name), cls in types.items():
            self._by_name.setdefault(type_name, []).append(cls)

    # -- entry points -------------------------------------------------------------
    def release(self) -> None:
        """Forget the objects read (the file is closed: nothing more is read).
        A model with a lazy array of references keeps this context through the
        array's resolver; without this, that cycle keeps every model read."""
        self._models.clear()
        self._paths.clear()
        self._upgrading.clear()
        self._unopened.clear()
        self._searchers.clear()
        self._index = None
        self._key = None

    def read(self, h5obj: Any, expected: type | None = None) -> Any:
        """The model of any HDF5 object: typed objects by their type, else as
        ``expected`` (a model class) says."""
        return self.build(h5obj, expected)

    def known(self, h5obj: Any) -> Any:
        """The model already built for ``h5obj``, or ``None``."""
        return self._models.get(object_key(h5obj))

    def path_of(self, h5obj: Any, near: str | None = None) -> str | None:
        """Where an object reached by reference lives (``None``: nowhere).

        First among the objects opened so far, then among the members of the
        groups around ``near`` (the referring object's path: an electrodes
        table's groups are its siblings' members) and of the groups a lazy read
        listed, looked up by address, then small groups first
        (:class:`~.hdf5.search.SmallFirstSearch`, within a budget). Past that,
        h5py's ``name`` searches the whole file each time; after a few such
        searches one walk of the file indexes every object's path instead."""
        key = object_key(h5obj)
        found = self._paths.get(key)
        if found is None and near:
            found = self._look_around(h5obj.file, key, near)
        if found is None:
            found = self._look_unopened(key)
        if found is None and self._index is None:
            found = self._search_of(h5obj.file).find(key)
        if found is not None:  # by its path: no search
            return found
        if self._index is None:
            self._searches += 1
            if self._searches <= INDEX_AFTER:
                return h5obj.name or None
            self._index = ObjectMap(h5obj.file)
        return self._index.path_at(object_key(h5obj))

    def _look_around(self, h5file: Any, key: tuple[int, int], near: str) -> str | None:
        """The path of object ``key`` among the members of ``near``'s ancestors
        (each group's members registered once; groups of more than
        :data:`AROUND_LIMIT` members are skipped: that would be a search)."""
        parts = near.strip("/").split("/")
        for depth in range(len(parts) - 1, -1, -1):
            group_path = "/" + "/".join(parts[:depth])
            if group_path in self._looked:
                continue
            self._looked.add(group_path)
            group = h5file.get(group_path)
            if group is None or not hasattr(group, "keys"):  # not a group
                continue
            if len(group) <= AROUND_LIMIT:
                self._register(group, group_path)
            found = self._paths.get(key)
            if found is not None:
                return found
        return None

    def _register(self, group: Any, group_path: str) -> None:
        """The paths of ``group``'s members by hard link, by address."""
        for path, info in hard_members(group, group_path):
            if info is not None:
                self._paths.setdefault((info.fileno, info.addr), path)

    def _search_of(self, h5file: Any) -> SmallFirstSearch:
        key = object_key(h5file)
        search = self._searchers.get(key)
        if search is None:
            search = self._searchers[key] = SmallFirstSearch(h5file, self._paths)
        return search

    def unopened(self, path: str, group: Any) -> None:
        """``group`` (at ``path``) has members a lazy read listed without opening."""
        self._unopened.append((path, group))

    def _look_unopened(self, key: tuple[int, int]) -> str | None:
        """The path of object ``key`` among the members of the groups a lazy read
        listed unopened (each registered by address once: a few microseconds a
        member, where a path search reads the whole file)."""
        while self._unopened:
            group_path, group = self._unopened.pop()
            if not group.id.valid:
                continue
            self._register(group, group_path)
            found = self._paths.get(key)
            if found is not None:
                return found
        return None

    def saw(
        self, h5obj: Any, path: str, key: tuple[int, int] | None = None
    ) -> tuple[int, int]:
        """``h5obj`` lives at ``path`` (a member a frame opened); its object key
        (``key``, when the caller has it) is returned."""
        key = key or object_key(h5obj)
        self._paths[key] = path
        return key

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
        attrs: dict[str, Any] | None = None,
        key: tuple[int, int] | None = None,
    ) -> Any:
        """The model of ``h5obj`` (built once): by its ``neurodata_type`` when it has
        one, else as the ``expected`` class. ``path`` is where it lives, when the
        caller knows (h5py's ``name`` asks HDF5 to search the file for one);
        ``attrs``, its attributes, and ``key``, its object key, when the caller
        has them.

        HDF5 failing to read the object (a damaged block) is a
        :class:`~nwbgen.errors.DamagedFileError` naming it (the innermost object
        being read, when one is inside another)."""
        if gc.isenabled():  # the outermost read (see .collection)
            with collector_paused():
                return self.build(h5obj, expected, fallback, path, attrs, key)
        READING.append(path or "")
        try:
            return self._build(h5obj, expected, fallback, path, attrs, key)
        except Exception as exc:
            if not is_hdf5_failure(exc):
                raise
            where = path or name_of(h5obj)
            failure = damaged(self.filename or filename_of(h5obj), where, exc)
            self._failure = failure  # for a read inside pydantic's validation
            raise failure from None
        finally:
            READING.pop()

    def _build(
        self,
        h5obj: Any,
        expected: type | None,
        fallback: type | None,
        path: str | None,
        attrs: dict[str, Any] | None = None,
        key: tuple[int, int] | None = None,
    ) -> Any:
        if key is None:
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
                self._path, self._key = _source_path(model) or path, (h5obj, key)
                if attrs is None:
                    attrs = read_attributes(h5obj)
                return self.readers[expected](self, h5obj, attrs)
            finally:
                self._upgrading.discard(key)
        if attrs is None:
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
        self._path, self._key = path, (h5obj, key)
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

    def read_all(self, model: Any) -> None:
        """Read every member not read yet below ``model`` (a lazy read's rest)."""
        seen: set[int] = set()
        stack = [model]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            values = getattr(current, "__dict__", None)
            if not isinstance(values, dict):
                continue
            for value in values.values():
                if isinstance(value, LazyChildren):
                    value.resolve_all()
                    stack.extend(value.values())
                elif isinstance(value, dict):
                    stack.extend(value.values())
                elif isinstance(value, (list, tuple)):
                    stack.extend(v for v in value if hasattr(v, "__nwb_type__"))
                elif hasattr(value, "__nwb_type__"):
                    stack.append(value)

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
        pending, self._key = self._key, None
        key = pending[1] if pending and pending[0] is h5obj else object_key(h5obj)
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
        deferred = {k: v for k, v in values.items() if isinstance(v, LazyChildren)}
        if deferred:  # models read later are validated by their own reads
            values = {**values, **{k: {} for k in deferred}}
        if self.validate:
            try:
                cls.__init__(model, **values)
                for name in _absent_as_none(cls).difference(values):
                    # required, though a builder would make it: absent as read
                    model.__dict__[name] = None
                    self.violation(frame.path, f"{name}: Field required")
                    frame.source.as_read |= {name}
                for name in _filled_by_builders(cls).difference(values):
                    model.__dict__[name] = None  # pynwb's default, not the file's
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    self._reraise_read_failure(error, frame)
                    loc = ".".join(str(p) for p in error["loc"])
                    self.violation(frame.path, f"{loc}: {error['msg']}")
                    if error["loc"]:
                        frame.source.as_read |= {str(error["loc"][0])}
                _construct_into(model, values)
        else:
            _construct_into(model, values)
        if deferred:
            model.__dict__.update(deferred)
            model.__pydantic_fields_set__.update(deferred)
        object.__setattr__(model, "__pydantic_private__", {"_h5": frame.source})
        return model

    def _reraise_read_failure(self, error: Any, frame: ReadFrame) -> None:
        """A lazy array that failed to read while pydantic iterated it (a
        damaged object behind a reference) is that failure, not a violation:
        pydantic keeps only its text, so the failure :meth:`build` raised last
        is raised again, or a damaged file named by the text."""
        if error.get("type") != "iteration_error":
            return
        if not isinstance(error.get("input"), LazyArray):
            return
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        reason = (error.get("ctx") or {}).get("error", "cannot iterate")
        raise DamagedFileError(
            f"{frame.source.filename}: damaged file: cannot read {frame.path} "
            f"({reason})"
        )

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


_EMPTY_GROUPS: dict[type, frozenset[str]] = {}
_ABSENT_AS_NONE: dict[type, frozenset[str]] = {}


def _empty_groups(cls: type) -> frozenset[str]:
    """Required group fields a builder creates empty (``default_factory``): a
    read must not invent them, so that the model writes what the file had."""
    found = _EMPTY_GROUPS.get(cls)
    if found is None:
        found = _EMPTY_GROUPS[cls] = frozenset(
            name
            for name, info in cls.__pydantic_fields__.items()  # type: ignore[attr-defined]
            if info.default_factory in (no_columns, created_now)
            or (
                info.default_factory is not None
                and isinstance(info.default_factory(), NWBModel)
            )
        )
    return found


_FILLED: dict[type, frozenset[str]] = {}


def _filled_by_builders(cls: type) -> frozenset[str]:
    """Fields whose default is ``None`` (a model validator may fill them from
    others, as ``NWBFile.timestamps_reference_time``): a read keeps them absent."""
    found = _FILLED.get(cls)
    if found is None:
        found = _FILLED[cls] = frozenset(
            name
            for name, info in cls.__pydantic_fields__.items()  # type: ignore[attr-defined]
            if not info.is_required()
            and info.default is None
            and info.default_factory is None
        )
    return found


def _absent_as_none(cls: type) -> frozenset[str]:
    """Fields a read leaves ``None`` when the file lacks them."""
    found = _ABSENT_AS_NONE.get(cls)
    if found is None:
        found = _ABSENT_AS_NONE[cls] = _empty_groups(cls) | {
            name
            for name, info in cls.__pydantic_fields__.items()  # type: ignore[attr-defined]
            if info.is_required()
        }
    return found


def _construct_into(model: Any, values: dict[str, Any]) -> None:
    """``model_construct`` into an existing instance: defaults for absent fields,
    ``None`` for absent required ones."""
    fields = type(model).__pydantic_fields__
    absent_none = _absent_as_none(type(model))
    data: dict[str, Any] = {}
    for name, info in fields.items():
        if name in values:
            data[name] = values[name]
        elif name in absent_none:
            data[name] = None
        else:
            data[name] = info.get_default(call_default_factory=True)
    object.__setattr__(model, "__dict__", data)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)


# --- HDF5 helpers -------------------------------------------------------------


def _source_path(model: Any) -> str | None:
    source = source_of(model)
    return source.path if source is not None else None


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
