"""What generated ``_writer`` modules run on: one write of one file.

The inverse of :mod:`.reader`. A generated writer function knows its type's
members and dtypes and asks a :class:`WriteFrame` (one per HDF5 object) to write each;
the frame does the HDF5 work with :mod:`.hdf5.write`:

- every model has one *home* (the HDF5 path it is written at): a model read from a
  file keeps its path; a new one is at home where it is first contained. Reaching
  a model again makes a soft link to its home, as does a link member;
- references and links are written last, once every object exists;
- what a read model held beyond its schema (its :class:`~.reader.Source`) is put
  back: attributes, datasets, groups, links, and its ``object_id``;
- numeric attributes read from a file keep their stored dtype.

Imports only numpy, h5py, pydantic and the standard library (vendored into
compiled packages) and never generated code: writers register with the context.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np

from .errors import HDF5WriteError
from .hdf5.lazy import LazyArray
from .hdf5.links import ExternalLink, ExternalLinkInfo, SoftLinkInfo
from .hdf5.write import (
    copy_group,
    external_link,
    new_object_id,
    repoint_references,
    smallest_uint,
    soft_link,
    write_attribute,
    write_dataset,
)
from .models.base import is_model
from .source import source_of

__all__ = ["WriteContext", "WriteFrame", "Writer", "package_of"]

#: a generated writer: (context, parent group, HDF5 name, model) -> HDF5 object
Writer = Callable[["WriteContext", Any, str, Any], Any]

_REFERENCE_KINDS = ("object", "region")


def _has_reference_kind(kind: Any) -> bool:
    if isinstance(kind, str):
        return kind.split(":", 1)[0] in _REFERENCE_KINDS
    if isinstance(kind, (tuple, list)):
        return any(_has_reference_kind(k) for _, k in kind)
    return False


def _needs_targets(kind: Any, value: Any) -> bool:
    """Written last, once every object exists: references (by dtype or value)."""
    return _has_reference_kind(kind) or _holds_models(value)


def _holds_models(value: Any) -> bool:
    """Values that become references: a model, (model, selection), or an array or
    list of them."""
    if is_model(value):
        return True
    if isinstance(value, tuple) and len(value) == 2 and is_model(value[0]):
        return True
    if isinstance(value, (list, np.ndarray)) and not isinstance(value, LazyArray):
        if not len(value):
            return False
        first = np.asarray(value, dtype=object).reshape(-1)[0]
        return bool(is_model(first) or first is None)
    return False


class WriteContext:
    """One write: the writers of every loaded namespace, each model's home path,
    and the references and links waiting for their targets. ``progress(done,
    None)`` is called as each model is written."""

    def __init__(
        self,
        h5file: h5py.File,
        writers: dict[type, Writer],
        progress: Callable[[int, int | None], None] | None = None,
    ) -> None:
        self.file = h5file
        self.writers = writers
        self.progress = progress
        #: models written so far
        self.written = 0
        #: id(model) -> its HDF5 path in the new file
        self.homes: dict[int, str] = {}
        self._keep: list[Any] = []  # models whose ids are keys: alive until done
        self._deferred: list[Callable[[], None]] = []
        #: every model class written (their packages' specs go in the file)
        self.classes_written: set[type] = set()

    # -- entry points ------------------------------------------------------------
    def write_root(self, model: Any) -> None:
        """Write ``model`` (an ``NWBFile``) at the root, then what waited."""
        writer = self._writer_of(model, "/")
        writer(self, None, "/", model)
        self.finish()

    def finish(self) -> None:
        while self._deferred:
            pending, self._deferred = self._deferred, []
            for task in pending:
                task()

    def write(self, parent: h5py.Group, name: str, model: Any) -> Any:
        """Write ``model`` as ``parent[name]`` (or link to it if it has a home)."""
        path = _join(parent.name, name)
        home = self.homes.get(id(model))
        if home is not None:
            soft_link(parent, name, home)
            return None
        source = source_of(model)
        if source is not None and source.path != path and _is_elsewhere(source):
            # read from elsewhere in its file: a link here, once its home is known
            self._deferred.append(lambda: self._link_or_write(parent, name, model))
            return None
        return self._writer_of(model, path)(self, parent, name, model)

    def _link_or_write(self, parent: h5py.Group, name: str, model: Any) -> None:
        home = self.homes.get(id(model))
        if home is not None:
            soft_link(parent, name, home)
        else:  # its home was never written: it lives here now
            self._writer_of(model, _join(parent.name, name))(self, parent, name, model)

    def link(self, parent: h5py.Group, name: str, model: Any) -> None:
        """A soft link ``parent[name]`` to ``model``'s home, once it has one."""

        def make() -> None:
            home = self.homes.get(id(model))
            if home is None:
                raise HDF5WriteError(
                    f"{self.file.filename}:{_join(parent.name, name)}: links to "
                    f"{type(model).__name__} {getattr(model, 'name', '?')!r}, which "
                    "is not in the file (add it where it belongs, e.g. devices)"
                )
            soft_link(parent, name, home)

        self._deferred.append(make)

    def target_of(self, model: Any) -> str:
        """The home path of a model a reference points to."""
        home = self.homes.get(id(model))
        if home is None:
            raise HDF5WriteError(
                f"{self.file.filename}: a reference to {type(model).__name__} "
                f"{getattr(model, 'name', '?')!r}, which is not in the file"
            )
        return home

    def defer(self, task: Callable[[], None]) -> None:
        self._deferred.append(task)

    def _writer_of(self, model: Any, path: str) -> Writer:
        cls = type(model)
        writer = self.writers.get(cls)
        if writer is None:
            package = package_of(cls)
            if package is not None and hasattr(package, "writers"):
                self.writers.update(package.writers())
                writer = self.writers.get(cls)
        if writer is not None:
            self.classes_written.add(cls)
        else:
            raise HDF5WriteError(
                f"{self.file.filename}:{path}: no writer for "
                f"{type(model).__module__}.{type(model).__name__} (not a "
                "generated model class)"
            )
        return writer

    def _advance(self) -> None:
        self.written += 1
        if self.progress is not None:
            self.progress(self.written, None)

    # -- frames --------------------------------------------------------------------
    def group(
        self,
        parent: h5py.Group | None,
        name: str,
        model: Any,
        nwb_type: tuple[str, str] | None,
    ) -> WriteFrame:
        source = source_of(model)
        if parent is None:
            h5obj = self.file
        elif source is not None and source.stored_dataset is not None:
            # read from a dataset carrying a group type: written back as read
            h5obj = write_dataset(parent, name, source.stored_dataset)
        else:
            h5obj = parent.create_group(name)
        self._advance()
        return self._frame(h5obj, model, nwb_type)

    def dataset(
        self,
        parent: h5py.Group,
        name: str,
        model: Any,
        nwb_type: tuple[str, str] | None,
        kind: Any,
        scalar: bool,
    ) -> WriteFrame:
        self._advance()
        value = getattr(model, "value", None)
        source = source_of(model)
        if value is None and source is not None and source.stored_as_group:
            # read from a group carrying a dataset type: written back as read
            return self._frame(parent.create_group(name), model, nwb_type)
        stored = source.dtypes.get("") if source is not None else None
        if stored is not None and not isinstance(value, LazyArray):
            kind = stored
        elif value is not None and _is_vector_index(model) and _plain_array(value):
            top = int(np.max(value)) if np.size(value) else 0
            kind = smallest_uint(top)
        as_read = _kept_as_read(source, "value")
        if _needs_targets(kind, value):
            # a dataset of references: created once every target exists
            frame = WriteFrame(self, None, model, nwb_type)

            def make() -> None:
                frame.h5obj = self._create_dataset(
                    parent, name, value, kind, scalar, as_read
                )
                frame.flush_attributes()

            self.homes[id(model)] = _join(parent.name, name)
            self._keep.append(model)
            self._deferred.append(make)
            return frame
        h5obj = self._create_dataset(parent, name, value, kind, scalar, as_read)
        return self._frame(h5obj, model, nwb_type)

    def _create_dataset(
        self,
        parent: h5py.Group,
        name: str,
        value: Any,
        kind: Any,
        scalar: bool,
        as_read: bool = False,
    ) -> Any:
        if value is None:
            raise HDF5WriteError(
                f"{self.file.filename}:{_join(parent.name, name)}: dataset has no value"
            )
        return _write_dataset(
            parent, name, value, _copy_kind(value, kind), self.target_of, as_read
        )

    def _frame(
        self, h5obj: Any, model: Any, nwb_type: tuple[str, str] | None
    ) -> WriteFrame:
        self.homes[id(model)] = h5obj.name
        self._keep.append(model)
        return WriteFrame(self, h5obj, model, nwb_type)


def package_of(cls: type) -> Any:
    """The generated version package a model class is in (``...core.v2_11_0``)."""
    import sys

    module = cls.__module__
    for name in (module, module.rsplit(".", 1)[0]):
        found = sys.modules.get(name)
        if found is not None and hasattr(found, "NAMESPACE"):
            return found
    return None


def _kept_as_read(source: Any, field: str) -> bool:
    """The read kept ``field``'s value as stored though it breaks the schema."""
    return source is not None and field in source.as_read


def _write_dataset(
    parent: h5py.Group,
    name: str,
    value: Any,
    kind: Any,
    target_of: Any,
    as_read: bool,
) -> Any:
    """:func:`write_dataset`; a value kept as read that the schema's dtype cannot
    hold is written as it is (as stored), like every other violation."""
    try:
        return write_dataset(parent, name, value, kind, target_of=target_of)
    except HDF5WriteError:
        if not as_read or kind is None:
            raise
        if name in parent:
            del parent[name]
        return write_dataset(parent, name, value, None, target_of=target_of)


def _first_item(value: Any) -> Any:
    if isinstance(value, list) and value:
        return value[0]
    if isinstance(value, np.ndarray) and value.dtype == object and value.size:
        return value.reshape(-1)[0]
    return value


def _holds_targets(value: Any) -> bool:
    """References read as models, or as HDF5 objects no class fits (an
    attribute the schema does not name): alone, with a selection, or in a list
    or array."""
    first = _first_item(value)
    if isinstance(first, tuple) and len(first) == 2:
        first = first[0]
    return is_model(first) or isinstance(first, h5py.HLObject)


def _reference_kind(value: Any) -> str:
    """The reference dtype of references read as targets: ``region`` for
    (target, selection) pairs, ``object`` otherwise."""
    return "region" if isinstance(_first_item(value), tuple) else "object"


def _is_elsewhere(source: Any) -> bool:
    return bool(source.path) and source.path != "/"


def _copy_kind(value: Any, kind: Any) -> Any:
    """Data already in HDF5 is copied with its stored dtype (``None``: keep), so a
    file read and written back keeps every dtype; new data gets the schema's."""
    return None if isinstance(value, (LazyArray, h5py.Dataset)) else kind


def _is_vector_index(model: Any) -> bool:
    return any(c.__name__ == "VectorIndexMixin" for c in type(model).__mro__)


def _plain_array(value: Any) -> bool:
    return value is not None and not isinstance(value, (LazyArray, h5py.Dataset))


def _join(parent: str, name: str) -> str:
    if name == "/":
        return "/"
    return f"{parent.rstrip('/')}/{name}"


class WriteFrame:
    """The write of one HDF5 object: what generated code asks for, member by member."""

    __slots__ = ("_attrs", "ctx", "h5obj", "model", "nwb_type", "source")

    def __init__(
        self,
        ctx: WriteContext,
        h5obj: Any,
        model: Any,
        nwb_type: tuple[str, str] | None,
    ) -> None:
        self.ctx = ctx
        self.h5obj = h5obj  # None until a deferred dataset is created
        self.model = model
        self.nwb_type = nwb_type
        self.source = source_of(model)
        self._attrs: list[tuple[str, Any, Any, bool]] = []

    def _get(self, field: str) -> Any:
        """The field's value; ``None`` for a default a model read from a file did
        not have there (writing it back would add what was not in the file)."""
        if self.source is not None and field not in self.model.model_fields_set:
            return None
        return getattr(self.model, field, None)

    # -- attributes ----------------------------------------------------------------
    def attribute(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field)
        if value is None:
            return
        if self.source is not None and h5_name in self.source.dtypes:
            kind = self.source.dtypes[h5_name]
        self._attribute(h5_name, value, kind, _kept_as_read(self.source, field))

    def _attribute(
        self, h5_name: str, value: Any, kind: Any, as_read: bool = False
    ) -> None:
        if self.h5obj is None:  # a dataset of references, not created yet
            self._attrs.append((h5_name, value, kind, as_read))
            return
        if _needs_targets(kind, value):
            h5obj = self.h5obj
            ctx = self.ctx
            self.ctx.defer(
                lambda: write_attribute(
                    h5obj, h5_name, value, kind, target_of=ctx.target_of, dest=ctx.file
                )
            )
            return
        try:
            write_attribute(self.h5obj, h5_name, value, kind, dest=self.ctx.file)
        except HDF5WriteError:
            if not as_read or kind is None:
                raise
            # kept as read though the schema's dtype cannot hold it: as stored
            write_attribute(self.h5obj, h5_name, value, None, dest=self.ctx.file)

    def flush_attributes(self) -> None:
        pending, self._attrs = self._attrs, []
        for h5_name, value, kind, as_read in pending:
            self._attribute(h5_name, value, kind, as_read)
        self._finish_object()

    # -- members -------------------------------------------------------------------
    def member(self, field: str, h5_name: str) -> None:
        value = self._get(field)
        if value is not None:
            self._place(h5_name, value)

    def _place(self, h5_name: str, value: Any) -> None:
        """A subgroup or dataset model: an external link, a soft link (stored so
        where it was read from), or the object itself."""
        if self._external(h5_name, value):
            return
        if self._linked_in_source(h5_name, value):
            self.ctx.link(self.h5obj, h5_name, value)
        else:
            self.ctx.write(self.h5obj, h5_name, value)

    def _external(self, h5_name: str, value: Any) -> bool:
        """Write an external link for a member read through one, or given as an
        :class:`ExternalLink`; say whether it did."""
        stored = self.source.links.get(h5_name) if self.source is not None else None
        link: ExternalLinkInfo | ExternalLink | None = None
        if isinstance(stored, ExternalLinkInfo):
            link = stored
        elif isinstance(value, ExternalLink):
            link = value
        if link is None:
            return False
        external_link(self.h5obj, h5_name, link.filename, link.path)
        return True

    def _linked_in_source(self, h5_name: str, value: Any) -> bool:
        """The member was stored as a soft link where it was read from."""
        if self.source is None or h5_name not in self.source.links:
            return False
        link = self.source.links[h5_name]
        return isinstance(link, SoftLinkInfo) and is_model(value)

    def dataset(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field)
        if value is None or self._external(h5_name, value):
            return
        source = self.source
        if source is not None and h5_name in source.dtypes:
            kind = source.dtypes[h5_name]
        extra = source.member_attributes.get(h5_name, {}) if source else {}
        parent = self.h5obj
        as_read = _kept_as_read(source, field)

        def make() -> None:
            dset = _write_dataset(
                parent,
                h5_name,
                value,
                _copy_kind(value, kind),
                self.ctx.target_of,
                as_read,
            )
            self._member_attributes(dset, extra)

        if _needs_targets(kind, value):
            self.ctx.defer(make)
        else:
            make()

    def link(self, field: str, h5_name: str) -> None:
        value = self._get(field)
        if value is not None and not self._external(h5_name, value):
            self.ctx.link(self.h5obj, h5_name, value)

    def children(self, field: str) -> None:
        for h5_name, child in (getattr(self.model, field, None) or {}).items():
            self._place(h5_name, child)

    def _member_attributes(self, dset: Any, attrs: dict[str, Any]) -> None:
        """The attributes of an untyped member dataset as read; references
        re-pointed once every object exists."""
        ctx = self.ctx
        for name, value in attrs.items():
            if _holds_targets(value):
                kind = _reference_kind(value)
                ctx.defer(
                    partial(
                        write_attribute,
                        dset,
                        name,
                        value,
                        kind,
                        target_of=ctx.target_of,
                        dest=ctx.file,
                    )
                )
            else:
                write_attribute(dset, name, value, dest=ctx.file)

    # -- the end -------------------------------------------------------------------
    def end(self) -> Any:
        """Type attributes, and what the model's source held beyond its schema."""
        if self.h5obj is None:
            return None  # finished when the deferred dataset is created
        self._finish_object()
        return self.h5obj

    def _finish_object(self) -> None:
        h5obj, source = self.h5obj, self.source
        if self.nwb_type is not None:
            key = source.type_attribute if source is not None else "neurodata_type"
            namespace, type_name = self.nwb_type
            stored = source.stored_type if source is not None else None
            if stored is not None and stored[1] != type_name:
                # read as the class the schema expects: its type as stored
                namespace, type_name = stored[0] or namespace, stored[1]
            dest = self.ctx.file
            write_attribute(h5obj, "namespace", namespace, "text", dest=dest)
            write_attribute(h5obj, key, type_name, "text", dest=dest)
            object_id = source.object_id if source is not None else new_object_id()
            if object_id is not None:  # a read object without one stays without
                write_attribute(h5obj, "object_id", object_id, "text", dest=dest)
        if source is None:
            return
        for name, (field, kept) in source.stored_attributes.items():
            if name in h5obj.attrs or self._get(field or "") is not None:
                continue  # given a value since
            if _holds_targets(kept):  # a reference to an object no class fits
                self._attribute(name, kept, _reference_kind(kept))
            else:  # no value, as stored
                write_attribute(h5obj, name, kept)
        unknown = source.unknown
        for name, value in unknown.attributes.items():
            # references read as models or HDF5 objects: re-pointed, as stored
            kind = _reference_kind(value) if _holds_targets(value) else None
            self._attribute(name, value, kind)
        for name, value in unknown.datasets.items():
            dset = write_dataset(h5obj, name, value)
            self._member_attributes(dset, source.member_attributes.get(name, {}))
        for name, group in unknown.groups.items():
            if group.id.valid:
                copy_group(h5obj, name, group)
                # H5Ocopy leaves references into another file pointing nowhere
                self.ctx.defer(partial(repoint_references, h5obj[name], group))
        for name, link in unknown.links.items():
            if isinstance(link, SoftLinkInfo):
                soft_link(h5obj, name, link.path)
            elif isinstance(link, ExternalLinkInfo):
                external_link(h5obj, name, link.filename, link.path)
        for name, child in source.extra_children.items():
            self.ctx.write(h5obj, name, child)
