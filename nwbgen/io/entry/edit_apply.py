"""Applying a checked edit plan (:mod:`.edit_plan`) to the open file.

In this order, so that every link and reference is made to its final target:

1. members removed or replaced are unlinked;
2. values of the file's datasets: scalars written in place; rows appended in
   place (the dataset is chunked and may grow along its first axis) or the
   dataset rewritten with its stored rows and the new ones; replaced values
   rewritten. A rewrite writes ``.<name>.nwbgen-edit`` beside the dataset,
   copies every attribute (type, ``object_id``, references), then unlinks the
   old one and renames the new one into place; its layout (chunks, filters) is
   kept. Values referring to objects this edit writes wait for step 4;
3. new models, by the generated writers through one
   :class:`~nwbgen.runtime.write.WriteContext` whose homes are the paths of the
   file's own models (so links and references to them point at them);
4. values referring to new models, new untyped member datasets, attributes;
5. every reference to a rewritten dataset (found while planning) re-pointed to
   the new one; the namespaces of new extension types added to
   ``/specifications``; the file flushed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h5py
import numpy as np
from h5py import h5a

from ...errors import EditError, HDF5WriteError
from ...runtime.hdf5.encode import encode_values, safe_cast
from ...runtime.hdf5.links import ExternalLink
from ...runtime.hdf5.write import (
    DataIO,
    StorageOptions,
    blocks,
    external_link,
    storage_layout,
    write_attribute,
    write_dataset,
)
from ...runtime.write import WriteContext, package_of
from .edit import EditSession
from .edit_changes import Plan, Referrer, ValueChange
from .edit_compare import under
from .specifications import with_includes, write_specifications

__all__ = ["apply_plan", "TEMPORARY_SUFFIX"]

#: the name a rewritten dataset is written under before it replaces the old one
TEMPORARY_SUFFIX = ".nwbgen-edit"


def apply_plan(
    session: EditSession,
    plan: Plan,
    progress: Callable[[int, int | None], None] | None = None,
) -> WriteContext:
    """Write ``plan`` into the session's file; the write context used (its homes
    are where every new model went)."""
    h5f = session.file
    removed = plan.removed
    homes = {
        key: path
        for key, path in session.existing_homes().items()
        if under(path, removed) is None
    }

    def existing(model: Any) -> str:
        home = homes.get(id(model))
        if home is None:
            raise HDF5WriteError(
                f"{h5f.filename}: a reference to {type(model).__name__} "
                f"{getattr(model, 'name', '?')!r}, which is not in the file"
            )
        return home

    try:
        for path in plan.unlinks:
            parent, _, name = path.rpartition("/")
            del h5f[parent or "/"][name]
        early = [c for c in plan.values if not c.late]
        for change in sorted(early, key=lambda c: c.refs):
            apply_value(h5f, change, existing)
        ctx = WriteContext(h5f, {}, progress=progress)
        ctx.homes.update(homes)
        for placement in plan.placements:
            group = h5f[placement.parent]
            if placement.how == "external":
                link: ExternalLink = placement.model
                external_link(group, placement.name, link.filename, link.path)
            elif placement.how == "link":
                ctx.link(group, placement.name, placement.model)
            else:
                ctx.write(group, placement.name, placement.model)
        ctx.finish()
        for change in plan.values:
            if change.late:
                apply_value(h5f, change, ctx.target_of)
        for new in plan.new_datasets:
            write_dataset(
                h5f[new.parent], new.name, new.value, new.kind, target_of=ctx.target_of
            )
        for attr in plan.attributes:
            obj = h5f[attr.path]
            if attr.delete:
                if attr.name in obj.attrs:
                    del obj.attrs[attr.name]
                continue
            write_attribute(
                obj, attr.name, attr.value, attr.kind, target_of=ctx.target_of, dest=h5f
            )
        for referrer in plan.referrers:
            repoint(h5f, referrer)
        _add_specifications(session, plan, ctx)
        h5f.flush()
    except EditError:
        raise
    except Exception as exc:
        raise EditError(
            f"{session.io.path}: the edit failed while writing, after planning "
            f"passed ({type(exc).__name__}: {exc}); the file may hold part of the "
            "edit: check it (nwbgen show) or restore it from a copy"
        ) from exc
    return ctx


# --- values -------------------------------------------------------------------------


def apply_value(h5f: h5py.File, change: ValueChange, target_of: Any) -> None:
    dset = h5f[change.path]
    if change.op == "scalar":
        data = np.asarray(change.data)
        if dset.shape == ():
            dset[()] = data.reshape(())[()]
        else:
            dset[0] = data.reshape(-1)[0]
        return
    if change.op == "append":
        data = change.data
        if data is None:  # references: their targets exist now
            data = encode_values(change.rows, change.kind, h5f, target_of)
            data = data.astype(dset.dtype)
        total = change.start + len(data)
        if change.in_place:
            dset.resize(total, axis=0)
            dset[change.start : total] = data
            return
        rewrite(
            h5f,
            change.path,
            lambda parent, name: _grown(parent, name, dset, data, change),
        )
        return
    if change.data is not None:
        value, kind = change.data, None
    else:
        value, kind = change.rows, change.kind
    options = None if isinstance(value, DataIO) else _options(dset, _shape(value))

    def make(parent: h5py.Group, name: str) -> Any:
        return write_dataset(
            parent, name, value, kind, options=options, target_of=target_of
        )

    rewrite(h5f, change.path, make)


def _shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(shape)
    try:
        return tuple(np.shape(value))
    except (ValueError, TypeError):
        return None


def _options(old: h5py.Dataset, shape: Any) -> StorageOptions | None:
    """The storage of a dataset written anew in place of ``old``: its filters and
    chunking kept (``None``, a fresh write's defaults, for a contiguous one)."""
    if old.chunks is None or not shape or len(shape) != len(old.shape):
        return None
    unlimited = any(m is None for m in (old.maxshape or ()))
    return StorageOptions(
        chunks=True,
        compression=old.compression if old.compression is not None else False,
        compression_opts=old.compression_opts,
        shuffle=bool(old.shuffle),
        maxshape=(
            tuple(None if m is None else max(m, s) for m, s in zip(old.maxshape, shape))
            if unlimited
            else None
        ),
    )


def _grown(
    parent: h5py.Group,
    name: str,
    old: h5py.Dataset,
    rows: np.ndarray,
    change: ValueChange,
) -> h5py.Dataset:
    """``old`` with ``rows`` appended, as a new dataset ``name`` of the same layout
    (a wider dtype when ``change`` asks for one)."""
    layout = storage_layout(old)
    shape = (change.start + len(rows), *old.shape[1:])
    dtype = change.dtype if change.dtype is not None else old.dtype
    if layout.get("chunks") is None:
        layout.pop("chunks", None)
        layout.pop("maxshape", None)
    else:
        layout["maxshape"] = tuple(
            None if m is None else max(m, s) for m, s in zip(old.maxshape, shape)
        )
    if dtype != old.dtype:
        layout.pop("fillvalue", None)
        layout.pop("scaleoffset", None)
    new = parent.create_dataset(name, shape, dtype, **layout)
    itemsize = max(old.dtype.itemsize, 64 if old.dtype.hasobject else 1)
    for selection in blocks(old.shape, itemsize, old.chunks):
        block = old[selection]
        if dtype != old.dtype:
            block = safe_cast(np.asarray(block), dtype)
        new[selection] = block
    new[change.start :] = rows
    return new


def rewrite(h5f: h5py.File, path: str, make: Callable[[h5py.Group, str], Any]) -> None:
    """Replace the dataset at ``path`` with the one ``make(parent, name)`` writes,
    keeping every attribute of the old one."""
    parent_path, _, name = path.rpartition("/")
    parent = h5f[parent_path or "/"]
    old = parent[name]
    temporary = f".{name}{TEMPORARY_SUFFIX}"
    if temporary in parent:
        del parent[temporary]  # left by a write that did not finish
    new = make(parent, temporary)
    if new is None:
        new = parent[temporary]
    copy_attributes(old, new)
    del parent[name]
    parent.move(temporary, name)


def copy_attributes(source: Any, dest: Any) -> None:
    """Every attribute of ``source`` onto ``dest`` exactly as stored (type,
    dataspace, values; references keep their targets: same file)."""
    for index in range(h5a.get_num_attrs(source.id)):
        aid = h5a.open(source.id, index=index)
        name = aid.name
        if h5a.exists(dest.id, name):
            h5a.delete(dest.id, name)
        space = aid.get_space()
        out = h5a.create(dest.id, name, aid.get_type(), space)
        if aid.shape is None:
            continue  # a null dataspace: no values
        values = np.empty(aid.shape, dtype=aid.dtype)
        aid.read(values)
        out.write(values)


# --- references ---------------------------------------------------------------------


def repoint(h5f: h5py.File, referrer: Referrer) -> None:
    """The references ``referrer`` holds to rewritten datasets, to the new ones."""
    holder = h5f.get(referrer.holder)
    if holder is None:
        return
    refs = []
    for i, target in enumerate(referrer.targets):
        obj = h5f[target]
        if referrer.region:
            assert referrer.selections is not None
            refs.append(obj.regionref[referrer.selections[i]])
        else:
            refs.append(obj.ref)
    if referrer.attribute is not None:
        aid = h5a.open(holder.id, referrer.attribute.encode("utf-8", "surrogateescape"))
        values = np.empty(aid.shape or (), dtype=aid.dtype)
        aid.read(values)
        flat = values.reshape(-1)
        column = flat[referrer.field] if referrer.field is not None else flat
        for position, ref in zip(referrer.positions, refs):
            column[position] = ref
        aid.write(values)
        return
    shape = holder.shape or ()
    for position, ref in zip(referrer.positions, refs):
        index = np.unravel_index(position, shape) if shape else ()
        if referrer.field is None:
            holder[index] = ref
        else:
            row = holder[index]
            row[referrer.field] = ref
            holder[index] = row


# --- specifications -----------------------------------------------------------------


def _add_specifications(session: EditSession, plan: Plan, ctx: WriteContext) -> None:
    """The namespaces of new models' classes the file does not cache yet (an
    extension's), with what they include, into ``/specifications``."""
    h5f = session.file
    if "specifications" not in h5f:
        return  # a file without (core 2.0b) stays without
    have = session.io.provider.packages
    written = {package_of(cls) for cls in ctx.classes_written} | set(plan.packages)
    needed = [
        p
        for p in with_includes({p for p in written if p is not None})
        if p.NAMESPACE not in have
    ]
    if needed:
        write_specifications(h5f, needed)
