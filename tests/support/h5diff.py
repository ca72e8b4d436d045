"""A structural diff of two HDF5 files, for round-trip tests.

``diff_files(a, b)`` walks both files together and returns one readable line per
difference, naming the HDF5 path (``/path@name`` for an attribute): groups,
datasets, attributes and links missing on either side; links of another kind or
target; dtypes, shapes and values of datasets and attributes. Values compare by
meaning rather than by bytes: NaN equals NaN, strings compare decoded, object
references by the path of their target, region references by target path and
selection, compound values field by field. Links are compared as links, never
followed. Large datasets are compared in blocks of rows, never loaded whole.

Independent of the code under test on purpose: it uses h5py and numpy only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from h5py import h5o, h5r, h5s

__all__ = ["diff_files", "dtype_label"]

FIRST, SECOND = "first", "second"


def diff_files(
    a: str | Path | h5py.Group,
    b: str | Path | h5py.Group,
    *,
    ignore_attrs: Iterable[str] = (),
    ignore_paths: Iterable[str] = (),
    strict_strings: bool = True,
    chunked: bool = True,
    block_bytes: int = 4 << 20,
    compare_layout: bool = False,
) -> list[str]:
    """Every difference between HDF5 files (or groups) ``a`` and ``b``; ``[]`` if
    they hold the same objects, links, attributes and values.

    ``ignore_attrs``: attribute names skipped everywhere (``{"object_id"}``).
    ``ignore_paths``: regular expressions searched in each path (``/path`` or
    ``/path@attribute``); a matching object is skipped with all it contains.
    ``strict_strings``: when false, text compares by value only, whatever its
    storage (variable or fixed length, UTF-8 or ASCII). ``chunked``: compare
    datasets in blocks of about ``block_bytes``. ``compare_layout``: also compare
    chunk shapes, filters and maximum shapes.
    """
    differ = _Differ(
        ignore_attrs=frozenset(ignore_attrs),
        ignore_paths=tuple(re.compile(p) for p in ignore_paths),
        strict_strings=strict_strings,
        block_bytes=block_bytes if chunked else None,
        compare_layout=compare_layout,
    )
    with _opened(a) as first, _opened(b) as second:
        differ.objects(first, second, first.name)
    return differ.out


class _opened:
    """An open group for a path (opened and closed here) or a group (left open)."""

    def __init__(self, where: str | Path | h5py.Group) -> None:
        self.where = where
        self.h5f: h5py.File | None = None

    def __enter__(self) -> h5py.Group:
        if isinstance(self.where, h5py.Group):
            return self.where
        self.h5f = h5py.File(self.where, "r")
        return self.h5f

    def __exit__(self, *exc: Any) -> None:
        if self.h5f is not None:
            self.h5f.close()


# --- dtypes ------------------------------------------------------------------


def dtype_label(dtype: np.dtype, strict_strings: bool = True) -> str:
    """A readable name for an HDF5 dtype as h5py maps it; byte order ignored."""
    if dtype.names is not None:
        inner = ", ".join(
            f"{n}: {dtype_label(dtype[n], strict_strings)}" for n in dtype.names
        )
        return f"compound({inner})"
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return f"{dtype_label(base, strict_strings)}{list(shape)}"
    string = h5py.check_string_dtype(dtype)
    if string is not None:
        if not strict_strings:
            return "text"
        length = "vlen" if string.length is None else f"length {string.length}"
        return f"text({string.encoding}, {length})"
    ref = h5py.check_dtype(ref=dtype)
    if ref is not None:
        return "region reference" if ref is h5py.RegionReference else "reference"
    vlen = h5py.check_vlen_dtype(dtype)
    if vlen is not None:
        return f"vlen({dtype_label(np.dtype(vlen), strict_strings)})"
    enum = h5py.check_enum_dtype(dtype)
    if enum is not None and dtype != np.bool_:
        return f"enum({dtype.name}, {sorted(enum.items())})"
    return dtype.name if dtype.kind in "biufc" else dtype.str.lstrip("<>|=")


# --- values --------------------------------------------------------------------


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value


def _region_key(ref: Any, holder: Any) -> tuple:
    space = h5r.get_region(ref, holder.id)
    kind = space.get_select_type()
    if kind == h5s.SEL_HYPERSLABS:
        selection = space.get_select_hyper_blocklist().tolist()
    elif kind == h5s.SEL_POINTS:
        selection = space.get_select_elem_pointlist().tolist()
    else:
        selection = "all" if kind == h5s.SEL_ALL else "none"
    return (repr(selection), space.shape)


@dataclass(frozen=True)
class _Target:
    """What a reference points to: every path of its target (an object with
    several hard links has several) and, for a region, the selection. Two targets
    are equal when they share a path and select the same."""

    paths: frozenset[str]
    selection: tuple = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Target):
            return NotImplemented
        return bool(self.paths & other.paths) and self.selection == other.selection

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        paths = " = ".join(sorted(self.paths))
        return f"{paths} selecting {self.selection[0]}" if self.selection else paths


class _PathIndex:
    """Every hard-link path of every object of a file, by object address; built
    on first use (only files holding references need it)."""

    def __init__(self) -> None:
        self.paths: dict[tuple[int, int], set[str]] | None = None

    def of(self, obj: Any) -> frozenset[str]:
        if self.paths is None:
            self.paths = {}
            self._walk(obj.file, "/")
        return frozenset(self.paths.get(_address(obj), {obj.name}))

    def _walk(self, group: h5py.Group, path: str) -> None:
        assert self.paths is not None
        self.paths.setdefault(_address(group), set()).add(path)
        for name in group:
            if not isinstance(group.get(name, getlink=True), h5py.HardLink):
                continue
            child, child_path = group[name], f"{path.rstrip('/')}/{name}"
            known = _address(child) in self.paths
            self.paths.setdefault(_address(child), set()).add(child_path)
            if isinstance(child, h5py.Group) and not known:
                self._walk(child, child_path)


def _target(ref: Any, holder: Any, index: _PathIndex) -> Any:
    """What a reference means (a :class:`_Target`), ``None`` if null, or a marker."""
    if not ref:
        return None
    try:
        target = holder.file[ref]
    except (KeyError, ValueError, RuntimeError, OSError):
        return "<dangling reference>"
    if isinstance(ref, h5py.RegionReference):
        return _Target(index.of(target), _region_key(ref, holder))
    return _Target(index.of(target))


def _meaning(
    values: np.ndarray, dtype: np.dtype, holder: Any, index: _PathIndex
) -> np.ndarray:
    """Values as comparable numpy: text decoded, references as their targets."""
    text = h5py.check_string_dtype(dtype) is not None
    refs = h5py.check_dtype(ref=dtype) is not None
    if not (text or refs or values.dtype.kind in "OSU"):
        return values
    out = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        item = flat_in[i]
        flat_out[i] = _target(item, holder, index) if refs else _decode(item)
    return out


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):  # vlen sequences
        xa, ya = np.asarray(x), np.asarray(y)
        return xa.shape == ya.shape and not _mismatches(xa, ya).any()
    if isinstance(x, float) and isinstance(y, float) and x != x and y != y:
        return True
    return bool(x == y)


def _mismatches(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A boolean array, true where ``a`` and ``b`` differ (NaN equals NaN)."""
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        differ = np.asarray(a != b)
        if a.dtype.kind in "fc" and b.dtype.kind in "fc":
            differ &= ~(np.isnan(a) & np.isnan(b))
        return differ
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=bool)
    flat_a, flat_b = np.broadcast_to(a, out.shape), np.broadcast_to(b, out.shape)
    for index in np.ndindex(out.shape):
        out[index] = not _same(flat_a[index], flat_b[index])
    return out


def _show(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class _Tally:
    """Differing values counted over the blocks of one dataset or attribute."""

    count: int = 0
    first: str = ""

    def add(self, a: np.ndarray, b: np.ndarray, offset: int, field: str) -> None:
        differ = _mismatches(a, b)
        n = int(np.count_nonzero(differ))
        if n and not self.count:
            index = np.unravel_index(int(np.argmax(differ)), differ.shape)
            at = [int(i) + (offset if k == 0 else 0) for k, i in enumerate(index)]
            where = " ".join(w for w in (field, f"at {at}" if at else "") if w)
            values = f"{_show(a[index])} vs {_show(b[index])}"
            self.first = f"{where}: {values}" if where else values
        self.count += n

    def summary(self, size: int) -> str:
        if size == 1:
            return f"value differs: {self.first}"
        return f"{self.count} differences in {size} elements, first {self.first}"


# --- the walk ------------------------------------------------------------------


def _kind(obj: Any) -> str:
    if isinstance(obj, h5py.Dataset):
        return "dataset"
    if isinstance(obj, h5py.Group):
        return "group"
    return "named datatype"


def _link_label(group: h5py.Group, name: str, link: Any) -> str:
    if isinstance(link, h5py.SoftLink):
        return f"soft link to {link.path}"
    if isinstance(link, h5py.ExternalLink):
        return f"external link to {link.path} in {link.filename}"
    return _kind(group[name])


@dataclass
class _Differ:
    ignore_attrs: frozenset[str]
    ignore_paths: tuple[re.Pattern[str], ...]
    strict_strings: bool
    block_bytes: int | None
    compare_layout: bool
    out: list[str] = field(default_factory=list)
    #: per file, object address -> (the path it was first met at, its partner)
    seen: tuple[dict, dict] = field(default_factory=lambda: ({}, {}))
    indexes: tuple[_PathIndex, _PathIndex] = field(
        default_factory=lambda: (_PathIndex(), _PathIndex())
    )

    def ignored(self, path: str) -> bool:
        return any(p.search(path) for p in self.ignore_paths)

    def report(self, path: str, what: str) -> None:
        self.out.append(f"{path}: {what}")

    def group(self, ga: h5py.Group, gb: h5py.Group, path: str) -> None:
        self.attributes(ga, gb, path)
        for name in sorted(set(ga) | set(gb)):
            child = f"{path.rstrip('/')}/{name}"
            if self.ignored(child):
                continue
            la = ga.get(name, getlink=True)
            lb = gb.get(name, getlink=True)
            if la is None or lb is None:
                side, group, link = (SECOND, gb, lb) if la is None else (FIRST, ga, la)
                label = _link_label(group, name, link)
                self.report(child, f"{label} only in the {side} file")
            else:
                self.member(ga, gb, name, (la, lb), child)

    def member(
        self, ga: h5py.Group, gb: h5py.Group, name: str, links: tuple, path: str
    ) -> None:
        la, lb = links
        if type(la) is not type(lb):
            first, second = _link_label(ga, name, la), _link_label(gb, name, lb)
            self.report(path, f"{first} vs {second}")
        elif isinstance(la, h5py.SoftLink):
            if la.path != lb.path:
                self.report(path, f"soft link to {la.path} vs to {lb.path}")
        elif isinstance(la, h5py.ExternalLink):
            if (la.filename, la.path) != (lb.filename, lb.path):
                self.report(
                    path,
                    f"external link to {la.filename}:{la.path} "
                    f"vs to {lb.filename}:{lb.path}",
                )
        else:
            self.objects(ga[name], gb[name], path)

    def objects(self, oa: Any, ob: Any, path: str) -> None:
        if _kind(oa) != _kind(ob):
            self.report(path, f"{_kind(oa)} vs {_kind(ob)}")
            return
        ka, kb = _address(oa), _address(ob)
        seen_a, seen_b = self.seen
        if ka in seen_a or kb in seen_b:  # another hard link to an object met
            for side, seen, key, partner in [
                (FIRST, seen_a, ka, kb),
                (SECOND, seen_b, kb, ka),
            ]:
                if key in seen and seen[key][1] != partner:
                    alias = seen[key][0]
                    self.report(
                        path, f"the same object as {alias} in the {side} file only"
                    )
                    return
            return
        seen_a[ka], seen_b[kb] = (path, kb), (path, ka)
        if isinstance(oa, h5py.Group):
            self.group(oa, ob, path)
        elif isinstance(oa, h5py.Dataset):
            self.dataset(oa, ob, path)
        else:
            self.attributes(oa, ob, path)
            self.dtypes(oa.dtype, ob.dtype, path)

    def dtypes(self, da: np.dtype, db: np.dtype, where: str) -> bool:
        la = dtype_label(da, self.strict_strings)
        lb = dtype_label(db, self.strict_strings)
        if la != lb:
            self.report(where, f"dtype {la} vs {lb}")
        return la == lb

    # attributes -------------------------------------------------------------

    def attributes(self, oa: Any, ob: Any, path: str) -> None:
        names = (set(oa.attrs) | set(ob.attrs)) - self.ignore_attrs
        for name in sorted(names):
            where = f"{path}@{name}"
            if self.ignored(where):
                continue
            if name not in ob.attrs or name not in oa.attrs:
                side = FIRST if name in oa.attrs else SECOND
                self.report(where, f"attribute only in the {side} file")
                continue
            self.attribute(oa, ob, name, where)

    def attribute(self, oa: Any, ob: Any, name: str, where: str) -> None:
        ida, idb = oa.attrs.get_id(name), ob.attrs.get_id(name)
        self.dtypes(ida.dtype, idb.dtype, where)
        if ida.shape != idb.shape:
            self.report(where, f"shape {ida.shape} vs {idb.shape}")
            return
        if ida.shape is None or _family(ida.dtype) != _family(idb.dtype):
            return  # no values, or values of unlike kinds (the dtypes differ)
        va = _array(oa.attrs[name], ida.dtype)
        vb = _array(ob.attrs[name], idb.dtype)
        tally = _Tally()
        self.values(va, vb, (ida.dtype, idb.dtype), (oa, ob), tally, 0)
        if tally.count:
            self.report(where, tally.summary(va.size))

    # datasets -----------------------------------------------------------------

    def dataset(self, da: h5py.Dataset, db: h5py.Dataset, path: str) -> None:
        self.attributes(da, db, path)
        same_dtype = self.dtypes(da.dtype, db.dtype, path)
        if da.shape != db.shape:
            self.report(path, f"shape {da.shape} vs {db.shape}")
            return
        if self.compare_layout:
            self.layout(da, db, path)
        if da.shape is None:
            return
        if not same_dtype and _family(da.dtype) != _family(db.dtype):
            return  # values of unlike kinds: the dtypes differ
        tally = _Tally()
        dtypes = (da.dtype, db.dtype)
        for start, selection in self.row_blocks(da):
            block_a, block_b = da[selection], db[selection]
            self.values(block_a, block_b, dtypes, (da, db), tally, start)
        if tally.count:
            self.report(path, tally.summary(da.size))

    def row_blocks(self, dset: h5py.Dataset) -> Iterator[tuple[int, Any]]:
        if not dset.shape:
            yield 0, ()
            return
        rows = dset.shape[0]
        step = rows
        if self.block_bytes is not None:
            per_row = int(np.prod(dset.shape[1:], dtype=np.int64))
            item = max(dset.dtype.itemsize, 64 if dset.dtype.hasobject else 1)
            step = max(1, self.block_bytes // max(1, per_row * item))
        for start in range(0, rows, step):
            yield start, np.s_[start : start + step]

    def layout(self, da: h5py.Dataset, db: h5py.Dataset, path: str) -> None:
        for name in ("chunks", "compression", "compression_opts", "shuffle"):
            if getattr(da, name) != getattr(db, name):
                self.report(path, f"{name} {getattr(da, name)} vs {getattr(db, name)}")
        if da.maxshape != db.maxshape:
            self.report(path, f"maxshape {da.maxshape} vs {db.maxshape}")

    # values -------------------------------------------------------------------

    def values(
        self,
        va: Any,
        vb: Any,
        dtypes: tuple[np.dtype, np.dtype],
        holders: tuple[Any, Any],
        tally: _Tally,
        start: int,
        field: str = "",
    ) -> None:
        """Compare one block of values (field by field for compounds); ``dtypes``
        are the stored ones, ``holders`` the objects references are read from."""
        da, db = dtypes
        va, vb = np.asarray(va), np.asarray(vb)
        if da.names is not None and db.names is not None:
            for name in da.names:
                if name in db.names:
                    sub = f"{field}field {name!r}"
                    pair = (da[name], db[name])
                    self.values(va[name], vb[name], pair, holders, tally, start, sub)
            return
        index_a, index_b = self.indexes
        ma = _meaning(va, da, holders[0], index_a)
        mb = _meaning(vb, db, holders[1], index_b)
        tally.add(ma, mb, start, field)


def _array(value: Any, dtype: np.dtype) -> np.ndarray:
    """An attribute value (as h5py returns it) as an array of its stored shape."""
    if dtype.names is None and dtype.hasobject and not isinstance(value, np.ndarray):
        out = np.empty((), dtype=object)
        out[()] = value
        return out
    return np.asarray(value)


def _family(dtype: np.dtype) -> str:
    """Whether values of two dtypes can be compared at all."""
    if dtype.names is not None:
        return "compound"
    if h5py.check_string_dtype(dtype) is not None:
        return "text"
    if h5py.check_dtype(ref=dtype) is not None:
        return "reference"
    return "number" if dtype.kind in "biuf" else dtype.str


def _address(obj: Any) -> tuple[int, int]:
    info = h5o.get_info(obj.id)
    return (info.fileno, info.addr)
