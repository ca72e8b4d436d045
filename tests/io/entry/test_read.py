"""HDF5IO.read through the generated readers, on the bundled example file and on
copies of it edited with h5py to break it in one way each."""

from __future__ import annotations

import gc
import shutil
import weakref
import warnings
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

from nwbgen import HDF5IO
from nwbgen.errors import ClosedFileError, SchemaViolationError, SourceError
from nwbgen.io.entry.hdf5io import SchemaWarning
from nwbgen.runtime.hdf5.lazy import LazyArray
from nwbgen.runtime.hdf5.links import ExternalLink, SoftLinkInfo
from nwbgen.runtime.source import source_of
from tests.support.paths import REPO

EXAMPLE = REPO / "examples" / "ecephys.nwb"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "copy.nwb"
    shutil.copy(EXAMPLE, target)
    return target


def read_quietly(path: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        io = HDF5IO(path, **kwargs)
        nwbfile = io.read()
        io.validate()  # a lazy read's members too, with their violations
        return io, nwbfile


def test_reads_the_typed_file_strictly_clean():
    with HDF5IO(EXAMPLE, strict=True) as io:
        nwbfile = io.read()
        assert type(nwbfile).__name__ == "NWBFile"
        assert type(nwbfile).__module__.startswith("nwbgen.generated.core.")
        assert io.violations == []
        assert nwbfile.identifier == "nwbgen-example-ecephys"
        assert isinstance(nwbfile.session_start_time, datetime)
        assert nwbfile.session_start_time.tzinfo is not None
        raw = nwbfile.acquisition["raw"]
        assert type(raw).__name__ == "ElectricalSeries"
        assert raw.data.unit == "volts"
        assert raw.starting_time.rate == 1000.0
        assert source_of(raw).object_id is not None
        assert source_of(raw).path == "/acquisition/raw"


def test_arrays_are_lazy_and_refuse_after_close():
    with HDF5IO(EXAMPLE) as io:
        data = io.read().acquisition["raw"].data.value
        assert isinstance(data, LazyArray)
        assert data.shape == (100, 4) and data.dtype == np.float32
        with h5py.File(EXAMPLE, "r") as h5f:
            expected = h5f["/acquisition/raw/data"][:]
        np.testing.assert_array_equal(np.asarray(data), expected)
        np.testing.assert_array_equal(data[2:5, 1], expected[2:5, 1])
    assert data.shape == (100, 4)  # metadata stays
    with pytest.raises(ClosedFileError, match="closed"):
        data[0]


def test_a_closed_files_models_are_freed_without_the_collector():
    # a lazy array of references (the electrodes' group column) resolves through
    # the read's context, which holds every model: closing the file lets go
    path = REPO / "examples" / "ecephys.nwb"
    collecting = gc.isenabled()
    gc.disable()
    try:
        with HDF5IO(path, lazy=False) as io:
            nwbfile = io.read()
            electrodes = nwbfile.general.extracellular_ephys.electrodes
            assert len(electrodes.group.value) > 0  # a column of references
            refs = [weakref.ref(nwbfile), weakref.ref(electrodes)]
        del nwbfile, electrodes
        assert [ref() for ref in refs] == [None, None]
    finally:
        if collecting:
            gc.enable()


def test_identity_references_and_links_share_models():
    with HDF5IO(EXAMPLE) as io:
        nwbfile = io.read()
        electrodes = nwbfile.general.extracellular_ephys.electrodes
        region = nwbfile.acquisition["raw"].electrodes
        assert region.table is electrodes
        group = nwbfile.general.extracellular_ephys["shank0"]
        assert all(g is group for g in electrodes.group.value)
        assert group.device is nwbfile.general.devices["probe"]
        assert nwbfile.units.spike_times_index.target is nwbfile.units.spike_times
        # reading a path again (or inside what was read) gives the same object
        assert io.read("/acquisition/raw") is nwbfile.acquisition["raw"]


def test_tables_columns_ragged_rows_regions_and_dataframe():
    with HDF5IO(EXAMPLE) as io:
        nwbfile = io.read()
        units = nwbfile.units
        with h5py.File(EXAMPLE, "r") as h5f:
            index = h5f["/units/spike_times_index"][:]
            times = h5f["/units/spike_times"][:]
        rows = units.values("spike_times")
        assert len(units) == len(rows) == len(index)
        starts = np.concatenate(([0], index[:-1]))
        for i, (a, b) in enumerate(zip(starts, index)):
            np.testing.assert_array_equal(rows[i], times[a:b])
            np.testing.assert_array_equal(units.row(i)["spike_times"], times[a:b])
            np.testing.assert_array_equal(units.spike_times_index[i], times[a:b])
        electrodes = nwbfile.general.extracellular_ephys.electrodes
        assert electrodes.column_names[:3] == ["location", "group", "group_name"]
        assert list(electrodes.columns) == electrodes.column_names
        region = nwbfile.acquisition["raw"].electrodes
        assert region[1] == electrodes.row(int(region.value[1]))
        trials = nwbfile.intervals.trials
        frame = trials.to_dataframe()
        assert list(frame.columns) == trials.column_names
        assert list(frame.index) == list(trials.ids)
        assert trials["correct"] is trials.column("correct")
        with pytest.raises(KeyError, match="no column 'nope'"):
            trials.column("nope")


def test_read_one_path_reads_that_subtree(copy: Path):
    with HDF5IO(copy) as io:
        raw = io.read("/acquisition/raw")
        assert type(raw).__name__ == "ElectricalSeries"
        # what it refers to is read too, nothing else
        assert region_table_name(raw) == "electrodes"
        assert io.read("/acquisition") == {"raw": raw}
        assert isinstance(io.read("/units/spike_times_index"), object)
        with pytest.raises(KeyError, match="no object at '/nope'"):
            io.read("/nope")


def region_table_name(series) -> str:
    return series.electrodes.table.name


def test_what_the_schema_does_not_name_is_kept(copy: Path):
    with h5py.File(copy, "a") as h5f:
        series = h5f["/acquisition/raw"]
        series.attrs["lab_note"] = "kept"
        series.attrs["gain"] = np.float32(2.5)
        series.create_dataset("extra_values", data=np.arange(3, dtype=np.int16))
        series.create_group("extra_group").attrs["x"] = 1
        series["alias"] = h5py.SoftLink("/general/devices/probe")
        series["data"].attrs["note"] = "on data"
    with HDF5IO(copy, strict=True) as io:
        raw = io.read("/acquisition/raw")
        unknown = source_of(raw).unknown
        assert unknown.attributes["lab_note"] == "kept"
        assert unknown.attributes["gain"].dtype == np.float32
        assert isinstance(unknown.datasets["extra_values"], LazyArray)
        np.testing.assert_array_equal(unknown.datasets["extra_values"][:], [0, 1, 2])
        assert unknown.groups["extra_group"].attrs["x"] == 1
        assert unknown.links["alias"] == SoftLinkInfo("/general/devices/probe")
        assert source_of(raw.data).unknown.attributes["note"] == "on data"


def test_violations_are_collected_lenient_and_raised_strict(copy: Path):
    with h5py.File(copy, "a") as h5f:
        del h5f["/acquisition/raw/data"].attrs["unit"]  # fixed, so defaulted
        del h5f["/general/devices/probe"].attrs["description"]  # optional
        del h5f["/general/extracellular_ephys/shank0"].attrs["location"]  # required
        del h5f["/intervals/trials/start_time"]  # required column
    with pytest.warns(SchemaWarning, match="2 schema violation") as caught:
        with HDF5IO(copy, lazy=False) as io:  # everything now (lazily: validate())
            nwbfile = io.read()
            paths = sorted(v.path for v in io.violations)
    assert paths == ["/general/extracellular_ephys/shank0", "/intervals/trials"]
    assert "location" in str(caught[0].message)
    assert nwbfile.general.extracellular_ephys["shank0"].location is None
    with pytest.raises(SchemaViolationError) as raised:
        with HDF5IO(copy, strict=True) as io:
            io.read()
    message = str(raised.value)
    assert "2 schema violation" in message
    assert "/intervals/trials: start_time" in message
    assert "/general/extracellular_ephys/shank0: location" in message


def test_unknown_type_is_a_violation_and_read_as_the_schema_type(copy: Path):
    with h5py.File(copy, "a") as h5f:
        h5f["/acquisition/raw"].attrs["neurodata_type"] = "NoSuchSeries"
    io, nwbfile = read_quietly(copy)
    with io:
        assert any("unknown type 'NoSuchSeries'" in v.message for v in io.violations)
        raw = nwbfile.acquisition["raw"]
        assert raw is not None and raw.name == "raw"


def test_dangling_reference_and_link_are_violations(copy: Path):
    with h5py.File(copy, "a") as h5f:
        h5f.create_group("/tmp_target")
        ref = h5f["/tmp_target"].ref
        h5f["/acquisition/raw"].attrs["points_to"] = ref
        del h5f["/tmp_target"]
        del h5f["/general/extracellular_ephys/shank0/device"]
        h5f["/general/extracellular_ephys/shank0/device"] = h5py.SoftLink("/nowhere")
    io, nwbfile = read_quietly(copy)
    with io:
        messages = {v.path: v.message for v in io.violations}
    assert "dangling reference" in messages["/acquisition/raw attribute 'points_to'"]
    shank = "/general/extracellular_ephys/shank0"
    assert "soft link to /nowhere" in messages[f"{shank}/device"]


def test_a_reference_cycle_gives_the_same_objects(copy: Path):
    with h5py.File(copy, "a") as h5f:
        h5f["/general/devices/probe"].attrs["used_by"] = h5f["/acquisition/raw"].ref
        h5f["/acquisition/raw"].attrs["recorded_with"] = h5f[
            "/general/devices/probe"
        ].ref
    with HDF5IO(copy) as io:
        nwbfile = io.read()
        raw = nwbfile.acquisition["raw"]
        probe = nwbfile.general.devices["probe"]
        assert source_of(raw).unknown.attributes["recorded_with"] is probe
        assert source_of(probe).unknown.attributes["used_by"] is raw


def test_external_links_resolve_or_stay_values(copy: Path, tmp_path: Path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5f:
        h5f["values"] = np.arange(6, dtype=np.float32)
    with h5py.File(copy, "a") as h5f:
        series = h5f["/acquisition/raw"]
        series["outside"] = h5py.ExternalLink("other.h5", "/values")
        series["gone"] = h5py.ExternalLink("missing.h5", "/values")
    with HDF5IO(copy) as io:
        raw = io.read("/acquisition/raw")
        links = source_of(raw).unknown.links
        assert links["outside"].filename == "other.h5"
        assert links["gone"].path == "/values"
    assert ExternalLink("missing.h5", "/values", str(copy)).candidates()


def test_bad_input_names_the_file(tmp_path: Path):
    text = tmp_path / "notes.nwb"
    text.write_text("not hdf5")
    with pytest.raises(SourceError, match="notes.nwb: not an HDF5 file"):
        HDF5IO(text)
    with pytest.raises(SourceError, match="no such file"):
        HDF5IO(tmp_path / "absent.nwb")
    broken = tmp_path / "broken.nwb"
    shutil.copy(EXAMPLE, broken)
    with h5py.File(broken, "a") as h5f:
        group = h5f["/specifications/core"]
        version = next(iter(group))
        source = next(iter(group[version]))
        del group[version][source]
        group[version][source] = "{ not json"
    with pytest.raises(Exception, match="broken.nwb") as raised:
        HDF5IO(broken)
    assert "specifications" in str(raised.value)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode 'q'"):
        HDF5IO(EXAMPLE, mode="q")
