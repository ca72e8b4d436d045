"""Building models as pynwb and hdmf do: schema defaults, values where a dataset
is expected, ``add`` on groups, hdmf's ``add_column`` / ``add_row`` /
``create_region`` / ``from_dataframe``, and a clear error at the call, with the
model unchanged, for every wrong call."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from nwbgen import HDF5IO
from nwbgen.errors import BuildError
from nwbgen.generated.core import v2_7_0 as core27
from nwbgen.generated.core.v2_11_0 import (
    ElectricalSeries,
    ElectricalSeriesData,
    NWBFile,
    NWBFileAcquisition,
    Subject,
    TimeSeries,
    Units,
    UnitsSpikeTimes,
)
from nwbgen.generated.hdmf_common.v1_10_0 import DynamicTable, VectorIndex

START = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def new_file() -> NWBFile:
    return NWBFile(identifier="x", session_description="test", session_start_time=START)


# -- defaults ---------------------------------------------------------------------


def test_an_nwbfile_needs_only_what_pynwb_needs():
    nwbfile = new_file()
    assert isinstance(nwbfile.acquisition, NWBFileAcquisition)
    assert nwbfile.acquisition.children == {}
    assert nwbfile.timestamps_reference_time == START
    (created,) = nwbfile.file_create_date
    assert (datetime.now(timezone.utc) - created).total_seconds() < 60
    assert nwbfile.general.subject is None


def test_general_metadata_and_subject_go_to_general():
    nwbfile = NWBFile(
        identifier="x",
        session_description="d",
        session_start_time=START,
        lab="Lab",
        subject=Subject(subject_id="m1"),
    )
    assert nwbfile.general.lab == "Lab"
    assert nwbfile.subject.name == "subject" and nwbfile.subject.subject_id == "m1"


def test_a_read_model_invents_no_group(tmp_path: Path):
    """Defaults are for building: a file lacking a required group reads with the
    member absent (and a violation), not with an empty group it never had."""
    import h5py

    path = tmp_path / "a.nwb"
    with HDF5IO(path, mode="w") as io:
        io.write(new_file())
    with h5py.File(path, "a") as h5f:
        del h5f["analysis"]
    with HDF5IO(path) as io:
        nwbfile = io.read()
        assert nwbfile.analysis is None
        assert any("analysis" in str(v) for v in io.violations)


# -- values where a dataset is expected, pynwb's flat keywords ----------------------


def test_a_dataset_member_takes_its_values():
    series = TimeSeries(name="t", data=np.arange(5.0), unit="m", rate=10.0)
    assert type(series.data).__name__ == "TimeSeriesData"
    assert series.data.unit == "m" and series.starting_time.rate == 10.0
    assert series.starting_time.value == 0.0
    assert np.array_equal(series.data.value, np.arange(5.0))


def test_typed_checks_stay_strict():
    with pytest.raises(ValidationError, match="shape"):
        ElectricalSeriesData(value=np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValidationError):
        TimeSeries(name="t", data=np.arange(3.0), unit="m", no_such_keyword=1)


# -- groups: add ------------------------------------------------------------------


def test_add_puts_models_by_name_and_refuses_duplicates():
    nwbfile = new_file()
    series = TimeSeries(name="t", data=np.arange(3.0), unit="m", rate=1.0)
    nwbfile.add_acquisition(series)
    assert nwbfile.acquisition["t"] is series
    with pytest.raises(BuildError, match="already holds 't'"):
        nwbfile.add_acquisition(TimeSeries(name="t", data=[1.0], unit="m", rate=1.0))


def test_a_model_of_another_version_is_refused():
    nwbfile = new_file()
    old = core27.TimeSeries(name="old", data=np.arange(3.0), unit="m", rate=1.0)
    with pytest.raises(BuildError, match=r"cannot hold .*v2_7_0.*TimeSeries 'old'"):
        nwbfile.add_acquisition(old)


# -- tables -----------------------------------------------------------------------


def units() -> Units:
    table = Units(description="units")
    table.add_row(spike_times=[0.1, 0.2])
    table.add_row(spike_times=[0.3])
    return table


def test_a_declared_column_gets_its_schema_class_and_index():
    table = units()
    assert isinstance(table.spike_times, UnitsSpikeTimes)
    assert isinstance(table.spike_times_index, VectorIndex)
    assert table.column_names == ["spike_times"]
    assert [list(r) for r in table.values("spike_times")] == [[0.1, 0.2], [0.3]]
    assert list(table.ids) == [0, 1]


def test_add_column_then_rows():
    table = units()
    table.add_column("quality", "sorting quality", data=["good", "mua"])
    table.add_column("channels", "channels", data=[[1, 2], [3]], index=True)
    table.add_row(spike_times=[1.0], quality="good", channels=[4, 5, 6], id=10)
    assert table.column_names == ["spike_times", "quality", "channels"]
    assert table.row(2)["quality"] == "good"
    assert list(table.row(2)["channels"]) == [4, 5, 6]
    assert list(table.ids) == [0, 1, 10]
    assert table.children["channels_index"].target is table.children["channels"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda t: t.add_row(spike_times=[1.0]),
            "row 2: no value for column(s) quality",
        ),
        (
            lambda t: t.add_row(spike_times=["x"], quality="a"),
            "column 'spike_times', row 2: expected number",
        ),
        (
            lambda t: t.add_row(spike_times=[1.0], quality="a", extra=1),
            "row 2: no column 'extra'",
        ),
        (
            lambda t: t.add_row(spike_times=2.0, quality="a"),
            "column 'spike_times', row 2: an indexed column takes a sequence",
        ),
        (
            lambda t: t.add_column("more", "m", data=[1, 2, 3]),
            "column 'more' has 3 rows, the table 2",
        ),
        (
            lambda t: t.add_column("quality", "again", data=[1, 2]),
            "column 'quality' already exists",
        ),
        (
            lambda t: t.add_row(
                spike_times=[1.0], quality="a", id=0, enforce_unique_id=True
            ),
            "row 2: id 0 is taken",
        ),
    ],
    ids=["missing", "dtype", "unknown", "not-ragged", "length", "duplicate", "id"],
)
def test_a_wrong_call_is_one_clear_error_and_changes_nothing(call, message):
    table = units()
    table.add_column("quality", "sorting quality", data=["good", "mua"])
    before = (list(table.column_names), len(table), list(table.spike_times.value))
    with pytest.raises(
        BuildError,
        match="table 'Units': " + message.replace("(", r"\(").replace(")", r"\)"),
    ):
        call(table)
    assert (
        list(table.column_names),
        len(table),
        list(table.spike_times.value),
    ) == before


def test_region_columns_check_their_rows():
    target = DynamicTable(name="things", description="things")
    target.add_column("label", "label", data=["a", "b", "c"])
    table = DynamicTable(name="refs", description="refs")
    table.add_column("thing", "a thing", table=target)
    table.add_row(thing=2)
    with pytest.raises(
        BuildError,
        match=r"column 'thing', row 1: row 3 out of range for table 'things' \(3 rows\)",
    ):
        table.add_row(thing=3)
    region = target.create_region("some", [0, 2], "two things")
    assert list(region.value) == [0, 2] and region.table is target
    with pytest.raises(BuildError, match="row 5 out of range"):
        target.create_region("bad", [5], "no")


def test_a_member_given_as_its_typed_base_is_made_of_the_declared_class():
    from nwbgen.generated.hdmf_common.v1_10_0 import VectorData

    generic = VectorData(name="spike_times", description="s", value=np.arange(3.0))
    table = Units(description="u", spike_times=generic)
    assert type(table.spike_times) is UnitsSpikeTimes
    assert np.array_equal(table.spike_times.value, np.arange(3.0))


def test_an_electrode_table_region():
    nwbfile = new_file()
    device = nwbfile.create_device(name="probe", description="p")
    group = nwbfile.create_electrode_group(
        name="g", description="g", location="CA1", device=device
    )
    for _ in range(2):
        nwbfile.add_electrode(group=group, location="CA1")
    region = nwbfile.create_electrode_table_region([0, 1], "both")
    series = ElectricalSeries(
        name="e", data=np.zeros((3, 2), "f4"), electrodes=region, rate=1.0
    )
    assert series.electrodes.table is nwbfile.electrodes
    assert list(series.electrodes.value) == [0, 1]


def test_from_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"a": [1.0, 2.0], "tags": [["x"], ["y", "z"]]},
        index=pd.Index([5, 6], name="id"),
    )
    table = DynamicTable.from_dataframe(df, name="t", table_description="d")
    assert table.column_names == ["a", "tags"] and list(table.ids) == [5, 6]
    assert list(table.row(1)["tags"]) == ["y", "z"]
    back = table.to_dataframe()
    assert list(back.index) == [5, 6] and list(back["a"]) == [1.0, 2.0]


def test_a_built_table_round_trips(tmp_path: Path):
    nwbfile = new_file()
    nwbfile.add_unit_column("quality", "q")
    for i in range(3):
        nwbfile.add_unit(spike_times=np.arange(i + 1) / 10, quality=["a", "b", "c"][i])
    nwbfile.add_trial(start_time=0.0, stop_time=1.0)
    path = tmp_path / "u.nwb"
    with HDF5IO(path, mode="w") as io:
        io.write(nwbfile)
    with HDF5IO(path) as io:
        read = io.read()
        assert [list(x) for x in read.units.values("spike_times")] == [
            [0.0],
            [0.0, 0.1],
            [0.0, 0.1, 0.2],
        ]
        assert list(read.units.values("quality")) == ["a", "b", "c"]
        assert read.trials.row(0) == {"start_time": 0.0, "stop_time": 1.0}
