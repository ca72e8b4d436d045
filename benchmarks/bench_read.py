"""Read timings and lazy memory: nwbgen against pynwb and the raw h5py floor.

    python benchmarks/bench_read.py [--objects 3000] [--repeat 5] [--big-mb 1024]
                                    [--workdir DIR] [--quick]

Builds, with pynwb, into ``--workdir`` (default: a folder in the system temp
directory; each file is named by a content key of its builder's source, its size
and the pynwb/hdmf/h5py versions, so a repeated run reuses it):

- a metadata-heavy file of about ``--objects`` HDF5 objects: many small
  TimeSeries in acquisition and in processing modules (BehavioralTimeSeries,
  Position of SpatialSeries, some sharing timestamps by link), devices, electrode
  groups, an electrodes table with extra columns, an ElectricalSeries with a
  DynamicTableRegion, units with ragged spike times and electrodes, trials with
  extra columns, ImageSeries, Images; and the same at 8x the objects;
- a file whose datasets total ``--big-mb`` MiB (float32 TimeSeries written
  chunk by chunk), and an empty NWBFile.

Then measures, every number in a fresh subprocess (median of ``--repeat``, after
one discarded round that warms bytecode and the OS file cache), imports done
before the clock starts:

1. reading the metadata-heavy file: the h5py floor (open, ``visititems``, read
   every attribute of every object, close), pynwb
   ``NWBHDF5IO(path, "r", load_namespaces=True).read()`` and nwbgen
   ``HDF5IO(path).read()``, each the first and then the second read in its
   process (the first includes one-time work: pynwb's type map, nwbgen's model
   import and pydantic schemas); wall and CPU time; ratios pynwb / nwbgen (target
   >= 5) and nwbgen / h5py floor (target <= 1.3, issue 10), the floor ratio
   on the file of 8x the objects too (the issue's "24k-object" file);
2. lazy memory: the rise of the peak RSS during a full nwbgen read over the RSS
   after the imports (peak reset first through /proc/self/clear_refs, read from
   ``VmHWM``; the plain ``ru_maxrss`` difference alongside), for the big and
   the empty file; the difference (target < 50 MB); pynwb alongside;
3. ``io.read(path)`` in the two metadata-heavy files, of a plain TimeSeries
   (``/acquisition/ts_00000``) and of the ElectricalSeries, whose
   DynamicTableRegion refers to the electrodes table: time of the read call
   only (the ``HDF5IO`` is opened before the clock starts; its open time is
   shown apart), the first call in the process and the median of the next
   ``--inner`` - 1 (each in a newly opened HDF5IO); the 8x / 1x ratio should
   be about 1. And the lazy ``read()`` plus one TimeSeries the same way (target
   for the next calls: <= 20 ms on both files).

Prints a table and writes benchmarks/results/read.json.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import inspect
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_compile import machine, spawn, version

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "read.json"
SCRIPT = Path(__file__).resolve()
WORKDIR = Path(tempfile.gettempdir()) / "nwbgen-bench-read"
#: what ``io.read(path)`` reads alone: a plain TimeSeries, and an ElectricalSeries
#: whose DynamicTableRegion refers to the electrodes table (electrode groups,
#: devices), an object reference to follow
SUBTREES = {
    "/acquisition/ts_00000": "TimeSeries",
    "/acquisition/ephys": "ElectricalSeries + electrodes",
}
#: objects of the heavy file that do not grow with --objects (measured)
FIXED_OBJECTS = 110


# --------------------------------------------------------------------- builders


def build_heavy(path: Path, objects: int) -> None:
    """A pynwb file of about ``objects`` HDF5 objects, all arrays small."""
    from datetime import datetime, timezone

    import numpy as np
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.base import Images
    from pynwb.behavior import BehavioralTimeSeries, Position, SpatialSeries
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject
    from pynwb.image import GrayscaleImage, ImageSeries, RGBImage

    rng = np.random.default_rng(0)
    start = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
    nwb = NWBFile(
        session_description="metadata-heavy file for benchmarks/bench_read.py",
        identifier=f"bench-read-heavy-{objects}",
        session_start_time=start,
        experimenter=["Doe, Jane", "Roe, Richard"],
        lab="bench lab",
        institution="bench institute",
        keywords=["benchmark", "metadata"],
        subject=Subject(subject_id="m1", species="Mus musculus", sex="F", age="P90D"),
    )
    devices = [
        nwb.create_device(
            name=f"probe_{i}", description=f"probe {i}", manufacturer="bench"
        )
        for i in range(4)
    ]
    groups = [
        nwb.create_electrode_group(
            name=f"shank_{i}",
            description=f"shank {i}",
            location="CA1",
            device=devices[i % len(devices)],
        )
        for i in range(8)
    ]
    nwb.add_electrode_column("channel_name", "name of the channel")
    nwb.add_electrode_column("impedance_ohm", "measured impedance")
    nwb.add_electrode_column("bad", "channel flagged bad")
    for i in range(96):
        nwb.add_electrode(
            x=float(i),
            y=float(i % 8),
            z=0.0,
            rel_x=float(i % 12),
            rel_y=0.0,
            location="CA1",
            group=groups[i % len(groups)],
            channel_name=f"ch{i:03d}",
            impedance_ohm=1e6 + i,
            bad=bool(i % 17 == 0),
        )
    region = nwb.create_electrode_table_region(list(range(32)), "first 32 channels")
    nwb.add_acquisition(
        ElectricalSeries(
            name="ephys",
            data=rng.standard_normal((50, 32)).astype("float32"),
            electrodes=region,
            timestamps=np.arange(50) / 30000.0,
            filtering="300-6000 Hz",
        )
    )
    nwb.add_unit_column("quality", "sorting quality")
    for u in range(40):
        nwb.add_unit(
            spike_times=np.sort(rng.random(5 + u % 7)) * 100.0,
            electrodes=[u % 96, (u + 1) % 96],
            quality="good" if u % 3 else "mua",
        )
    nwb.add_trial_column("correct", "whether the trial was correct")
    nwb.add_trial_column("stimulus", "stimulus name")
    for t in range(40):
        nwb.add_trial(
            start_time=2.0 * t,
            stop_time=2.0 * t + 1.5,
            correct=bool(t % 2),
            stimulus=f"stim_{t % 4}",
        )
    nwb.add_acquisition(
        ImageSeries(
            name="camera_external",
            external_file=["video.mp4"],
            starting_frame=[0],
            format="external",
            timestamps=np.arange(10) / 30.0,
            description="behaviour camera (external file)",
        )
    )
    nwb.add_acquisition(
        ImageSeries(
            name="camera_frames",
            data=rng.integers(0, 255, (5, 8, 8), dtype="uint8"),
            unit="n.a.",
            rate=30.0,
        )
    )
    nwb.add_stimulus(
        TimeSeries(name="stimulus_trace", data=rng.random(20), unit="V", rate=10.0)
    )
    images = Images(
        name="reference_images",
        images=[
            GrayscaleImage(name=f"gray_{i}", data=rng.random((8, 8)), resolution=1.0)
            for i in range(3)
        ]
        + [RGBImage(name="rgb_0", data=rng.random((8, 8, 3)))],
        description="reference frames",
    )
    nwb.create_processing_module("images", "reference images").add(images)

    # the bulk: small TimeSeries, three HDF5 objects each (group, data, time)
    series = max(12, (objects - FIXED_OBJECTS) // 3)
    in_acquisition = series // 2
    for i in range(in_acquisition):
        timing = (
            {"timestamps": np.arange(10) / 10.0}
            if i % 2 == 0
            else {"rate": 10.0, "starting_time": float(i)}
        )
        nwb.add_acquisition(
            TimeSeries(
                name=f"ts_{i:05d}",
                data=rng.random(10),
                unit="V",
                description=f"acquired series {i}",
                comments="small",
                **timing,
            )
        )
    modules = 5
    per_module = (series - in_acquisition) // modules
    for m in range(modules):
        module = nwb.create_processing_module(f"behavior_{m}", f"behaviour {m}")
        position = Position(name="Position")
        behavioral = BehavioralTimeSeries(name="BehavioralTimeSeries")
        first = None
        for k in range(per_module):
            name = f"m{m}_series_{k:05d}"
            if k % 3 == 0:
                spatial = SpatialSeries(
                    name=name,
                    data=rng.random((10, 2)),
                    reference_frame="arena corner",
                    timestamps=first if first is not None else np.arange(10) / 10.0,
                )
                if first is None:
                    first = spatial
                position.add_spatial_series(spatial)
            elif k % 3 == 1:
                behavioral.add_timeseries(
                    TimeSeries(name=name, data=rng.random(10), unit="cm", rate=10.0)
                )
            else:
                module.add(
                    TimeSeries(
                        name=name,
                        data=rng.random(10),
                        unit="a.u.",
                        timestamps=np.arange(10) / 10.0,
                    )
                )
        module.add(position)
        module.add(behavioral)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def build_big(path: Path, mebibytes: int) -> None:
    """An NWB file whose datasets total ``mebibytes`` MiB of float32, written by
    chunks (building needs no more than a few tens of MB)."""
    from datetime import datetime, timezone

    import numpy as np
    from hdmf.data_utils import GenericDataChunkIterator
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    class Ramp(GenericDataChunkIterator):
        def __init__(self, shape: tuple[int, int], offset: float, **kwargs):
            self._shape = shape
            self._offset = offset
            super().__init__(**kwargs)

        def _get_data(self, selection):
            rows, cols = (s.indices(n) for s, n in zip(selection, self._shape))
            r = np.arange(*rows, dtype=np.float32)[:, None]
            c = np.arange(*cols, dtype=np.float32)[None, :]
            return r * np.float32(1e-3) + c + np.float32(self._offset)

        def _get_maxshape(self):
            return self._shape

        def _get_dtype(self):
            return np.dtype("float32")

    count, columns = 4, 64
    rows = max(1, mebibytes * 2**20 // (count * columns * 4))
    chunk = min(rows, 2**14)  # 4 MiB chunks
    nwb = NWBFile(
        session_description="large datasets for benchmarks/bench_read.py",
        identifier=f"bench-read-big-{mebibytes}",
        session_start_time=datetime(2024, 1, 1, 12, tzinfo=timezone.utc),
    )
    for i in range(count):
        nwb.add_acquisition(
            TimeSeries(
                name=f"big_{i}",
                data=Ramp(
                    (rows, columns),
                    float(i),
                    chunk_shape=(chunk, columns),
                    buffer_shape=(chunk * max(1, min(4, rows // chunk)), columns),
                ),
                unit="V",
                rate=30000.0,
            )
        )
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def build_empty(path: Path) -> None:
    """An NWBFile with nothing in it."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile

    nwb = NWBFile(
        session_description="empty file for benchmarks/bench_read.py",
        identifier="bench-read-empty",
        session_start_time=datetime(2024, 1, 1, 12, tzinfo=timezone.utc),
    )
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)


def cached(workdir: Path, builder, *args) -> Path:
    """The file ``builder(path, *args)`` writes, built once per content key."""
    key = hashlib.sha256(
        "\0".join(
            [
                inspect.getsource(builder),
                repr(args),
                version("pynwb") or "",
                version("hdmf") or "",
                version("h5py") or "",
            ]
        ).encode()
    ).hexdigest()[:12]
    stem = "_".join([builder.__name__.removeprefix("build_"), *map(str, args)])
    path = workdir / f"{stem}_{key}.nwb"
    if not path.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in workdir.glob(f"{stem}_*.nwb"):  # built by an older builder
            stale.unlink()
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.nwb")
        start = time.perf_counter()
        try:
            builder(partial, *args)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        print(f"built {path} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


def census(path: Path) -> dict[str, float]:
    """Objects (groups and datasets, root included), attributes, dataset bytes."""
    import h5py

    found = {"objects": 1, "attributes": 0, "dataset_mib": 0.0}
    with h5py.File(path, "r") as f:
        found["attributes"] = len(f.attrs)

        def count(name, obj) -> None:
            found["objects"] += 1
            found["attributes"] += len(obj.attrs)
            if isinstance(obj, h5py.Dataset):
                found["dataset_mib"] += obj.size * obj.dtype.itemsize / 2**20

        f.visititems(count)
    found["file_mib"] = path.stat().st_size / 2**20
    return found


# ------------------------------------------------------------ child processes


def maxrss_mb() -> float:
    """Peak resident set size of this process so far (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e6
    raise LookupError(field)


def memory(read) -> dict[str, float]:
    """MB (10**6 bytes) the peak RSS rises over the RSS after imports during ``read()``.

    ``ru_maxrss`` never goes down, so a transient peak during the imports hides
    any smaller rise of the read; where Linux allows, the peak is reset first
    (``clear_refs`` 5 resets ``VmHWM``) and ``VmHWM`` is read after. The plain
    ``ru_maxrss`` difference is reported too."""
    gc.collect()
    maxrss = maxrss_mb()
    try:
        base = status_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        base = None
    read()
    after = maxrss_mb()
    found = {"maxrss_delta": after - maxrss}
    found["delta"] = (
        found["maxrss_delta"] if base is None else status_mb("VmHWM") - base
    )
    return found


def clocked(func) -> dict[str, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def child(kind: str, path: str, inner: int) -> dict:
    """One measurement in this (fresh) process; imports happen before any clock."""
    if kind == "h5py":
        import h5py

        def attributes(name: str, obj) -> None:  # None: visititems goes on
            dict(obj.attrs.items())

        def read() -> None:
            with h5py.File(path, "r") as f:
                attributes("/", f)
                f.visititems(attributes)

    elif kind in ("pynwb", "mem-pynwb"):
        from pynwb import NWBHDF5IO

        def read() -> None:
            with NWBHDF5IO(path, "r", load_namespaces=True) as io:
                io.read()

    elif kind in ("nwbgen", "mem-nwbgen"):
        from nwbgen import HDF5IO

        def read() -> None:  # everything, as pynwb reads (and as show and copy do)
            with HDF5IO(path, lazy=False) as io:
                io.read()

    elif kind == "nwbgen-lazy":
        from nwbgen import HDF5IO

        def read() -> None:  # the default: the root, members read when asked for
            with HDF5IO(path) as io:
                io.read()

    elif kind.startswith("lazyone:"):
        from nwbgen import HDF5IO

        name = kind.split(":", 1)[1]
        reads, opens = [], []
        for _ in range(inner):
            start = time.perf_counter()
            with HDF5IO(path) as io:
                opens.append(time.perf_counter() - start)
                reads.append(clocked(lambda: io.read().acquisition[name]))
        return {
            "first": reads[0]["wall"],
            "steady": statistics.median(r["wall"] for r in reads[1:] or reads),
            "open": statistics.median(opens),
        }

    elif kind.startswith("subtree:"):
        from nwbgen import HDF5IO

        reads, opens = [], []
        for _ in range(inner):
            start = time.perf_counter()
            with HDF5IO(path) as io:
                opens.append(time.perf_counter() - start)
                reads.append(clocked(lambda: io.read(kind.split(":", 1)[1])))
        return {
            "first": reads[0]["wall"],
            "steady": statistics.median(r["wall"] for r in reads[1:] or reads),
            "open": statistics.median(opens),
        }
    else:
        raise SystemExit(f"unknown child kind {kind!r}")

    if kind.startswith("mem-"):
        return memory(read)
    return {"first": clocked(read), "second": clocked(read)}


def run_child(kind: str, path: Path, inner: int = 1) -> dict:
    argv = [str(SCRIPT), "--child", kind, str(path), "--inner", str(inner)]
    _, _, out = spawn(argv, cwd=ROOT)
    return json.loads(out.strip().splitlines()[-1])


def rounds(
    jobs: dict[str, tuple], repeat: int, discard: bool, run=None
) -> dict[str, list]:
    """Round robin: an optional discarded round, then ``repeat`` rounds, one fresh
    process per job each round (``run(*job)``, this script's :func:`run_child` by
    default)."""
    run = run or run_child
    out: dict[str, list] = {key: [] for key in jobs}
    for i in range(-1 if discard else 0, repeat):
        for key, job in jobs.items():
            result = run(*job)
            if i >= 0:
                out[key].append(result)
    return out


def median(results: list[dict], *keys: str) -> float:
    def pick(result: dict) -> float:
        for key in keys:
            result = result[key]
        return result

    return statistics.median(pick(r) for r in results)


def first_and_second(timed: dict[str, list], labels: dict[str, str]) -> dict:
    """Print the median wall and CPU ms of each key's first and second run (one
    row each, under ``labels[key]``); return them in seconds by
    ``"key first wall"``."""
    times: dict[str, float] = {}
    for key, results in timed.items():
        for which in ("first", "second"):
            for clock in ("wall", "cpu"):
                times[f"{key} {which} {clock}"] = median(results, which, clock)
            wall, cpu = (times[f"{key} {which} {c}"] * 1e3 for c in ("wall", "cpu"))
            print(f"{labels[key] + ', ' + which:<52} {wall:>9.1f} {cpu:>9.1f}")
    return times


# ------------------------------------------------------------------------ main


def have_hdf5io() -> bool:
    try:
        from nwbgen import HDF5IO  # noqa: F401
    except ImportError:
        return False
    return True


def verdict(value: float, target: float, below: bool) -> str:
    ok = value < target if below else value >= target
    return f"{'ok' if ok else 'MISS'} (target {'<' if below else '>='} {target:g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=3000, help="heavy file size")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes each")
    parser.add_argument("--big-mb", type=int, default=1024, help="MiB of datasets")
    parser.add_argument("--inner", type=int, default=5, help="subtree reads per run")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="file cache")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.inner)))
        return
    if args.quick:
        args.objects, args.repeat, args.big_mb, args.inner = 300, 1, 16, 3
    repeat = max(1, args.repeat)
    discard = not args.quick

    heavy = cached(args.workdir, build_heavy, args.objects)
    heavy8 = cached(args.workdir, build_heavy, 8 * args.objects)
    big = cached(args.workdir, build_big, args.big_mb)
    empty = cached(args.workdir, build_empty)
    files = {name: census(p) for name, p in [("heavy", heavy), ("heavy8", heavy8)]}
    files["big"] = census(big)
    nwbgen = have_hdf5io()

    jobs = {"h5py": ("h5py", heavy), "pynwb": ("pynwb", heavy)}
    if nwbgen:
        jobs["nwbgen"] = ("nwbgen", heavy)
        jobs["nwbgen_lazy"] = ("nwbgen-lazy", heavy)
        # the file for the floor ratio: 8x the objects (no pynwb: slow)
        jobs["h5py8"] = ("h5py", heavy8)
        jobs["nwbgen8"] = ("nwbgen", heavy8)
    timed = rounds(jobs, repeat, discard)
    jobs = {"pynwb_empty": ("mem-pynwb", empty), "pynwb_big": ("mem-pynwb", big)}
    if nwbgen:
        jobs |= {
            "nwbgen_empty": ("mem-nwbgen", empty),
            "nwbgen_big": ("mem-nwbgen", big),
        }
    rss = rounds(jobs, repeat, discard)
    subtree = {}
    if nwbgen:
        jobs = {
            f"{key}:{target}": (f"subtree:{target}", path, args.inner)
            for target in SUBTREES
            for key, path in (("heavy", heavy), ("heavy8", heavy8))
        } | {
            f"{key}:read()+ts_00000": ("lazyone:ts_00000", path, args.inner)
            for key, path in (("heavy", heavy), ("heavy8", heavy8))
        }
        subtree = rounds(jobs, repeat, discard)

    load = os.getloadavg()[0]
    h = files["heavy"]
    print(
        f"median of {repeat} fresh processes each"
        f"{' (after one discarded round)' if discard else ''}; "
        f"load average {load:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"metadata-heavy file: {h['objects']} objects, {h['attributes']} attributes, "
        f"{h['file_mib']:.1f} MiB on disk"
    )
    print(f"{'full read of the metadata-heavy file':<52} {'wall ms':>9} {'cpu ms':>9}")
    labels = {
        "h5py": "h5py floor: visititems + every attribute",
        "pynwb": "pynwb NWBHDF5IO(load_namespaces=True).read()",
        "nwbgen": "nwbgen HDF5IO(path, lazy=False).read()",
        "nwbgen_lazy": "nwbgen HDF5IO(path).read() (lazy)",
        "h5py8": "h5py floor, 8x objects",
        "nwbgen8": "nwbgen read(), lazy=False, 8x objects",
    }
    times = first_and_second(timed, labels)
    ratios: dict[str, float] = {}
    if nwbgen:
        print(f"{'ratios':<52} {'wall':>9} {'cpu':>9}")
        for which in ("first", "second"):
            for a, b, target in (
                ("pynwb", "nwbgen", 5),
                ("nwbgen", "h5py", 1.3),
                ("pynwb", "nwbgen_lazy", 5),
                ("nwbgen8", "h5py8", 1.3),
            ):
                wall, cpu = (
                    times[f"{a} {which} {c}"] / times[f"{b} {which} {c}"]
                    for c in ("wall", "cpu")
                )
                floor = " floor" if b.startswith("h5py") else ""
                name = f"{a} / {b}{floor}, {which} reads"
                ratios[name], ratios[name + " (cpu)"] = wall, cpu
                note = verdict(wall, target, below=bool(floor))
                print(f"{name:<52} {wall:>8.2f}x {cpu:>8.2f}x  {note}")
    else:
        print("nwbgen: `from nwbgen import HDF5IO` fails; its rows are skipped")

    b = files["big"]
    print(f"\nbig file: {b['dataset_mib']:.0f} MiB of datasets, {b['objects']} objects")
    print(
        f"{'peak RSS rise of a full read over after imports':<52} "
        f"{'MB':>9} {'maxrss':>9}"
    )
    deltas: dict[str, float] = {}
    for key, results in rss.items():
        deltas[key] = median(results, "delta")
        deltas[key + "_maxrss"] = median(results, "maxrss_delta")
        reader, which = key.split("_")
        label = f"{reader}, {which} file"
        print(f"{label:<52} {deltas[key]:>9.1f} {deltas[key + '_maxrss']:>9.1f}")
    for reader in ("nwbgen", "pynwb"):
        if f"{reader}_big" in deltas:
            diff, diff_maxrss = (
                deltas[f"{reader}_big{m}"] - deltas[f"{reader}_empty{m}"]
                for m in ("", "_maxrss")
            )
            deltas[f"{reader}_difference"] = diff
            note = verdict(diff, 50, True) if reader == "nwbgen" else "(context)"
            label = f"{reader}, big minus empty"
            print(f"{label:<52} {diff:>9.1f} {diff_maxrss:>9.1f}  {note}")

    steady: dict[str, dict[str, float]] = {}
    if subtree:
        label = "io.read(path), the call only"
        print(f"\n{label:<52} {'first ms':>9} {'next ms':>9} {'open ms':>9}")
        for key, results in subtree.items():
            steady[key] = {k: median(results, k) for k in ("first", "steady", "open")}
            size, target = key.split(":", 1)
            label = f"{target}, {files[size]['objects']} objects"
            first, nxt, opened = (steady[key][k] * 1e3 for k in steady[key])
            note = ""
            if target == "read()+ts_00000":  # the lazy read's own cost, warm
                note = "  " + verdict(nxt, 20, True)
            print(f"{label:<52} {first:>9.2f} {nxt:>9.2f} {opened:>9.2f}{note}")
        lazy_one = ("read()+ts_00000", "read() + one TimeSeries (lazy)")
        for target, what in [*SUBTREES.items(), lazy_one]:
            for k, which in (("first", "first"), ("steady", "next")):
                value = steady[f"heavy8:{target}"][k] / steady[f"heavy:{target}"][k]
                label = f"{what}, 8x objects / 1x, {which}"
                ratios[label] = value
                print(f"{label:<52} {value:>9.2f}x")

    results = RESULTS.with_stem("read_quick") if args.quick else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    report = {
        **machine("bench_read", load, ("nwbgen", "pynwb", "hdmf", "h5py", "pydantic")),
        "repeat": repeat,
        "quick": args.quick,
        "files": {k: {n: round(v, 3) for n, v in f.items()} for k, f in files.items()},
        "read": timed,
        "memory": rss,
        "subtree": subtree,
        "medians": {
            "read_s": {k: round(v, 5) for k, v in times.items()},
            "memory_mb": {k: round(v, 2) for k, v in deltas.items()},
            "subtree_s": steady,
        },
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
    }
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {results.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
