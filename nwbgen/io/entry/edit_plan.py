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
from typing import Any

import h5py
import numpy as np
from h5py import h5l, h5o

from ...errors import EditError
from ...runtime.hdf5.encode import encode_values, parse_kind, safe_cast
from ...runtime.hdf5.links import (
    ExternalLink,
    ExternalLinkInfo,
    SoftLinkInfo,
    link_type,
)
from ...runtime.hdf5.objects import ObjectMap
from ...runtime.hdf5.references import (
    read_addresses,
    read_reference_values,
    reference_sites,
    region_selection,
)
from ...runtime.hdf5.write import DataIO, smallest_uint
from ...runtime.lazy_children import read_unread
from ...runtime.models.base import is_model
from ...runtime.models.fields import field_classes
from ...runtime.models.tables import DynamicTableMixin, VectorIndexMixin
from ...runtime.source import source_of
from .edit import EditSession, effective, is_pending, raw_items
from .edit_changes import AttrChange, NewDataset, Placement, Plan, Referrer, ValueChange
from .edit_check import CheckContext, Place
from .edit_compare import (
    COMPARE_ROWS,
    NOTHING,
    describe,
    fits_in_place,
    flat,
    from_elsewhere,
    has_refs,
    holds_models,
    is_text,
    join,
    length_of,
    models_in,
    numbers,
    same,
    same_rows,
    show_rows,
    under,
    wider,
)
from .edit_layout import layout_of

__all__ = ["Plan", "plan_edit"]

#: rows compared per block when checking that stored rows are unchanged


def plan_edit(session: EditSession, root: Any) -> Plan:
    """The plan of the differences between ``root`` (the NWBFile the session
    read) and the file, checked; an :class:`EditError` for the first problem."""
    planner = Planner(session)
    planner.run(root)
    return planner.plan


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
        for model in models_in(value):
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
                home, f"{describe(model)} is not of a generated model class"
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
            if link_type(group, name) == h5l.TYPE_HARD:
                bname = name.encode("utf-8", "surrogateescape")
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
        kept = _kept_as_stored(model)
        for name in old:
            if name not in names and not (is_pending(old[name]) and name in kept):
                # (a member listed unread that turned out untyped is kept as
                # stored, not removed)
                self.member(
                    model, home, field_name, name, None, old[name], links, link=False
                )
        for name, child in entries:
            before = old.get(name)
            if child is before and is_pending(child):
                continue  # never read: untouched
            if is_pending(before):
                before = read_unread(
                    name, before
                )  # the member as read (already, or now)
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
                    f"{describe(value)} cannot be here: {field_name} holds {names}",
                )
        self.plan.placements.append(Placement(parent, name, value, how))
        place = Place(parent)
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
        if isinstance(cur, DataIO) or from_elsewhere(cur):
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
        if fits_in_place(data, dset):
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
            if not same_rows(old[start:stop], cur[start:stop]):
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
        if has_refs(dset.dtype):
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
        if index and not holds_models(cur):
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
            values = numbers(rows)
            if values is None:
                raise self.fail(
                    path,
                    f"{where}: expected numbers for a {stored} dataset, got {show_rows(rows)}",
                )
            self._check_row_shape(path, values, dset, where)
            try:
                return safe_cast(values, stored), stored
            except ValueError as exc:
                widened = wider(stored, values, index)
                if widened is None:
                    raise self.fail(path, f"{where}: {exc}") from None
                return safe_cast(values, widened), widened
        if string is not None:
            bad = next((r for r in flat(rows) if not is_text(r)), NOTHING)
            if bad is not NOTHING:
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
                    f"{describe(model)} is removed (with {root}) but still used, "
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
    n = 0 if ids is None else length_of(ids.value)
    for name in table.column_names:
        try:
            column = table.column(name)
        except KeyError:
            return f"colnames names {name!r}, which the table does not hold"
        index = table.index_of(name)
        rows = length_of(index.value if index is not None else column.value)
        if rows != n:
            what = (
                f"the index of column {name!r}"
                if index is not None
                else f"column {name!r}"
            )
            return f"{what} has {rows} rows, the table {n} ids"
        while index is not None:
            values = index.value
            last = int(values[-1]) if length_of(values) else 0
            target = index.target
            size = length_of(target.value) if target is not None else 0
            if last != size:
                return (
                    f"index {index.name!r} ends at {last}, its target "
                    f"{getattr(target, 'name', '?')!r} has {size} values"
                )
            index = target if isinstance(target, VectorIndexMixin) else None
    return None


def _kept_as_stored(model: Any) -> set[str]:
    """The names of the members of a read model kept as stored (no model holds them)."""
    source = source_of(model) if is_model(model) else None
    if source is None:
        return set()
    unknown = source.unknown
    return {*unknown.groups, *unknown.datasets, *unknown.links}
