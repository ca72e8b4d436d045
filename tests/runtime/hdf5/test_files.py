"""Opening HDF5 sources: open_file, opened, and the files external links share."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import pytest

from nwbgen.errors import NWBGenError, SourceError
from nwbgen.runtime.hdf5 import files
from nwbgen.runtime.hdf5.files import (
    close_external_files,
    open_file,
    open_read_only,
    opened,
)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    path = tmp_path / "stored.h5"
    with h5py.File(path, "w") as h5f:
        h5f.create_group("acquisition").attrs["x"] = 1
    return path


@pytest.fixture
def no_shared_files():
    """Files opened for external links are closed after the test."""
    close_external_files()
    yield
    close_external_files()


# --- open_file -------------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, Path])
def test_open_file_opens_a_path_read_only(stored, as_type):
    h5f = open_file(as_type(stored))
    try:
        assert isinstance(h5f, h5py.File) and h5f.mode == "r"
        assert h5f["acquisition"].attrs["x"] == 1
        assert Path(h5f.filename) == stored
    finally:
        h5f.close()


def test_open_file_of_an_open_file_or_group_is_that_file(h5):
    group = h5.create_group("g")
    for source in (h5, group):
        got = open_file(source)
        assert got.id == h5.id and got.mode == "r+"  # as it is: not reopened


def test_open_file_on_a_missing_path(tmp_path: Path):
    missing = tmp_path / "absent.nwb"
    with pytest.raises(SourceError) as raised:
        open_file(missing)
    assert str(raised.value) == f"{missing}: no such file"
    assert isinstance(raised.value, NWBGenError)


def test_open_file_on_a_directory(tmp_path: Path):
    with pytest.raises(SourceError) as raised:
        open_file(tmp_path)
    assert str(raised.value) == f"{tmp_path}: is a directory, not an HDF5 file"


@pytest.mark.parametrize("content", ["not hdf5\n", ""])
def test_open_file_on_a_file_that_is_not_hdf5(tmp_path: Path, content):
    text = tmp_path / "notes.nwb"
    text.write_text(content)
    with pytest.raises(SourceError) as raised:
        open_file(text)
    message = str(raised.value)
    assert message.startswith(f"{text}: not an HDF5 file (")
    assert "signature" in message  # HDF5's reason, without its error stack
    assert "\n" not in message and "Unable to" not in message
    assert raised.value.__cause__ is None


# --- opened ------------------------------------------------------------------------


def test_opened_closes_what_it_opened(stored):
    with opened(stored) as h5f:
        assert h5f.id.valid and h5f["acquisition"].attrs["x"] == 1
    assert not h5f.id.valid


def test_opened_closes_on_error_too(stored):
    with pytest.raises(RuntimeError, match="boom"):
        with opened(os.fspath(stored)) as h5f:
            raise RuntimeError("boom")
    assert not h5f.id.valid


def test_opened_leaves_an_open_file_open(h5):
    group = h5.create_group("g")
    with opened(h5) as got:
        assert got.id == h5.id
    with opened(group) as got:
        assert got.id == h5.id
    assert h5.id.valid and "g" in h5  # still usable
    h5.create_group("after")


def test_opened_raises_source_errors_before_the_block(tmp_path: Path):
    entered = False
    with pytest.raises(SourceError, match="no such file"):
        with opened(tmp_path / "absent.h5"):
            entered = True
    assert not entered


# --- files shared by external links --------------------------------------------------------


def test_open_read_only_shares_one_file_per_real_path(stored, no_shared_files):
    first = open_read_only(str(stored))
    link = stored.with_name("link.h5")
    link.symlink_to(stored)
    assert open_read_only(str(link)) is first  # one real path, one file
    assert first.mode == "r"
    assert list(files._OPEN_FILES) == [os.path.realpath(stored)]
    first.close()
    again = open_read_only(str(stored))  # closed elsewhere: opened again
    assert again is not first and again.id.valid


def test_close_external_files_closes_every_shared_file(tmp_path, no_shared_files):
    shared = []
    for name in ("a.h5", "b.h5"):
        with h5py.File(tmp_path / name, "w"):
            pass
        shared.append(open_read_only(str(tmp_path / name)))
    shared[0].close()  # one already closed: skipped
    close_external_files()
    assert not any(h5f.id.valid for h5f in shared)
    assert files._OPEN_FILES == {}
    close_external_files()  # nothing left: nothing to do


def test_hdf5_failures_are_told_from_python_errors(tmp_path: Path):
    from h5py import h5o

    from nwbgen.errors import DamagedFileError, LinkCycleError

    path = tmp_path / "broken.h5"
    with h5py.File(path, "w") as h5f:
        h5f["a"] = h5py.SoftLink("/b")
        h5f["b"] = h5py.SoftLink("/a")
        address = h5o.get_info(h5f.create_dataset("x", data=[1, 2]).id).addr
    data = bytearray(path.read_bytes())
    data[address : address + 16] = bytes(16)
    path.write_bytes(data)
    with h5py.File(path, "r") as h5f:
        with pytest.raises(Exception) as raised:
            h5f["a"]
        assert files.is_hdf5_failure(raised.value)  # HDF5's "too many links"
        assert isinstance(files.damaged(str(path), "/a", raised.value), LinkCycleError)
        with pytest.raises(DamagedFileError) as damaged:
            with files.reading(str(path), "/x"):
                h5f["x"]
        assert str(damaged.value).startswith(f"{path}: damaged file: cannot read /x (")
    with pytest.raises(OSError, match="disk full"):  # Python's own: passed on
        with files.reading(str(path), "/x"):
            raise OSError("disk full")
    assert files.READING == []


def test_a_file_cut_short_is_damaged_not_foreign(tmp_path: Path):
    path = tmp_path / "cut.h5"
    with h5py.File(path, "w") as h5f:
        h5f.create_dataset("x", data=list(range(10_000)))
    path.write_bytes(path.read_bytes()[:4096])
    with pytest.raises(SourceError, match=r"cut.h5: damaged file: cannot open it \("):
        files.open_file(path)
