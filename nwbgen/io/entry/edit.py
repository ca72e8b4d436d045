"""Editing a file in place: ``HDF5IO(path, mode="a")``.

``read()`` keeps, for every model it builds, a snapshot of its fields as read
(:class:`EditSession`, which watches the read); ``write(nwbfile)``
compares the models with their snapshots member by member, as each class's
generated writer lays its members out (:mod:`.edit_layout`), plans every
difference and checks it (:mod:`.edit_plan`) while nothing is written, then
applies the plan to the open file (:mod:`.edit_apply`):

- new objects are written by the generated writers, as a fresh write writes
  them, their links and references pointing at the objects already there;
- changed attributes are rewritten, changed scalar datasets written in place;
- rows appended to a dataset (a table column grown by ``add_row``) are written
  after the stored ones: in place when the dataset is chunked and may grow along
  its first axis, else the dataset is rewritten (its attributes, ``object_id``
  and layout kept; every reference to it re-pointed to the new one);
- removed members are unlinked (``nwbgen copy`` repacks the file to reclaim
  their space).

Untouched objects are not written at all. The file is opened ``r+`` when the
``HDF5IO`` is made and stays locked (HDF5 file locking) until it is closed; a file
another process has open is an :class:`~nwbgen.errors.EditError`.

Planning reads the file and writes nothing (not even a reference: region
references would store their selection in the file): an ``EditError`` while
planning leaves the file byte for byte as it was, and the session usable (fix the
models, ``write`` again). What a failure in the write phase can leave: the
changes are made in place, in the order of :mod:`.edit_apply`, and HDF5 keeps no
journal. An exception there (a full disk; data given as an iterator, which can
only be checked as it is written) is an ``EditError`` saying the file may hold
part of the edit. A process killed there leaves the changes made so far, and
HDF5's metadata cache may not have reached the disk, so the file may not open at
all (as with any HDF5 writer, pynwb's append included). A rewrite cut short
leaves ``.<name>.nwbgen-edit`` beside the dataset (the old one intact until the
new one is complete). Edit a copy of a file you cannot lose.

After a write the models are the file's: a second ``write`` writes what changed
since. A model read again through a new ``HDF5IO`` is read as stored (a rewritten
dataset is a new HDF5 object under the same path).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from h5py import h5l

from ...errors import EditError
from ...runtime.hdf5.links import member_link, member_links
from ...runtime.lazy_children import is_unread, stored_items
from ...runtime.read import ReadContext
from ...runtime.source import source_of

__all__ = ["EditSession", "Snapshot", "effective", "is_pending", "raw_items"]


@dataclass
class Snapshot:
    """A model's fields as the file holds them (effective values: a field a read
    model did not have is ``None``), copied one level deep so that changes made
    in place (a list appended to, a dict of children added to) show."""

    model: Any
    values: dict[str, Any]
    #: read from the file (its unset fields were absent there) or written new
    #: by this session (every field was written)
    read: bool


def effective(model: Any, field: str, read: bool) -> Any:
    """What a write of ``model`` writes for ``field``: its value, or ``None`` for
    a field a model read from a file did not have there (its default)."""
    if read and field not in model.__pydantic_fields_set__:
        return None
    return model.__dict__.get(field)


def frozen(value: Any) -> Any:
    """A copy of ``value`` that changes made in place to the original leave as
    it is (containers one level deep; models and lazy arrays by identity; lazy
    children not read yet stay unread)."""
    if isinstance(value, dict):
        return dict(raw_items(value))
    if isinstance(value, list):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def snapshot_of(model: Any, read: bool) -> Snapshot:
    fields = type(model).__pydantic_fields__
    values = {name: frozen(effective(model, name, read)) for name in fields}
    return Snapshot(model, values, read)


class EditSession:
    """The models one ``HDF5IO(path, "a")`` read, with their snapshots, and the
    models it wrote (which live in the file from then on)."""

    def __init__(self, io: Any) -> None:
        self.io = io
        #: id(model) -> its snapshot (which keeps the model alive)
        self.snapshots: dict[int, Snapshot] = {}
        #: models this session wrote new: id -> HDF5 path
        self.written: dict[int, str] = {}
        #: their soft and external links as written: id -> {name: link}
        self.written_links: dict[int, dict[str, Any]] = {}
        self._real = os.path.realpath(io.file.filename)
        self._same: dict[str, bool] = {}

    @property
    def file(self) -> Any:
        return self.io.file

    # -- what was read ---------------------------------------------------------------
    def watch(self, ctx: ReadContext) -> None:
        """Take a snapshot of each model ``ctx`` reads, as it is finished."""
        finish = ctx.finish

        def finishing(frame: Any) -> Any:
            model = finish(frame)
            self.remember(model)
            return model

        ctx.finish = finishing  # type: ignore[method-assign]

    def remember(self, model: Any) -> None:
        """Called as each model is read: its snapshot."""
        self.snapshots[id(model)] = snapshot_of(model, read=True)

    def is_this_file(self, filename: str) -> bool:
        known = self._same.get(filename)
        if known is None:
            known = self._same[filename] = os.path.realpath(filename) == self._real
        return known

    def home_of(self, model: Any) -> str | None:
        """The HDF5 path of a model that lives in this file (read from it, or
        written by this session); ``None`` for a new one."""
        found = self.written.get(id(model))
        if found is not None:
            return found
        source = source_of(model)
        if source is None or not self.is_this_file(source.filename):
            return None
        if id(model) not in self.snapshots:
            raise EditError(
                f"{self.io.path}:{source.path}: a {type(model).__name__} read from "
                "this file by another HDF5IO: edit the models this HDF5IO read"
            )
        return source.path

    def stored_links(self, model: Any) -> dict[str, Any]:
        """Members of a model stored as soft or external links: name -> link."""
        source = source_of(model)
        if source is not None and id(model) not in self.written:
            return source.links
        return self.written_links.get(id(model), {})

    def existing_homes(self) -> dict[int, str]:
        """id -> path of every model living in the file."""
        out: dict[int, str] = {}
        for key, snap in self.snapshots.items():
            home = self.written.get(key)
            if home is None:
                source = source_of(snap.model)
                if source is not None and self.is_this_file(source.filename):
                    home = source.path
            if home is not None:
                out[key] = home
        return out

    # -- writing ---------------------------------------------------------------------
    def write(
        self, nwbfile: Any, progress: Callable[[int, int | None], None] | None
    ) -> None:
        """Plan the differences between the models and the file, check them, then
        write them (nothing at all when there are none)."""
        from .edit_apply import apply_plan
        from .edit_plan import plan_edit

        plan = plan_edit(self, nwbfile)
        if plan.empty:
            return
        ctx = apply_plan(self, plan, progress)
        self._after(plan, ctx)

    def _after(self, plan: Any, ctx: Any) -> None:
        """The models as the file now holds them: new models live at their homes,
        every model changed is snapshot again, removed ones forgotten, and the
        links of groups whose members changed are as now stored."""
        removed = tuple(plan.removed)

        def gone(path: str) -> bool:
            return any(
                path == r or path.startswith(r.rstrip("/") + "/") for r in removed
            )

        for key, snap in list(self.snapshots.items()):
            home = self.home_of(snap.model)
            if home is not None and gone(home):
                del self.snapshots[key]
                self.written.pop(key, None)
        for model, home in plan.new_models:
            key = id(model)
            if ctx.homes.get(key) != home:
                continue
            self.written[key] = home
            self.snapshots[key] = snapshot_of(model, read=False)
            self.written_links[key] = _links_at(self.file, home)
        for model in plan.visited:
            key = id(model)
            snap = self.snapshots.get(key)
            if snap is not None:
                self.snapshots[key] = snapshot_of(model, read=snap.read)
        for model, names in plan.relinked:
            home = self.home_of(model)
            if home is None or gone(home):
                continue
            links = self.stored_links(model)
            now = member_links(self.file[home])
            for name in names:
                if now.get(name, h5l.TYPE_HARD) == h5l.TYPE_HARD:
                    links.pop(name, None)
                else:
                    links[name] = member_link(self.file[home], name)
            if id(model) in self.written:
                self.written_links[id(model)] = links


def _links_at(h5f: Any, path: str) -> dict[str, Any]:
    """The soft and external links of the group at ``path`` (nothing for a
    dataset)."""
    obj = h5f.get(path)
    if obj is None or not hasattr(obj, "id") or not hasattr(obj.id, "links"):
        return {}
    out: dict[str, Any] = {}
    for name, kind in member_links(obj).items():
        if kind != 0:
            link = member_link(obj, name)
            if link is not None:
                out[name] = link
    return out


def is_pending(value: Any) -> bool:
    """A member of a lazy read's children not read yet (see
    :mod:`nwbgen.runtime.lazy_children`): nobody can have changed it."""
    return is_unread(value)


def raw_items(children: Any) -> list[tuple[str, Any]]:
    """A children dict's entries as stored, members not read yet left unread."""
    return stored_items(children) if isinstance(children, dict) else []
