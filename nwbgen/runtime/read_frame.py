"""The read of one HDF5 object: :class:`ReadFrame`, what a generated reader
function asks member by member (see :mod:`.read` for the whole read).

Imports only numpy, h5py, pydantic and the standard library (vendored into compiled
packages) and never generated code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import h5py  # type: ignore[import-untyped]
from h5py import h5l

from .errors import ClosedFileError, DanglingLinkError, LinkCycleError
from .hdf5.attributes import (
    TYPE_ATTRIBUTES,
    has_type,
    is_typed,
    names_type,
    read_attributes,
    type_text,
)
from .hdf5.files import reading, remote_of
from .hdf5.lazy import LazyArray, read_dataset
from .hdf5.links import (
    ExternalLink,
    SoftLinkInfo,
    link_type,
    member_link,
    member_links,
    resolve_path,
)
from .hdf5.objects import dereference, object_key, open_member, open_member_keyed
from .hdf5.prefetch import (
    SMALL_GROUP,
    fetch_listings,
    member_addresses,
    prefetch_members,
)
from .hdf5.references import region_selection
from .hdf5.values import TEXT_KINDS, decode_attribute, float_value, is_plain_float
from .lazy_children import NOT_A_MEMBER, LazyChildren
from .source import Source

if TYPE_CHECKING:
    from .read import ReadContext


class ReadFrame:
    """The read of one HDF5 object: what generated code asks for, member by member.

    Every ``attribute``/``member``/... call takes the model field name and the HDF5
    name, and stores a value only when the object has that member, so that the
    model's defaults apply otherwise.
    """

    __slots__ = (
        "_members",
        "attrs",
        "ctx",
        "h5obj",
        "model",
        "opened",
        "opened_key",
        "path",
        "source",
        "valued",
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
        #: and its object key, when it was opened through a hard link
        self.opened_key: tuple[int, int] | None = None
        self.attrs = dict(attrs)  # consumed as read
        #: member name -> link type, of the members not read yet; a local lazy
        #: read lists them when first asked (``None`` till then: see children())
        self._members: dict[str, int] | None = {}
        if isinstance(h5obj, h5py.Group):
            if ctx.remote is not None:
                self._members = self._members_fetched_ahead(h5obj)
            elif ctx.lazy:
                self._members = None
            else:
                self._members = member_links(h5obj)
        self.source = Source(ctx.filename or h5obj.file.filename, self.path)
        self.values: dict[str, Any] = {"name": self.path.rsplit("/", 1)[-1] or "root"}
        self.valued = False  # value() was asked for: the type is a dataset type

    @property
    def members(self) -> dict[str, int]:
        """Member name -> link type, of the members not read yet."""
        members = self._members
        if members is None:
            members = self._members = member_links(self.h5obj)
        return members

    def _members_fetched_ahead(self, group: Any) -> dict[str, int]:
        """The members of ``group`` of a remote file, its member list fetched in
        parallel first, and then what this frame reads next: a small group's
        members, every member in an eager read (a lazy one fetches a big
        group's when it is listed, see :meth:`_prefetch`)."""
        ctx = self.ctx
        remote = remote_of(group.file)  # the file read, or one a link reached
        if remote is None:
            return member_links(group)
        with reading(ctx.filename, self.path):
            fetch_listings(remote, [object_key(group)[1]])
        addresses: list[int] = []
        members = member_links(group, addresses)
        if len(members) > 1 and (not ctx.lazy or len(members) <= SMALL_GROUP):
            with reading(ctx.filename, self.path):
                prefetch_members(remote, addresses)
        return members

    # -- attributes and values -----------------------------------------------------
    def attribute(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        if h5_name not in self.attrs:
            return
        raw = self.attrs.pop(h5_name)
        if type(raw) is str and scalar and kind in TEXT_KINDS:
            self.values[field] = raw  # most attributes: text, decoded as read
            return
        if is_plain_float(raw, kind, scalar):  # the next most: a float
            self.source.dtypes[h5_name] = raw.dtype
            self.values[field] = float_value(raw)
            return
        dtype = getattr(raw, "dtype", None)
        if dtype is not None and dtype.kind in "biuf":
            self.source.dtypes[h5_name] = dtype
        reference = isinstance(raw, h5py.Reference)
        value = self._decode(raw, kind, scalar, f"attribute {h5_name!r}", reference)
        kept: Any = raw if isinstance(raw, h5py.Empty) else None
        if _is_object(value):  # a reference to an object no class fits
            kept, value = value, None
        if kept is not None:  # nothing the model can hold: kept as stored
            self.source.stored_attributes[h5_name] = (field, kept)
        self.values[field] = value

    def _decode(
        self, raw: Any, kind: Any, scalar: bool | None, where: str, keep: bool = False
    ) -> Any:
        """``raw`` decoded for ``kind``; ``keep``: a reference to an object no
        class fits is its HDF5 object, not ``None`` (an attribute the schema does
        not name, written back as read)."""

        def resolve(ref: Any) -> Any:  # called for references only
            return _Deref(self).deref(ref, self.h5obj, where=where, keep=keep)

        return decode_attribute(raw, kind, scalar=scalar, resolve=resolve)

    def value(self, kind: Any, scalar: bool) -> None:
        """A dataset's own values: scalars now, arrays lazily."""
        self.valued = True
        if not isinstance(self.h5obj, h5py.Dataset):  # typed as a dataset type
            self.ctx.violation(
                self.path, "is a group, where its type is a dataset: no values"
            )
            self.source.stored_as_group = True
            return
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

    # -- members -------------------------------------------------------------------
    def _open(self, h5_name: str) -> Any:
        """The member's HDF5 object (links followed), ``None`` if it is absent; an
        external link whose file is missing stays an :class:`ExternalLink`."""
        kind = self.members.pop(h5_name, None)
        self.opened = self.opened_key = None
        if kind is None:
            return None
        if kind == h5l.TYPE_HARD:
            self.opened = self._child(h5_name)
            with reading(self.source.filename, self.opened):
                obj, self.opened_key = open_member_keyed(
                    self.h5obj, h5_name, self.ctx.readonly
                )
            return obj
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
                    found = resolve_path(
                        group.file, h5_name, group, start_path=self.path
                    )
            except LinkCycleError as exc:
                chain = " -> ".join(getattr(exc, "chain", ()) or (here, link.path))
                self._broken_link(
                    h5_name,
                    f"soft link to {link.path}: a cycle of soft links ({chain})",
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
            key = self.opened_key
            self.values[field] = self.ctx.build(obj, cls, path=self.opened, key=key)

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
        self._keep_attributes(h5_name, obj)
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
        """Every remaining typed member (and link to a typed object), by HDF5 name;
        in a lazy read, each read when first asked for (:mod:`.lazy_children`).
        A lazy read of a local group none of whose members were read by name
        lists them when the mapping is first listed: one member asked for by
        name costs the same in a group of ten or ten thousand."""
        lazy = self.ctx.lazy
        if lazy and self._members is None and _has_members(self.h5obj):
            self._children_later(field, allowed)
            return
        out: dict[str, Any] = LazyChildren() if lazy else {}
        unopened = self._fill_children(out, allowed)
        listed = dict.__len__(out) > 0  # not len(): that probes a lazy mapping
        if unopened is not None and self.ctx.remote is not None:
            out.ahead(self._prefetch)  # type: ignore[attr-defined]
        if lazy and listed:
            self.ctx.unopened(self.path, self.h5obj)
        if listed:
            self.values[field] = out

    def _children_later(self, field: str, allowed: tuple[type, ...]) -> None:
        """children() of a lazy read whose members are listed when the mapping
        first is; a member asked for by name before is looked up alone."""
        out = LazyChildren()
        unopened = _Unopened(self, allowed)
        self._members = {}  # nothing left for end(): the listing keeps its own
        out.list_later(
            partial(self._list_children, out, allowed, unopened),
            self._hard_member,
            unopened.read,
            unopened.probe,
        )
        self.ctx.unopened(self.path, self.h5obj)
        self.values[field] = out

    def _hard_member(self, h5_name: str) -> bool | None:
        """Whether ``h5_name`` is a member of this group through a hard link
        (``None``: through another kind of link), without listing the others."""
        if not self.h5obj.id.valid:
            raise _closed_before_read(self.source.filename, self._child(h5_name))
        with reading(self.source.filename, self._child(h5_name)):
            kind = link_type(self.h5obj, h5_name)
        if kind is None:
            return False
        return True if kind == h5l.TYPE_HARD else None

    def _list_children(
        self, out: LazyChildren, allowed: tuple[type, ...], unopened: _Unopened
    ) -> None:
        """The listing :meth:`_children_later` put off: every member not looked
        up alone yet, in HDF5's order; what is not a member by type is kept as
        stored, as :meth:`end` keeps it."""
        if not self.h5obj.id.valid:
            raise _closed_before_read(self.source.filename, self.path)
        with reading(self.source.filename, self.path):
            listed = member_links(self.h5obj)
        # the names looked up alone before stay as they are; the rest are added
        self._members = {
            k: v for k, v in listed.items() if not dict.__contains__(out, k)
        }
        self._fill_children(out, allowed, unopened)
        entries = dict(dict.items(out))
        dict.clear(out)  # then again in HDF5's order
        dict.update(out, {k: entries.pop(k) for k in listed if k in entries})
        dict.update(out, entries)
        for h5_name in list(self._members):
            self._keep_unknown(h5_name)

    def _fill_children(
        self,
        out: dict[str, Any],
        allowed: tuple[type, ...],
        unopened: _Unopened | None = None,
    ) -> _Unopened | None:
        """The members of :meth:`children` into ``out``; the members that are
        none by type stay in :attr:`members`."""
        lazy = self.ctx.lazy
        members = self.members
        if lazy and members and all(k == h5l.TYPE_HARD for k in members.values()):
            # the usual group: every member a hard link, listed in one step
            unopened = unopened or _Unopened(self, allowed)
            out.defer_all(list(members), unopened.read, unopened.probe)  # type: ignore[attr-defined]
            members.clear()
        for h5_name in list(self.members):
            kind = self.members[h5_name]
            if lazy and kind == h5l.TYPE_HARD:
                # nothing opened until asked for: an untyped member then leaves
                # the mapping and is kept as stored (see _unopened)
                del self.members[h5_name]
                if unopened is None:
                    unopened = _Unopened(self, allowed)
                out.defer(h5_name, unopened.read, unopened.probe)  # type: ignore[attr-defined]
                continue
            attrs = None  # a hard-linked member's, read once: its type and its read
            if kind == h5l.TYPE_HARD:  # an eager read's (a lazy one deferred it)
                obj = self._open(h5_name)
                with reading(self.source.filename, self.opened or self._child(h5_name)):
                    attrs = read_attributes(obj)
                typed = names_type(attrs)
            else:
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
                self.members[h5_name] = kind  # untyped, or a link to something untyped
                self.source.links.pop(h5_name, None)
                continue
            key = self.opened_key
            if self.opened:
                with reading(self.source.filename, self.opened):
                    key = self.ctx.saw(obj, self.opened, key)
            if lazy:
                if len(allowed) == 1:
                    read = self._later(h5_name, obj, allowed[0], None, self.opened)
                else:
                    base = self.ctx.common_base(allowed)
                    read = self._later(h5_name, obj, None, base, self.opened)
                out.defer(h5_name, read)  # type: ignore[attr-defined]
            elif len(allowed) == 1:
                out[h5_name] = self.ctx.build(
                    obj, allowed[0], None, self.opened, attrs, key
                )
            else:
                base = self.ctx.common_base(allowed)
                model = self.ctx.build(obj, None, base, self.opened, attrs, key)
                if model is None:  # an unknown type no class here fits
                    self._keep_as_stored(h5_name, obj)
                    continue
                out[h5_name] = model
        return unopened

    def _prefetch(self, names: list[str]) -> None:
        """The members ``names`` of a remote file's group, about to be opened,
        fetched in parallel."""
        if self.h5obj.id.valid:
            remote = remote_of(self.h5obj.file)
            if remote is not None:
                with reading(self.ctx.filename, self.path):
                    addresses = member_addresses(self.h5obj.id, names)
                    prefetch_members(remote, addresses)

    def _later(
        self,
        h5_name: str,
        obj: Any,
        expected: type | None,
        fallback: type | None,
        path: str | None,
    ) -> Callable[[str], Any]:
        """The read of member ``obj``, for when it is first asked for; an object
        of an unknown type no class here fits is then kept as stored, and is no
        member by type (:data:`~.lazy_children.NOT_A_MEMBER`)."""
        ctx = self.ctx

        def read(_name: str) -> Any:
            if not obj.id.valid:
                raise _closed_before_read(self.source.filename, path or self.path)
            model = ctx.build(obj, expected, fallback, path)
            if model is None:
                self._keep_as_stored(h5_name, obj)
                return NOT_A_MEMBER
            return model

        return read

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
            self._keep_attributes(h5_name, obj)
        elif obj is not None:
            unknown.groups[h5_name] = obj

    def _keep_attributes(self, h5_name: str, dataset: Any) -> None:
        """The attributes of an untyped member dataset, as stored; references as
        their targets (models, or the HDF5 objects no class fits), so that a
        write re-points them to the same objects in its file."""
        extra = read_attributes(dataset)
        for name, raw in extra.items():
            if _holds_references(raw):
                keep = partial(_Deref(self).deref, from_obj=dataset, keep=True)
                extra[name] = decode_attribute(raw, None, resolve=keep)
        if extra:
            self.source.member_attributes[h5_name] = extra

    # -- the end -------------------------------------------------------------------
    def end(self) -> Any:
        """What is left is kept on the model's :class:`Source`; then the model is
        filled (see :meth:`ReadContext.finish`)."""
        source = self.source
        attrs = self.attrs
        if isinstance(self.h5obj, h5py.Dataset) and not self.valued:
            self._keep_dataset()
        object_id = attrs.pop("object_id", None)
        if isinstance(object_id, h5py.Empty):
            source.stored_attributes["object_id"] = (None, object_id)
        elif object_id is not None:
            source.object_id = decode_attribute(object_id, "text", scalar=True)
        if "data_type" in attrs and "neurodata_type" not in attrs:
            source.type_attribute = "data_type"
        stored_type = type_text(attrs.get(source.type_attribute))
        if stored_type is not None:
            source.stored_type = (type_text(attrs.get("namespace")), stored_type)
        for name in TYPE_ATTRIBUTES:
            attrs.pop(name, None)
        for name, raw in attrs.items():
            source.unknown.attributes[name] = self._decode(
                raw, None, None, f"attribute {name!r}", keep=True
            )
        for h5_name in list(self.members):
            self._keep_unknown(h5_name)
        return self.ctx.finish(self)

    def _keep_dataset(self) -> None:
        """A dataset typed as a group type: a violation, its values kept as
        stored so that writing the model back writes the dataset again."""
        self.ctx.violation(
            self.path, "is a dataset, where its type is a group: values kept as read"
        )
        with reading(self.source.filename, self.path):
            self.source.stored_dataset = read_dataset(
                self.h5obj,
                resolver=_Deref(self),
                name=self.path,
                filename=self.source.filename,
            )

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
        obj = open_member(group, h5_name, self.ctx.readonly)
        path = f"{self.path.rstrip('/')}/{h5_name}"
        if is_typed(group, h5_name):
            self.source.extra_children[h5_name] = self.ctx.build(obj, None, path=path)
            self.ctx.violation(path, "a typed member the schema has no place for")
        elif isinstance(obj, h5py.Dataset):
            unknown.datasets[h5_name] = read_dataset(
                obj, resolver=_Deref(self), name=path, filename=self.source.filename
            )
            self._keep_attributes(h5_name, obj)
        else:
            unknown.groups[h5_name] = obj


class _Unopened:
    """Reads and probes the hard-linked members by type of one group that a lazy
    read listed without opening them: a typed member is built as one of
    ``allowed``; an untyped one is no member by type and is kept as stored, as an
    eager read keeps it (:data:`~.lazy_children.NOT_A_MEMBER` from the read,
    ``False`` from the probe). One object for the group, none a member."""

    __slots__ = ("allowed", "frame", "opened")

    def __init__(self, frame: ReadFrame, allowed: tuple[type, ...]) -> None:
        self.frame = frame
        self.allowed = allowed
        self.opened: dict[str, Any] = {}  # name -> member, opened and typed

    def probe(self, h5_name: str) -> bool:
        frame = self.frame
        if h5_name in self.opened:
            return True
        path = frame._child(h5_name)
        if not frame.h5obj.id.valid:
            raise _closed_before_read(frame.source.filename, path)
        with reading(frame.source.filename, path):  # HDF5 failing: a damaged file
            obj = open_member(frame.h5obj, h5_name, frame.ctx.readonly)
            if not has_type(obj):
                frame._keep_as_stored(h5_name, obj)
                return False
            frame.ctx.saw(obj, path)
        self.opened[h5_name] = obj
        return True

    def read(self, h5_name: str) -> Any:
        if not self.probe(h5_name):
            return NOT_A_MEMBER
        frame, allowed = self.frame, self.allowed
        obj = self.opened.pop(h5_name)
        path = frame._child(h5_name)
        if not obj.id.valid:
            raise _closed_before_read(frame.source.filename, path)
        base = allowed[0] if len(allowed) == 1 else None
        fallback = None if base is not None else frame.ctx.common_base(allowed)
        model = frame.ctx.build(obj, base, fallback, path)
        if model is None:  # an unknown type no class here fits
            frame._keep_as_stored(h5_name, obj)
            return NOT_A_MEMBER
        return model


class _Deref:
    """What :func:`read_dataset` and lazy arrays call to resolve references: the
    context's models, built on first use. It keeps the frame's context, path and
    object, not the frame (a lazy array keeps its resolver as long as it lives)."""

    __slots__ = ("ctx", "h5obj", "path")

    def __init__(self, frame: ReadFrame) -> None:
        self.ctx, self.path, self.h5obj = frame.ctx, frame.path, frame.h5obj

    def deref(
        self,
        ref: Any,
        from_obj: Any,
        *,
        build: Any = None,
        where: str | None = None,
        keep: bool = False,
    ) -> Any:
        """The model ``ref`` points to (with its selection, for a region);
        ``None`` if null or dangling, or if no class fits the object and not
        ``keep`` (else the HDF5 object itself)."""
        if not ref:
            return None
        target = dereference(ref, from_obj)

        def holder() -> str:  # named only for a violation: h5py's name searches
            path = self.path if from_obj is self.h5obj else from_obj.name
            return f"{path}" + (f" {where}" if where else "")

        if target is None:
            self.ctx.violation(holder(), "refers to no object (dangling reference)")
            return None
        ctx = self.ctx
        model = ctx.known(target)
        if model is not None:
            return _with_region(model, ref, from_obj)
        path = ctx.path_of(target, near=self.path)
        if not path:
            ctx.violation(holder(), "refers to an unlinked object (dangling)")
            return None
        model = ctx.build(target, None, path=path)
        if model is None and keep:  # no class fits: as stored (it has a path)
            model = target
        return _with_region(model, ref, from_obj)


def _has_members(group: Any) -> bool:
    """Whether ``group`` has a member, in constant time (``len()`` walks every
    B-tree node of an old-style group: 30 us at 4,000 members)."""
    return group.id.links.iterate(_stop) is not None


def _stop(_name: bytes) -> bool:
    return True


def _closed_before_read(filename: str, path: str) -> ClosedFileError:
    return ClosedFileError(
        f"{filename}: {path}: the file was closed before this member was read "
        "(lazy reads need the file open)"
    )


def _is_object(value: Any) -> bool:
    """An HDF5 object (alone, or with a region selection): a reference's target
    no class fits, as ``keep`` resolves it."""
    if isinstance(value, tuple) and len(value) == 2:
        value = value[0]
    return isinstance(value, h5py.HLObject)


def _holds_references(raw: Any) -> bool:
    if isinstance(raw, h5py.Reference):
        return True
    dtype = getattr(raw, "dtype", None)
    return dtype is not None and h5py.check_dtype(ref=dtype) is not None


def _with_region(model: Any, ref: Any, from_obj: Any) -> Any:
    if isinstance(ref, h5py.RegionReference):
        return model, region_selection(ref, from_obj)
    return model


def name_of(h5obj: Any) -> str:
    """The object's path for a message (``?`` when HDF5 cannot say)."""
    try:
        return h5obj.name or "?"
    except Exception:  # noqa: BLE001 - any failure: reported, not raised
        return "?"


def filename_of(h5obj: Any) -> str:
    try:
        return h5obj.file.filename
    except Exception:  # noqa: BLE001 - any failure: reported, not raised
        return "?"


def _keep_dtype(source: Source, name: str, dataset: Any) -> None:
    """Remember a scalar dataset's numeric dtype (its value became a Python number)."""
    dtype = dataset.dtype
    if dtype.kind in "biuf":
        source.dtypes[name] = dtype
