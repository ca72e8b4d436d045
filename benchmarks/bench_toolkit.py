"""HDF5 toolkit timings, each as a ratio measured in the same run.

    python benchmarks/bench_toolkit.py [--series 500] [--repeat 3]

Builds a metadata-heavy NWB-like file in a temporary directory (thousands of
typed groups and small datasets; VectorIndex ``target`` and DynamicTableRegion
``table`` reference attributes; a TimeSeriesReferenceVectorData-style compound
column and an object-reference column), then times

- ``find_references`` (one pass; and with ``first=True``) against the brute force
  that reads every attribute and dataset, dereferences every reference to its
  path, and only then answers (its cost grows with the square of the file: HDF5
  searches the file for the name of each dereferenced object, so it runs once),
  and against a brute-force scan that compares each dereferenced object with the
  target by identity;
- a ``ReferenceIndex`` built once, then queried for every referenced object;
- ``hdf_dependency_graph`` against a bare ``visititems`` pass (open every object)
  and against the raw h5py floor of DESIGN.md (visit every object, read every
  attribute).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import h5py
import numpy as np

from nwbgen.io.hdf5 import ReferenceIndex, find_references, hdf_dependency_graph


def build(path: Path, series: int) -> str:
    """Write the benchmark file; return the path most often referred to."""
    rng = np.random.default_rng(0)
    text = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs["neurodata_type"] = "NWBFile"
        electrodes = f.create_group("general/extracellular_ephys/electrodes")
        electrodes.attrs["neurodata_type"] = "DynamicTable"
        electrodes.create_dataset("id", data=np.arange(64))
        refs = []
        for i in range(series):
            group = f.create_group(f"acquisition/module_{i // 100:03d}/series_{i:05d}")
            group.attrs.update(
                neurodata_type="TimeSeries",
                namespace="core",
                object_id=str(uuid.UUID(int=i)),
                description=f"series {i}",
                comments="no comments",
            )
            data = group.create_dataset("data", data=rng.random(16))
            data.attrs.update(unit="V", conversion=1.0, resolution=-1.0, offset=0.0)
            group.create_dataset("timestamps", data=np.arange(16) / 30.0)
            region = group.create_dataset("electrodes", data=[i % 64, (i + 1) % 64])
            region.attrs.update(neurodata_type="DynamicTableRegion", description="e")
            region.attrs["table"] = electrodes.ref
            refs.append(group.ref)
        for t in range(series // 20):
            table = f.create_group(f"intervals/table_{t:04d}")
            table.attrs.update(neurodata_type="TimeIntervals", colnames=["tags"])
            tags = table.create_dataset("tags", data=["a", "b", "c"], dtype=text)
            index = table.create_dataset("tags_index", data=[1, 3])
            index.attrs["neurodata_type"] = "VectorIndex"
            index.attrs["target"] = tags.ref
            record = np.dtype(
                [("idx_start", "i4"), ("count", "i4"), ("timeseries", h5py.ref_dtype)]
            )
            rows = [(0, 4, refs[(t * 7 + k) % series]) for k in range(20)]
            table.create_dataset("timeseries", data=np.array(rows, dtype=record))
        column = np.array(
            [refs[i % 50] for i in range(series * 5)], dtype=h5py.ref_dtype
        )
        f.create_dataset("general/series_column", data=column)
    return "/general/extracellular_ephys/electrodes"


def _walk(value):
    if isinstance(value, h5py.Reference):
        yield value
    elif isinstance(value, np.ndarray) and value.dtype.kind in "OV":
        for item in value.reshape(-1):
            yield from _walk(item)
    elif isinstance(value, np.void) and value.dtype.names:
        for name in value.dtype.names:
            yield from _walk(value[name])


def brute_force_references(f: h5py.File) -> dict[str, set[str]]:
    """Collect everything first: every attribute and dataset read, every reference
    dereferenced; then who refers to what."""
    out: dict[str, set[str]] = {}

    def visit(name: str, obj) -> None:
        values = list(obj.attrs.values())
        if isinstance(obj, h5py.Dataset):
            values.append(obj[()])
        for value in values:
            for ref in _walk(value):
                if ref:
                    out.setdefault(f[ref].name, set()).add("/" + name)

    visit("", f["/"])
    f.visititems(visit)
    return out


def brute_force_scan(f: h5py.File, path: str) -> list[str]:
    """Read everything, dereference everything, compare objects (no names)."""
    target = f[path].id
    out: list[str] = []

    def visit(name: str, obj) -> None:
        values = list(obj.attrs.values())
        if isinstance(obj, h5py.Dataset):
            values.append(obj[()])
        if any(ref and f[ref].id == target for v in values for ref in _walk(v)):
            out.append("/" + name)

    f.visititems(visit)
    return out


def best(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metadata_heavy.nwb"
        target = build(path, args.series)
        rows = []
        with h5py.File(path, "r") as f:
            n_objects = 1
            n_attrs = len(f.attrs)

            def count(name, obj):
                nonlocal n_objects, n_attrs
                n_objects += 1
                n_attrs += len(obj.attrs)

            f.visititems(count)
            start = time.perf_counter()
            everything = brute_force_references(f)
            brute = time.perf_counter() - start
            found = find_references(f, target)
            assert found == sorted(everything[target])
            assert found == sorted(brute_force_scan(f, target))
            scan = best(lambda: brute_force_scan(f, target), args.repeat)
            one = best(lambda: find_references(f, target), args.repeat)
            first = best(lambda: find_references(f, target, first=True), args.repeat)
            index_build = best(lambda: ReferenceIndex(f), args.repeat)
            index = ReferenceIndex(f)
            referenced = sorted(everything)
            queries = best(
                lambda: [index.referrers(p) for p in referenced], args.repeat
            )
            rows += [
                ("brute force: collect everything, then answer", brute, brute),
                ("brute force: scan, compare objects", scan, brute),
                ("find_references, one pass", one, brute),
                ("find_references, first=True", first, brute),
                ("ReferenceIndex build (one pass)", index_build, brute),
                (f"ReferenceIndex, {len(referenced)} queries", queries, brute),
            ]
            bare = best(lambda: f.visititems(lambda name, obj: None), args.repeat)

            def floor() -> None:
                def read(name, obj):
                    for key in obj.attrs:
                        obj.attrs[key]

                f.visititems(read)

            raw = best(floor, args.repeat)
            graph_time = best(lambda: hdf_dependency_graph(f), args.repeat)
            graph = hdf_dependency_graph(f)
            rows += [
                ("bare visititems (open every object)", bare, bare),
                ("visititems + read every attribute (h5py floor)", raw, bare),
                ("hdf_dependency_graph", graph_time, bare),
            ]
        print(
            f"file: {n_objects} objects, {n_attrs} attributes, "
            f"{path.stat().st_size / 2**20:.1f} MB; {len(found)} objects refer to "
            f"{target}; graph {graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} edges; best of {args.repeat} "
            "(collect-everything: one run)"
        )
        print(f"{'operation':<50} {'seconds':>9} {'ratio':>8}  vs")
        for name, seconds, base in rows:
            versus = "brute force" if base is brute else "bare visititems"
            print(f"{name:<50} {seconds:>9.4f} {seconds / base:>8.3f}  {versus}")
        print(f"graph build / h5py floor: {graph_time / raw:.2f}")


if __name__ == "__main__":
    main()
