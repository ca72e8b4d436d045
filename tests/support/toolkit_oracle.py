"""Brute-force answers the toolkit is compared with, and the per-file corpus check.

Everything here is deliberately naive: high-level h5py only, every attribute and
every dataset read in full, every reference dereferenced. It shares no code with
``nwbgen.io``.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from tests.support.paths import SHARED

LABEL_ORDER = ("child", "link", "external_link", "reference")

#: ``../shared`` beside the repository
DATA = SHARED / "data"
CORPUS = sorted(DATA.rglob("*.nwb")) if DATA.is_dir() else []


def corpus_params() -> list:
    """One pytest param per corpus file, or one skipped param without ../shared."""
    import pytest

    if not CORPUS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{DATA} absent"))]
    return [pytest.param(p, id=str(p.relative_to(DATA))) for p in CORPUS]


def _walk_references(value: Any):
    """Every h5py reference inside an attribute or dataset value, however nested."""
    if isinstance(value, h5py.Reference):
        yield value
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "OV":
            for item in value.reshape(-1):
                yield from _walk_references(item)
    elif isinstance(value, np.void) and value.dtype.names:
        for name in value.dtype.names:
            yield from _walk_references(value[name])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk_references(item)


class BruteFile:
    """Objects, canonical names, links and references of one file, the slow way."""

    def __init__(self, h5f: h5py.File) -> None:
        self.file = h5f
        self._references: dict[str, set[str]] | None = None
        self.name_of: dict[Any, str] = {h5f["/"].id: "/"}
        self.objects: dict[str, Any] = {"/": h5f["/"]}

        def visit(name: str, obj: Any) -> None:
            if obj.id not in self.name_of:
                self.name_of[obj.id] = "/" + name
                self.objects["/" + name] = obj

        h5f.visititems(visit)

    def canonical(self, obj: Any) -> str:
        return self.name_of[obj.id]

    def references(self) -> dict[str, set[str]]:
        """holder -> every canonical path it refers to (attributes and values)."""
        if self._references is None:
            self._references = self._all_references()
        return self._references

    def _all_references(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for path, obj in self.objects.items():
            values = [obj.attrs[name] for name in obj.attrs]
            if isinstance(obj, h5py.Dataset) and obj.shape is not None:
                values.append(obj[()])
            for value in values:
                for ref in _walk_references(value):
                    if ref:
                        target = self.canonical(self.file[ref])
                        out.setdefault(path, set()).add(target)
        return out

    def attribute_references(self) -> set[tuple[str, str, str]]:
        out = set()
        for path, obj in self.objects.items():
            for name in obj.attrs:
                for ref in _walk_references(obj.attrs[name]):
                    if ref:
                        out.add((path, name, self.canonical(self.file[ref])))
        return out

    def edges(self) -> dict[tuple[str, str], str]:
        """(source, target) -> label, the highest-priority one when several apply."""
        edges: dict[tuple[str, str], str] = {}

        def add(pair: tuple[str, str], label: str) -> None:
            old = edges.get(pair)
            if old is None or LABEL_ORDER.index(label) < LABEL_ORDER.index(old):
                edges[pair] = label

        for path, obj in self.objects.items():
            if not isinstance(obj, h5py.Group):
                continue
            for name in obj:
                link = obj.get(name, getlink=True)
                if isinstance(link, h5py.HardLink):
                    add((path, self.canonical(obj[name])), "child")
                elif isinstance(link, h5py.SoftLink):
                    add((path, self.canonical(obj[name])), "link")
                elif isinstance(link, h5py.ExternalLink):
                    add((path, f"{link.filename}::{link.path}"), "external_link")
        for holder, targets in self.references().items():
            for target in targets:
                add((holder, target), "reference")
        return edges

    def nodes(self) -> set[str]:
        externals = {t for (_, t), label in self.edges().items() if "::" in t}
        return set(self.objects) | externals


# --- ragged and table semantics ------------------------------------------------


def index_target(h5f: h5py.File, ds: h5py.Dataset) -> h5py.Dataset | None:
    ref = ds.attrs.get("target")
    if isinstance(ref, h5py.Reference) and ref:
        target = h5f[ref]
        return target if isinstance(target, h5py.Dataset) else None
    return None


def ragged_rows(h5f: h5py.File, index: h5py.Dataset) -> list:
    """The rows of a VectorIndex as nested lists, following index chains."""
    target = index_target(h5f, index)
    ends = index[()].tolist()
    inner = ragged_rows(h5f, target) if index_target(h5f, target) else target[()]
    rows, start = [], 0
    for end in ends:
        rows.append(_plain(inner[start:end]))
        start = end
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return [_plain(v) for v in value.tolist()]
        return [_plain(v) for v in value.tolist()] if value.ndim else value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, h5py.Reference):
        return "<ref>"
    if isinstance(value, float) and np.isnan(value):
        return "nan"
    return value


# --- the corpus check, run in worker processes -----------------------------------


_NAMESPACES: dict[str, tuple] = {}


def _specs_digest(path: Path) -> str:
    """sha256 over every dataset under /specifications (names and bytes)."""
    sha = hashlib.sha256()
    with h5py.File(path, "r") as h5f:
        specs = h5f.get("specifications")
        if specs is not None:
            names: list[str] = []
            specs.visit(names.append)
            for name in sorted(names):
                if isinstance(specs[name], h5py.Dataset):
                    sha.update(name.encode() + b"\0" + repr(specs[name][()]).encode())
    return sha.hexdigest()


def validate(path: Path) -> list[str]:
    """``pynwb.validate(path=...)``: the errors, as sorted strings.

    pynwb spends most of a validation loading the namespaces cached in the file.
    Within one worker process the loaded catalog is reused for files whose
    /specifications are byte-identical (a truncated file and its source: the corpus
    check asserts that identity); everything else runs as pynwb-validate runs it.
    ``test_pynwb_validate_cli_agrees`` runs the real CLI on a sample to anchor this.
    """
    import pynwb
    from hdmf.build import BuildManager
    from pynwb import validation

    loader = getattr(validation.get_cached_namespaces_to_validate, "__wrapped__", None)
    if loader is None:
        loader = validation.get_cached_namespaces_to_validate

        def cached(**kwargs: Any) -> tuple:
            path = kwargs.get("path")
            key = _specs_digest(Path(path)) if path else None
            if key is None or key not in _NAMESPACES:
                namespaces, manager, dependencies = loader(**kwargs)
                if key is None:
                    return namespaces, manager, dependencies
                type_map = manager.type_map if manager is not None else None
                _NAMESPACES[key] = (namespaces, type_map, dependencies)
            namespaces, type_map, dependencies = _NAMESPACES[key]
            manager = BuildManager(type_map) if type_map is not None else None
            return namespaces, manager, dependencies

        cached.__wrapped__ = loader  # type: ignore[attr-defined]
        validation.get_cached_namespaces_to_validate = cached

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(str(error) for error in pynwb.validate(path=str(path)))


def read_with_pynwb(path: Path) -> str | None:
    """None when pynwb reads the file, else the reason."""
    import pynwb

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pynwb.NWBHDF5IO(str(path), "r") as io:
                io.read()
    except Exception as exc:  # noqa: BLE001 - the reason is the result
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_truncation(source: str, workdir: str, ns: tuple[int, ...]) -> dict:
    """Truncate one corpus file for each n and report everything the tests assert."""
    from nwbgen.io.toolkit.truncate import truncate_file

    source_path = Path(source)
    before = digest(source_path)
    report: dict[str, Any] = {"source_errors": validate(source_path), "runs": {}}
    for n in ns:
        target = Path(workdir) / f"{source_path.stem}_n{n}.nwb"
        truncate_file(source_path, target, n=n)
        run: dict[str, Any] = {"target": str(target)}
        run["errors"] = validate(target)
        run["read"] = read_with_pynwb(target)
        if run["read"] is not None:
            run["source_read"] = read_with_pynwb(source_path)
        with h5py.File(source_path, "r") as src, h5py.File(target, "r") as dst:
            run["problems"] = structural_problems(src, dst)
        report["runs"][n] = run
    report["source_unchanged"] = digest(source_path) == before
    return report


def structural_problems(src: h5py.File, dst: h5py.File, brute: Any = None) -> list[str]:
    """Everything wrong with ``dst`` as a truncation of ``src``, as messages."""
    problems: list[str] = []
    bsrc, bdst = BruteFile(src), BruteFile(dst)
    if set(bdst.objects) != set(bsrc.objects):
        problems.append(f"objects differ: {set(bsrc.objects) ^ set(bdst.objects)}")
    for path, obj in bdst.objects.items():
        if isinstance(obj, h5py.Dataset) and path in bsrc.objects:
            problems += _prefix_problems(path, bsrc.objects[path], obj)
    for path, obj in bdst.objects.items():
        if isinstance(obj, h5py.Dataset) and index_target(dst, obj) is not None:
            if path.startswith("/specifications"):
                continue
            kept = ragged_rows(dst, obj)
            if kept != ragged_rows(src, src[path])[: len(kept)]:
                problems.append(f"{path}: ragged rows differ from the source's")
    problems += sorted(set(_table_problems(dst)) - set(_table_problems(src)))
    problems += _reference_problems(bsrc, bdst)
    problems += _link_problems(src, dst)
    return problems


def _prefix_problems(path: str, s: h5py.Dataset, d: h5py.Dataset) -> list[str]:
    if s.shape is None or d.shape is None:
        return [] if s.shape == d.shape else [f"{path}: null dataspace changed"]
    if s.dtype != d.dtype:
        return [f"{path}: dtype {s.dtype} became {d.dtype}"]
    if s.shape[1:] != d.shape[1:] or len(s.shape) != len(d.shape):
        return [f"{path}: shape {s.shape} became {d.shape}"]
    if d.shape and d.shape[0] > s.shape[0]:
        return [f"{path}: grew from {s.shape} to {d.shape}"]
    if s.dtype.kind == "O" or s.dtype.names:
        same = _plain(s[: d.shape[0]] if d.shape else s[()]) == _plain(d[()])
    else:
        same = np.array_equal(
            s[: d.shape[0]] if d.shape else s[()], d[()], equal_nan=s.dtype.kind == "f"
        )
    if not same:
        return [f"{path}: values are not the first rows of the source"]
    if s.compression != d.compression or s.shuffle != d.shuffle:
        return [f"{path}: filters changed"]
    return []


def _table_problems(dst: h5py.File) -> list[str]:
    problems: list[str] = []

    def visit(name: str, obj: Any) -> None:
        if name.startswith("specifications"):
            return
        if isinstance(obj, h5py.Group) and "colnames" in obj.attrs and "id" in obj:
            problems.extend(_one_table(dst, obj))
        if isinstance(obj, h5py.Dataset):
            target = index_target(dst, obj)
            if target is not None and obj.shape and obj.shape[0]:
                ends = obj[()]
                if np.any(np.diff(ends) < 0) or ends[-1] > target.shape[0]:
                    problems.append(f"/{name}: index values past its target")
            table = obj.attrs.get("table")
            if isinstance(table, h5py.Reference) and table and obj.size:
                rows = dst[table]["id"].shape[0]
                if np.max(obj[()]) >= rows:
                    problems.append(f"/{name}: region values outside {rows} rows")
            if obj.dtype.names and {"idx_start", "count", "timeseries"} <= set(
                obj.dtype.names
            ):
                for start, count, ref in obj[()].tolist():
                    series = dst[ref]
                    data = series.get("data")
                    if (
                        count >= 0
                        and isinstance(data, h5py.Dataset)
                        and start + count > data.shape[0]
                    ):
                        problems.append(f"/{name}: points past {series.name}/data")

    dst.visititems(visit)
    return problems


def _one_table(h5f: h5py.File, group: h5py.Group) -> list[str]:
    rows = group["id"].shape[0]
    names = [
        c.decode() if isinstance(c, bytes) else str(c)
        for c in np.atleast_1d(group.attrs["colnames"])
    ]
    lengths = {}
    for name in names:
        column = group.get(name)
        if column is None:
            continue
        top = column
        for _ in range(4):
            index = group.get(top.name.rsplit("/", 1)[-1] + "_index")
            if index is None:
                break
            top = index
        lengths[name] = top.shape[0]
    bad = {k: v for k, v in lengths.items() if v != rows}
    for category in np.atleast_1d(group.attrs.get("categories", [])):
        sub = group[category.decode() if isinstance(category, bytes) else category]
        if sub["id"].shape[0] != rows:
            bad[f"category {sub.name}"] = sub["id"].shape[0]
    return [f"{group.name}: {rows} ids but columns {bad}"] if bad else []


def _reference_problems(bsrc: BruteFile, bdst: BruteFile) -> list[str]:
    problems = []
    try:
        dst_refs = bdst.references()
    except (KeyError, ValueError) as exc:
        return [f"a reference dangles: {exc}"]
    src_refs = bsrc.references()
    for holder, targets in dst_refs.items():
        extra = targets - src_refs.get(holder, set())
        if extra:
            problems.append(f"{holder}: new references to {sorted(extra)}")
    if bdst.attribute_references() != bsrc.attribute_references():
        problems.append("attribute references changed")
    return problems


def _link_problems(src: h5py.File, dst: h5py.File) -> list[str]:
    problems = []
    soft_src, soft_dst = {}, {}
    for h5f, out in ((src, soft_src), (dst, soft_dst)):

        def visit(name: str, link: Any, out=out) -> None:
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                out[name] = link.path

        h5f.visititems_links(visit)
    if soft_src != soft_dst:
        problems.append(
            f"links differ: {set(soft_src.items()) ^ set(soft_dst.items())}"
        )
    for name in soft_dst:
        try:
            target = dst.get(name)
        except (KeyError, OSError):
            target = None
        if target is None:
            problems.append(f"/{name}: link does not resolve in the truncated file")
    spec_src, spec_dst = src.get("specifications"), dst.get("specifications")
    if spec_src is not None:
        names: list[str] = []
        spec_src.visit(names.append)
        for name in names:
            s, d = spec_src[name], spec_dst.get(name) if spec_dst else None
            if isinstance(s, h5py.Dataset) and (d is None or s[()] != d[()]):
                problems.append(f"/specifications/{name} differs")
        if (
            ".specloc" in src.attrs
            and dst[dst.attrs[".specloc"]].name != "/specifications"
        ):
            problems.append(".specloc does not point at /specifications")
    return problems
