"""Building tables row by row: nwbgen's ``add_unit`` against pynwb's.

    python benchmarks/bench_build.py [--units 10000] [--repeat 3] [--workdir DIR]

For each of ``--units / 10`` and ``--units`` units (ten spike times each, a
custom ``quality`` column, an electrodes region of one row), in one run:
build the NWBFile with ``add_electrode`` (8 electrodes) and ``add_unit`` and write
it, with nwbgen's builders and with pynwb's (median of ``--repeat`` rounds, each
in this process after one discarded warm-up). Reports build time, write time,
the ratio nwbgen / pynwb (target <= 0.5), and the growth from the small to the
large size (linear: about 10x for 10x the rows; neuroconv#1920 found row-by-row
adding quadratic). Both files are read back by pynwb once and must hold the
same spike times. Writes benchmarks/results/build.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def spikes(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [np.sort(rng.uniform(0, 100, 10)) for _ in range(n)]


def build_nwbgen(trains: list[np.ndarray]) -> Any:
    from nwbgen.generated.core.v2_11_0 import NWBFile

    nwbfile = NWBFile(
        identifier="b", session_description="bench", session_start_time=START
    )
    device = nwbfile.create_device(name="probe", description="p")
    group = nwbfile.create_electrode_group(
        name="g", description="g", location="CA1", device=device
    )
    for _ in range(8):
        nwbfile.add_electrode(group=group, location="CA1")
    nwbfile.add_unit_column(name="quality", description="q")
    for i, times in enumerate(trains):
        nwbfile.add_unit(spike_times=times, electrodes=[i % 8], quality="good")
    return nwbfile


def build_pynwb(trains: list[np.ndarray]) -> Any:
    from pynwb import NWBFile

    nwbfile = NWBFile(
        identifier="b", session_description="bench", session_start_time=START
    )
    device = nwbfile.create_device(name="probe", description="p")
    group = nwbfile.create_electrode_group(
        name="g", description="g", location="CA1", device=device
    )
    for _ in range(8):
        nwbfile.add_electrode(group=group, location="CA1")
    nwbfile.add_unit_column(name="quality", description="q")
    for i, times in enumerate(trains):
        nwbfile.add_unit(spike_times=times, electrodes=[i % 8], quality="good")
    return nwbfile


def write_nwbgen(nwbfile: Any, path: Path) -> None:
    from nwbgen import HDF5IO

    with HDF5IO(path, mode="w", overwrite=True) as io:
        io.write(nwbfile)


def write_pynwb(nwbfile: Any, path: Path) -> None:
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def timed(
    build: Any, write: Any, trains: list, path: Path, repeat: int
) -> tuple[float, float]:
    builds, writes = [], []
    for round_ in range(repeat + 1):
        t0 = time.perf_counter()
        nwbfile = build(trains)
        t1 = time.perf_counter()
        write(nwbfile, path)
        t2 = time.perf_counter()
        if round_:  # the first round warms imports and caches
            builds.append(t1 - t0)
            writes.append(t2 - t1)
    return statistics.median(builds), statistics.median(writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_build_"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for n in (args.units // 10, args.units):
        trains = spikes(n)
        ours = timed(
            build_nwbgen, write_nwbgen, trains, work / "nwbgen.nwb", args.repeat
        )
        theirs = timed(
            build_pynwb, write_pynwb, trains, work / "pynwb.nwb", args.repeat
        )
        results[str(n)] = {"nwbgen": ours, "pynwb": theirs}
        from pynwb import NWBHDF5IO

        with (
            NWBHDF5IO(str(work / "nwbgen.nwb"), "r") as a,
            NWBHDF5IO(str(work / "pynwb.nwb"), "r") as b,
        ):
            got, want = a.read().units, b.read().units
            assert len(got) == len(want) == n
            assert np.allclose(got["spike_times"][n - 1], want["spike_times"][n - 1])
    print(
        "| units | nwbgen build | nwbgen write | pynwb build | pynwb write | build ratio | build+write ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, r in results.items():
        (ob, ow), (pb, pw) = r["nwbgen"], r["pynwb"]
        print(
            f"| {int(n):,} | {ob * 1e3:,.0f} ms | {ow * 1e3:,.0f} ms | {pb * 1e3:,.0f} ms | "
            f"{pw * 1e3:,.0f} ms | {ob / pb:.2f} | {(ob + ow) / (pb + pw):.2f} |"
        )
    small, large = list(results.values())
    print(
        f"\ngrowth for 10x the units: nwbgen build {large['nwbgen'][0] / small['nwbgen'][0]:.1f}x, "
        f"pynwb build {large['pynwb'][0] / small['pynwb'][0]:.1f}x"
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "build.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
