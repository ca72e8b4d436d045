"""The from-scratch example (examples/write_from_scratch.py): the files it builds
with the generated models and writes with ``HDF5IO`` are read by pynwb with the
values that were built, pass pynwb's validator and nwbinspector, and read back
through nwbgen strictly clean, equal to the models written."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nwbinspector import Importance, inspect_nwbfile, inspect_nwbfile_object
from pynwb import NWBHDF5IO, validate

from nwbgen import HDF5IO
from nwbgen.runtime.hdf5.lazy import LazyArray
from tests.support.examples import SCRIPT, example

FILES = sorted(example.BUILDERS)

#: nwbinspector messages that mean the file is broken, not merely improvable
BROKEN = {Importance.CRITICAL, Importance.PYNWB_VALIDATION, Importance.ERROR}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """file name -> (the NWBFile model built by the example, the file written)."""
    out = tmp_path_factory.mktemp("from_scratch")
    files = {}
    for name, build in example.BUILDERS.items():
        model = build()
        files[name] = (model, example.write(model, out / name))
    return files


@pytest.fixture(scope="module")
def pynwb_read(written: dict[str, tuple[Any, Path]]):
    """file name -> the NWBFile pynwb reads (files open until the module ends)."""
    ios = {name: NWBHDF5IO(str(path), "r") for name, (_, path) in written.items()}
    try:
        yield {name: io.read() for name, io in ios.items()}
    finally:
        for io in ios.values():
            io.close()


def values(column: Any) -> np.ndarray:
    """The values of a pynwb column (or dataset) as a numpy array."""
    data = getattr(column, "data", column)
    return np.asarray(data[:])


# -- the script ------------------------------------------------------------------


def test_script_runs_and_writes_every_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in FILES:
        path = tmp_path / "out" / name
        assert path.is_file() and f"wrote {path}" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == FILES


# -- pynwb reads the values that were built --------------------------------------


def test_pynwb_reads_the_session_metadata(written, pynwb_read) -> None:
    for name in FILES:
        built, read = written[name][0], pynwb_read[name]
        assert read.identifier == built.identifier
        assert read.session_description == built.session_description
        assert read.session_start_time == built.session_start_time
        assert read.timestamps_reference_time == built.timestamps_reference_time
        assert list(read.file_create_date) == list(built.file_create_date)
        assert list(read.experimenter) == list(built.general.experimenter)
        assert list(read.keywords[:]) == list(built.general.keywords)
        assert read.subject.subject_id == built.general.subject.subject_id
        assert read.subject.age == "P90D"


def test_pynwb_reads_the_electrodes_table(written, pynwb_read) -> None:
    built = written["ecephys.nwb"][0].general.extracellular_ephys
    read = pynwb_read["ecephys.nwb"]
    table = read.electrodes
    assert list(table.colnames) == list(built.electrodes.colnames)
    assert list(table.id[:]) == list(built.electrodes.id.value)
    for column in ("location", "group_name"):
        expected = getattr(built.electrodes, column).value
        assert values(table[column]).tolist() == list(expected)
    for column in ("x", "y", "z", "rel_x", "rel_y"):
        expected = getattr(built.electrodes, column).value
        got = values(table[column])
        # Python floats (add_electrode) are stored as float64, as pynwb stores them
        assert got.dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got, expected)
    # the group column holds object references to the ElectrodeGroup, which
    # links to the device
    group = read.electrode_groups["shank0"]
    assert all(g is group for g in table["group"].data[:])
    assert group.location == "CA1" and group.device is read.devices["probe"]
    assert read.devices["probe"].serial_number == "SN-0001"


def test_pynwb_reads_the_electrical_series(written, pynwb_read) -> None:
    built = written["ecephys.nwb"][0].acquisition["ElectricalSeries"]
    read = pynwb_read["ecephys.nwb"]
    series = read.acquisition["ElectricalSeries"]
    assert series.data.dtype == np.float32  # float32 stays float32
    np.testing.assert_array_equal(series.data[:], built.data.value)
    assert series.conversion == built.data.conversion
    assert series.unit == "volts"
    assert series.starting_time == 0.0 and series.rate == example.RATE
    assert series.description == built.description
    # the region: row indices into the electrodes table, and that very table
    np.testing.assert_array_equal(series.electrodes.data[:], built.electrodes.value)
    assert series.electrodes.table is read.electrodes
    assert series.electrodes.description == built.electrodes.description


def test_pynwb_reads_ragged_spike_times(written, pynwb_read) -> None:
    built = written["ecephys.nwb"][0].units
    units = pynwb_read["ecephys.nwb"].units
    expected = built.spike_times_index.rows()  # the ragged rows, per unit
    assert len(units) == len(expected) == 3
    for row, spikes in enumerate(expected):
        np.testing.assert_array_equal(units["spike_times"][row], spikes)
    assert [len(units["spike_times"][i]) for i in range(3)] == [5, 12, 3]
    assert units.resolution == pytest.approx(1 / example.RATE)
    assert values(units["quality"]).tolist() == ["good", "good", "mua"]
    assert list(units.colnames) == list(built.colnames)
    assert list(units.id[:]) == [0, 1, 2]


def test_pynwb_reads_the_trials(written, pynwb_read) -> None:
    built = written["ecephys.nwb"][0].intervals.trials
    trials = pynwb_read["ecephys.nwb"].trials
    assert list(trials.colnames) == ["start_time", "stop_time", "correct"]
    np.testing.assert_array_equal(values(trials["start_time"]), built.start_time.value)
    np.testing.assert_array_equal(values(trials["stop_time"]), built.stop_time.value)
    correct = values(trials["correct"])
    assert correct.dtype == np.bool_
    assert correct.tolist() == np.asarray(built.children["correct"].value).tolist()
    assert trials.description == built.description


def test_pynwb_reads_the_imaging(written, pynwb_read) -> None:
    built = written["ophys.nwb"][0]
    read = pynwb_read["ophys.nwb"]
    plane = read.imaging_planes["plane0"]
    assert plane.device is read.devices["microscope"]
    assert (plane.excitation_lambda, plane.indicator) == (920.0, "GCaMP6f")
    assert plane.optical_channel[0].emission_lambda == 510.0
    movie = read.acquisition["TwoPhotonSeries"]
    assert movie.data.dtype == np.uint16
    np.testing.assert_array_equal(
        movie.data[:], built.acquisition["TwoPhotonSeries"].data.value
    )
    fov = built.acquisition["TwoPhotonSeries"].field_of_view
    assert movie.field_of_view.dtype == np.float32
    np.testing.assert_array_equal(movie.field_of_view[:], fov)
    assert movie.imaging_plane is plane and movie.rate == 30.0


def test_pynwb_reads_the_segmentation_and_roi_responses(written, pynwb_read) -> None:
    ophys = written["ophys.nwb"][0].processing["ophys"]
    read = pynwb_read["ophys.nwb"].processing["ophys"]
    built_plane = ophys["ImageSegmentation"]["PlaneSegmentation"]
    segmentation = read["ImageSegmentation"]["PlaneSegmentation"]
    masks = values(segmentation["image_mask"])
    assert masks.dtype == np.float32 and masks.shape == (example.N_ROIS, 16, 12)
    np.testing.assert_array_equal(masks, built_plane.image_mask.value)
    assert (
        segmentation.imaging_plane is pynwb_read["ophys.nwb"].imaging_planes["plane0"]
    )

    built_series = ophys["Fluorescence"]["RoiResponseSeries"]
    series = read["Fluorescence"]["RoiResponseSeries"]
    assert series.data.dtype == np.float32
    np.testing.assert_array_equal(series.data[:], built_series.data.value)
    np.testing.assert_array_equal(series.rois.data[:], built_series.rois.value)
    assert series.rois.table is segmentation


# -- validation ------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_pynwb_validates_the_content(written, name: str) -> None:
    """Against pynwb's own core (the same 2.11.0 as the bundled models)."""
    assert validate(path=str(written[name][1]), use_cached_namespaces=False) == []


@pytest.mark.parametrize("name", FILES)
def test_pynwb_validates_with_the_cached_specifications(written, name: str) -> None:
    """What ``pynwb-validate FILE`` does: against the specs the file carries."""
    assert validate(path=str(written[name][1])) == []


@pytest.mark.parametrize("name", FILES)
def test_nwbinspector_finds_nothing_critical_in_the_content(
    pynwb_read, name: str
) -> None:
    messages = list(inspect_nwbfile_object(pynwb_read[name]))
    assert [m for m in messages if m.importance in BROKEN] == []


@pytest.mark.parametrize("name", FILES)
def test_nwbinspector_finds_nothing_critical_in_the_file(written, name: str) -> None:
    # inspecting a path first validates against the cached specifications; a
    # file pynwb cannot load is an ERROR message, not a CRITICAL one
    messages = list(inspect_nwbfile(nwbfile_path=str(written[name][1])))
    assert [m for m in messages if m.importance in BROKEN] == []


# -- nwbgen reads back what it wrote ---------------------------------------------


def assert_same(built: Any, read: Any, where: str, seen: dict[int, Any]) -> None:
    """``read`` (a model read from the file) holds what ``built`` held, field by
    field; a model reached twice (a link, a reference) is the same read object."""
    if hasattr(type(built), "model_fields"):
        # one object each way: built twice <=> read twice
        if id(built) in seen or id(read) in seen:
            assert (
                seen.get(id(built)) is read and seen.get(id(read)) is built
            ), f"{where}: not the object linked elsewhere"
            return
        assert type(read) is type(built), f"{where}: {type(read)} != {type(built)}"
        seen[id(built)], seen[id(read)] = read, built
        for field in type(built).model_fields:
            assert_same(
                getattr(built, field), getattr(read, field), f"{where}.{field}", seen
            )
    elif isinstance(built, dict):
        assert sorted(read) == sorted(built), f"{where}: members differ"
        for key, value in built.items():
            assert_same(value, read[key], f"{where}[{key!r}]", seen)
    elif isinstance(built, list) and built and hasattr(type(built[0]), "model_fields"):
        assert len(read) == len(built), f"{where}: lengths differ"
        for i, (b, r) in enumerate(zip(built, read)):
            assert_same(b, r, f"{where}[{i}]", seen)
    elif isinstance(built, (np.ndarray, list)):
        got = read.load() if isinstance(read, LazyArray) else np.asarray(read)
        want = np.asarray(built)
        assert got.shape == want.shape, f"{where}: shape {got.shape}"
        if want.dtype.kind == "f":
            assert got.dtype == want.dtype, f"{where}: dtype {got.dtype}"
        assert got.tolist() == want.tolist(), f"{where}: values differ"
    elif isinstance(built, datetime):
        assert read == built, f"{where}: {read} != {built}"
    else:
        assert read == built, f"{where}: {read!r} != {built!r}"


@pytest.mark.parametrize("name", FILES)
def test_nwbgen_reads_back_the_models_written(written, name: str) -> None:
    built, path = written[name]
    with HDF5IO(path, strict=True) as io:
        read = io.read()
        assert io.violations == []
        assert_same(built, read, "NWBFile", {})


def test_nwbgen_read_keeps_links_and_references(written) -> None:
    with HDF5IO(written["ecephys.nwb"][1], strict=True) as io:
        nwbfile = io.read()
        ephys = nwbfile.general.extracellular_ephys
        series = nwbfile.acquisition["ElectricalSeries"]
        assert series.electrodes.table is ephys.electrodes
        assert ephys["shank0"].device is nwbfile.general.devices["probe"]
        assert all(g is ephys["shank0"] for g in ephys.electrodes.group.value)
        assert nwbfile.units.spike_times_index.target is nwbfile.units.spike_times
        assert series.data.value.dtype == np.float32
    with HDF5IO(written["ophys.nwb"][1], strict=True) as io:
        ophys = io.read().processing["ophys"]
        series = ophys["Fluorescence"]["RoiResponseSeries"]
        assert series.rois.table is ophys["ImageSegmentation"]["PlaneSegmentation"]
