"""The same ecephys, ophys and behavior file built twice: once with pynwb, once
with nwbgen's builders (pynwb's names: ``create_device``, ``add_electrode``,
``add_unit``, ``add_trial``, ...). The nwbgen code is no longer than pynwb's;
pynwb reads the nwbgen file with values equal to its own; pynwb's validator and
nwbinspector pass it."""

from __future__ import annotations

import inspect
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb")

from nwbinspector import Importance, inspect_nwbfile  # noqa: E402
from pynwb import NWBHDF5IO  # noqa: E402

from nwbgen import HDF5IO  # noqa: E402
from tests.support.toolkit_oracle import validate  # noqa: E402

START = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
RNG = np.random.default_rng(7)
RAW = RNG.standard_normal((200, 4)).astype("f4")
SPIKES = [np.sort(RNG.uniform(0, 10, n)) for n in (5, 8, 3)]
MASKS = RNG.uniform(0, 1, (3, 8, 8)).astype("f4")
FLUO = RNG.uniform(0, 1, (50, 3)).astype("f4")
MOVIE = RNG.uniform(0, 1, (10, 8, 8)).astype("f4")
XY = RNG.uniform(0, 1, (30, 2))

BROKEN = {Importance.CRITICAL, Importance.PYNWB_VALIDATION, Importance.ERROR}


def build_with_pynwb() -> Any:
    from pynwb import NWBFile, TimeSeries
    from pynwb.behavior import Position
    from pynwb.ecephys import ElectricalSeries
    from pynwb.file import Subject
    from pynwb.ophys import (
        Fluorescence,
        ImageSegmentation,
        OpticalChannel,
        RoiResponseSeries,
        TwoPhotonSeries,
    )

    nwbfile = NWBFile(
        session_description="a mouse on a wheel",
        identifier="build-1",
        session_start_time=START,
        lab="Lab",
        experimenter=["Doe, Jane"],
        subject=Subject(subject_id="m1", species="Mus musculus", age="P90D", sex="F"),
    )
    device = nwbfile.create_device(name="probe", description="a probe")
    nwbfile.add_electrode_column(name="label", description="electrode label")
    for shank in range(2):
        group = nwbfile.create_electrode_group(
            name=f"shank{shank}", description="a shank", location="CA1", device=device
        )
        for i in range(2):
            nwbfile.add_electrode(
                group=group,
                location="CA1",
                x=float(i),
                y=float(shank),
                z=0.0,
                label=f"shank{shank}.{i}",
            )
    region = nwbfile.create_electrode_table_region(
        region=[0, 1, 2, 3], description="all"
    )
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="raw", data=RAW, electrodes=region, starting_time=0.0, rate=1000.0
        )
    )
    nwbfile.add_unit_column(name="quality", description="sorting quality")
    for i, times in enumerate(SPIKES):
        nwbfile.add_unit(
            spike_times=times, electrodes=[i], quality=["good", "mua", "good"][i]
        )
    nwbfile.add_trial_column(name="correct", description="the answer was right")
    for i in range(3):
        nwbfile.add_trial(
            start_time=2.0 * i, stop_time=2.0 * i + 1, correct=bool(i % 2)
        )
    microscope = nwbfile.create_device(name="scope", description="2p")
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=OpticalChannel(
            name="green", description="green", emission_lambda=520.0
        ),
        description="V1",
        device=microscope,
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="V1",
    )
    nwbfile.add_acquisition(
        TwoPhotonSeries(
            name="movie", data=MOVIE, imaging_plane=plane, rate=30.0, unit="a.u."
        )
    )
    ophys = nwbfile.create_processing_module(
        name="ophys", description="optical physiology"
    )
    segmentation = ImageSegmentation(name="ImageSegmentation")
    ophys.add(segmentation)
    cells = segmentation.create_plane_segmentation(
        name="cells", description="ROIs", imaging_plane=plane
    )
    for mask in MASKS:
        cells.add_roi(image_mask=mask)
    rois = cells.create_roi_table_region(region=[0, 1, 2], description="all ROIs")
    ophys.add(
        Fluorescence(
            name="Fluorescence",
            roi_response_series=RoiResponseSeries(
                name="dff", data=FLUO, rois=rois, unit="a.u.", rate=30.0
            ),
        )
    )
    behavior = nwbfile.create_processing_module(name="behavior", description="behavior")
    position = Position(name="Position")
    position.create_spatial_series(
        name="xy",
        data=XY,
        reference_frame="the arena's corner",
        rate=10.0,
        unit="meters",
    )
    behavior.add(position)
    nwbfile.add_acquisition(
        TimeSeries(
            name="speed", data=XY[:, 0], unit="m/s", timestamps=np.arange(30) / 10
        )
    )
    return nwbfile


def build_with_nwbgen() -> Any:
    from nwbgen.generated.core import v2_11_0 as core

    nwbfile = core.NWBFile(
        session_description="a mouse on a wheel",
        identifier="build-1",
        session_start_time=START,
        lab="Lab",
        experimenter=["Doe, Jane"],
        subject=core.Subject(
            subject_id="m1", species="Mus musculus", age="P90D", sex="F"
        ),
    )
    device = nwbfile.create_device(name="probe", description="a probe")
    nwbfile.add_electrode_column(name="label", description="electrode label")
    for shank in range(2):
        group = nwbfile.create_electrode_group(
            name=f"shank{shank}", description="a shank", location="CA1", device=device
        )
        for i in range(2):
            nwbfile.add_electrode(
                group=group,
                location="CA1",
                x=float(i),
                y=float(shank),
                z=0.0,
                label=f"shank{shank}.{i}",
            )
    region = nwbfile.create_electrode_table_region(
        region=[0, 1, 2, 3], description="all"
    )
    nwbfile.add_acquisition(
        core.ElectricalSeries(
            name="raw", data=RAW, electrodes=region, starting_time=0.0, rate=1000.0
        )
    )
    nwbfile.add_unit_column(name="quality", description="sorting quality")
    for i, times in enumerate(SPIKES):
        nwbfile.add_unit(
            spike_times=times, electrodes=[i], quality=["good", "mua", "good"][i]
        )
    nwbfile.add_trial_column(name="correct", description="the answer was right")
    for i in range(3):
        nwbfile.add_trial(
            start_time=2.0 * i, stop_time=2.0 * i + 1, correct=bool(i % 2)
        )
    microscope = nwbfile.create_device(name="scope", description="2p")
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=core.OpticalChannel(
            name="green", description="green", emission_lambda=520.0
        ),
        description="V1",
        device=microscope,
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="V1",
    )
    nwbfile.add_acquisition(
        core.TwoPhotonSeries(
            name="movie", data=MOVIE, imaging_plane=plane, rate=30.0, unit="a.u."
        )
    )
    ophys = nwbfile.create_processing_module(
        name="ophys", description="optical physiology"
    )
    cells = core.PlaneSegmentation(
        name="cells", description="ROIs", imaging_plane=plane
    )
    ophys.add(core.ImageSegmentation(name="ImageSegmentation", children=[cells]))
    for mask in MASKS:
        cells.add_row(image_mask=mask)
    rois = cells.create_region(name="rois", region=[0, 1, 2], description="all ROIs")
    ophys.add(
        core.Fluorescence(
            name="Fluorescence",
            children=[
                core.RoiResponseSeries(
                    name="dff", data=FLUO, rois=rois, unit="a.u.", rate=30.0
                )
            ],
        )
    )
    behavior = nwbfile.create_processing_module(name="behavior", description="behavior")
    behavior.add(
        core.Position(
            name="Position",
            children=[
                core.SpatialSeries(
                    name="xy",
                    data=XY,
                    reference_frame="the arena's corner",
                    rate=10.0,
                    unit="meters",
                )
            ],
        )
    )
    nwbfile.add_acquisition(
        core.TimeSeries(
            name="speed", data=XY[:, 0], unit="m/s", timestamps=np.arange(30) / 10
        )
    )
    return nwbfile


def code_lines(function: Any) -> int:
    """Lines of code of ``function``'s body (no blank lines, comments, docstring)."""
    lines = inspect.getsource(function).splitlines()[1:]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("builders")
    paths = {"pynwb": out / "pynwb.nwb", "nwbgen": out / "nwbgen.nwb"}
    with NWBHDF5IO(str(paths["pynwb"]), "w") as io:
        io.write(build_with_pynwb())
    with HDF5IO(paths["nwbgen"], mode="w") as io:
        io.write(build_with_nwbgen())
    return paths


def test_the_nwbgen_code_is_no_longer_than_pynwb(record_property: Any) -> None:
    ours, theirs = code_lines(build_with_nwbgen), code_lines(build_with_pynwb)
    record_property("lines_nwbgen", ours)
    record_property("lines_pynwb", theirs)
    print(f"\nlines of code: nwbgen {ours}, pynwb {theirs}")
    assert ours <= theirs, (ours, theirs)


def _values(data: Any) -> np.ndarray:
    return np.asarray(getattr(data, "data", data)[:])


def test_pynwb_reads_the_nwbgen_file_as_its_own(files: dict[str, Path]) -> None:
    with (
        NWBHDF5IO(str(files["pynwb"]), "r") as a,
        NWBHDF5IO(str(files["nwbgen"]), "r") as b,
    ):
        want, got = a.read(), b.read()
        assert got.lab == want.lab and tuple(got.experimenter) == tuple(
            want.experimenter
        )
        assert got.subject.subject_id == want.subject.subject_id == "m1"
        assert got.subject.age == want.subject.age
        for column in ("x", "y", "z", "location", "label"):
            assert list(_values(got.electrodes[column])) == list(
                _values(want.electrodes[column])
            )
        assert [g.name for g in got.electrodes["group"][:]] == [
            g.name for g in want.electrodes["group"][:]
        ]
        raw_got, raw_want = got.acquisition["raw"], want.acquisition["raw"]
        assert np.array_equal(raw_got.data[:], raw_want.data[:])
        assert raw_got.rate == raw_want.rate
        assert list(raw_got.electrodes.data[:]) == list(raw_want.electrodes.data[:])
        assert raw_got.electrodes.table.name == "electrodes"
        units_got, units_want = got.units.to_dataframe(), want.units.to_dataframe()
        for i in range(3):
            assert np.allclose(
                units_got.spike_times.iloc[i], units_want.spike_times.iloc[i]
            )
        assert list(units_got.quality) == list(units_want.quality)
        assert [list(e.index) for e in units_got.electrodes] == [
            list(e.index) for e in units_want.electrodes
        ]
        trials_got, trials_want = got.trials.to_dataframe(), want.trials.to_dataframe()
        assert list(trials_got.columns) == list(trials_want.columns)
        assert np.allclose(trials_got.start_time, trials_want.start_time)
        assert list(trials_got.correct) == list(trials_want.correct)
        plane_got = got.imaging_planes["plane"]
        assert plane_got.indicator == "GCaMP6f" and plane_got.device.name == "scope"
        assert np.array_equal(got.acquisition["movie"].data[:], MOVIE)
        cells_got = got.processing["ophys"]["ImageSegmentation"]["cells"]
        assert np.array_equal(np.asarray(cells_got["image_mask"][:]), MASKS)
        dff = got.processing["ophys"]["Fluorescence"]["dff"]
        assert np.array_equal(dff.data[:], FLUO) and list(dff.rois.data[:]) == [0, 1, 2]
        xy = got.processing["behavior"]["Position"]["xy"]
        assert (
            np.array_equal(xy.data[:], XY)
            and xy.reference_frame == "the arena's corner"
        )
        speed = got.acquisition["speed"]
        assert np.array_equal(
            speed.timestamps[:], want.acquisition["speed"].timestamps[:]
        )


def test_the_nwbgen_file_validates(files: dict[str, Path]) -> None:
    errors = validate(files["nwbgen"])
    assert not errors, errors
    broken = [
        m
        for m in inspect_nwbfile(nwbfile_path=files["nwbgen"])
        if m.importance in BROKEN
    ]
    assert not broken, broken


def test_nwbgen_reads_back_what_it_built(files: dict[str, Path]) -> None:
    with HDF5IO(files["nwbgen"]) as io:
        nwbfile = io.read()
        assert len(nwbfile.units) == 3 and nwbfile.units.column_names[-1] in (
            "spike_times",
            "quality",
            "electrodes",
        )
        assert np.allclose(nwbfile.units.values("spike_times")[1], SPIKES[1])
        assert nwbfile.trials.row(1)["correct"]
        assert nwbfile.electrodes.row(3)["label"] == "shank1.1"
