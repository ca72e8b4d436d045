"""``HDF5IO(path, mode="a")``: editing a file in place writes only what changed.

Copies of the example file (written by nwbgen), of a pynwb-written fixture and of
a pynwb-written file of ``../shared`` are edited: a TimeSeries added, a processing
module with a table, rows and a column added to units and trials, attributes and
scalars changed, objects removed. After each edit the structural diff against
the source (``tests/support/h5diff``) is exactly the intended change, pynwb reads
the new values, pynwb's validator finds no new error, and nwbgen reads the edit
back. Untouched objects keep their bytes; a planning error leaves the file byte
for byte as it was; another process holding the file gives a clear error.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from h5py import h5o

from nwbgen import HDF5IO
from nwbgen.errors import EditError, SourceError
from tests.support.h5diff import diff_files
from tests.support.paths import REPO, SHARED
from tests.support.toolkit_oracle import read_with_pynwb, validate

EXAMPLE = REPO / "examples" / "ecephys.nwb"
SHARED_PYNWB = SHARED / "data" / "pynwb" / "ecephys_core2.7.0.nwb"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def pynwb_ecephys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pynwb-written ecephys fixture (units with ragged, doubly ragged and
    region columns, a processing module, trials added here)."""
    from pynwb import NWBHDF5IO

    from tests.support.pynwb_fixtures import write_ecephys

    path = write_ecephys(tmp_path_factory.mktemp("pynwb") / "ecephys.nwb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "a") as io:
            nwbfile = io.read()
            nwbfile.add_trial_column("correct", "whether the animal was right")
            for i in range(3):
                nwbfile.add_trial(
                    start_time=float(i), stop_time=i + 0.5, correct=bool(i % 2)
                )
            io.write(nwbfile)
    return path


def edit(source: Path, target: Path, change: Any) -> Path:
    """``target``, a copy of ``source`` edited by ``change(io, nwbfile)``."""
    shutil.copyfile(source, target)
    with HDF5IO(target, mode="a") as io:
        nwbfile = io.read()
        change(io, nwbfile)
        io.write(nwbfile)
    return target


def checked(source: Path, edited: Path, expected: list[str]) -> None:
    """The structural diff is exactly ``expected``; pynwb reads the file and its
    validator finds no error the source did not have."""
    assert sorted(diff_files(source, edited)) == sorted(expected)
    assert read_with_pynwb(edited) is None
    assert set(validate(edited)) <= set(validate(source))


def pynwb_read(path: Path, read: Any) -> Any:
    from pynwb import NWBHDF5IO

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "r") as io:
            return read(io.read())


def add_series(io: HDF5IO, nwbfile: Any) -> None:
    nwbfile.add_acquisition(
        io.models.TimeSeries(
            name="added", data=np.arange(20.0), unit="m", rate=10.0, description="new"
        )
    )


# -- new objects ----------------------------------------------------------------


@pytest.mark.parametrize("which", ["example", "pynwb"])
def test_add_a_timeseries(tmp_path: Path, pynwb_ecephys: Path, which: str) -> None:
    source = EXAMPLE if which == "example" else pynwb_ecephys
    edited = edit(source, tmp_path / "edited.nwb", add_series)
    checked(source, edited, ["/acquisition/added: group only in the second file"])
    got = pynwb_read(
        edited, lambda f: (f.acquisition["added"].data[:], f.acquisition["added"].rate)
    )
    assert np.array_equal(got[0], np.arange(20.0)) and got[1] == 10.0
    with HDF5IO(edited) as io:  # the round trip of the edit
        series = io.read().acquisition["added"]
        assert np.array_equal(series.data.value[:], np.arange(20.0))
        assert series.description == "new" and series.starting_time.rate == 10.0


#: pynwb-written files of ../shared: one per area and core version
SHARED_SAMPLE = [
    "behavior_core2.4.0.nwb",
    "ecephys_core2.5.0.nwb",
    "icephys_core2.9.0.nwb",
    "ophys_core2.10.0.nwb",
    "kitchen_sink_core2.7.0.nwb",
    "links_core2.11.0.nwb",
    "extlink_core2.9.0.nwb",
    "with_extension_pose_core2.9.0.nwb",
]


@pytest.mark.parametrize("name", SHARED_SAMPLE)
def test_shared_files_edited(tmp_path: Path, name: str) -> None:
    """A TimeSeries added and a scalar changed, in files of every core version
    (built with each file's own models): exactly that changes."""
    source = SHARED / "data" / "pynwb" / name
    if not source.is_file():
        pytest.skip(f"{source} is absent (../shared is not beside this checkout)")
    if name.startswith("extlink_"):  # its external links point into links_*
        target = name.replace("extlink_", "links_")
        shutil.copyfile(source.parent / target, tmp_path / target)

    def change(io: HDF5IO, nwbfile: Any) -> None:
        add_series(io, nwbfile)
        nwbfile.session_description = "edited in place"

    edited = edit(source, tmp_path / name, change)
    diff = diff_files(source, edited)
    assert "/acquisition/added: group only in the second file" in diff
    assert [d for d in diff if not d.startswith("/acquisition/added:")] == [
        d for d in diff if d.startswith("/session_description: value differs")
    ]
    assert read_with_pynwb(edited) is None
    assert set(validate(edited)) <= set(validate(source))
    with HDF5IO(edited) as io:
        nwbfile = io.read()
        assert nwbfile.session_description == "edited in place"
        assert np.array_equal(
            nwbfile.acquisition["added"].data.value[:], np.arange(20.0)
        )


def test_add_a_processing_module_with_a_table(
    tmp_path: Path, pynwb_ecephys: Path
) -> None:
    def change(io: HDF5IO, nwbfile: Any) -> None:
        module = nwbfile.create_processing_module("behavior", "behaviour, processed")
        table = io.models.DynamicTable(name="events", description="scored events")
        table.add_column("score", "a score")
        table.add_column("label", "a label")
        for i in range(4):
            table.add_row(score=i * 0.5, label=f"event {i}")
        module.add(table)

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    checked(
        pynwb_ecephys, edited, ["/processing/behavior: group only in the second file"]
    )
    frame = pynwb_read(
        edited, lambda f: f.processing["behavior"]["events"].to_dataframe()
    )
    assert list(frame["score"]) == [0.0, 0.5, 1.0, 1.5]
    assert list(frame["label"]) == [f"event {i}" for i in range(4)]
    with HDF5IO(edited) as io:
        table = io.read().processing["behavior"]["events"]
        assert list(table.values("label")) == [f"event {i}" for i in range(4)]


def test_a_new_object_links_and_refers_to_objects_of_the_file(tmp_path: Path) -> None:
    """A new ElectricalSeries whose region points into the stored electrodes
    table, and a new ElectrodeGroup linking to the stored device."""

    def change(io: HDF5IO, nwbfile: Any) -> None:
        device = nwbfile.general.devices["probe"]
        nwbfile.create_electrode_group("shank1", "shank 1", "CA3", device)
        region = nwbfile.create_electrode_table_region([0, 2], "two electrodes")
        nwbfile.add_acquisition(
            io.models.ElectricalSeries(
                name="more",
                data=np.zeros((5, 2), "float32"),
                electrodes=region,
                rate=1.0,
            )
        )

    edited = edit(EXAMPLE, tmp_path / "edited.nwb", change)
    checked(
        EXAMPLE,
        edited,
        [
            "/acquisition/more: group only in the second file",
            "/general/extracellular_ephys/shank1: group only in the second file",
        ],
    )
    with h5py.File(edited, "r") as h5:
        table = h5["acquisition/more/electrodes"].attrs["table"]
        assert h5[table] == h5["general/extracellular_ephys/electrodes"]
        link = h5["general/extracellular_ephys/shank1"].get("device", getlink=True)
        assert link.path == "/general/devices/probe"


# -- tables ---------------------------------------------------------------------


def test_rows_and_a_column_added_to_units_and_trials(tmp_path: Path) -> None:
    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.add_unit(spike_times=[1.0, 2.0, 3.0])
        nwbfile.add_trial(start_time=10.0, stop_time=11.0, correct=True)
        nwbfile.units.add_column("quality", "unit quality", data=["a", "b", "c", "d"])

    edited = edit(EXAMPLE, tmp_path / "edited.nwb", change)
    checked(
        EXAMPLE,
        edited,
        [
            "/intervals/trials/correct: shape (3,) vs (4,)",
            "/intervals/trials/id: shape (3,) vs (4,)",
            "/intervals/trials/start_time: shape (3,) vs (4,)",
            "/intervals/trials/stop_time: shape (3,) vs (4,)",
            "/units@colnames: shape (1,) vs (2,)",
            "/units/id: shape (3,) vs (4,)",
            "/units/quality: dataset only in the second file",
            "/units/spike_times: shape (18,) vs (21,)",
            "/units/spike_times_index: shape (3,) vs (4,)",
        ],
    )
    units, trials = pynwb_read(
        edited, lambda f: (f.units.to_dataframe(), f.trials.to_dataframe())
    )
    assert list(units["spike_times"].iloc[3]) == [1.0, 2.0, 3.0]
    assert list(units["quality"]) == ["a", "b", "c", "d"]
    assert trials["start_time"].iloc[3] == 10.0 and bool(trials["correct"].iloc[3])
    with HDF5IO(edited) as io:
        nwbfile = io.read()
        assert list(nwbfile.units.values("spike_times")[3]) == [1.0, 2.0, 3.0]
        assert list(nwbfile.intervals.trials.ids) == [0, 1, 2, 3]


def test_rows_added_to_a_pynwb_file(tmp_path: Path, pynwb_ecephys: Path) -> None:
    """pynwb's units (ragged, region and text columns) and trials, rows added."""

    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.add_trial(start_time=5.0, stop_time=6.0, correct=False)
        nwbfile.units.add_column("rank", "a rank", data=[4, 3, 2, 1])

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    checked(
        pynwb_ecephys,
        edited,
        [
            "/intervals/trials/correct: shape (3,) vs (4,)",
            "/intervals/trials/id: shape (3,) vs (4,)",
            "/intervals/trials/start_time: shape (3,) vs (4,)",
            "/intervals/trials/stop_time: shape (3,) vs (4,)",
            "/units@colnames: shape (9,) vs (10,)",
            "/units/rank: dataset only in the second file",
        ],
    )
    units, trials = pynwb_read(
        edited, lambda f: (f.units.to_dataframe(), f.trials.to_dataframe())
    )
    assert list(units["rank"]) == [4, 3, 2, 1]
    assert list(trials["stop_time"]) == [0.5, 1.5, 2.5, 6.0]


def test_rows_added_to_a_shared_pynwb_file(tmp_path: Path) -> None:
    """A ragged column through its index, text and numbers: the shared file."""
    if not SHARED_PYNWB.is_file():
        pytest.skip(f"{SHARED_PYNWB} is absent (../shared is not beside this checkout)")

    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.intervals.trials.add_row(
            start_time=20.0,
            stop_time=21.0,
            correct=True,
            stim_name="new",
            response_time=20.5,
            lick_times=[20.1, 20.2],
        )

    edited = edit(SHARED_PYNWB, tmp_path / "edited.nwb", change)
    columns = ["correct", "id", "response_time", "start_time", "stim_name", "stop_time"]
    checked(
        SHARED_PYNWB,
        edited,
        [f"/intervals/trials/{c}: shape (6,) vs (7,)" for c in columns]
        + [
            "/intervals/trials/lick_times: shape (12,) vs (14,)",
            "/intervals/trials/lick_times_index: shape (6,) vs (7,)",
        ],
    )
    trials = pynwb_read(edited, lambda f: f.trials.to_dataframe())
    assert list(trials["lick_times"].iloc[6]) == [20.1, 20.2]
    assert trials["stim_name"].iloc[6] == "new"


def test_a_rewritten_dataset_keeps_its_identity(tmp_path: Path) -> None:
    """Contiguous columns are rewritten: attributes and object_id kept, the index's
    reference re-pointed to the new dataset, a VectorIndex widened when its rows
    outgrow uint8."""
    edited = edit(
        EXAMPLE,
        tmp_path / "edited.nwb",
        lambda io, f: f.add_unit(spike_times=np.arange(300.0)),
    )
    with h5py.File(EXAMPLE, "r") as before, h5py.File(edited, "r") as after:
        for name in ("units/spike_times", "units/spike_times_index", "units/id"):
            assert (
                dict(before[name].attrs.items()).keys()
                == dict(after[name].attrs.items()).keys()
            )
            assert before[name].attrs["object_id"] == after[name].attrs["object_id"]
        index = after["units/spike_times_index"]
        assert index.dtype == np.uint16 and list(index[:]) == [5, 11, 18, 318]
        assert after[index.attrs["target"]] == after["units/spike_times"]
    assert sorted(diff_files(EXAMPLE, edited)) == [
        "/units/id: shape (3,) vs (4,)",
        "/units/spike_times: shape (18,) vs (318,)",
        "/units/spike_times_index: dtype uint8 vs uint16",
        "/units/spike_times_index: shape (3,) vs (4,)",
    ]


def test_a_region_column_added_then_rows(tmp_path: Path) -> None:
    """A ragged region column into the stored electrodes table, then (a second
    edit) a unit with its electrodes: the region and its index grow together."""

    def add_column(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.units.add_column(
            "electrodes",
            "the electrodes of each unit",
            table=nwbfile.electrodes,
            index=True,
            data=[[0], [1], [2, 3]],
        )

    first = edit(EXAMPLE, tmp_path / "first.nwb", add_column)
    checked(
        EXAMPLE,
        first,
        [
            "/units@colnames: shape (1,) vs (2,)",
            "/units/electrodes: dataset only in the second file",
            "/units/electrodes_index: dataset only in the second file",
        ],
    )
    second = edit(
        first,
        tmp_path / "second.nwb",
        lambda io, f: f.add_unit(spike_times=[0.5], electrodes=[3, 1]),
    )
    checked(
        first,
        second,
        [
            "/units/electrodes: shape (4,) vs (6,)",
            "/units/electrodes_index: shape (3,) vs (4,)",
            "/units/id: shape (3,) vs (4,)",
            "/units/spike_times: shape (18,) vs (19,)",
            "/units/spike_times_index: shape (3,) vs (4,)",
        ],
    )
    rows = pynwb_read(
        second,
        lambda f: [list(r) for r in f.units.to_dataframe(index=True)["electrodes"]],
    )
    assert rows == [[0], [1], [2, 3], [3, 1]]
    with h5py.File(second, "r") as h5:
        region = h5["units/electrodes"]
        assert h5[region.attrs["table"]] == h5["general/extracellular_ephys/electrodes"]


def resizable(path: Path, names: list[str]) -> None:
    """Make datasets of ``path`` chunked, gzip-compressed and unlimited along axis
    0 (as written by an appending tool), attributes kept."""
    with h5py.File(path, "r+") as h5:
        for name in names:
            old = h5[name]
            data, dtype = old[()], old.dtype
            attrs = {k: (old.attrs[k], old.attrs.get_id(k).dtype) for k in old.attrs}
            del h5[name]
            new = h5.create_dataset(
                name,
                data=data,
                dtype=dtype,
                chunks=(2,),
                maxshape=(None,),
                compression="gzip",
            )
            for key, (value, kind) in attrs.items():
                new.attrs.create(key, value, dtype=kind)


def test_rows_are_appended_in_place_to_a_resizable_dataset(tmp_path: Path) -> None:
    source = tmp_path / "resizable.nwb"
    shutil.copyfile(EXAMPLE, source)
    columns = [
        f"intervals/trials/{c}" for c in ("id", "start_time", "stop_time", "correct")
    ]
    resizable(source, columns)
    with h5py.File(source, "r") as h5:
        addresses = {c: h5o.get_info(h5[c].id).addr for c in columns}

    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.add_trial(start_time=5.0, stop_time=6.0, correct=True)
        io.write(nwbfile)  # and a second write in the same session
        nwbfile.add_trial(start_time=7.0, stop_time=8.0, correct=False)

    edited = edit(source, tmp_path / "edited.nwb", change)
    with h5py.File(edited, "r") as h5:
        for column in columns:
            assert h5o.get_info(h5[column].id).addr == addresses[column]
            assert h5[column].compression == "gzip" and h5[column].chunks == (2,)
        assert list(h5["intervals/trials/start_time"][:]) == [0.0, 1.0, 2.0, 5.0, 7.0]
    assert sorted(diff_files(source, edited, compare_layout=True)) == sorted(
        f"/{c}: shape (3,) vs (5,)" for c in columns
    )


# -- changed values ---------------------------------------------------------------


def test_attributes_and_scalars_changed(tmp_path: Path, pynwb_ecephys: Path) -> None:
    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.general.devices["probe"].description = "an 8-channel probe, renamed"
        nwbfile.session_description = "edited in place"
        raw = nwbfile.acquisition["raw"]
        raw.comments = "new comments"
        raw.data.conversion = 2.5

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    checked(
        pynwb_ecephys,
        edited,
        [
            "/acquisition/raw/data@conversion: value differs: 1.95e-07 vs 2.5",
            "/acquisition/raw@comments: value differs: 'raw data' vs 'new comments'",
            "/general/devices/probe@description: value differs: 'an 8-channel probe' "
            "vs 'an 8-channel probe, renamed'",
            "/session_description: value differs: 'ecephys session' vs 'edited in place'",
        ],
    )
    got = pynwb_read(
        edited,
        lambda f: (
            f.session_description,
            f.devices["probe"].description,
            f.acquisition["raw"].conversion,
        ),
    )
    assert got == ("edited in place", "an 8-channel probe, renamed", 2.5)
    with h5py.File(pynwb_ecephys, "r") as before, h5py.File(edited, "r") as after:
        # numbers keep their stored dtype
        name = "acquisition/raw/data"
        assert (
            before[name].attrs.get_id("conversion").dtype
            == after[name].attrs.get_id("conversion").dtype
        )


def test_an_array_replaced_a_link_repointed_an_attribute_removed(
    tmp_path: Path, pynwb_ecephys: Path
) -> None:
    def change(io: HDF5IO, nwbfile: Any) -> None:
        raw = nwbfile.acquisition["raw"]
        raw.data.value = np.ones((10, 8), "int16")  # new values, another shape
        raw.comments = None
        device = nwbfile.create_device("probe2", "a second probe")
        nwbfile.general.extracellular_ephys["shank0"].device = device

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    checked(
        pynwb_ecephys,
        edited,
        [
            "/acquisition/raw/data: shape (200, 8) vs (10, 8)",
            "/acquisition/raw@comments: attribute only in the first file",
            "/general/devices/probe2: group only in the second file",
            "/general/extracellular_ephys/shank0/device: soft link to "
            "/general/devices/probe vs to /general/devices/probe2",
        ],
    )
    data, device = pynwb_read(
        edited,
        lambda f: (
            f.acquisition["raw"].data[:],
            f.electrode_groups["shank0"].device.name,
        ),
    )
    assert np.array_equal(data, np.ones((10, 8))) and device == "probe2"
    with h5py.File(pynwb_ecephys, "r") as before, h5py.File(edited, "r") as after:
        name = "acquisition/raw/data"
        assert dict(before[name].attrs) == dict(after[name].attrs)


# -- removals ---------------------------------------------------------------------


def test_an_object_removed(tmp_path: Path, pynwb_ecephys: Path) -> None:
    def change(io: HDF5IO, nwbfile: Any) -> None:
        del nwbfile.acquisition.children["snippets"]
        del nwbfile.processing["ecephys"].children["bands"]

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    checked(
        pynwb_ecephys,
        edited,
        [
            "/acquisition/snippets: group only in the first file",
            "/processing/ecephys/bands: group only in the first file",
        ],
    )
    names = pynwb_read(
        edited,
        lambda f: (
            sorted(f.acquisition),
            sorted(f.processing["ecephys"].data_interfaces),
        ),
    )
    assert names == (["raw"], ["LFP"])
    with HDF5IO(edited) as io:
        assert "snippets" not in io.read().acquisition


# -- untouched objects -------------------------------------------------------------


def test_untouched_objects_keep_their_bytes(
    tmp_path: Path, pynwb_ecephys: Path
) -> None:
    """Every dataset of the source is where it was, with its bytes, chunking,
    filters and object_id; every object header is where it was."""
    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", add_series)
    with h5py.File(pynwb_ecephys, "r") as before, h5py.File(edited, "r") as after:
        seen: list[str] = []

        def same(name: str, obj: Any) -> None:
            other = after[name]
            assert h5o.get_info(obj.id).addr == h5o.get_info(other.id).addr, name
            assert dict(obj.attrs).keys() == dict(other.attrs).keys(), name
            if isinstance(obj, h5py.Dataset):
                assert (obj.chunks, obj.compression, obj.maxshape) == (
                    other.chunks,
                    other.compression,
                    other.maxshape,
                ), name
                offset = obj.id.get_offset()
                if offset is not None:  # contiguous: the very bytes
                    assert other.id.get_offset() == offset, name
                    size = obj.id.get_storage_size()
                    with open(pynwb_ecephys, "rb") as a, open(edited, "rb") as b:
                        a.seek(offset), b.seek(offset)
                        assert a.read(size) == b.read(size), name
            seen.append(name)

        before.visititems(same)
        assert len(seen) > 100
    assert sorted(diff_files(pynwb_ecephys, edited, compare_layout=True)) == [
        "/acquisition/added: group only in the second file"
    ]


@pytest.mark.parametrize("mode", ["a", "r+"])
def test_nothing_changed_writes_nothing(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "copy.nwb"
    shutil.copyfile(EXAMPLE, target)
    before = digest(target)
    with HDF5IO(target, mode=mode) as io:
        nwbfile = io.read()
        nwbfile.units.values("spike_times")  # read, not changed
        list(nwbfile.acquisition.children.values())
        io.write(nwbfile)
    assert digest(target) == before


# -- planning errors ----------------------------------------------------------------


def _wrong_dtype(io: HDF5IO, nwbfile: Any) -> None:
    # a declared float column (UnitsObsIntervals) given text
    nwbfile.units.add_column("obs_intervals", "intervals", data=[["a", "b"]] * 3)


def _other_version(io: HDF5IO, nwbfile: Any) -> None:
    from nwbgen.generated.core import v2_7_0

    nwbfile.add_unit(spike_times=[1.0])  # planned before the error: not written
    nwbfile.acquisition.children["old"] = v2_7_0.TimeSeries(
        name="old", data=[1.0], unit="m", rate=1.0
    )


def _name_taken(io: HDF5IO, nwbfile: Any) -> None:
    nwbfile.general.add(io.models.LabMetaData(name="devices"))


def _not_in_file(io: HDF5IO, nwbfile: Any) -> None:
    device = io.models.Device(name="elsewhere", description="never added")
    nwbfile.general.extracellular_ephys.add(
        io.models.ElectrodeGroup(
            name="shank9", description="s", location="CA1", device=device
        )
    )


def _removed_but_linked(io: HDF5IO, nwbfile: Any) -> None:
    del nwbfile.general.devices.children["probe"]


def _removed_but_referred_to(io: HDF5IO, nwbfile: Any) -> None:
    del nwbfile.general.extracellular_ephys.children["shank0"]


def _rows_missing(io: HDF5IO, nwbfile: Any) -> None:
    trials = nwbfile.intervals.trials
    trials.start_time.value = [*trials.start_time.value[:], 9.0]  # one column only


PLANNING_ERRORS = {
    "wrong dtype in a new column": (
        _wrong_dtype,
        "/units/obs_intervals: expected numbers",
    ),
    "a model of another core version": (_other_version, "core 2.7.0"),
    "a name taken": (_name_taken, "/general/devices: the name is taken"),
    "a link to a model not in the file": (
        _not_in_file,
        "'elsewhere', which is not in the file",
    ),
    "a removed object still linked": (_removed_but_linked, "which this edit removes"),
    "a removed object still referred to": (_removed_but_referred_to, "shank0"),
    "a column longer than the table": (_rows_missing, "column 'start_time' has 4 rows"),
}


@pytest.mark.parametrize("case", sorted(PLANNING_ERRORS))
def test_a_planning_error_leaves_the_file_byte_identical(
    tmp_path: Path, case: str
) -> None:
    change, message = PLANNING_ERRORS[case]
    target = tmp_path / "copy.nwb"
    shutil.copyfile(EXAMPLE, target)
    before = digest(target)
    with HDF5IO(target, mode="a") as io:
        nwbfile = io.read()
        change(io, nwbfile)
        with pytest.raises(EditError) as raised:
            io.write(nwbfile)
    assert message in str(raised.value)
    assert str(target) in str(raised.value)
    assert digest(target) == before


def test_after_a_planning_error_the_edit_can_be_fixed(tmp_path: Path) -> None:
    target = tmp_path / "copy.nwb"
    shutil.copyfile(EXAMPLE, target)
    with HDF5IO(target, mode="a") as io:
        nwbfile = io.read()
        _other_version(io, nwbfile)
        with pytest.raises(EditError):
            io.write(nwbfile)
        del nwbfile.acquisition.children["old"]
        io.write(nwbfile)
    assert sorted(diff_files(EXAMPLE, target)) == [
        "/units/id: shape (3,) vs (4,)",
        "/units/spike_times: shape (18,) vs (19,)",
        "/units/spike_times_index: shape (3,) vs (4,)",
    ]


def test_write_takes_the_nwbfile_read(tmp_path: Path) -> None:
    target = tmp_path / "copy.nwb"
    shutil.copyfile(EXAMPLE, target)
    with HDF5IO(EXAMPLE) as other, HDF5IO(target, mode="a") as io:
        with pytest.raises(EditError, match="takes the NWBFile read from it"):
            io.write(other.read())


# -- the file -----------------------------------------------------------------------


HOLD = """
import sys
from nwbgen import HDF5IO
with HDF5IO(sys.argv[1], mode="a") as io:
    print("open", flush=True)
    sys.stdin.readline()
"""


def test_a_file_another_process_edits_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "copy.nwb"
    shutil.copyfile(EXAMPLE, target)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(EditError, match="another process"):
            HDF5IO(target, mode="a")
        with pytest.raises(SourceError, match="another process"):
            HDF5IO(target)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    with HDF5IO(target, mode="a") as io:  # free again
        io.read()


def test_edit_needs_an_existing_local_file(tmp_path: Path) -> None:
    with pytest.raises(EditError, match="no such file"):
        HDF5IO(tmp_path / "absent.nwb", mode="a")


def test_the_files_own_models(tmp_path: Path) -> None:
    with HDF5IO(EXAMPLE) as io:
        models = io.models
        assert models.TimeSeries is io.provider.model("core", "TimeSeries")
        assert models.VectorData is io.provider.model("hdmf-common", "VectorData")
        assert models.core is io.provider.packages["core"]
        assert "ElectricalSeries" in dir(models)
        with pytest.raises(AttributeError, match="no model class"):
            models.NoSuchType  # noqa: B018


def test_show_reads_an_edited_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from nwbgen.cli import main

    edited = edit(EXAMPLE, tmp_path / "edited.nwb", add_series)
    result = CliRunner().invoke(main, ["show", str(edited)])
    assert result.exit_code == 0, result.output
    assert "added (TimeSeries)" in result.output


# -- extensions ---------------------------------------------------------------------


def test_an_extension_type_adds_its_namespace(
    tmp_path: Path, pynwb_ecephys: Path
) -> None:
    """A type of an extension the file lacks (its models compiled for the pynwb
    extension fixture, over the same core build): its namespace is added to
    /specifications, and pynwb and nwbgen read the new object."""
    from tests.support.pynwb_fixtures import EXTENSION, write_extension

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_extension = write_extension(tmp_path / "ext.nwb", tmp_path / "spec")
    with HDF5IO(with_extension) as ext:
        Extra = ext.provider.model(EXTENSION, "TimeSeriesWithExtra")
        version = ext.provider.packages[EXTENSION].VERSION

    def change(io: HDF5IO, nwbfile: Any) -> None:
        nwbfile.add_acquisition(
            Extra(
                name="extra",
                data=np.arange(4.0),
                unit="V",
                rate=1.0,
                label="added",
                quality={"value": np.ones(4, "float32"), "threshold": 0.5},
                source_device=nwbfile.general.devices["probe"],
            )
        )

    edited = edit(pynwb_ecephys, tmp_path / "edited.nwb", change)
    diff = diff_files(pynwb_ecephys, edited)
    assert "/acquisition/extra: group only in the second file" in diff
    assert f"/specifications/{EXTENSION}: group only in the second file" in diff
    assert all(
        line.startswith(
            ("/acquisition/extra:", f"/specifications/{EXTENSION}:", "/@.specloc")
        )
        for line in diff
    ), diff
    with h5py.File(edited, "r") as h5:
        assert version in h5["specifications"][EXTENSION]
    assert read_with_pynwb(edited) is None
    assert set(validate(edited)) <= set(validate(pynwb_ecephys))
    with HDF5IO(edited) as io:
        extra = io.read().acquisition["extra"]
        assert type(extra).__name__ == "TimeSeriesWithExtra" and extra.label == "added"


@pytest.mark.parametrize("touch", ["untouched", "listed", "read"])
def test_untyped_members_of_a_lazy_group_survive_an_edit(tmp_path: Path, touch: str):
    """An untyped group and dataset in /acquisition (kept as stored): a lazy read
    lists them unopened; listing or reading the group moves them to what is kept
    as stored, which an edit leaves in place."""
    source = tmp_path / "untyped.nwb"
    shutil.copyfile(EXAMPLE, source)
    with h5py.File(source, "a") as h5:
        h5["acquisition"].create_group("notes").attrs["who"] = "me"
        h5["acquisition"].create_dataset("raw_values", data=[1, 2, 3])

    def change(io: HDF5IO, nwbfile: Any) -> None:
        if touch == "listed":
            assert sorted(nwbfile.acquisition.children) == ["raw"]
        elif touch == "read":
            assert [m.name for m in nwbfile.acquisition.children.values()] == ["raw"]
        add_series(io, nwbfile)

    edited = edit(source, tmp_path / "edited.nwb", change)
    assert sorted(diff_files(source, edited)) == [
        "/acquisition/added: group only in the second file"
    ]
