"""``HDF5IO(path, "w").write``: it refuses to replace a file unless asked, and a
write that fails leaves neither a temporary file nor a changed target."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from nwbgen import HDF5IO
from nwbgen.errors import HDF5WriteError
from nwbgen.generated.core.v2_11_0 import NWBFileGeneralDevices
from tests.support.examples import example

#: bytes that are not an HDF5 file: any change to them shows
PRECIOUS = b"a file that must survive\n"


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def identifier(path: Path) -> str:
    with h5py.File(path, "r") as h5:
        return h5["identifier"][()].decode()


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "session.nwb"
    path.write_bytes(PRECIOUS)
    return path


def without_device(nwbfile):
    """The ecephys file with its probe left out of /general/devices, while the
    ElectrodeGroup still links to it."""
    nwbfile.general.devices = NWBFileGeneralDevices()
    return nwbfile


# -- refusing and replacing ------------------------------------------------------


@pytest.mark.parametrize("mode", ["w", "w-", "x"])
def test_refuses_to_overwrite(target: Path, mode: str) -> None:
    with pytest.raises(FileExistsError, match="overwrite=True"):
        with HDF5IO(target, mode=mode) as io:
            io.write(example.build_ecephys())
    assert target.read_bytes() == PRECIOUS
    assert listing(target.parent) == [target.name]


def test_refuses_a_file_that_appears_while_writing(tmp_path: Path) -> None:
    """The target is created by someone else after the write began (here while
    the series' data is being written): the finished file is not renamed onto it."""
    target = tmp_path / "session.nwb"
    nwbfile = example.build_ecephys()
    data = nwbfile.acquisition["ElectricalSeries"].data
    values = data.value

    def meanwhile():
        target.write_bytes(PRECIOUS)  # another process got there first
        yield values

    data.value = meanwhile()  # the models take arrays; set after validation
    with HDF5IO(target, mode="w") as io:
        with pytest.raises(FileExistsError):
            io.write(nwbfile)
    assert target.read_bytes() == PRECIOUS
    assert listing(tmp_path) == [target.name]


def test_overwrite_replaces(target: Path) -> None:
    with HDF5IO(target, mode="w", overwrite=True) as io:
        io.write(example.build_ecephys())
    assert identifier(target) == "nwbgen-example-ecephys-from-scratch"
    # and once more, over an NWB file this time
    example.write(example.build_ophys(), target, overwrite=True)
    assert identifier(target) == "nwbgen-example-ophys-from-scratch"
    assert listing(target.parent) == [target.name]
    with HDF5IO(target, strict=True) as io:
        assert io.read().identifier == "nwbgen-example-ophys-from-scratch"


def test_a_new_file_needs_no_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "new.nwb"
    example.write(example.build_ophys(), target)
    assert listing(tmp_path) == ["new.nwb"]


# -- errors while writing --------------------------------------------------------


def test_a_link_to_a_model_not_in_the_file_names_the_link(tmp_path: Path) -> None:
    target = tmp_path / "session.nwb"
    with pytest.raises(HDF5WriteError) as raised:
        example.write(without_device(example.build_ecephys()), target)
    message = str(raised.value)
    assert "/general/extracellular_ephys/shank0/device" in message
    assert "'probe'" in message and "not in the file" in message
    assert listing(tmp_path) == []  # no temporary file, no target


def test_a_failed_write_leaves_the_existing_file_untouched(target: Path) -> None:
    with pytest.raises(HDF5WriteError):
        example.write(without_device(example.build_ecephys()), target, overwrite=True)
    assert target.read_bytes() == PRECIOUS
    assert listing(target.parent) == [target.name]


def test_a_failed_write_leaves_an_existing_nwb_file_readable(tmp_path: Path) -> None:
    target = example.write(example.build_ophys(), tmp_path / "session.nwb")
    before = target.read_bytes()
    with pytest.raises(HDF5WriteError):
        example.write(without_device(example.build_ecephys()), target, overwrite=True)
    assert target.read_bytes() == before
    assert listing(tmp_path) == [target.name]


def test_a_reference_to_a_table_not_in_the_file_fails_cleanly(tmp_path: Path) -> None:
    nwbfile = example.build_ecephys()
    # the ElectricalSeries's region still refers to the electrodes table
    nwbfile.general.extracellular_ephys.electrodes = None
    with pytest.raises(HDF5WriteError) as raised:
        example.write(nwbfile, tmp_path / "session.nwb")
    message = str(raised.value)
    assert "/acquisition/ElectricalSeries/electrodes" in message
    assert "ElectrodesTable 'electrodes'" in message
    assert listing(tmp_path) == []


def test_an_error_from_the_data_fails_cleanly(target: Path) -> None:
    """An exception raised while data is being written (here an iterator that
    breaks half-way, as a failing acquisition stream would) propagates as is."""

    def broken_stream():
        yield example.build_ecephys().acquisition["ElectricalSeries"].data.value[:10]
        raise RuntimeError("the stream broke")

    nwbfile = example.build_ecephys()
    # the models take arrays; an iterator is set after validation
    nwbfile.acquisition["ElectricalSeries"].data.value = broken_stream()
    with pytest.raises(RuntimeError, match="the stream broke"):
        example.write(nwbfile, target, overwrite=True)
    assert target.read_bytes() == PRECIOUS
    assert listing(target.parent) == [target.name]


def test_a_write_error_names_the_target_file(tmp_path: Path) -> None:
    target = tmp_path / "session.nwb"
    with pytest.raises(HDF5WriteError) as raised:
        example.write(without_device(example.build_ecephys()), target)
    assert f"{target}:/general/extracellular_ephys/shank0/device" in str(raised.value)
    assert ".tmp" not in str(raised.value)
