"""Editing in place: one TimeSeries added to a large file, nwbgen against pynwb.

    python benchmarks/bench_edit.py [--big-mb 420] [--repeat 5] [--workdir DIR]
                                    [--quick]

A pynwb-written file of ``--big-mb`` MiB (four float32 TimeSeries written in
4 MiB chunks, ``bench_read.build_big``) is built once into ``--workdir`` (default
``$TMPDIR/nwbgen-bench-edit/``) and copied before every run, outside the clock.
Each run is a fresh process (imports before the clock; one discarded round first,
then ``--repeat`` rounds, round robin) that edits the copy twice, each edit adding
one TimeSeries of 1000 float64 samples (8 kB) to ``/acquisition``: the first edit
in the process (nwbgen imports the file's generated models and pydantic builds
their validators inside the clock; pynwb's import did its share before it) and a
second one:

- nwbgen: ``with HDF5IO(path, mode="a") as io: nwbfile = io.read();
  nwbfile.add_acquisition(io.models.TimeSeries(...)); io.write(nwbfile)``;
- pynwb: ``with NWBHDF5IO(path, "a") as io: nwbfile = io.read();
  nwbfile.add_acquisition(TimeSeries(...)); io.write(nwbfile)``.

The clock covers the whole ``with`` block (open, read, add, write, close), and
the ``write()`` call alone is reported too. Targets: nwbgen's whole edit
≤ 0.5 s, and the file grows by about the new bytes (the data, plus a few kB of
object headers). After the last round both edited copies are checked, untimed:
the structural diff of nwbgen's against the source is exactly the two new
groups, and pynwb reads the new series from both with the values written.
Prints a table and writes benchmarks/results/edit.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_compile import machine, spawn
from bench_read import build_big, cached, verdict

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SCRIPT = Path(__file__).resolve()
WORKDIR = Path(tempfile.gettempdir()) / "nwbgen-bench-edit"
TOOLS = ("nwbgen", "pynwb")
SAMPLES = 1000
NEW, NEW2 = "new_series", "second_series"
#: seconds nwbgen's whole edit may take
TARGET = 0.5


def values():
    import numpy as np

    return np.linspace(0.0, 1.0, SAMPLES)


# --------------------------------------------------------------- one run (a child)


def child(tool: str, path: str) -> dict:
    """Two edits of ``path`` with ``tool``, each adding one TimeSeries: the first
    in this process (nwbgen imports the file's models, pydantic builds their
    validators; pynwb did its share at import), and a second one; times and
    sizes of each."""
    out = {}
    for which, name in (("first", NEW), ("second", NEW2)):
        out[which] = edit(tool, path, name)
    return out


def edit(tool: str, path: str, name: str) -> dict:
    data = values()
    size = os.path.getsize(path)
    if tool == "nwbgen":
        from nwbgen import HDF5IO

        start = time.perf_counter()
        with HDF5IO(path, mode="a") as io:
            nwbfile = io.read()
            series = io.models.TimeSeries(
                name=name, data=data, unit="m", rate=100.0, description="added"
            )
            nwbfile.add_acquisition(series)
            before = time.perf_counter()
            io.write(nwbfile)
            write = time.perf_counter() - before
        total = time.perf_counter() - start
    else:
        import warnings

        from pynwb import NWBHDF5IO, TimeSeries

        warnings.simplefilter("ignore")
        start = time.perf_counter()
        with NWBHDF5IO(path, "a") as io:
            nwbfile = io.read()
            nwbfile.add_acquisition(
                TimeSeries(
                    name=name, data=data, unit="m", rate=100.0, description="added"
                )
            )
            before = time.perf_counter()
            io.write(nwbfile)
            write = time.perf_counter() - before
        total = time.perf_counter() - start
    return {
        "total": total,
        "write": write,
        "size_before": size,
        "size_after": os.path.getsize(path),
    }


def run(tool: str, base: Path, workdir: Path) -> dict:
    target = workdir / f"edited-{tool}.nwb"
    shutil.copyfile(base, target)
    _, _, out = spawn([str(SCRIPT), "--child", tool, str(target)])
    return json.loads(out.strip().splitlines()[-1])


# --------------------------------------------------------------------- checking


def check(base: Path, workdir: Path) -> list[str]:
    """What is wrong with the last edited copies (``[]``: nothing)."""
    import warnings

    import numpy as np
    from pynwb import NWBHDF5IO

    sys.path.insert(0, str(ROOT))
    from tests.support.h5diff import diff_files

    problems = []
    diff = diff_files(base, workdir / "edited-nwbgen.nwb")
    expected = [
        f"/acquisition/{name}: group only in the second file" for name in (NEW, NEW2)
    ]
    if diff != expected:
        problems.append(f"nwbgen's edit differs from the source by {diff[:5]}")
    for tool in TOOLS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with NWBHDF5IO(str(workdir / f"edited-{tool}.nwb"), "r") as io:
                acquisition = io.read().acquisition
                got = [acquisition[name].data[:] for name in (NEW, NEW2)]
        if not all(np.array_equal(g, values()) for g in got):
            problems.append(f"{tool}: pynwb reads other values of the new series")
    return problems


# ------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=420, help="MiB of the file")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes each")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="file cache")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 16 MiB")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.quick:
        args.big_mb, args.repeat = 16, 1
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"building (or reusing) a {args.big_mb} MiB pynwb file in {workdir} ...")
    base = cached(workdir, build_big, args.big_mb)
    size = os.path.getsize(base)
    results: dict[str, list[dict]] = {tool: [] for tool in TOOLS}
    for i in range(-1, max(1, args.repeat)):
        for tool in TOOLS:
            result = run(tool, base, workdir)
            if i >= 0:
                results[tool].append(result)
    problems = check(base, workdir)

    def med(tool: str, which: str, key: str) -> float:
        return statistics.median(r[which][key] for r in results[tool])

    def growth(tool: str, which: str) -> int:
        return int(
            statistics.median(
                r[which]["size_after"] - r[which]["size_before"] for r in results[tool]
            )
        )

    new_bytes = SAMPLES * 8
    print(
        f"\nfile: {size / 2**20:.0f} MiB; new data: {new_bytes} bytes per series; "
        f"median of {len(results['nwbgen'])} fresh processes\n"
    )
    print(
        f"{'':<18} {'whole edit (s)':>15} {'write() (s)':>12} {'file growth (B)':>16}"
    )
    out: dict = {"file_mib": round(size / 2**20, 1), "new_bytes": new_bytes}
    for tool in TOOLS:
        out[tool] = {"runs": results[tool]}
        for which in ("first", "second"):
            out[tool][which] = {
                "total_s": round(med(tool, which, "total"), 4),
                "write_s": round(med(tool, which, "write"), 4),
                "growth_bytes": growth(tool, which),
            }
            print(
                f"{tool + ', ' + which:<18} {med(tool, which, 'total'):>15.3f} "
                f"{med(tool, which, 'write'):>12.3f} {growth(tool, which):>16}"
            )
    for which in ("first", "second"):
        ratio = med("nwbgen", which, "total") / med("pynwb", which, "total")
        out[f"ratio_nwbgen_pynwb_{which}"] = round(ratio, 3)
        print(f"\nnwbgen / pynwb, whole edit, {which}: {ratio:.2f}", end="")
    print()
    for which in ("first", "second"):
        total = med("nwbgen", which, "total")
        print(f"nwbgen whole edit, {which}: {verdict(total, TARGET, below=True)}")
        print(
            f"nwbgen growth / new bytes, {which}: "
            f"{growth('nwbgen', which) / new_bytes:.2f}"
        )
    print("checks: " + ("ok" if not problems else "; ".join(problems)))
    out["problems"] = problems
    out["machine"] = machine("edit", load, ("nwbgen", "pynwb", "hdmf", "h5py"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "edit_quick.json" if args.quick else "edit.json"
    (RESULTS / name).write_text(json.dumps(out, indent=2))
    for tool in TOOLS:  # the big copies
        (workdir / f"edited-{tool}.nwb").unlink(missing_ok=True)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
