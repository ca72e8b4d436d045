"""A small, still valid NWB file from a big one: datasets cut along their first axis.

Cutting is planned per NWB structure, not per dataset (see :func:`plan_truncation`):

- DynamicTable: rows are cut, not raw data. ``id``, the columns and the outermost
  ``VectorIndex`` of each ragged column keep ``rows`` items; the data behind an
  index keeps what its kept rows point at, through double-ragged chains.
- Tables grow back to cover what the kept rows use: the rows a
  ``DynamicTableRegion`` points at, the samples a ``TimeSeriesReferenceVectorData``
  points at, the frames an ``IndexSeries`` points at; the category tables of an
  ``AlignedDynamicTable`` keep as many rows as it does.
- TimeSeries: ``data``, ``timestamps`` and ``control`` keep the same number of
  samples; per-channel metadata (``electrodes``, ``channel_conversion`` ...) stays.
- ``/specifications`` and everything scalar is copied as is.

What is broken in the source is copied as it is, and said: a ``VectorIndex`` past
the end of its target, a region row out of range, a reference to no object (written
as a null reference), a soft link to nothing or in a cycle. Each is one problem
``"path: what"``; ``strict=True`` refuses the file instead, else they come in one
:class:`TruncateWarning`. A block HDF5 cannot read is a
:class:`~nwbgen.errors.DamagedFileError` naming its path.

The new file is written with h5py object by object (dtype, chunking, filters, fill
value and attribute order kept), references are re-pointed at the new objects,
hard, soft and external links re-made, then renamed over the target atomically.
"""

from __future__ import annotations

import numbers
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5, h5a, h5d, h5f, h5g, h5l, h5o, h5p, h5r, h5s

from ...errors import LinkCycleError, TruncateError
from ...runtime.hdf5.files import opened, reading
from ...runtime.hdf5.links import resolve_path
from ...runtime.hdf5.objects import ObjectMap, dereference, object_key
from ...runtime.hdf5.references import (
    ReferenceSite,
    read_addresses,
    read_reference_values,
    reference_fields,
)
from ...runtime.hdf5.remote import url_path, url_scheme
from ...runtime.hdf5.structure import index_problem, region_problem
from ...runtime.hdf5.temporary import remove_stale_temporaries, temporary_path
from .graph import SKIP_PATTERN

#: TimeSeries members with one item per sample
TIME_MEMBERS = ("data", "timestamps", "control")
_BLOCK_BYTES = 64 << 20


class TruncateWarning(UserWarning):
    """The source is broken in ways copied as they are (see ``problems``)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"{source}: {len(problems)} structural problem(s) copied as they are: "
            + "; ".join(problems)
        )


def truncate_file(
    source: str | os.PathLike,
    target: str | os.PathLike | None = None,
    n: int = 10,
    *,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a copy of ``source`` with datasets cut to ``n`` items; return its path.

    ``source`` is a path or a URL (read by ranges, see
    :mod:`~nwbgen.runtime.hdf5.remote`). ``target`` defaults to
    ``{source stem}_truncated.nwb`` beside the source (in the current directory
    for a URL; a directory gets that name inside it). The source is only read. What is broken in
    it is copied as it is with a :class:`TruncateWarning`, or, with ``strict``,
    refused (:class:`~nwbgen.errors.TruncateError`, nothing written).
    ``progress(done, total)`` is called as objects are copied.
    """
    remote = url_scheme(source) is not None
    source = source if remote else Path(source)  # a URL keeps its "//"
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise TruncateError(f"{source}: n must be a positive integer, not {n!r}")
    n = int(n)
    stem = Path(url_path(str(source)) if remote else source).stem
    default = f"{stem}_truncated.nwb"
    if target is not None:
        target = Path(target)
    else:
        target = Path(default) if remote else Path(source).with_name(default)
    if target.is_dir():
        target = target / default
    with opened(source) as src:
        if (
            not remote
            and target.exists()
            and target.resolve() == Path(source).resolve()
        ):
            raise TruncateError(f"{source}: target is the source file itself")
        objects = ObjectMap(src)
        plan = _Plan(src, n, objects)
        keep = plan.solve()
        absolute = os.path.abspath(target)
        remove_stale_temporaries(absolute)
        tmp = Path(temporary_path(absolute))
        try:
            here = None if remote else Path(source).resolve().parent
            copier = _Copier(src, objects, keep, tmp, here, target.parent, progress)
            copier.run()
            problems = plan.problems + copier.problems
            if problems and strict:
                raise TruncateError(
                    f"{source}: {len(problems)} structural problem(s), nothing "
                    f"written (strict): {'; '.join(problems)}"
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    if problems:
        warnings.warn(TruncateWarning(str(source), problems), stacklevel=2)
    return target


# --- planning ------------------------------------------------------------------


def plan_truncation(src: h5py.File, n: int, objects: ObjectMap | None = None):
    """``{canonical dataset path: items kept along axis 0}`` for every dataset cut."""
    return _Plan(src, n, objects or ObjectMap(src)).solve()


class _Plan:
    def __init__(self, src: h5py.File, n: int, objects: ObjectMap) -> None:
        self.src, self.n, self.objects = src, n, objects
        self.length: dict[str, int] = {}  # dataset -> len along axis 0
        self.index_target: dict[str, str] = {}  # VectorIndex -> what it indexes
        self.region_table: dict[str, str] = {}  # DynamicTableRegion -> table
        self.series_refs: list[str] = []  # TimeSeriesReferenceVectorData
        self.index_series: dict[str, str] = {}  # IndexSeries data -> indexed group
        self.tables: dict[str, list[str]] = {}  # table -> datasets with one per row
        self.aligned: list[list[str]] = []
        self.series: set[str] = set()
        #: what is broken in the source, as ``"path: what"``
        self.problems: list[str] = []
        self._scan()

    def _canonical(self, obj: Any) -> str | None:
        return self.objects.path_at(object_key(obj))

    def _deref(self, obj: Any, name: str, path: str = "") -> str | None:
        ref = obj.attrs.get(name)
        target = self._deref_value(ref)
        if target is None and isinstance(ref, h5py.Reference) and ref and path:
            self.problems.append(
                f"{path}: attribute {name!r} refers to no object (dangling reference)"
            )
        return target

    def _member(self, group: h5py.Group, name: str) -> str | None:
        try:
            obj = group.get(name)
        except (KeyError, OSError):
            return None
        return None if obj is None else self._canonical(obj)

    def _scan(self) -> None:
        for path, info in self.objects.info.items():
            if SKIP_PATTERN.search(path):
                continue
            with reading(self.src.filename, path):
                obj = _at(self.src, path)
                if info.type == h5o.TYPE_DATASET:
                    self._scan_dataset(path, obj)
                elif info.type == h5o.TYPE_GROUP:
                    self._scan_group(path, obj)

    def _scan_dataset(self, path: str, ds: h5py.Dataset) -> None:
        if ds.shape:
            self.length[path] = ds.shape[0]
        for attribute, found, check in (
            ("target", self.index_target, index_problem),  # a VectorIndex
            ("table", self.region_table, region_problem),  # a DynamicTableRegion
        ):
            referred = self._deref(ds, attribute, path)
            if referred is None:
                continue
            found[path] = referred
            problem = check(ds)
            if problem:
                self.problems.append(f"{path}: {problem}")
        names = ds.dtype.names or ()
        if {"idx_start", "count", "timeseries"} <= set(names):
            self.series_refs.append(path)

    def _scan_group(self, path: str, group: h5py.Group) -> None:
        if "colnames" in group.attrs and isinstance(group.get("id"), h5py.Dataset):
            self.tables[path] = []
            if "categories" in group.attrs:
                names = [_text(c) for c in np.atleast_1d(group.attrs["categories"])]
                subtables = [self._member(group, name) for name in names]
                self.aligned.append([path] + [s for s in subtables if s])
        elif "data" in group and ("timestamps" in group or "starting_time" in group):
            self.series.add(path)
            indexed = self._member(group, "indexed_timeseries") or self._member(
                group, "indexed_images"
            )
            data = self._member(group, "data")
            if indexed and data:
                self.index_series[data] = indexed

    def _row_datasets(self, table: str) -> list[str]:
        """``id``, the columns, the outermost index of each ragged column."""
        group = _at(self.src, table)
        names = {"id"} | {_text(c) for c in np.atleast_1d(group.attrs["colnames"])}
        members = {}
        for name in group:
            path = self._member(group, name)
            if path is not None and path in self.length:
                members[name] = path
        targeted = {self.index_target.get(p) for p in members.values()}
        rows = []
        for name, path in members.items():
            if path in targeted:
                continue
            chain_end, step = path, 0
            while chain_end in self.index_target and step < 16:
                chain_end, step = self.index_target[chain_end], step + 1
            if name in names or chain_end in {members.get(c) for c in names}:
                rows.append(path)
        return rows

    def solve(self) -> dict[str, int]:
        for table in self.tables:
            with reading(self.src.filename, table):
                self.tables[table] = self._row_datasets(table)
        rows = {t: min(self.n, self._table_length(t)) for t in self.tables}
        series_n: dict[str, int] = {}
        while True:
            keep = self._keep(rows, series_n)
            grown = self._grow(keep, rows, series_n)
            if not grown:
                return {p: k for p, k in keep.items() if k < self.length[p]}

    def _table_length(self, table: str) -> int:
        return self.length.get(self._member(_at(self.src, table), "id") or "", 0)

    def _keep(self, rows: dict[str, int], series_n: dict[str, int]) -> dict[str, int]:
        keep: dict[str, int] = {}
        for table, datasets in self.tables.items():
            for path in datasets:
                keep[path] = max(keep.get(path, 0), min(rows[table], self.length[path]))
        targets = set(self.index_target.values())
        for path, length in self.length.items():
            if path in keep or path in targets or path in self.region_table:
                continue
            parent, _, name = path.rpartition("/")
            parent = parent or "/"
            if parent in self.series and name not in TIME_MEMBERS:
                continue
            keep[path] = min(length, max(self.n, series_n.get(parent, 0)))
        for path in [p for p in keep if p in self.index_target]:
            self._keep_chain(path, keep)
        return keep

    def _keep_chain(self, index: str, keep: dict[str, int]) -> None:
        for _ in range(16):  # double-ragged is 2; a cycle is a broken file
            target = self.index_target.get(index)
            if target is None or target not in self.length:
                return
            k = keep[index]
            with reading(self.src.filename, index):
                end = _integer(_at(self.src, index)[k - 1]) if k else 0
            keep[target] = max(
                keep.get(target, 0), min(max(end, 0), self.length[target])
            )
            index = target

    def _kept(self, path: str, keep: dict[str, int]) -> Any:
        with reading(self.src.filename, path):
            ds = _at(self.src, path)
            return ds[()] if not ds.shape else ds[: keep.get(path, ds.shape[0])]

    def _grow(self, keep, rows, series_n) -> bool:
        grown = False

        def need(table_rows: dict[str, int], key: str, k: int, limit: int) -> None:
            nonlocal grown
            k = min(k, limit)
            if k > table_rows.get(key, 0):
                table_rows[key], grown = k, True

        for path, table in self.region_table.items():
            values = np.asarray(self._kept(path, keep)).reshape(-1)
            if table in rows and values.size and values.dtype.kind in "iu":
                need(rows, table, int(values.max()) + 1, self._table_length(table))
        for path in self.series_refs:
            kept = np.asarray(self._kept(path, keep)).reshape(-1)
            for start, count, ref in zip(
                kept["idx_start"].tolist(),
                kept["count"].tolist(),
                kept["timeseries"].tolist(),
            ):
                series = self._deref_value(ref)
                if series and _integer(start) >= 0 and _integer(count) >= 0:
                    need(series_n, series, _integer(start) + _integer(count), 1 << 62)
        for path, indexed in self.index_series.items():
            values = np.asarray(self._kept(path, keep)).reshape(-1)
            if values.size and values.dtype.kind in "iu":
                need(series_n, indexed, int(values.max()) + 1, 1 << 62)
        for group in self.aligned:
            most = max(rows.get(t, 0) for t in group)
            for table in group:
                need(rows, table, most, self._table_length(table))
        for series, k in list(series_n.items()):
            for name in TIME_MEMBERS:  # data linked from elsewhere: its owner grows
                member = self._member(_at(self.src, series), name)
                if member:
                    need(series_n, member.rpartition("/")[0] or "/", k, 1 << 62)
        return grown

    def _deref_value(self, ref: Any) -> str | None:
        if not isinstance(ref, h5py.Reference):
            return None
        target = dereference(ref, self.src)
        return None if target is None else self._canonical(target)


def _at(h5f: h5py.File, path: str) -> Any:
    """The object at a canonical path (one that may not be UTF-8: h5py takes it
    as the bytes it was read from)."""
    return h5f[path.encode("utf-8", "surrogateescape")]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _integer(value: Any) -> int:
    """An index value as an int (0 for one that is no number: a broken file)."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


# --- writing -------------------------------------------------------------------


class _Copier:
    """Copies every object once, cutting the planned datasets; references last."""

    def __init__(
        self,
        src,
        objects,
        keep,
        tmp: Path,
        source_dir: Path | None,
        target_dir: Path,
        progress=None,
    ) -> None:
        self.src, self.objects, self.tmp = src, objects, tmp
        self.progress = progress
        self.keep = {objects.info[p].addr: k for p, k in keep.items()}
        #: where relative external links start from (``None``: a URL, whose
        #: neighbours are not files here)
        self.source_dir = source_dir
        self.target_dir = target_dir.resolve()
        self.created: dict[int, str] = {}  # source address -> path in the new file
        self.deferred: list[tuple[Any, Any, Any, int | None, str]] = []
        self._refs: dict[int, Any] = {}
        #: what is broken in the source, as ``"path: what"``
        self.problems: list[str] = []

    def run(self) -> None:
        fcpl = self.src.id.get_create_plist()
        fid = h5f.create(os.fsencode(self.tmp), h5f.ACC_TRUNC, fcpl=fcpl)
        with h5py.File(fid) as dst:
            self.dst = dst
            root = self.src["/"]
            self.created[self.objects.info["/"].addr] = "/"
            with reading(self.src.filename, "/"):
                self._copy_attrs(root.id, dst["/"].id, "")
            self._copy_members(root.id, dst["/"].id, "")
            for src_id, dst_id, site_dtype, rows, path in self.deferred:
                with reading(self.src.filename, path):
                    self._write_references(src_id, dst_id, site_dtype, rows, path)

    def _copy_members(self, src_gid: Any, dst_gid: Any, path: str) -> None:
        order = h5.INDEX_NAME
        if src_gid.get_create_plist().get_link_creation_order() & h5p.CRT_ORDER_TRACKED:
            order = h5.INDEX_CRT_ORDER
        names: list[bytes] = []
        src_gid.links.iterate(names.append, idx_type=order)
        for name in names:
            info = src_gid.links.get_info(name)
            child_path = f"{path}/{name.decode('utf-8', 'surrogateescape')}"
            if dst_gid.links.exists(name):  # a damaged link table names it twice
                self.problems.append(f"{child_path}: a second member of that name")
                continue
            if info.type == h5l.TYPE_SOFT:
                self._check_soft_link(child_path, src_gid.links.get_val(name))
                dst_gid.links.create_soft(name, src_gid.links.get_val(name))
            elif info.type == h5l.TYPE_EXTERNAL:
                filename, obj_path = src_gid.links.get_val(name)
                dst_gid.links.create_external(name, self._external(filename), obj_path)
            elif info.type == h5l.TYPE_HARD and info.u in self.created:
                existing = self.created[info.u].encode("utf-8", "surrogateescape")
                dst_gid.links.create_hard(name, self.dst.id, existing)
            elif info.type == h5l.TYPE_HARD:
                self.created[info.u] = child_path
                with reading(self.src.filename, child_path):
                    src_id = h5o.open(src_gid, name)
                self._copy_object(src_id, dst_gid, name, child_path)

    def _check_soft_link(self, path: str, value: bytes) -> None:
        """A soft link is copied as it is; one that reaches nothing is a problem."""
        target = value.decode("utf-8", "surrogateescape")
        try:
            found = resolve_path(self.src, path).obj
        except LinkCycleError as exc:
            chain = " -> ".join(getattr(exc, "chain", ()))
            self.problems.append(f"{path}: soft link to {target}: a cycle ({chain})")
            return
        if found is None:
            self.problems.append(f"{path}: soft link to {target}: no such object")

    def _copy_object(self, src_id: Any, dst_gid: Any, name: bytes, path: str) -> None:
        if self.progress is not None:  # the root is copied first, not here
            self.progress(len(self.created) - 1, len(self.objects.info) - 1)
        if isinstance(src_id, h5g.GroupID):
            with reading(self.src.filename, path):
                dst_id = h5g.create(dst_gid, name, gcpl=src_id.get_create_plist())
                self._copy_attrs(src_id, dst_id, path)
            self._copy_members(src_id, dst_id, path)
        elif isinstance(src_id, h5d.DatasetID):
            with reading(self.src.filename, path):
                self._copy_dataset(src_id, dst_gid, name, path)
        else:  # a committed datatype: nothing in it to cut or re-point
            h5o.copy(src_id, b".", dst_gid, name)

    def _copy_dataset(self, src_id: Any, dst_gid: Any, name: bytes, path: str) -> None:
        space = src_id.get_space()
        dcpl = src_id.get_create_plist()
        rows = self.keep.get(h5o.get_info(src_id).addr)
        if dcpl.get_layout() == h5d.VIRTUAL or dcpl.get_external_count():
            dcpl = h5p.create(h5p.DATASET_CREATE)  # data is copied in, not linked
        if rows is not None:
            dims, maxdims = list(space.shape), list(space.get_simple_extent_dims(True))
            dims[0] = rows
            if maxdims[0] != h5s.UNLIMITED:
                maxdims[0] = rows
                if dcpl.get_layout() == h5d.CHUNKED:
                    chunk = list(dcpl.get_chunk())
                    chunk[0] = min(chunk[0], max(rows, 1))
                    maxdims[0] = max(rows, chunk[0])
                    dcpl.set_chunk(tuple(chunk))
            space = h5s.create_simple(tuple(dims), tuple(maxdims))
        dst_id = h5d.create(dst_gid, name, src_id.get_type().copy(), space, dcpl=dcpl)
        self._copy_attrs(src_id, dst_id, path)
        if space.get_simple_extent_type() == h5s.NULL or 0 in (space.shape or (1,)):
            return
        if reference_fields(src_id.dtype):
            self.deferred.append((src_id, dst_id, src_id.dtype, rows, path))
        else:
            _copy_values(src_id, dst_id, space.shape)

    def _copy_attrs(self, src_id: Any, dst_id: Any, path: str) -> None:
        order = h5.INDEX_NAME
        if src_id.get_create_plist().get_attr_creation_order() & h5p.CRT_ORDER_TRACKED:
            order = h5.INDEX_CRT_ORDER
        for index in range(h5o.get_info(src_id).num_attrs):
            aid = h5a.open(src_id, index=index, index_type=order)
            space = aid.get_space()
            new = h5a.create(dst_id, aid.name, aid.get_type().copy(), space)
            if space.get_simple_extent_type() == h5s.NULL:
                continue
            if reference_fields(aid.dtype):
                where = (
                    f"{path or '/'} attribute {aid.name.decode('utf-8', 'replace')!r}"
                )
                self.deferred.append((aid, new, aid.dtype, None, where))
            else:
                value = np.zeros(aid.shape, dtype=aid.dtype)
                aid.read(value)
                new.write(value)

    def _external(self, filename: bytes) -> bytes:
        """A relative external file name that still resolves from the new place."""
        relative = Path(os.fsdecode(filename))
        if (
            self.source_dir is None
            or relative.is_absolute()
            or self.source_dir == self.target_dir
        ):
            return filename
        resolved = self.source_dir / relative
        if not resolved.exists():
            return filename
        return os.fsencode(os.path.relpath(resolved, self.target_dir))

    def _write_references(self, src_id, dst_id, dtype, rows, path: str) -> None:
        if isinstance(src_id, h5a.AttrID):
            values = np.zeros(src_id.shape, dtype=dtype)
            src_id.read(values)
        else:
            values = h5py.Dataset(src_id)[() if not src_id.shape else slice(rows)]
            values = np.asarray(values, dtype=dtype)
        for field, kind in reference_fields(dtype):
            site = ReferenceSite(None, field, kind)
            if kind == "object":
                addresses = read_addresses(site, src_id, rows)
                new = [self._object_ref(a) for a in addresses]
            else:
                refs = read_reference_values(site, src_id, rows)
                new = [self._region_ref(r, src_id) for r in refs]
                addresses = [1 if r else 0 for r in refs]
            lost = sum(1 for a, r in zip(addresses, new) if int(a) and not r)
            if lost:
                self.problems.append(
                    f"{path}: {lost} reference(s) to no object (written as null)"
                )
            column = np.empty(len(new), dtype=object)
            column[:] = new
            column = column.reshape(values.shape)
            if field is None:
                values = column.astype(dtype) if values.shape else column[()]
            else:
                values[field] = column
        if isinstance(dst_id, h5a.AttrID):
            dst_id.write(np.asarray(values, dtype=dtype))
        else:
            h5py.Dataset(dst_id)[()] = np.asarray(values, dtype=dtype)

    def _object_ref(self, addr: int) -> Any:
        addr = int(addr)
        if addr not in self._refs:
            path = self.created.get(addr)
            self._refs[addr] = self.dst[path].ref if path else h5py.Reference()
        return self._refs[addr]

    def _region_ref(self, ref: Any, src_id: Any) -> Any:
        if not ref:
            return h5py.RegionReference()
        target = dereference(ref, src_id)
        path = (
            None if target is None else self.created.get(h5o.get_info(target.id).addr)
        )
        if path is None:
            return h5py.RegionReference()
        dataset = self.dst[path]
        space = dataset.id.get_space()
        _copy_selection(h5r.get_region(ref, src_id), space)
        return h5r.create(dataset.id, b".", h5r.DATASET_REGION, space)


def _copy_selection(source: Any, space: Any) -> None:
    """The part of ``source``'s selection inside ``space``'s (smaller) extent."""
    shape = np.asarray(space.shape)
    kind = source.get_select_type()
    if kind == h5s.SEL_ALL:
        space.select_all()
        return
    space.select_none()
    if kind == h5s.SEL_POINTS and source.get_select_npoints():
        points = source.get_select_elem_pointlist()
        points = points[np.all(points < shape, axis=1)]
        if len(points):
            space.select_elements(points)
    elif kind == h5s.SEL_HYPERSLABS:
        for start, end in source.get_select_hyper_blocklist():
            end = np.minimum(end, shape - 1)
            if np.all(start <= end):
                count = tuple(int(x) for x in end - start + 1)
                space.select_hyperslab(
                    tuple(int(x) for x in start), count, op=h5s.SELECT_OR
                )


def _copy_values(src_id: Any, dst_id: Any, shape: tuple) -> None:
    """Copy the first ``shape[0]`` rows in blocks of about 64 MB."""
    dtype = src_id.dtype
    if not shape:
        value = np.zeros((), dtype=dtype)
        src_id.read(h5s.ALL, h5s.ALL, value)
        dst_id.write(h5s.ALL, h5s.ALL, value)
        return
    row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    step = max(1, _BLOCK_BYTES // row_bytes)
    for start in range(0, shape[0], step):
        count = (min(step, shape[0] - start),) + tuple(shape[1:])
        offset = (start,) + (0,) * (len(shape) - 1)
        value = np.zeros(count, dtype=dtype)
        fspace = src_id.get_space()
        fspace.select_hyperslab(offset, count)
        src_id.read(h5s.create_simple(count), fspace, value)
        fspace = dst_id.get_space()
        fspace.select_hyperslab(offset, count)
        dst_id.write(h5s.create_simple(count), fspace, value)
