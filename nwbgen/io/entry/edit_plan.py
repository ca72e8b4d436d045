"""Planning an edit: every difference between the models and the file, checked,
while nothing is written.

The planner walks the models from the root. A model that lives in the file (read
from it: its :class:`~nwbgen.runtime.source.Source` names this file) is compared
with its snapshot member by member, in the order and with the roles its generated
writer gives (:func:`.edit_layout.layout_of`):

- an attribute that differs is rewritten (numbers with their stored dtype), one
  set to ``None`` deleted;
- a dataset whose value differs: a scalar is written in place; an array whose
  stored rows are unchanged and that has more rows (a table column grown by
  ``add_row``) gets the new rows appended; any other value replaces the dataset;
- a subgroup, dataset model, link or child that is another model than before is
  unlinked and the new one placed: written as a fresh write would write it (by
  the generated writers, see :class:`CheckContext`) or, for a model that lives in
  the file, linked to it; one set to ``None`` (or a child taken out) is unlinked.

Everything a write would do is checked here: each new model's class and namespace
version, every value's encoding for its dtype (references and links to models that
will be in the file and are not removed), names not taken, tables whose columns all
have as many rows as their ids, no reference left to a removed object. Reading the
file is all this does; a problem is an :class:`~nwbgen.errors.EditError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np
from h5py import h5l, h5o

from ...errors import EditError, HDF5WriteError
from ...runtime.hdf5.encode import encode_values, parse_kind, safe_cast
from ...runtime.hdf5.lazy import LazyArray
from ...runtime.hdf5.links import ExternalLink, ExternalLinkInfo, SoftLinkInfo
from ...runtime.hdf5.objects import ObjectMap
from ...runtime.hdf5.references import (
    read_addresses,
    read_reference_values,
    reference_sites,
    region_selection,
)
from ...runtime.hdf5.write import DataIO, smallest_uint
from ...runtime.models.base import is_model
from ...runtime.models.fields import field_classes
from ...runtime.models.tables import DynamicTableMixin, VectorIndexMixin
from ...runtime.source import source_of
from ...runtime.write import package_of
from .edit import EditSession, effective, is_pending, raw_items
from .edit_layout import layout_of, writer_of
from .specifications import with_includes

__all__ = ["Plan", "plan_edit"]

#: rows compared per block when checking that stored rows are unchanged
COMPARE_ROWS = 1 << 16


# --- the plan ---------------------------------------------------------------------


@dataclass
class ValueChange:
    """A dataset's values changed: written in place (``scalar``), rows appended
    (``append``: in place, or the dataset rewritten with its stored rows copied),
    or all values replaced (``rewrite``)."""

    path: str
    op: str
    #: the values as the model holds them (the new rows for an append)
    rows: Any
    #: the values encoded for the dataset (``None``: they hold references,
    #: encoded when written)
    data: Any = None
    #: the kind to encode ``rows`` with when they hold references
    kind: Any = None
    #: rows stored before (append)
    start: int = 0
    #: dtype of the dataset written (append: the stored one, or a wider one)
    dtype: Any = None
    in_place: bool = False
    refs: bool = False
    #: references to objects this edit writes: applied after they exist
    late: bool = False

    @property
    def rewrites(self) -> bool:
        return self.op == "rewrite" or (self.op == "append" and not self.in_place)


@dataclass
class AttrChange:
    path: str
    name: str
    value: Any
    kind: Any
    delete: bool = False


@dataclass
class NewDataset:
    """An untyped member dataset (no class of its own) a read group did not have."""

    parent: str
    name: str
    value: Any
    kind: Any


@dataclass
class Placement:
    """A member placed under a group of the file: ``write`` (a new model, or a
    link when it lives in the file already), ``link`` (a schema link) or
    ``external`` (an :class:`ExternalLink`)."""

    parent: str
    name: str
    model: Any
    how: str


@dataclass
class Referrer:
    """References to a dataset this edit rewrites: where they are (an attribute or
    a dataset's values, a compound field), at which flat positions, to what."""

    holder: str
    attribute: str | None
    field: str | None
    region: bool
    positions: list[int]
    targets: list[str]
    selections: list[Any] | None = None


@dataclass
class Plan:
    unlinks: list[str] = field(default_factory=list)
    #: the objects unlinked (hard links): they and all they hold leave the file
    removed: list[str] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    new_datasets: list[NewDataset] = field(default_factory=list)
    attributes: list[AttrChange] = field(default_factory=list)
    referrers: list[Referrer] = field(default_factory=list)
    #: the new models and where they will be written
    new_models: list[tuple[Any, str]] = field(default_factory=list)
    #: the models of the file compared
    visited: list[Any] = field(default_factory=list)
    #: models of the file whose members were unlinked or placed, and which
    relinked: list[tuple[Any, set[str]]] = field(default_factory=list)
    #: packages of the extensions a new model belongs to that the file lacks
    packages: set[Any] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (
            self.unlinks
            or self.values
            or self.placements
            or self.new_datasets
            or self.attributes
        )


def plan_edit(session: EditSession, root: Any) -> Plan:
    """The plan of the differences between ``root`` (the NWBFile the session
    read) and the file, checked; an :class:`EditError` for the first problem."""
    planner = Planner(session)
    planner.run(root)
    return planner.plan


# --- comparing values ---------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """``a`` and ``b`` hold the same value: models by identity, lazy arrays by
    dataset, containers element by element, NaN equal to NaN."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, LazyArray) or isinstance(b, LazyArray):
        return (
            isinstance(a, LazyArray)
            and isinstance(b, LazyArray)
            and not a.closed
            and not b.closed
            and a.dataset.id == b.dataset.id
        )
    if is_model(a) or is_model(b):
        return False
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, np.void):
        a = tuple(a)
    if isinstance(b, np.void):
        b = tuple(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return _same_arrays(a, b)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))):
            return False
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        return bool(a == b or (a != a and b != b))
    if type(a) is not type(b) and isinstance(a, (str, bytes)) != isinstance(
        b, (str, bytes)
    ):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _same_arrays(a: Any, b: Any) -> bool:
    if not isinstance(a, np.ndarray):
        if not isinstance(a, (list, tuple)) or _holds_models(a):
            return False
        a = _as_array(a)
    if not isinstance(b, np.ndarray):
        if not isinstance(b, (list, tuple)) or _holds_models(b):
            return False
        b = _as_array(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        differ = a != b
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            differ &= ~(np.isnan(a) & np.isnan(b))
        return not bool(np.any(differ))
    if a.dtype.names is not None or b.dtype.names is not None:
        return all(same(x, y) for x, y in zip(a.reshape(-1), b.reshape(-1)))
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    return all(same(flat_a[i], flat_b[i]) for i in range(flat_a.size))


def _as_array(values: Any) -> np.ndarray | None:
    try:
        return np.asarray(values)
    except (ValueError, TypeError):  # ragged
        return None


def _holds_models(values: Any) -> bool:
    return any(
        is_model(v) or (isinstance(v, tuple) and v and is_model(v[0])) for v in values
    )


def _models_in(value: Any) -> Iterator[Any]:
    """The models a value refers to (a model, (model, selection), or a list or
    object array of them, tuples of compound rows too)."""
    if value is None or isinstance(value, (LazyArray, str, bytes)):
        return
    if is_model(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            if is_model(item):
                yield item
            elif isinstance(item, (list, tuple, np.void, np.ndarray)):
                yield from _models_in(item)
    elif isinstance(value, np.void):
        yield from _models_in(tuple(value))
    elif isinstance(value, np.ndarray) and (value.dtype == object or value.dtype.names):
        for item in value.reshape(-1):
            if is_model(item):
                yield item
            elif isinstance(item, (tuple, np.void)):
                yield from _models_in(item)


def _has_refs(dtype: np.dtype) -> bool:
    if dtype.names is not None:
        return any(_has_refs(dtype[n]) for n in dtype.names)
    return h5py.check_dtype(ref=dtype) is not None


def _is_reference_kind(kind: Any) -> bool:
    parsed = parse_kind(kind)
    if parsed.tag == "reference":
        return True
    return parsed.tag == "compound" and any(
        k.tag == "reference" for _, k in parsed.fields
    )


def join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def under(path: str, roots: Any) -> str | None:
    """The root of ``roots`` that ``path`` is, or is inside."""
    for root in roots:
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return root
    return None


def _describe(model: Any) -> str:
    return f"{type(model).__name__} {getattr(model, 'name', '?')!r}"


# --- the planner --------------------------------------------------------------------


class Planner:
    """One plan: the walk over the models of the file, and the checks."""

    def __init__(self, session: EditSession) -> None:
        self.session = session
        self.h5f = session.file
        self.filename = session.io.path
        self.provider = session.io.provider
        self.plan = Plan()
        self.queue: deque[Any] = deque()
        self.seen: set[int] = set()
        #: where each model of the file was reached from (for messages)
        self.via: dict[int, str] = {}
        #: HDF5 paths given to new members
        self.claimed: set[str] = set()
        self.unlinked: set[str] = set()
        #: groups this edit creates
        self.new_groups: set[str] = set()
        self.new_tables: list[tuple[Any, str]] = []
        self._relinked: dict[int, tuple[Any, set[str]]] = {}
        self.check = CheckContext(self)

    def fail(self, path: str, reason: str) -> EditError:
        return EditError(f"{self.filename}:{path}: {reason}")

    # -- the walk ----------------------------------------------------------------------
    def run(self, root: Any) -> None:
        if not is_model(root) or self.session.home_of(root) != "/":
            raise EditError(
                f"{self.filename}: write() of a file opened with mode 'a' takes the "
                "NWBFile read from it (nwbfile = io.read(); change it; "
                "io.write(nwbfile))"
            )
        self.enqueue(root, "/")
        while self.queue or self.check.deferred:
            while self.queue:
                self.visit(self.queue.popleft())
            pending, self.check.deferred = self.check.deferred, []
            for task in pending:
                task()
        self.finish()

    def enqueue(self, model: Any, via: str) -> None:
        key = id(model)
        if key not in self.seen:
            self.seen.add(key)
            self.via[key] = via
            self.queue.append(model)
            self.plan.visited.append(model)

    def reach(self, value: Any, via: str, *, changed: bool = True) -> None:
        """Models ``value`` refers to: those of the file are compared too (and
        must not be removed); in a changed value, new ones must be placed
        somewhere (an unchanged one may hold models of other files, read
        through external links)."""
        for model in _models_in(value):
            if self.session.home_of(model) is not None:
                self.enqueue(model, via)
            elif changed:
                self.check.expect_home(model, via)

    def visit(self, model: Any) -> None:
        home = self.session.home_of(model)
        assert home is not None
        snap = self.session.snapshots[id(model)]
        layout = layout_of(type(model))
        if layout is None:
            raise self.fail(
                home, f"{_describe(model)} is not of a generated model class"
            )
        links = self.session.stored_links(model)
        for role in layout.roles:
            cur = effective(model, role.field, snap.read)
            old = snap.values.get(role.field)
            if role.role == "attribute":
                self.attribute(model, home, role, cur, old)
            elif role.role == "dataset":
                self.member_dataset(model, home, role, cur, old, links)
            elif role.role == "children":
                self.children(model, home, role.field, cur or {}, old or {}, links)
            else:
                self.member(
                    model,
                    home,
                    role.field,
                    role.h5_name,
                    cur,
                    old,
                    links,
                    link=role.role == "link",
                )
        if layout.is_dataset:
            cur = model.__dict__.get("value")
            old = snap.values.get("value")
            source = source_of(model)
            stored = source.dtypes.get("") if source is not None else None
            self.dataset_value(
                home,
                cur,
                old,
                layout.kind,
                layout.scalar,
                stored,
                member=None,
                index=isinstance(model, VectorIndexMixin),
            )
        source = source_of(model)
        if source is not None:
            for name, child in source.extra_children.items():
                if self.session.home_of(child) is not None:
                    self.enqueue(child, join(home, name))

    # -- attributes -----------------------------------------------------------------
    def attribute(self, model: Any, home: str, role: Any, cur: Any, old: Any) -> None:
        where = f"{home}@{role.h5_name}"
        if same(cur, old):
            self.reach(cur, where, changed=False)
            return
        if cur is None:
            self.plan.attributes.append(
                AttrChange(home, role.h5_name, None, None, True)
            )
            return
        source = source_of(model)
        kind = role.kind
        if source is not None and role.h5_name in source.dtypes:
            kind = source.dtypes[role.h5_name]
        self.check.check_value(cur, kind, where)
        self.reach(cur, where)
        self.plan.attributes.append(AttrChange(home, role.h5_name, cur, kind))

    # -- members --------------------------------------------------------------------
    def _relink(self, model: Any, name: str) -> None:
        entry = self._relinked.get(id(model))
        if entry is None:
            entry = self._relinked[id(model)] = (model, set())
            self.plan.relinked.append(entry)
        entry[1].add(name)

    def unlink(self, model: Any, parent: str, name: str, stored: Any) -> None:
        """The entry ``name`` of ``parent`` leaves; if it was the object itself
        (a hard link), the object and all it holds leave the file."""
        path = join(parent, name)
        if path in self.unlinked:
            return
        self.unlinked.add(path)
        self.plan.unlinks.append(path)
        self._relink(model, name)
        if stored is None:
            group = self.h5f[parent]
            bname = name.encode("utf-8", "surrogateescape")
            if group.id.links.exists(bname):
                if group.id.links.get_info(bname).type == h5l.TYPE_HARD:
                    if h5o.get_info(h5o.open(group.id, bname)).rc == 1:
                        self.plan.removed.append(path)

    def member(
        self,
        model: Any,
        home: str,
        field_name: str,
        name: str,
        cur: Any,
        old: Any,
        links: dict[str, Any],
        *,
        link: bool,
    ) -> None:
        here = join(home, name)
        if cur is old or (
            isinstance(cur, ExternalLink)
            and isinstance(old, ExternalLink)
            and cur == old
        ):
            if is_model(cur):
                self.reach(cur, here, changed=False)
            return
        if old is not None:
            self.unlink(model, home, name, links.get(name))
        if cur is None:
            return
        self._relink(model, name)
        self.place(model, home, field_name, name, cur, "link" if link else "write")

    def children(
        self,
        model: Any,
        home: str,
        field_name: str,
        cur: dict[str, Any],
        old: dict[str, Any],
        links: dict[str, Any],
    ) -> None:
        entries = raw_items(cur)  # members a lazy read has not read yet stay so
        names = {name for name, _ in entries}
        for name in old:
            if name not in names:
                self.member(
                    model, home, field_name, name, None, old[name], links, link=False
                )
        for name, child in entries:
            before = old.get(name)
            if child is before and is_pending(child):
                continue  # never read: untouched
            if is_pending(before):
                before = before.read()  # the member as read (already, or now)
            if is_pending(child):
                child = cur[name]
            self.member(model, home, field_name, name, child, before, links, link=False)

    def place(
        self,
        parent_model: Any,
        parent: str,
        field_name: str,
        name: str,
        value: Any,
        how: str,
    ) -> None:
        here = join(parent, name)
        if isinstance(value, ExternalLink):
            self.claim(here)
            self.plan.placements.append(Placement(parent, name, value, "external"))
            return
        if not is_model(value):
            raise self.fail(here, f"{value!r} is not a model")
        home = self.session.home_of(value)
        if home is None and how == "write":
            self.check.writer(value, here)  # its class and namespace version first
            allowed = tuple(field_classes(type(parent_model), field_name))
            if allowed and not isinstance(value, allowed):
                names = ", ".join(c.__name__ for c in allowed)
                raise self.fail(
                    here,
                    f"{_describe(value)} cannot be here: {field_name} holds {names}",
                )
        self.plan.placements.append(Placement(parent, name, value, how))
        place = _Place(parent)
        if how == "link":
            self.check.link(place, name, value)
        else:
            self.check.write(place, name, value)

    def claim(self, path: str) -> None:
        """``path`` is given to a new member: free in the file (or unlinked by
        this edit) and not given twice."""
        parent, _, name = path.rpartition("/")
        parent = parent or "/"
        if not name or name in (".", ".."):
            raise self.fail(path, f"{name!r} is not a valid HDF5 name")
        if path in self.claimed:
            raise self.fail(path, "two new members of this name")
        if parent not in self.new_groups and path not in self.unlinked:
            group = self.h5f.get(parent)
            if group is not None and isinstance(group, h5py.Group):
                if group.id.links.exists(name.encode("utf-8", "surrogateescape")):
                    raise self.fail(
                        path, "the name is taken: the file has a member there"
                    )
        self.claimed.add(path)

    # -- dataset values ---------------------------------------------------------------
    def member_dataset(
        self,
        model: Any,
        home: str,
        role: Any,
        cur: Any,
        old: Any,
        links: dict[str, Any],
    ) -> None:
        here = join(home, role.h5_name)
        stored_link = links.get(role.h5_name)
        if isinstance(stored_link, ExternalLinkInfo) or isinstance(cur, ExternalLink):
            if same(cur, old):
                return
            if old is not None:
                self.unlink(model, home, role.h5_name, stored_link)
            if cur is not None:
                self._relink(model, role.h5_name)
                self.place(model, home, role.field, role.h5_name, cur, "write")
            return
        source = source_of(model)
        stored = source.dtypes.get(role.h5_name) if source is not None else None
        if old is None and cur is not None:
            self.claim(here)
            kind = role.kind
            self.check.check_value(cur, kind, here)
            self.reach(cur, here)
            self.plan.new_datasets.append(NewDataset(home, role.h5_name, cur, kind))
            self._relink(model, role.h5_name)
            return
        if cur is None and old is not None:
            self.unlink(model, home, role.h5_name, stored_link)
            return
        if isinstance(stored_link, SoftLinkInfo) and not same(cur, old):
            # stored as a link to another object's dataset: that one stays as it
            # is; this member gets a dataset of its own
            self.unlink(model, home, role.h5_name, stored_link)
            self.claim(here)
            self.check.check_value(cur, role.kind, here)
            self.reach(cur, here)
            self.plan.new_datasets.append(
                NewDataset(home, role.h5_name, cur, role.kind)
            )
            return
        self.dataset_value(
            here, cur, old, role.kind, role.scalar, stored, member=model, index=False
        )

    def dataset_value(
        self,
        path: str,
        cur: Any,
        old: Any,
        kind: Any,
        scalar: bool,
        stored: Any,
        *,
        member: Any,
        index: bool,
    ) -> None:
        """The value of the dataset at ``path`` (a dataset model's own, or an
        untyped member dataset's), compared with what was read."""
        if cur is old or same(cur, old):
            self.reach(cur, path, changed=False)
            return
        if cur is None:
            raise self.fail(
                path, "the dataset has no value (set one, or remove its model)"
            )
        dset = self.h5f.get(path)
        if not isinstance(dset, h5py.Dataset):
            raise self.fail(path, "is not a dataset in the file")
        if isinstance(cur, DataIO) or _from_elsewhere(cur):
            self.check.check_value(cur, kind, path)
            self.value_change(ValueChange(path, "rewrite", cur, kind=kind))
            return
        if dset.shape is None:
            raise self.fail(path, "a dataset with no dataspace cannot take values")
        if scalar or dset.shape == () or not isinstance(cur, (list, tuple, np.ndarray)):
            self.scalar_change(path, dset, cur, stored if stored is not None else kind)
            return
        start = self.stored_rows(path, dset, old, cur)
        if start is None:
            self.replace(path, dset, cur, kind, index)
            return
        if len(cur) == start:
            self.reach(cur, path, changed=False)
            return
        self.append(path, dset, cur, start, kind, index)

    def value_change(self, change: ValueChange) -> None:
        dset = self.h5f[change.path]
        if change.rewrites and h5o.get_info(dset.id).rc > 1:
            raise self.fail(
                change.path,
                "is hard-linked elsewhere too: it cannot be rewritten (give it "
                "values that fit in place, or copy the file with nwbgen copy)",
            )
        self.plan.values.append(change)

    def scalar_change(
        self, path: str, dset: h5py.Dataset, value: Any, kind: Any
    ) -> None:
        data = self.check.encode(value, kind, path)
        if data is None:  # references: encoded when written
            change = ValueChange(path, "rewrite", value, kind=kind, refs=True)
            self.check.mark_late(change, value)
            self.value_change(change)
            return
        if _fits_in_place(data, dset):
            self.value_change(ValueChange(path, "scalar", value, data=data))
        else:
            self.value_change(ValueChange(path, "rewrite", value, data=data))

    def stored_rows(
        self, path: str, dset: h5py.Dataset, old: Any, cur: Any
    ) -> int | None:
        """How many rows the file holds when ``cur`` starts with them unchanged
        (rows appended, or none), else ``None`` (the values are replaced)."""
        if old is None or dset.ndim == 0 or isinstance(old, (str, bytes)):
            return None
        if not hasattr(old, "__len__") or not hasattr(old, "__getitem__"):
            return None
        stored = dset.shape[0]
        if len(old) != stored or len(cur) < stored:
            return None
        for start in range(0, stored, COMPARE_ROWS):
            stop = min(stored, start + COMPARE_ROWS)
            if not _same_rows(old[start:stop], cur[start:stop]):
                return None
        return stored

    def append(
        self,
        path: str,
        dset: h5py.Dataset,
        cur: Any,
        start: int,
        kind: Any,
        index: bool,
    ) -> None:
        rows = list(cur[start:]) if not isinstance(cur, np.ndarray) else cur[start:]
        total = len(cur)
        if _has_refs(dset.dtype):
            self.check.check_rows_refs(rows, dset.dtype, path, start)
            change = ValueChange(
                path,
                "append",
                rows,
                kind=parse_kind(dset.dtype),
                start=start,
                dtype=dset.dtype,
                refs=True,
            )
            self.check.mark_late(change, rows)
        else:
            data, dtype = self.encode_rows(path, rows, dset, kind, index, start)
            change = ValueChange(
                path, "append", rows, data=data, start=start, dtype=dtype
            )
        change.in_place = (
            dset.chunks is not None
            and change.dtype == dset.dtype
            and (dset.maxshape[0] is None or dset.maxshape[0] >= total)
        )
        self.reach(rows, path)
        self.value_change(change)

    def replace(
        self, path: str, dset: h5py.Dataset, cur: Any, kind: Any, index: bool
    ) -> None:
        if index and not _holds_models(cur):
            values = np.asarray(cur)
            if values.dtype.kind not in "iu" and values.size:
                raise self.fail(path, "a VectorIndex holds row bounds (integers)")
            kind = smallest_uint(int(values.max()) if values.size else 0)
        data = self.check.encode(cur, kind, path)
        if data is None:
            change = ValueChange(path, "rewrite", cur, kind=kind, refs=True)
            self.check.mark_late(change, cur)
        else:
            stored = dset.dtype
            if stored.kind in "biuf" and data.dtype.kind in "biuf" and not index:
                try:
                    data = safe_cast(data, stored)
                except ValueError:
                    pass  # the new values need a wider dtype: theirs
            change = ValueChange(path, "rewrite", cur, data=data)
        self.reach(cur, path)
        self.value_change(change)

    def encode_rows(
        self,
        path: str,
        rows: Any,
        dset: h5py.Dataset,
        kind: Any,
        index: bool,
        start: int,
    ) -> tuple[np.ndarray, np.dtype]:
        """The appended ``rows`` encoded for the stored dataset (and its dtype, a
        wider one when a VectorIndex or a number outgrows the stored one)."""
        stored = dset.dtype
        where = f"rows {start} to {start + len(rows) - 1}"
        string = h5py.check_string_dtype(stored)
        if stored.names is None and stored.kind in "biuf" and string is None:
            values = _numbers(rows)
            if values is None:
                raise self.fail(
                    path,
                    f"{where}: expected numbers for a {stored} dataset, got {_show(rows)}",
                )
            self._check_row_shape(path, values, dset, where)
            try:
                return safe_cast(values, stored), stored
            except ValueError as exc:
                wider = _wider(stored, values, index)
                if wider is None:
                    raise self.fail(path, f"{where}: {exc}") from None
                return safe_cast(values, wider), wider
        if string is not None:
            bad = next((r for r in _flat(rows) if not _is_text(r)), _NOTHING)
            if bad is not _NOTHING:
                raise self.fail(path, f"{where}: expected text, got {bad!r}")
            text_kind = (
                "isodatetime" if parse_kind(kind).tag == "isodatetime" else stored
            )
            if string.length is None:
                data = encode_values(rows, parse_kind(text_kind), self.h5f)
            else:
                data = encode_values(rows, parse_kind("ascii"), self.h5f)
                if any(len(b) > string.length for b in data.reshape(-1)):
                    raise self.fail(
                        path,
                        f"{where}: text longer than the {string.length} bytes the "
                        "dataset stores",
                    )
                data = data.astype(stored)
            self._check_row_shape(path, data, dset, where)
            return data, stored
        if stored.names is not None:
            try:
                data = encode_values(rows, parse_kind(stored), self.h5f)
            except (KeyError, TypeError, ValueError, OverflowError, IndexError) as exc:
                raise self.fail(path, f"{where}: {exc}") from None
            self._check_row_shape(path, data, dset, where)
            return data.astype(stored), stored
        raise self.fail(path, f"rows cannot be appended to a dataset of dtype {stored}")

    def _check_row_shape(
        self, path: str, data: Any, dset: h5py.Dataset, where: str
    ) -> None:
        if tuple(data.shape[1:]) != tuple(dset.shape[1:]):
            raise self.fail(
                path,
                f"{where}: rows of shape {tuple(data.shape[1:])}, where the dataset's "
                f"rows are {tuple(dset.shape[1:])}",
            )

    # -- the end ----------------------------------------------------------------------
    def finish(self) -> None:
        removed = self.plan.removed
        if removed:
            self._check_removed(removed)
        rewritten = {c.path for c in self.plan.values if c.rewrites}
        if removed or rewritten:
            self._scan_references(removed, rewritten)
        self._check_tables()
        self.plan.new_models = list(self.check.new_models)

    def _check_removed(self, removed: list[str]) -> None:
        """No model still used in the file lives in what is removed; no link of
        a model kept points into it."""
        for model in self.plan.visited:
            home = self.session.home_of(model)
            if home is None:
                continue
            root = under(home, removed)
            if root is not None:
                raise self.fail(
                    home,
                    f"{_describe(model)} is removed (with {root}) but still used, "
                    f"at {self.via.get(id(model), '?')}: moving an object is not "
                    "supported (remove it, and add a new one)",
                )
            source = source_of(model)
            if source is None:
                continue
            for name, link in [*source.links.items(), *source.unknown.links.items()]:
                if (
                    isinstance(link, SoftLinkInfo)
                    and under(link.path, removed)
                    and join(home, name) not in self.unlinked
                ):
                    raise self.fail(
                        join(home, name),
                        f"a soft link to {link.path}, which this edit removes",
                    )

    def _scan_references(self, removed: list[str], rewritten: set[str]) -> None:
        """Every reference of the file: none may point into what is removed; those
        to a dataset rewritten are noted, to be re-pointed to the new one."""
        objects = ObjectMap(self.h5f)
        gone: dict[int, str] = {}
        for path, info in objects.info.items():
            if under(path, removed) and info.rc == 1:
                gone[info.addr] = path
        moved: dict[int, str] = {}
        for path in rewritten:
            moved[h5o.get_info(self.h5f[path].id).addr] = path
        if not gone and not moved:
            return
        wanted = np.array(sorted({*gone, *moved}), dtype=np.uint64)
        changed_attrs = {(a.path, a.name) for a in self.plan.attributes}
        replaced = {c.path for c in self.plan.values if c.op == "rewrite"}
        for holder, info in objects.info.items():
            if info.num_attrs == 0 and info.type != h5o.TYPE_DATASET:
                continue
            if under(holder, removed):
                continue
            obj_id = (
                self.h5f.id
                if holder == "/"
                else h5o.open(self.h5f.id, holder.encode("utf-8", "surrogateescape"))
            )
            for site, sid in reference_sites(obj_id):
                addresses = np.asarray(read_addresses(site, sid), dtype=np.uint64)
                hits = np.flatnonzero(np.isin(addresses, wanted))
                if not hits.size:
                    continue
                for pos in hits:
                    target = gone.get(int(addresses[pos]))
                    if target is not None:
                        raise self.fail(
                            holder,
                            f"{site} refers to {target}, which this edit removes",
                        )
                if (
                    site.attribute is not None
                    and (holder, site.attribute) in changed_attrs
                ):
                    continue
                if site.attribute is None and holder in replaced:
                    continue
                region = site.kind == "region"
                selections = None
                if region:
                    values = read_reference_values(site, sid)
                    selections = [
                        region_selection(values[int(p)], self.h5f) for p in hits
                    ]
                self.plan.referrers.append(
                    Referrer(
                        holder,
                        site.attribute,
                        site.field,
                        region,
                        [int(p) for p in hits],
                        [moved[int(addresses[p])] for p in hits],
                        selections,
                    )
                )

    def _check_tables(self) -> None:
        """Every table this edit touches or writes: each column (or its outermost
        index) has a row per id, and each index ends at its target's length."""
        touched = [
            *[a.path for a in self.plan.attributes],
            *[c.path for c in self.plan.values],
            *[join(p.parent, p.name) for p in self.plan.placements],
            *self.plan.unlinks,
            *[join(d.parent, d.name) for d in self.plan.new_datasets],
        ]
        tables = list(self.check.new_tables)
        for model in self.plan.visited:
            if isinstance(model, DynamicTableMixin):
                home = self.session.home_of(model)
                if home is not None and under_any(touched, home):
                    tables.append((model, home))
        for table, home in tables:
            problem = table_problem(table)
            if problem:
                raise self.fail(home, problem)


def under_any(paths: list[str], root: str) -> bool:
    prefix = root.rstrip("/") + "/"
    return any(p == root or p.startswith(prefix) for p in paths)


def table_problem(table: Any) -> str | None:
    """Why a table's columns disagree with its ids, or ``None``."""
    ids = table.__dict__.get("id")
    n = 0 if ids is None else _length(ids.value)
    for name in table.column_names:
        try:
            column = table.column(name)
        except KeyError:
            return f"colnames names {name!r}, which the table does not hold"
        index = table.index_of(name)
        rows = _length(index.value if index is not None else column.value)
        if rows != n:
            what = (
                f"the index of column {name!r}"
                if index is not None
                else f"column {name!r}"
            )
            return f"{what} has {rows} rows, the table {n} ids"
        while index is not None:
            values = index.value
            last = int(values[-1]) if _length(values) else 0
            target = index.target
            size = _length(target.value) if target is not None else 0
            if last != size:
                return (
                    f"index {index.name!r} ends at {last}, its target "
                    f"{getattr(target, 'name', '?')!r} has {size} values"
                )
            index = target if isinstance(target, VectorIndexMixin) else None
    return None


def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, LazyArray):
        return value.shape[0] if value.shape else 1
    return len(value) if hasattr(value, "__len__") else 1


_NOTHING = object()


def _flat(rows: Any) -> Iterator[Any]:
    for row in rows:
        if isinstance(row, (list, tuple)):
            yield from _flat(row)
        elif isinstance(row, np.ndarray):
            yield from row.reshape(-1)
        else:
            yield row


def _is_text(value: Any) -> bool:
    from datetime import date

    return isinstance(value, (str, bytes, np.str_, np.bytes_, date, np.datetime64))


def _numbers(rows: Any) -> np.ndarray | None:
    if _holds_models(rows) if isinstance(rows, (list, tuple)) else False:
        return None
    try:
        values = np.asarray(rows)
    except (ValueError, TypeError):
        return None
    return values if values.dtype.kind in "biuf" else None


def _wider(stored: np.dtype, values: np.ndarray, index: bool) -> np.dtype | None:
    """A dtype of the stored kind wide enough for ``values``, if there is one."""
    if not values.size:
        return None
    if index:
        if values.dtype.kind not in "iu" or values.min() < 0:
            return None
        return smallest_uint(int(values.max()))
    if stored.kind == values.dtype.kind or (
        stored.kind == "i" and values.dtype.kind == "u"
    ):
        wider = np.promote_types(stored, values.dtype)
        return wider if wider.kind == stored.kind else None
    return None


def _show(rows: Any) -> str:
    text = repr(rows)
    return text if len(text) <= 60 else text[:57] + "..."


def _same_rows(old: Any, cur: Any) -> bool:
    """Blocks of rows: the stored ones (decoded) and the model's."""
    if len(old) != len(cur):
        return False
    if isinstance(old, np.ndarray) and old.dtype.kind in "biufc":
        values = _numbers(cur) if not isinstance(cur, np.ndarray) else cur
        if values is not None and values.shape == old.shape:
            return _same_arrays(old, values)
    return all(same(a, b) for a, b in zip(old, cur))


def _fits_in_place(data: np.ndarray, dset: h5py.Dataset) -> bool:
    """An encoded scalar the stored dataset takes as it is."""
    if dset.shape not in ((), (1,)) or data.size != 1:
        return False
    stored = dset.dtype
    if h5py.check_string_dtype(stored) is not None:
        string, new = h5py.check_string_dtype(stored), h5py.check_string_dtype(
            data.dtype
        )
        if new is None or string.length is not None:
            return False
        if string.encoding == "ascii":
            item = data.reshape(-1)[0]
            return isinstance(item, bytes) or (isinstance(item, str) and item.isascii())
        return True
    if stored.kind in "biuf" and data.dtype.kind in "biuf" and stored.names is None:
        try:
            safe_cast(data, stored)
        except ValueError:
            return False
        return True
    return False


def _from_elsewhere(value: Any) -> bool:
    """Data that is not in memory: another dataset, an iterator, an array-like."""
    if isinstance(value, (LazyArray, h5py.Dataset, Iterator)):
        return True
    if isinstance(value, (np.ndarray, np.generic, list, tuple, str, bytes, dict)):
        return False
    return all(hasattr(value, a) for a in ("shape", "dtype", "__getitem__"))


class _Place:
    """Stands for a group in the check: its path."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# --- checking new subtrees --------------------------------------------------------


class CheckContext:
    """Stands for the :class:`~nwbgen.runtime.write.WriteContext` of the apply:
    runs the very generated writers over the new models, in the same order,
    giving each model the home the write will give it, but writes nothing:
    every value is encoded (or, holding references, checked at the end when
    every home is known), every name claimed, every class's namespace version
    checked."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.h5f = planner.h5f
        #: id -> HDF5 path of the new models
        self.homes: dict[int, str] = {}
        self.new_models: list[tuple[Any, str]] = []
        self.new_tables: list[tuple[Any, str]] = []
        self.deferred: list[Any] = []
        self._checked: set[type] = set()

    def home(self, model: Any) -> str | None:
        found = self.homes.get(id(model))
        return found if found is not None else self.planner.session.home_of(model)

    def fail(self, path: str, reason: str) -> EditError:
        return self.planner.fail(path, reason)

    # -- what the writers call --------------------------------------------------------
    def write(self, parent: _Place, name: str, model: Any) -> None:
        path = join(parent.name, name)
        if isinstance(model, ExternalLink):
            self.planner.claim(path)
            return
        if not is_model(model):
            raise self.fail(path, f"{model!r} is not a model")
        home = self.home(model)
        if home is not None:  # a soft link to it
            self.planner.claim(path)
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, path)
            return
        source = source_of(model)
        if source is not None and source.path not in ("", "/", path):
            # read from another file, elsewhere: linked once its home is known
            self.deferred.append(lambda: self._link_or_write(parent, name, model))
            return
        self.writer(model, path)(self, parent, name, model)

    def _link_or_write(self, parent: _Place, name: str, model: Any) -> None:
        if self.home(model) is not None:
            self.planner.claim(join(parent.name, name))
        else:
            path = join(parent.name, name)
            self.writer(model, path)(self, parent, name, model)

    def link(self, parent: _Place, name: str, model: Any) -> None:
        path = join(parent.name, name)
        self.planner.claim(path)
        self.expect_home(model, path, link=True)

    def expect_home(self, model: Any, where: str, *, link: bool = False) -> None:
        """``model`` must be in the file once every new model is placed."""

        def check() -> None:
            if self.home(model) is None:
                what = "links to" if link else "refers to"
                raise self.fail(
                    where,
                    f"{what} {_describe(model)}, which is not in the file (add it "
                    "where it belongs, e.g. devices)",
                )
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, where)

        self.deferred.append(check)

    def group(
        self, parent: _Place | None, name: str, model: Any, nwb_type: Any
    ) -> _CheckFrame:
        path = join(parent.name, name) if parent is not None else "/"
        self._new(path, model)
        self.planner.new_groups.add(path)
        if isinstance(model, DynamicTableMixin):
            self.new_tables.append((model, path))
        return _CheckFrame(self, _Place(path), model)

    def dataset(
        self,
        parent: _Place,
        name: str,
        model: Any,
        nwb_type: Any,
        kind: Any,
        scalar: bool,
    ) -> _CheckFrame:
        path = join(parent.name, name)
        self._new(path, model)
        value = getattr(model, "value", None)
        source = source_of(model)
        stored = source.dtypes.get("") if source is not None else None
        if value is None:
            raise self.fail(path, "dataset has no value")
        if stored is not None and not isinstance(value, LazyArray):
            kind = stored
        elif isinstance(model, VectorIndexMixin) and not _from_elsewhere(value):
            top = np.asarray(value)
            if top.size and top.dtype.kind not in "iu":
                raise self.fail(path, "a VectorIndex holds row bounds (integers)")
            kind = smallest_uint(int(np.max(top)) if top.size else 0)
        self.check_value(value, kind, path)
        return _CheckFrame(self, _Place(path), model)

    def _new(self, path: str, model: Any) -> None:
        self.planner.claim(path)
        self.homes[id(model)] = path
        self.new_models.append((model, path))

    def writer(self, model: Any, path: str) -> Any:
        """The generated writer of a new model, once its class is checked: a
        generated class of the file's namespace versions (or of an extension
        built over them, whose namespace the write adds to /specifications)."""
        cls = type(model)
        writer = writer_of(cls)
        if writer is None:
            raise self.fail(
                path,
                f"no writer for {cls.__module__}.{cls.__name__} (not a generated "
                "model class)",
            )
        if cls not in self._checked:
            self._check_package(cls, path)
            self._checked.add(cls)
        return writer

    def _check_package(self, cls: type, path: str) -> None:
        package = package_of(cls)
        mine = self.planner.provider.packages
        needs = with_includes({package})
        for needed in [package, *(p for p in needs if p is not package)]:
            name = needed.NAMESPACE
            have = mine.get(name)
            if have is None:
                self.planner.plan.packages.add(needed)
                continue
            if have is needed or (
                have.VERSION == needed.VERSION
                and getattr(have, "SPEC_SHA256", None)
                == getattr(needed, "SPEC_SHA256", None)
            ):
                continue
            raise self.fail(
                path,
                f"{cls.__name__} is a model of {package.NAMESPACE} {package.VERSION} "
                f"({cls.__module__})"
                + (
                    f", built over {name} {needed.VERSION}"
                    if needed is not package
                    else ""
                )
                + f"; this file is {name} {have.VERSION}: build new objects with the "
                "file's own models (io.models.<Type>, or io.provider.model(namespace, "
                "type))",
            )

    # -- values ----------------------------------------------------------------------
    def check_value(self, value: Any, kind: Any, where: str) -> None:
        """``value`` encodes for ``kind`` (now, or at the end when it refers to
        models)."""
        if isinstance(value, DataIO):
            value = value.data
        if value is None or isinstance(value, h5py.Empty):
            return
        if isinstance(value, LazyArray):
            try:
                value.dataset  # noqa: B018 - raises for a closed file
            except Exception as exc:  # noqa: BLE001 - named in our words
                raise self.fail(where, str(exc)) from None
            return
        if _from_elsewhere(value):
            return  # an iterator or array-like: encoded as it is written
        if hasattr(value, "to_numpy"):
            value = value.to_numpy()
        refs = _is_reference_kind(kind) if kind is not None else False
        if refs or any(True for _ in _models_in(value)):
            self.deferred.append(lambda: self._check_refs(value, kind, where))
            return
        self.encode(value, kind, where)

    def encode(self, value: Any, kind: Any, where: str) -> np.ndarray | None:
        """``value`` encoded as a write encodes it; ``None`` when it refers to
        models (checked at the end)."""
        if (kind is not None and _is_reference_kind(kind)) or any(
            True for _ in _models_in(value)
        ):
            self.deferred.append(lambda: self._check_refs(value, kind, where))
            return None
        try:
            return encode_values(value, parse_kind(kind), self.h5f)
        except (KeyError, TypeError, ValueError, OverflowError, HDF5WriteError) as exc:
            raise self.fail(where, f"{exc}") from None

    def _check_refs(self, value: Any, kind: Any, where: str) -> None:
        for model in _models_in(value):
            if self.home(model) is None:
                raise self.fail(
                    where,
                    f"refers to {_describe(model)}, which is not in the file",
                )
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, where)
                root = under(
                    self.planner.session.home_of(model), self.planner.plan.removed
                )
                if root is not None:
                    raise self.fail(
                        where, f"refers to {_describe(model)}, which this edit removes"
                    )
        parsed = parse_kind(kind)
        if parsed.tag == "compound":
            try:
                encode_values(value, parsed, self.h5f, self.null_target)
            except (
                KeyError,
                TypeError,
                ValueError,
                OverflowError,
                HDF5WriteError,
            ) as exc:
                raise self.fail(where, f"{exc}") from None

    def null_target(self, model: Any) -> Any:
        """A reference's target when checking: it must be in the file; the
        reference made is a null one (nothing is created in the file)."""
        if is_model(model) and self.home(model) is None:
            raise HDF5WriteError(
                f"a reference to {_describe(model)}, which is not in the file"
            )
        return h5py.Reference()

    def check_rows_refs(
        self, rows: Any, dtype: np.dtype, path: str, start: int
    ) -> None:
        self.deferred.append(lambda: self._check_refs(rows, dtype, path))

    def mark_late(self, change: ValueChange, value: Any) -> None:
        """``change`` is applied after the new objects if it refers to one."""

        def mark() -> None:
            if any(self.planner.session.home_of(m) is None for m in _models_in(value)):
                change.late = True

        self.deferred.append(mark)


class _CheckFrame:
    """Stands for a :class:`~nwbgen.runtime.write.WriteFrame`."""

    __slots__ = ("ctx", "h5obj", "model", "source")

    def __init__(self, ctx: CheckContext, place: _Place, model: Any) -> None:
        self.ctx = ctx
        self.h5obj = place
        self.model = model
        self.source = source_of(model)

    def _get(self, field_name: str) -> Any:
        if self.source is not None and field_name not in self.model.model_fields_set:
            return None
        return getattr(self.model, field_name, None)

    def _where(self, name: str) -> str:
        return join(self.h5obj.name, name)

    def attribute(self, field_name: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field_name)
        if value is None:
            return
        if self.source is not None and h5_name in self.source.dtypes:
            kind = self.source.dtypes[h5_name]
        self.ctx.check_value(value, kind, f"{self.h5obj.name}@{h5_name}")

    def member(self, field_name: str, h5_name: str) -> None:
        value = self._get(field_name)
        if value is not None:
            self._place(h5_name, value)

    def _place(self, h5_name: str, value: Any) -> None:
        if self._external(h5_name, value):
            return
        stored = self.source.links.get(h5_name) if self.source is not None else None
        if isinstance(stored, SoftLinkInfo) and is_model(value):
            self.ctx.link(self.h5obj, h5_name, value)
        else:
            self.ctx.write(self.h5obj, h5_name, value)

    def _external(self, h5_name: str, value: Any) -> bool:
        stored = self.source.links.get(h5_name) if self.source is not None else None
        if isinstance(stored, ExternalLinkInfo) or isinstance(value, ExternalLink):
            self.ctx.planner.claim(self._where(h5_name))
            return True
        return False

    def dataset(self, field_name: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field_name)
        if value is None or self._external(h5_name, value):
            return
        if self.source is not None and h5_name in self.source.dtypes:
            kind = self.source.dtypes[h5_name]
        self.ctx.planner.claim(self._where(h5_name))
        if isinstance(value, (LazyArray, h5py.Dataset)):
            kind = None
        self.ctx.check_value(value, kind, self._where(h5_name))

    def link(self, field_name: str, h5_name: str) -> None:
        value = self._get(field_name)
        if value is not None and not self._external(h5_name, value):
            self.ctx.link(self.h5obj, h5_name, value)

    def children(self, field_name: str) -> None:
        for h5_name, child in (getattr(self.model, field_name, None) or {}).items():
            self._place(h5_name, child)

    def end(self) -> None:
        if self.source is None:
            return
        unknown = self.source.unknown
        for name in [*unknown.datasets, *unknown.groups, *unknown.links]:
            self.ctx.planner.claim(self._where(name))
        for name, child in self.source.extra_children.items():
            self.ctx.write(self.h5obj, name, child)
