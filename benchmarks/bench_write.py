"""Write timings and iterator memory: nwbgen against pynwb.

    python benchmarks/bench_write.py [--objects 3000] [--repeat 5] [--big-mb 1024]
                                     [--workdir DIR] [--quick] [--profile]

1. Writing metadata-heavy content. One plan of numpy arrays (:func:`plan`, about
   ``--objects`` HDF5 objects: small TimeSeries in acquisition and in processing
   modules, Position of SpatialSeries sharing timestamps by link,
   BehavioralTimeSeries, devices, electrode groups, an electrodes table with extra
   columns, an ElectricalSeries with a DynamicTableRegion, units with ragged
   spike times and electrodes, trials with extra columns) is built in memory as
   nwbgen models (:func:`build_nwbgen`) and as pynwb containers
   (:func:`build_pynwb`), then written, each in a fresh subprocess (median of
   ``--repeat``, after one discarded round): the clock covers the ``with`` block
   only, ``HDF5IO(path, mode="w", overwrite=True)`` / ``NWBHDF5IO(path, "w")``
   opened, ``io.write(nwbfile)``, closed; building the content and the imports
   come before it. Two files are built in each process and written one after the
   other: the first write (with one-time work: nwbgen imports its generated
   writers, pynwb fills its object-mapper caches) and the second. Ratio nwbgen /
   pynwb (target <= 0.5). Both outputs of the last round are then read back by
   pynwb (once, untimed) and must hold the same content.
2. Iterator memory: a TimeSeries whose data is a generator of float32 blocks of
   4 MiB (``--big-mb`` MiB in all) written by nwbgen; the rise of the peak RSS
   during the write over the RSS before it (peak reset through
   /proc/self/clear_refs, read from ``VmHWM``, as in bench_read.py; the plain
   ``ru_maxrss`` difference alongside), for the big file and for one block
   (target: big file < 100 MB). pynwb alongside, the same blocks through an hdmf
   ``AbstractDataChunkIterator``.

``--profile`` prints the cProfile top 15 (cumulative) of one nwbgen write of the
metadata-heavy content. Prints a table and writes benchmarks/results/write.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_compile import machine, spawn
from bench_read import (
    census,
    clocked,
    first_and_second,
    median,
    memory,
    rounds,
    status_mb,
    verdict,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "write.json"
SCRIPT = Path(__file__).resolve()
WORKDIR = Path(tempfile.gettempdir()) / "nwbgen-bench-write"
TOOLS = ("nwbgen", "pynwb")
#: objects of the heavy content that do not grow with --objects (measured)
FIXED_OBJECTS = 102
MODULES = 5
#: float32 rows x columns of one block of the iterator: 4 MiB
BLOCK_ROWS, COLUMNS = 16384, 64
BLOCK_MIB = BLOCK_ROWS * COLUMNS * 4 / 2**20


# ------------------------------------------------------------------- the content


def plan(objects: int) -> dict[str, Any]:
    """The metadata-heavy content as plain numpy arrays and strings (same seed,
    same content for both writers); about ``objects`` HDF5 objects once written."""
    import numpy as np

    rng = np.random.default_rng(0)
    series = max(12, (objects - FIXED_OBJECTS) // 3)  # group, data, time each
    acquisition = []
    for i in range(series // 2):
        item = {
            "kind": "plain",
            "name": f"ts_{i:05d}",
            "data": rng.random(10),
            "unit": "V",
            "description": f"acquired series {i}",
            "comments": "small",
        }
        if i % 2 == 0:
            item["timestamps"] = np.arange(10) / 10.0
        else:
            item["rate"], item["start"] = 10.0, float(i)
        acquisition.append(item)
    modules = []
    per_module = (series - len(acquisition)) // MODULES
    for m in range(MODULES):
        items = []
        for k in range(per_module):
            item = {
                "name": f"m{m}_series_{k:05d}",
                "description": "no description",
                "comments": "no comments",
            }
            if k % 3 == 0:  # Position; all share the first one's timestamps
                item |= {"kind": "spatial", "data": rng.random((10, 2))}
                item["unit"] = "meters"
                item["timestamps"] = np.arange(10) / 10.0
                item["shares"] = f"m{m}_series_{0:05d}"
            elif k % 3 == 1:  # BehavioralTimeSeries
                item |= {"kind": "behavioral", "data": rng.random(10), "unit": "cm"}
                item["rate"], item["start"] = 10.0, 0.0
            else:  # in the module itself
                item |= {"kind": "plain", "data": rng.random(10), "unit": "a.u."}
                item["timestamps"] = np.arange(10) / 10.0
            items.append(item)
        modules.append((f"behavior_{m}", f"behaviour {m}", items))
    electrodes = 96
    units = [
        {
            "spike_times": np.sort(rng.random(5 + u % 7)) * 100.0,
            "electrodes": [u % electrodes, (u + 1) % electrodes],
            "quality": "good" if u % 3 else "mua",
        }
        for u in range(40)
    ]
    return {
        "general": {
            "experimenter": ["Doe, Jane", "Roe, Richard"],
            "lab": "bench lab",
            "institution": "bench institute",
            "keywords": ["benchmark", "metadata"],
        },
        "subject": {"subject_id": "m1", "species": "Mus musculus", "sex": "F"},
        "devices": [
            {"name": f"probe_{i}", "description": f"probe {i}", "manufacturer": "bench"}
            for i in range(4)
        ],
        "groups": [  # "device": an index into "devices"
            {"name": f"shank_{i}", "description": f"shank {i}", "location": "CA1"}
            | {"device": i % 4}
            for i in range(8)
        ],
        "electrodes": {
            "x": np.arange(electrodes, dtype=float),
            "y": np.arange(electrodes, dtype=float) % 8,
            "rel_x": np.arange(electrodes, dtype=float) % 12,
            "channel_name": [f"ch{i:03d}" for i in range(electrodes)],
            "impedance_ohm": 1e6 + np.arange(electrodes),
            "bad": np.arange(electrodes) % 17 == 0,
        },
        #: columns beyond the schema's: name -> description, per table
        "extra": {
            "electrodes": {
                "channel_name": "name of the channel",
                "impedance_ohm": "measured impedance",
                "bad": "channel flagged bad",
            },
            "units": {"quality": "sorting quality"},
            "trials": {
                "correct": "whether the trial was correct",
                "stimulus": "stimulus name",
            },
        },
        "ephys": {
            "data": rng.standard_normal((50, 32)).astype("float32"),
            "timestamps": np.arange(50) / 30000.0,
            "rows": np.arange(32),
        },
        "units": units,
        "trials": {
            "start_time": 2.0 * np.arange(40),
            "stop_time": 2.0 * np.arange(40) + 1.5,
            "correct": np.arange(40) % 2 == 1,
            "stimulus": [f"stim_{t % 4}" for t in range(40)],
        },
        "acquisition": acquisition,
        "modules": modules,
    }


def _start() -> Any:
    from datetime import datetime, timezone

    return datetime(2024, 1, 1, 12, tzinfo=timezone.utc)


def nwbgen_file(identifier: str, acquisition: list[Any], **members: Any) -> Any:
    """An nwbgen ``NWBFile`` holding ``acquisition``; the groups the schema requires
    empty unless given in ``members``."""
    import nwbgen.generated.core.v2_11_0 as core

    start = _start()
    required = {
        "analysis": core.NWBFileAnalysis(),
        "processing": core.NWBFileProcessing(),
        "stimulus": core.NWBFileStimulus(
            presentation=core.NWBFileStimulusPresentation(),
            templates=core.NWBFileStimulusTemplates(),
        ),
        "general": core.NWBFileGeneral(),
    }
    return core.NWBFile(
        identifier=identifier,
        session_description=f"{identifier}: content for benchmarks/bench_write.py",
        session_start_time=start,
        timestamps_reference_time=start,
        file_create_date=[start],
        acquisition=core.NWBFileAcquisition(children=acquisition),
        **(required | members),
    )


def build_nwbgen(p: dict[str, Any]) -> Any:
    """The content of ``p`` as nwbgen models (core 2.11.0)."""
    import numpy as np

    import nwbgen.generated.core.v2_11_0 as core
    from nwbgen.generated.hdmf_common.v1_10_0 import (
        DynamicTableRegion,
        ElementIdentifiers,
        VectorData,
        VectorIndex,
    )

    shared: dict[str, Any] = {}

    def timing(item: dict[str, Any]) -> dict[str, Any]:
        if "rate" in item:
            start = core.TimeSeriesStartingTime(value=item["start"], rate=item["rate"])
            return {"starting_time": start}
        key = item.get("shares", item["name"])
        if key not in shared:  # reused: written once, linked from the others
            shared[key] = core.TimeSeriesTimestamps(value=item["timestamps"])
        return {"timestamps": shared[key]}

    def series(item: dict[str, Any]) -> Any:
        common = {
            "name": item["name"],
            "description": item["description"],
            "comments": item["comments"],
            **timing(item),
        }
        if item["kind"] == "spatial":
            data = core.SpatialSeriesData(value=item["data"], unit=item["unit"])
            return core.SpatialSeries(
                data=data, reference_frame="arena corner", **common
            )
        data = core.TimeSeriesData(value=item["data"], unit=item["unit"])
        return core.TimeSeries(data=data, **common)

    def ids(n: int) -> Any:
        return ElementIdentifiers(name="id", value=np.arange(n))

    def extra(table: str, values: dict[str, Any]) -> list[Any]:
        return [
            VectorData(name=name, value=np.asarray(values[name]), description=text)
            for name, text in p["extra"][table].items()
        ]

    def ragged(name: str, rows: list[Any], make) -> tuple:
        data = make(np.concatenate(rows))
        bounds = np.cumsum([len(r) for r in rows])
        index = VectorIndex(
            name=f"{name}_index",
            value=bounds,
            target=data,
            description=f"Index for VectorData '{name}'",
        )
        return data, index

    devices = [core.Device(**d) for d in p["devices"]]
    groups = [
        core.ElectrodeGroup(**(g | {"device": devices[g["device"]]}))
        for g in p["groups"]
    ]
    e = p["electrodes"]
    n = len(e["x"])
    group_of = [i % len(groups) for i in range(n)]
    # the descriptions pynwb gives its columns
    where = "coordinate of the channel location in the brain."
    within = "coordinate in electrode group."
    table = core.ElectrodesTable(
        name="electrodes",
        description="metadata about extracellular electrodes",
        colnames=["location", "group", *p["extra"]["electrodes"], "group_name"]
        + ["x", "y", "z", "rel_x", "rel_y"],
        id=ids(n),
        location=core.ElectrodesTableLocation(
            value=np.array(["CA1"] * n),
            description="Location of the electrode (channel).",
        ),
        group=core.ElectrodesTableGroup(
            value=[groups[g] for g in group_of],
            description="Reference to the ElectrodeGroup.",
        ),
        group_name=core.ElectrodesTableGroupName(
            value=np.array([groups[g].name for g in group_of]),
            description="Name of the ElectrodeGroup.",
        ),
        x=core.ElectrodesTableX(value=e["x"], description=f"x {where}"),
        y=core.ElectrodesTableY(value=e["y"], description=f"y {where}"),
        z=core.ElectrodesTableZ(value=np.zeros(n), description=f"z {where}"),
        rel_x=core.ElectrodesTableRelX(value=e["rel_x"], description=f"x {within}"),
        rel_y=core.ElectrodesTableRelY(value=np.zeros(n), description=f"xy {within}"),
        children=extra("electrodes", e),
    )
    ephys = p["ephys"]
    electrical = core.ElectricalSeries(
        name="ephys",
        data=core.ElectricalSeriesData(value=ephys["data"]),
        electrodes=DynamicTableRegion(
            name="electrodes",
            value=ephys["rows"],
            table=table,
            description="first 32 channels",
        ),
        timestamps=core.TimeSeriesTimestamps(value=ephys["timestamps"]),
        filtering="300-6000 Hz",
    )
    u = p["units"]
    spike_times, spike_index = ragged(
        "spike_times",
        [x["spike_times"] for x in u],
        lambda v: core.UnitsSpikeTimes(
            value=v, description="the spike times for each unit in seconds"
        ),
    )
    unit_electrodes, unit_electrodes_index = ragged(
        "electrodes",
        [np.asarray(x["electrodes"]) for x in u],
        lambda v: DynamicTableRegion(
            name="electrodes",
            value=v,
            table=table,
            description="the electrodes that each spike unit came from",
        ),
    )
    units = core.Units(
        name="units",
        description="Autogenerated by NWBFile",
        colnames=["quality", "spike_times", "electrodes"],
        id=ids(len(u)),
        spike_times=spike_times,
        spike_times_index=spike_index,
        electrodes=unit_electrodes,
        electrodes_index=unit_electrodes_index,
        children=extra("units", {"quality": [x["quality"] for x in u]}),
    )
    t = p["trials"]
    trials = core.TimeIntervals(
        name="trials",
        description="experimental trials",
        colnames=["start_time", "stop_time", "correct", "stimulus"],
        id=ids(len(t["start_time"])),
        start_time=core.TimeIntervalsStartTime(
            value=t["start_time"], description="Start time of epoch, in seconds"
        ),
        stop_time=core.TimeIntervalsStopTime(
            value=t["stop_time"], description="Stop time of epoch, in seconds"
        ),
        children=extra("trials", t),
    )
    modules = []
    for name, description, items in p["modules"]:
        by_kind: dict[str, list[Any]] = {"spatial": [], "behavioral": [], "plain": []}
        for item in items:
            by_kind[item["kind"]].append(series(item))
        modules.append(
            core.ProcessingModule(
                name=name,
                description=description,
                children=[
                    *by_kind["plain"],
                    core.Position(children=by_kind["spatial"]),
                    core.BehavioralTimeSeries(children=by_kind["behavioral"]),
                ],
            )
        )
    return nwbgen_file(
        "bench-write-heavy",
        [electrical, *map(series, p["acquisition"])],
        processing=core.NWBFileProcessing(children=modules),
        general=core.NWBFileGeneral(
            **p["general"],
            subject=core.Subject(
                name="subject", **p["subject"], age=core.SubjectAge(value="P90D")
            ),
            devices=core.NWBFileGeneralDevices(children=devices),
            extracellular_ephys=core.NWBFileGeneralExtracellularEphys(
                electrodes=table, children=groups
            ),
        ),
        intervals=core.NWBFileIntervals(trials=trials),
        units=units,
    )


def rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Columns (name -> values) as rows of Python scalars."""
    import numpy as np

    values = [np.asarray(v).tolist() for v in columns.values()]
    return [dict(zip(columns, row)) for row in zip(*values)]


def build_pynwb(p: dict[str, Any]) -> Any:
    """The content of ``p`` as pynwb containers."""
    from pynwb import NWBFile, TimeSeries
    from pynwb.behavior import BehavioralTimeSeries, Position, SpatialSeries
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject

    shared: dict[str, Any] = {}

    def series(item: dict[str, Any]) -> Any:
        common = {
            "name": item["name"],
            "data": item["data"],
            "description": item["description"],
            "comments": item["comments"],
        }
        if "rate" in item:
            common |= {"rate": item["rate"], "starting_time": item["start"]}
        else:  # a series as timestamps: pynwb links to its timestamps
            common["timestamps"] = shared.get(item.get("shares"), item["timestamps"])
        if item["kind"] == "spatial":
            made = SpatialSeries(reference_frame="arena corner", **common)
        else:
            made = TimeSeries(unit=item["unit"], **common)
        shared.setdefault(item["name"], made)
        return made

    start = _start()
    nwb = NWBFile(
        session_description="bench-write-heavy: content for benchmarks/bench_write.py",
        identifier="bench-write-heavy",
        session_start_time=start,
        file_create_date=[start],
        subject=Subject(**p["subject"], age="P90D"),
        **p["general"],
    )
    devices = [nwb.create_device(**d) for d in p["devices"]]
    groups = [
        nwb.create_electrode_group(**(g | {"device": devices[g["device"]]}))
        for g in p["groups"]
    ]
    for name, text in p["extra"]["electrodes"].items():
        nwb.add_electrode_column(name, text)
    for i, row in enumerate(rows(p["electrodes"])):
        group = groups[i % len(groups)]
        nwb.add_electrode(**row, z=0.0, rel_y=0.0, location="CA1", group=group)
    ephys = p["ephys"]
    nwb.add_acquisition(
        ElectricalSeries(
            name="ephys",
            data=ephys["data"],
            electrodes=nwb.create_electrode_table_region(
                list(ephys["rows"]), "first 32 channels"
            ),
            timestamps=ephys["timestamps"],
            filtering="300-6000 Hz",
        )
    )
    for name, text in p["extra"]["units"].items():
        nwb.add_unit_column(name, text)
    for unit in p["units"]:
        nwb.add_unit(**unit)
    for name, text in p["extra"]["trials"].items():
        nwb.add_trial_column(name, text)
    for row in rows(p["trials"]):
        nwb.add_trial(**row)
    for item in p["acquisition"]:
        nwb.add_acquisition(series(item))
    for name, description, items in p["modules"]:
        module = nwb.create_processing_module(name, description)
        position = Position(name="Position")
        behavioral = BehavioralTimeSeries(name="BehavioralTimeSeries")
        for item in items:
            made = series(item)
            if item["kind"] == "spatial":
                position.add_spatial_series(made)
            elif item["kind"] == "behavioral":
                behavioral.add_timeseries(made)
            else:
                module.add(made)
        module.add(position)
        module.add(behavioral)
    return nwb


def write_nwbgen(nwbfile: Any, path: Path) -> None:
    from nwbgen import HDF5IO

    with HDF5IO(path, mode="w", overwrite=True) as io:
        io.write(nwbfile)


def write_pynwb(nwbfile: Any, path: Path) -> None:
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


BUILD = {"nwbgen": build_nwbgen, "pynwb": build_pynwb}
WRITE = {"nwbgen": write_nwbgen, "pynwb": write_pynwb}


# ------------------------------------------------------------ the big dataset


def ramp_blocks(count: int):
    """``count`` float32 blocks of BLOCK_ROWS x COLUMNS (4 MiB), each made when
    asked for: block ``i`` is ``row * 1e-3 + column + i``."""
    import numpy as np

    rows = np.arange(BLOCK_ROWS, dtype=np.float32)[:, None] * np.float32(1e-3)
    columns = np.arange(COLUMNS, dtype=np.float32)[None, :]
    for i in range(count):
        yield rows + columns + np.float32(i)


def data_from(blocks: Any) -> tuple[Any, str]:
    """``TimeSeriesData`` holding the generator ``blocks``, and how it was made:
    validated, or by ``model_construct`` where validation refuses a generator
    (nwbgen before iterators were accepted)."""
    from pydantic import ValidationError

    import nwbgen.generated.core.v2_11_0 as core

    try:
        return core.TimeSeriesData(value=blocks, unit="V"), "validated"
    except ValidationError:
        return core.TimeSeriesData.model_construct(value=blocks, unit="V"), (
            "model_construct (validation refuses a generator)"
        )


def big_nwbgen(count: int) -> Any:
    """An NWBFile with one TimeSeries whose data is a generator of ``count`` blocks."""
    import nwbgen.generated.core.v2_11_0 as core

    data, _ = data_from(ramp_blocks(count))
    series = core.TimeSeries(
        name="big",
        data=data,
        starting_time=core.TimeSeriesStartingTime(value=0.0, rate=30000.0),
    )
    return nwbgen_file("bench-write-big", [series])


def big_pynwb(count: int) -> Any:
    """The same with pynwb: the blocks through an hdmf data chunk iterator (pynwb's
    ``DataChunkIterator`` takes one generator item as one row, not a block)."""
    import numpy as np
    from hdmf.data_utils import AbstractDataChunkIterator, DataChunk
    from pynwb import NWBFile, TimeSeries

    class Blocks(AbstractDataChunkIterator):
        def __init__(self) -> None:
            self._blocks = ramp_blocks(count)
            self._row = 0

        def __iter__(self) -> Blocks:
            return self

        def __next__(self) -> DataChunk:
            block = next(self._blocks)
            start, self._row = self._row, self._row + len(block)
            selection = (slice(start, self._row), slice(0, COLUMNS))
            return DataChunk(data=block, selection=selection)

        def recommended_chunk_shape(self) -> None:
            return None

        def recommended_data_shape(self) -> tuple[int, int]:
            return (BLOCK_ROWS, COLUMNS)

        @property
        def dtype(self) -> np.dtype:
            return np.dtype("float32")

        @property
        def maxshape(self) -> tuple[None, int]:
            return (None, COLUMNS)

    nwb = NWBFile(
        session_description="bench-write-big: content for benchmarks/bench_write.py",
        identifier="bench-write-big",
        session_start_time=_start(),
        file_create_date=[_start()],
    )
    nwb.add_acquisition(
        TimeSeries(name="big", data=Blocks(), unit="V", rate=30000.0, starting_time=0.0)
    )
    return nwb


BIG = {"nwbgen": big_nwbgen, "pynwb": big_pynwb}


# ------------------------------------------------------------ child processes


def child(kind: str, folder: str, size: int) -> dict:
    """One measurement in this (fresh) process; imports happen before any clock."""
    what, tool = kind.split(":")
    if tool == "nwbgen":
        import nwbgen.generated.core.v2_11_0  # noqa: F401
        import nwbgen.io.entry.hdf5io  # noqa: F401
    else:
        import pynwb  # noqa: F401
    out: dict[str, Any] = {}
    if what == "write":  # the heavy content, two files built, written in turn
        content = plan(size)
        built = []
        for _ in range(2):
            start = time.perf_counter()
            built.append(BUILD[tool](content))
            out.setdefault("build", time.perf_counter() - start)
        gc.collect()
        for which, nwbfile in zip(("first", "second"), built):
            path = Path(folder) / f"heavy_{tool}_{which}.nwb"
            out[which] = clocked(lambda: WRITE[tool](nwbfile, path))
        return out
    if what == "memory":  # ``size`` blocks from a generator
        nwbfile = BIG[tool](size)
        path = Path(folder) / f"big_{tool}_{size}.nwb"

        def write() -> None:
            out.update(clocked(lambda: WRITE[tool](nwbfile, path)))

        out |= memory(write)
        out["peak"] = status_mb("VmHWM")
        if tool == "nwbgen":
            out["model"] = data_from(iter(()))[1]
        return out
    if what == "profile":
        import cProfile
        import io
        import pstats

        nwbfile = BUILD[tool](plan(size))
        profile = cProfile.Profile()
        profile.enable()
        WRITE[tool](nwbfile, Path(folder) / f"profile_{tool}.nwb")
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(15)
        return {"profile": text.getvalue()}
    raise SystemExit(f"unknown child kind {kind!r}")


def summary(path: str) -> dict:
    """What pynwb reads back from ``path``: counts and sums, to compare two files."""
    import h5py
    import numpy as np
    from pynwb import NWBHDF5IO, TimeSeries

    def total(values: Any) -> float:
        return round(float(np.sum(np.asarray(values, dtype=float))), 6)

    with NWBHDF5IO(path, "r") as io:
        nwb = io.read()
        series = [x for x in nwb.acquisition.values() if isinstance(x, TimeSeries)]
        found: dict[str, Any] = {
            "acquisition": len(nwb.acquisition),
            "acquisition_data": total([total(x.data[:]) for x in series]),
            "devices": sorted(nwb.devices),
            "electrode_groups": sorted(nwb.electrode_groups),
            "electrodes": len(nwb.electrodes),
            "electrodes_x": total(nwb.electrodes["x"][:]),
            "electrode_groups_of_rows": [g.name for g in nwb.electrodes["group"][:]],
            "ephys_rows": [int(r) for r in nwb.acquisition["ephys"].electrodes.data[:]],
            "units": len(nwb.units),
            "spikes": total([total(s) for s in nwb.units["spike_times"][:]]),
            "unit_electrodes": [
                list(map(int, r.index)) for r in nwb.units["electrodes"][:]
            ],
            "trials": len(nwb.trials),
            "trial_stimuli": list(nwb.trials["stimulus"][:]),
            "trials_correct": int(np.sum(nwb.trials["correct"][:])),
            "subject": nwb.subject.subject_id,
        }
        modules = {}
        for name, module in nwb.processing.items():
            inner = {}
            for key, interface in module.data_interfaces.items():
                members = getattr(interface, "time_series", None)
                members = members or getattr(interface, "spatial_series", None)
                inner[key] = len(members) if members is not None else 1
            modules[name] = inner
        found["modules"] = modules
    with h5py.File(path, "r") as f:  # timestamps shared by soft links
        position = f["processing/behavior_0/Position"]
        found["timestamp_links"] = sum(
            isinstance(g.get("timestamps", getlink=True), h5py.SoftLink)
            for g in position.values()
        )
    return found


def verify(folder: str) -> dict:
    """pynwb reads back both files of the heavy write; their contents must match."""
    out: dict[str, Any] = {}
    for tool in TOOLS:
        path = Path(folder) / f"heavy_{tool}_first.nwb"
        try:
            out[tool] = summary(str(path))
        except Exception as error:  # reported, not raised: the table still prints
            out[tool] = {"error": f"{type(error).__name__}: {error}"[:2000]}
    return out


def run_child(kind: str, folder: Path, size: int = 0) -> dict:
    argv = [str(SCRIPT), "--child", kind, str(folder), "--size", str(size)]
    _, _, out = spawn(argv, cwd=ROOT)
    return json.loads(out.strip().splitlines()[-1])


def check_big(path: Path, count: int) -> dict:
    """Shape, dtype, chunks and a few values of the iterator's dataset."""
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        dset = f["acquisition/big/data"]
        last = next(iter(ramp_blocks(1)))[-1] + np.float32(count - 1)
        ok = (
            dset.shape == (count * BLOCK_ROWS, COLUMNS)
            and dset.dtype == np.float32
            and np.array_equal(dset[-1], last)
        )
        return {"shape": dset.shape, "chunks": dset.chunks, "ok": bool(ok)}


# ------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=3000, help="heavy content size")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes each")
    parser.add_argument("--big-mb", type=int, default=1024, help="MiB from an iterator")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="output files")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--profile", action="store_true", help="cProfile nwbgen")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder = args.child
        found = verify(folder) if kind == "verify" else child(kind, folder, args.size)
        print(json.dumps(found))
        return
    if args.quick:
        args.objects, args.repeat, args.big_mb = 300, 1, 16
    repeat = max(1, args.repeat)
    discard = not args.quick
    blocks = max(1, round(args.big_mb / BLOCK_MIB))
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)

    def run(kind: str, size: int) -> dict:
        return run_child(kind, work, size)

    jobs = {tool: (f"write:{tool}", args.objects) for tool in TOOLS}
    timed = rounds(jobs, repeat, discard, run)
    readback = run_child("verify", work)
    files = {tool: census(work / f"heavy_{tool}_first.nwb") for tool in TOOLS}
    jobs = {
        f"{tool}_{label}": (f"memory:{tool}", count)
        for tool in TOOLS
        for label, count in (("one", 1), ("big", blocks))
    }
    rss = rounds(jobs, repeat, discard, run)
    big = {}
    for tool in TOOLS:
        for count in (1, blocks):
            path = work / f"big_{tool}_{count}.nwb"
            if count == blocks:
                big[tool] = check_big(path, count) | census(path)
            path.unlink(missing_ok=True)
    profile = run_child("profile:nwbgen", work, args.objects) if args.profile else {}

    load = os.getloadavg()[0]
    print(
        f"median of {repeat} fresh processes each"
        f"{' (after one discarded round)' if discard else ''}; "
        f"load average {load:.2f} on {os.cpu_count()} CPUs"
    )
    for tool in TOOLS:
        f = files[tool]
        print(
            f"{tool + ' file:':<13} {f['objects']:.0f} objects, "
            f"{f['attributes']:.0f} attributes, {f['file_mib']:.2f} MiB on disk"
        )
    print(f"{'write of the metadata-heavy content':<52} {'wall ms':>9} {'cpu ms':>9}")
    labels = {
        "nwbgen": 'nwbgen HDF5IO(path, "w").write()',
        "pynwb": 'pynwb NWBHDF5IO(path, "w").write()',
    }
    times = first_and_second(timed, labels)
    for tool, results in timed.items():
        times[f"{tool} build"] = statistics.median(r["build"] for r in results)
        label = f"(not timed above) {tool}: building the content"
        print(f"{label:<52} {times[f'{tool} build'] * 1e3:>9.1f}")
    ratios: dict[str, float] = {}
    print(f"{'ratio':<52} {'wall':>9} {'cpu':>9}")
    for which in ("first", "second"):
        wall, cpu = (
            times[f"nwbgen {which} {c}"] / times[f"pynwb {which} {c}"]
            for c in ("wall", "cpu")
        )
        name = f"nwbgen / pynwb, {which} writes"
        ratios[name], ratios[name + " (cpu)"] = wall, cpu
        note = ", ".join(
            f"{clock} {'ok' if value <= 0.5 else 'MISS'}"
            for clock, value in (("wall", wall), ("cpu", cpu))
        )
        print(f"{name:<52} {wall:>8.2f}x {cpu:>8.2f}x  {note} (target <= 0.5)")
    errors = {t: s["error"] for t, s in readback.items() if "error" in s}
    same = not errors and readback["nwbgen"] == readback["pynwb"]
    print(
        "read back by pynwb: "
        + ", ".join(f"{t} {'FAILED' if t in errors else 'ok'}" for t in TOOLS)
        + f"; same content: {'yes' if same else 'NO'}"
    )
    for tool, error in errors.items():
        print(f"  {tool}: {error.splitlines()[0][:300]}")
    if not errors and not same:
        for key in readback["nwbgen"]:
            a, b = readback["nwbgen"][key], readback["pynwb"].get(key)
            if a != b:
                print(f"  {key}: nwbgen {str(a)[:100]} | pynwb {str(b)[:100]}")

    print(
        f"\niterator: {blocks} float32 blocks of {BLOCK_MIB:g} MiB "
        f"({blocks * BLOCK_MIB:g} MiB); nwbgen data model "
        f"{rss['nwbgen_big'][0]['model']}; chunks nwbgen {big['nwbgen']['chunks']}, "
        f"pynwb {big['pynwb']['chunks']}; values checked: "
        + ", ".join(f"{t} {'ok' if big[t]['ok'] else 'WRONG'}" for t in TOOLS)
    )
    columns = ("delta", "maxrss_delta", "peak", "wall", "cpu")
    heads = ("MB", "maxrss", "peak MB", "wall s", "cpu s")
    print(
        f"{'peak RSS rise of the write over before it':<44}"
        + "".join(f"{h:>9}" for h in heads)
    )
    deltas: dict[str, float] = {}
    for key, results in rss.items():
        for field in columns:
            deltas[f"{key}_{field}"] = median(results, field)
        tool, label = key.split("_")
        what = "one block" if label == "one" else f"{blocks * BLOCK_MIB:g} MiB"
        row = [deltas[f"{key}_{f}"] for f in columns]
        print(
            f"{tool + ', ' + what:<44}"
            + "".join(f"{v:>9.1f}" for v in row[:3])
            + "".join(f"{v:>9.2f}" for v in row[3:])
        )
    for tool in TOOLS:
        rise = deltas[f"{tool}_big_delta"]
        diff = rise - deltas[f"{tool}_one_delta"]
        deltas[f"{tool}_difference"] = diff
        rate = blocks * BLOCK_MIB / deltas[f"{tool}_big_wall"]
        note = verdict(rise, 100, True) if tool == "nwbgen" else "(context)"
        print(
            f"{tool + ': rise, minus one block, MiB/s':<44}"
            f"{rise:>9.1f}{diff:>9.1f}{rate:>9.0f}  {note}"
        )
    if profile:
        print("\ncProfile of one nwbgen write (cumulative, top 15):")
        print(profile["profile"])

    results = RESULTS.with_stem("write_quick") if args.quick else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    report = {
        **machine("bench_write", load, ("nwbgen", "pynwb", "hdmf", "h5py", "pydantic")),
        "repeat": repeat,
        "quick": args.quick,
        "objects": args.objects,
        "blocks": blocks,
        "files": files,
        "write": timed,
        "readback": readback,
        "memory": rss,
        "big": big,
        "medians": {
            "write_s": {k: round(v, 5) for k, v in times.items()},
            "memory_mb": {k: round(v, 3) for k, v in deltas.items()},
        },
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
    }
    results.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {results.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
