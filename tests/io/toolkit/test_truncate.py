"""truncate_file: hand-built NWB structures, a pynwb-written file, the whole corpus."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from nwbgen.errors import SourceError, TruncateError
from nwbgen.io.hdf5 import truncate_file
from nwbgen.io.toolkit import truncate as truncate_module
from nwbgen.io.toolkit.truncate import plan_truncation
from tests.support.toolkit_oracle import (
    CORPUS,
    corpus_params,
    digest,
    ragged_rows,
    structural_problems,
)

TEXT = h5py.string_dtype()

#: corpus files whose *source* pynwb 4.2.0 cannot read; their truncations need not
KNOWN_UNREADABLE = {
    "with_extension_events_core2.9.0.nwb": (
        "not read by the pynwb that is installed (4.2.0): ndx-events 0.4.0 defines "
        "MeaningsTable, a name hdmf-common took later (data/README.md)"
    ),
}


def _table(group: h5py.Group, rows: int, colnames: list[str]) -> None:
    group.attrs["neurodata_type"] = "DynamicTable"
    group.attrs.create("colnames", np.array(colnames, dtype=object), dtype=TEXT)
    group.create_dataset("id", data=np.arange(rows))


def _column(group, name, data, **kwargs):
    ds = group.create_dataset(name, data=data, **kwargs)
    ds.attrs["neurodata_type"] = "VectorData"
    return ds


def _index(group, name, ends, target):
    ds = group.create_dataset(name, data=np.asarray(ends, dtype="uint64"))
    ds.attrs["neurodata_type"] = "VectorIndex"
    ds.attrs["target"] = target.ref
    return ds


@pytest.fixture
def nwb_like(tmp_path: Path) -> Path:
    """Tables, ragged and double-ragged columns, regions, TimeSeries, links."""
    path = tmp_path / "big.nwb"
    with h5py.File(path, "w") as f:
        specs = f.create_group("specifications/core/1.0")
        specs.create_dataset("namespace", data='{"namespaces": []}', dtype=TEXT)
        f.attrs[".specloc"] = f["specifications"].ref
        f.attrs["neurodata_type"] = "NWBFile"

        electrodes = f.create_group("electrodes")
        _table(electrodes, 8, ["location"])
        _column(
            electrodes,
            "location",
            np.array([f"loc{i}" for i in range(8)], dtype=object),
            dtype=TEXT,
        )

        es = f.create_group("acquisition/es")
        es.attrs["neurodata_type"] = "ElectricalSeries"
        es.create_dataset(
            "data",
            data=np.arange(800, dtype="f4").reshape(100, 8),
            chunks=(10, 8),
            compression="gzip",
        )
        es.create_dataset("timestamps", data=np.arange(100) / 10.0)
        region = es.create_dataset("electrodes", data=[0, 1])
        region.attrs["neurodata_type"] = "DynamicTableRegion"
        region.attrs["table"] = electrodes.ref
        es.create_dataset("channel_conversion", data=np.ones(8))
        linked = f.create_group("acquisition/linked")
        linked["data"] = h5py.SoftLink("/acquisition/es/data")
        linked["timestamps"] = h5py.SoftLink("/acquisition/es/timestamps")
        plain = f.create_group("acquisition/plain")
        plain.create_dataset("data", data=np.arange(50))
        plain.create_dataset("starting_time", data=0.0)

        units = f.create_group("units")
        _table(units, 6, ["spike_times", "waveforms", "electrodes", "quality"])
        spikes = _column(units, "spike_times", np.arange(30) * 0.5)
        _index(units, "spike_times_index", [2, 5, 9, 14, 20, 30], spikes)
        waveforms = _column(units, "waveforms", np.arange(48).reshape(24, 2))
        per_spike = _index(units, "waveforms_index", np.arange(1, 13) * 2, waveforms)
        _index(units, "waveforms_index_index", [2, 4, 6, 8, 10, 12], per_spike)
        unit_electrodes = _column(units, "electrodes", [0, 4, 1, 2, 7, 3])
        unit_electrodes.attrs["neurodata_type"] = "DynamicTableRegion"
        unit_electrodes.attrs["table"] = electrodes.ref
        _index(units, "electrodes_index", [1, 2, 3, 4, 5, 6], unit_electrodes)
        _column(units, "quality", np.array(["good"] * 6, dtype=object), dtype=TEXT)

        trials = f.create_group("intervals/trials")
        _table(trials, 5, ["start_time", "timeseries"])
        _column(trials, "start_time", np.arange(5.0))
        record = np.dtype(
            [("idx_start", "i4"), ("count", "i4"), ("timeseries", h5py.ref_dtype)]
        )
        rows = [
            (0, 5, es.ref),
            (50, 20, es.ref),
            (0, 1, es.ref),
            (0, 1, es.ref),
            (90, 10, es.ref),
        ]
        _column(trials, "timeseries", np.array(rows, dtype=record))

        recordings = f.create_group("icephys/recordings")
        _table(recordings, 6, [])
        recordings.attrs.create(
            "categories", np.array(["stimuli"], dtype=object), dtype=TEXT
        )
        stimuli = recordings.create_group("stimuli")
        _table(stimuli, 6, ["stimulus"])
        _column(stimuli, "stimulus", np.arange(6))
        simultaneous = f.create_group("icephys/simultaneous")
        _table(simultaneous, 3, ["recordings"])
        rec = _column(simultaneous, "recordings", [0, 4, 1, 5])
        rec.attrs["table"] = recordings.ref
        _index(simultaneous, "recordings_index", [2, 3, 4], rec)

        f.create_dataset(
            "regions",
            data=[f["acquisition/es/data"].regionref[60:80, 0:2]],
            dtype=h5py.regionref_dtype,
        )
        f["units_alias"] = units  # a second hard link
    return path


def test_plan(nwb_like):
    with h5py.File(nwb_like, "r") as f:
        keep = plan_truncation(f, 2)
    # rows, not raw data: index rows, and what those rows point at
    assert keep["/units/id"] == 2
    assert keep["/units/spike_times_index"] == 2
    assert keep["/units/spike_times"] == 5
    assert keep["/units/waveforms_index_index"] == 2
    assert keep["/units/waveforms_index"] == 4
    assert keep["/units/waveforms"] == 8
    # units row 1 uses electrode 4: the electrodes table keeps 5 rows
    assert keep["/electrodes/id"] == 5
    assert keep["/electrodes/location"] == 5
    # trials row 1 uses samples 50..69 of es: data and timestamps keep 70
    assert keep["/acquisition/es/data"] == 70
    assert keep["/acquisition/es/timestamps"] == 70
    assert "/acquisition/es/channel_conversion" not in keep  # per channel, kept
    assert "/acquisition/es/electrodes" not in keep  # standalone region, kept
    assert keep["/acquisition/plain/data"] == 2
    # simultaneous row 0 uses recording 4: the aligned table and its category grow
    assert keep["/icephys/recordings/id"] == 5
    assert keep["/icephys/recordings/stimuli/id"] == 5
    assert not any(p.startswith("/specifications") for p in keep)


def test_truncated_file(nwb_like, tmp_path):
    out = truncate_file(nwb_like, tmp_path / "small.nwb", n=2)
    assert out == tmp_path / "small.nwb"
    with h5py.File(nwb_like, "r") as src, h5py.File(out, "r") as dst:
        assert structural_problems(src, dst) == []
        assert ragged_rows(dst, dst["units/waveforms_index_index"]) == [
            [[[0, 1], [2, 3]], [[4, 5], [6, 7]]],
            [[[8, 9], [10, 11]], [[12, 13], [14, 15]]],
        ]
        data = dst["acquisition/es/data"]
        assert data.shape == (70, 8)
        assert data.compression == "gzip" and data.chunks == (10, 8)
        assert (
            dst["acquisition/linked"].get("data", getlink=True).path
            == "/acquisition/es/data"
        )
        assert dst[dst.attrs[".specloc"]].name == "/specifications"
        assert dst["units_alias"] == dst["units"]  # still one object
        # references point at the new objects
        assert (
            dst[dst["units/spike_times_index"].attrs["target"]].name
            == "/units/spike_times"
        )
        assert (
            dst[dst["intervals/trials/timeseries"][1]["timeseries"]].name
            == "/acquisition/es"
        )
        # a region reference keeps the part of its selection that is left
        region = dst["regions"][0]
        assert dst[region].name == "/acquisition/es/data"
        np.testing.assert_array_equal(
            dst["acquisition/es/data"][region], src["acquisition/es/data"][60:70, 0:2]
        )


def test_default_target_and_source_untouched(nwb_like):
    before = digest(nwb_like)
    out = truncate_file(nwb_like)
    assert out == nwb_like.with_name("big_truncated.nwb")
    assert digest(nwb_like) == before
    directory = nwb_like.parent / "into"
    directory.mkdir()
    assert truncate_file(nwb_like, directory, n=3) == directory / "big_truncated.nwb"


def test_failure_leaves_nothing_behind(nwb_like, tmp_path, monkeypatch):
    def boom(self):
        Path(self.tmp).write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(truncate_module._Copier, "run", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        truncate_file(nwb_like, tmp_path / "out.nwb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.nwb"]


def test_bad_arguments(nwb_like, tmp_path):
    with pytest.raises(TruncateError, match="itself"):
        truncate_file(nwb_like, nwb_like)
    with pytest.raises(TruncateError, match="positive"):
        truncate_file(nwb_like, tmp_path / "x.nwb", n=0)
    (tmp_path / "text.nwb").write_text("not hdf5")
    with pytest.raises(SourceError, match="not an HDF5 file"):
        truncate_file(tmp_path / "text.nwb")


def test_what_is_broken_is_copied_as_read_and_said(nwb_like, tmp_path):
    with h5py.File(nwb_like, "a") as f:
        f["units/spike_times_index"][-1] = 40  # 30 spike times
        f["acquisition/es/electrodes"][1] = 9  # 8 electrodes
        gone = f.create_group("gone")
        f["units"].attrs["ghost"] = gone.ref
        del f["gone"]
        f["acquisition/loop_a"] = h5py.SoftLink("/acquisition/loop_b")
        f["acquisition/loop_b"] = h5py.SoftLink("/acquisition/loop_a")
    with pytest.warns(truncate_module.TruncateWarning) as caught:
        out = truncate_file(nwb_like, tmp_path / "out.nwb", n=100)
    problems = caught[0].message.problems
    assert problems[:2] == [
        "/acquisition/es/electrodes: row 9 is out of range of its table "
        "/electrodes (8 rows)",
        "/units/spike_times_index: index value 40 is past the end of its target "
        "/units/spike_times (30 elements)",
    ]
    assert any(p.startswith("/acquisition/loop_a: soft link to") for p in problems)
    assert "/units attribute 'ghost': 1 reference(s) to no object" in " ".join(problems)
    with h5py.File(out, "r") as dst:
        assert dst["units/spike_times_index"][-1] == 40  # as read
        assert not dst["units"].attrs["ghost"]  # a null reference
        assert (
            dst["acquisition"].get("loop_a", getlink=True).path == "/acquisition/loop_b"
        )
    with pytest.raises(TruncateError, match="structural problem.*past the end"):
        truncate_file(nwb_like, tmp_path / "strict.nwb", strict=True)
    assert not (tmp_path / "strict.nwb").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_damaged_source_names_the_path(nwb_like, tmp_path):
    from h5py import h5o

    from nwbgen.errors import DamagedFileError

    with h5py.File(nwb_like, "r") as f:
        address = h5o.get_info(f["units/spike_times"].id).addr
    data = bytearray(nwb_like.read_bytes())
    data[address : address + 16] = bytes(16)
    nwb_like.write_bytes(data)
    with pytest.raises(DamagedFileError, match="cannot read /units/spike_times \\("):
        truncate_file(nwb_like, tmp_path / "out.nwb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.nwb"]


def test_pynwb_file_reads_back_equal(tmp_path):
    """A pynwb-written file with double-ragged units: pynwb reads the first rows back."""
    pynwb = pytest.importorskip("pynwb")
    from datetime import datetime, timezone

    from pynwb.testing.mock.file import mock_NWBFile

    nwbfile = mock_NWBFile(session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    device = nwbfile.create_device("probe")
    group = nwbfile.create_electrode_group("shank", "d", "brain", device)
    for i in range(6):
        nwbfile.add_electrode(group=group, location=f"l{i}")
    for i in range(7):
        spikes = list(np.arange(i + 1) * 0.1 + i)
        waveforms = [np.full((3, 2), 10 * i + j) for j in range(i + 1)]
        nwbfile.add_unit(
            spike_times=spikes, electrodes=[i % 6, (i + 3) % 6], waveforms=waveforms
        )
    source = tmp_path / "units.nwb"
    with pynwb.NWBHDF5IO(str(source), "w") as io:
        io.write(nwbfile)
    out = truncate_file(source, tmp_path / "units_small.nwb", n=3)
    with pynwb.NWBHDF5IO(str(source), "r") as a, pynwb.NWBHDF5IO(str(out), "r") as b:
        full, small = a.read().units, b.read().units
        assert len(small) == 3
        for i in range(3):
            np.testing.assert_array_equal(
                small["spike_times"][i], full["spike_times"][i]
            )
            np.testing.assert_array_equal(small["waveforms"][i], full["waveforms"][i])
            assert list(small["electrodes"][i].index) == list(
                full["electrodes"][i].index
            )
        assert len(b.read().electrodes) == 6  # region values up to 5 keep all rows
    assert pynwb.validate(path=str(out)) == []


# --- the corpus ----------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 10])
@pytest.mark.parametrize("path", corpus_params())
def test_corpus_truncation(path, n, truncation_reports):
    report = truncation_reports[path]
    assert "crash" not in report, report.get("crash")
    assert report["source_unchanged"]
    run = report["runs"][n]
    new_errors = set(run["errors"]) - set(report["source_errors"])
    assert not new_errors, f"pynwb-validate: new errors {sorted(new_errors)}"
    assert run["problems"] == []
    if path.name in KNOWN_UNREADABLE:
        assert (
            run["source_read"] is not None
        ), "the source reads now: drop the exemption"
        pytest.xfail(KNOWN_UNREADABLE[path.name])
    assert run["read"] is None, f"pynwb cannot read the truncated file: {run['read']}"


@pytest.mark.corpus
@pytest.mark.slow
def test_pynwb_validate_cli_agrees(truncation_reports):
    """The real ``pynwb-validate`` on a sample gives what the in-process check gave."""
    sample = [
        p
        for p in CORPUS
        if p.name in {"aibs_dandi000021_truncated.nwb", "icephys_core2.11.0.nwb"}
    ]
    if not sample:
        pytest.skip("sample files absent")
    targets = [truncation_reports[p]["runs"][3]["target"] for p in sample]
    expected = set().union(
        *(truncation_reports[p]["runs"][3]["errors"] for p in sample)
    )
    script = Path(sys.executable).with_name("pynwb-validate")
    script = str(script) if script.exists() else shutil.which("pynwb-validate")
    if script is None:
        pytest.skip("pynwb-validate is not installed")
    result = subprocess.run(
        [script, *targets], check=False, capture_output=True, text=True, timeout=120
    )
    lines = (result.stdout + result.stderr).splitlines()
    found = {line for line in lines if line.startswith("root/") or "): " in line}
    assert found == expected
    assert (result.returncode == 0) == (not expected)
