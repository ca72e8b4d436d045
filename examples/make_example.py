"""Write examples/ecephys.nwb, the small file the README's quick start compiles.

It is made with pynwb (a test dependency) so that its /specifications group holds
exactly what the reference library caches: core, hdmf-common, hdmf-experimental.

    pip install ".[test]" && python examples/make_example.py
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pynwb import NWBHDF5IO, NWBFile
from pynwb.ecephys import ElectricalSeries

OUT = Path(__file__).resolve().parent / "ecephys.nwb"


def build() -> NWBFile:
    nwbfile = NWBFile(
        session_description="a small ecephys session for the nwbgen quick start",
        identifier="nwbgen-example-ecephys",
        session_start_time=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        experimenter=["Doe, Jane"],
        lab="nwbgen",
    )
    device = nwbfile.create_device(name="probe", description="a 4-channel probe")
    group = nwbfile.create_electrode_group(
        name="shank0", description="shank 0", location="CA1", device=device
    )
    for i in range(4):
        nwbfile.add_electrode(group=group, location="CA1", x=float(i), y=0.0, z=0.0)
    region = nwbfile.create_electrode_table_region(list(range(4)), "all electrodes")
    rng = np.random.default_rng(0)
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="raw",
            data=rng.normal(size=(100, 4)).astype(np.float32),
            electrodes=region,
            rate=1000.0,
        )
    )
    nwbfile.add_trial_column(name="correct", description="whether the animal was right")
    for start in range(3):
        nwbfile.add_trial(
            start_time=float(start), stop_time=start + 0.5, correct=bool(start % 2)
        )
    for unit in range(3):
        nwbfile.add_unit(spike_times=np.sort(rng.uniform(0, 3, size=5 + unit)))
    return nwbfile


if __name__ == "__main__":
    with NWBHDF5IO(OUT, "w") as io:
        io.write(build())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
