"""Lazy reads: ``read()`` builds a group's members by type when first asked
for; the tree then equals an eager read's, identity holds, and ``validate()``
reports what an eager read reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from nwbgen import HDF5IO
from nwbgen.errors import ClosedFileError
from nwbgen.runtime.lazy_children import LazyChildren
from nwbgen.runtime.models.tree import format_tree
from tests.support.paths import REPO, SHARED

EXAMPLES = sorted((REPO / "examples").glob("*.nwb"))
CORPUS = sorted((SHARED / "data").rglob("*.nwb")) if SHARED.exists() else []
#: a sample of the corpus: one file per folder, for time
SAMPLE = sorted({p.parent: p for p in CORPUS}.values())
FILES = EXAMPLES + SAMPLE


def ids(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize("path", FILES, ids=ids)
def test_a_lazy_read_gives_the_eager_tree(path: Path):
    with HDF5IO(path, lazy=False) as eager:
        want = format_tree(eager.read())
        want_violations = sorted(map(str, eager.violations))
    with HDF5IO(path) as lazy:
        nwbfile = lazy.read()
        got_violations = sorted(map(str, lazy.validate()))
        assert format_tree(nwbfile) == want
    assert got_violations == want_violations


def test_members_are_read_when_first_asked_for():
    path = REPO / "examples" / "ecephys.nwb"
    with HDF5IO(path) as io:
        nwbfile = io.read()
        children = nwbfile.acquisition.children
        assert isinstance(children, LazyChildren)
        assert list(children) == ["raw"] and children.pending() == ["raw"]
        raw = nwbfile.acquisition["raw"]
        assert children.pending() == []
        assert nwbfile.acquisition["raw"] is raw  # one model per HDF5 object
        assert io.read("/acquisition/raw") is raw
        assert dict(children) == {"raw": raw}


def test_a_member_not_read_before_close_is_a_clear_error():
    path = REPO / "examples" / "ecephys.nwb"
    with HDF5IO(path) as io:
        nwbfile = io.read()
    with pytest.raises(ClosedFileError, match="closed before this member was read"):
        nwbfile.acquisition["raw"]


def test_strict_and_eager_reads_read_everything():
    path = REPO / "examples" / "ecephys.nwb"
    for options in ({"strict": True}, {"lazy": False}):
        with HDF5IO(path, **options) as io:
            children = io.read().acquisition.children
            assert not isinstance(children, LazyChildren)


def _with_untyped_members(tmp_path: Path) -> Path:
    """The example file with an untyped group and dataset in /acquisition (no
    place in the schema: kept as stored)."""
    import shutil

    import h5py

    path = tmp_path / "untyped.nwb"
    shutil.copy(REPO / "examples" / "ecephys.nwb", path)
    with h5py.File(path, "a") as h5:
        notes = h5["acquisition"].create_group("notes")
        notes.attrs["who"] = "me"
        h5["acquisition"].create_dataset("raw_values", data=[1, 2, 3])
    return path


def test_untyped_members_are_opened_only_when_asked_for_and_kept(tmp_path: Path):
    from nwbgen.runtime.source import source_of
    from tests.support.h5diff import diff_files

    path = _with_untyped_members(tmp_path)
    with HDF5IO(path) as io:
        nwbfile = io.read()
        children = nwbfile.acquisition.children
        # listed unopened; each leaves the mapping when read and is kept as stored
        assert sorted(children.pending()) == ["notes", "raw", "raw_values"]
        assert sorted(children) == ["raw"]  # iteration reads: untyped ones left
        unknown = source_of(nwbfile.acquisition).unknown
        assert sorted(unknown.groups) == ["notes"]
        assert sorted(unknown.datasets) == ["raw_values"]
        copy = tmp_path / "copy.nwb"
        with HDF5IO(copy, mode="w") as out:
            out.write(nwbfile)
    assert diff_files(path, copy) == []


def test_a_reference_into_an_unopened_group_needs_no_search():
    # a reference's target among a group's members listed unopened (the
    # TimeSeries of /acquisition) is found by address, not by a search
    path = REPO / "examples" / "ecephys.nwb"
    with HDF5IO(path) as io:
        nwbfile = io.read()
        ctx = io._context()  # noqa: SLF001 - the lookup under test
        assert nwbfile.acquisition.children.pending() == ["raw"]
        target = io.file["acquisition"]["raw"]
        assert ctx.path_of(target) == "/acquisition/raw"
        assert ctx._searches == 0  # noqa: SLF001


def _with_many_series(tmp_path: Path, count: int = 40) -> Path:
    """The example file with ``count`` copies of its series in /acquisition, a
    soft link to one of them and an untyped group beside them."""
    import shutil

    import h5py

    path = tmp_path / "many.nwb"
    shutil.copy(REPO / "examples" / "ecephys.nwb", path)
    with h5py.File(path, "a") as h5:
        acquisition = h5["acquisition"]
        table = acquisition["raw/electrodes"].attrs["table"]
        for i in range(count):
            acquisition.copy("raw", f"s_{i:04d}")
            # H5Ocopy does not carry the reference to the electrodes table over
            acquisition[f"s_{i:04d}/electrodes"].attrs["table"] = table
        acquisition["alias"] = h5py.SoftLink("/acquisition/s_0003")
        acquisition.create_group("notes").attrs["who"] = "me"
    return path


def test_one_member_of_a_big_group_is_read_without_listing_the_others(
    tmp_path: Path,
):
    import h5py

    from nwbgen.runtime.source import source_of

    path = _with_many_series(tmp_path)
    with h5py.File(path, "r") as h5:
        stored = list(h5["acquisition"])  # HDF5's order
    with HDF5IO(path, lazy=False) as eager:
        want = format_tree(eager.read())
    with HDF5IO(path) as io:
        nwbfile = io.read()
        children = nwbfile.acquisition.children
        one = children["s_0007"]
        assert "s_0008" in children and "nope" not in children
        assert "notes" not in children  # untyped: opened, kept as stored
        with pytest.raises(KeyError):
            children["nope"]
        assert children.get("nope") is None
        # only the names asked for are known yet
        assert sorted(dict.keys(children)) == ["s_0007", "s_0008"]
        # listing keeps HDF5's order, the member read, and leaves out the untyped
        assert list(children) == [n for n in stored if n != "notes"]
        assert children["s_0007"] is one
        assert children["alias"] is children["s_0003"]  # a soft link: its target
        assert format_tree(nwbfile) == want
        assert sorted(source_of(nwbfile.acquisition).unknown.groups) == ["notes"]


def test_a_change_before_the_listing_is_not_undone_by_it(tmp_path: Path):
    path = _with_many_series(tmp_path, count=5)
    with HDF5IO(path) as io:
        children = io.read().acquisition.children
        del children["s_0001"]
        assert "s_0001" not in children
        assert len(children) == 6  # raw, 4 copies left, alias
        removed = children.pop("s_0002")
        assert removed.name == "s_0002" and "s_0002" not in list(children)
    with HDF5IO(path) as io:
        children = io.read().acquisition.children
        children.clear()
        assert dict(children) == {}


def test_a_big_group_listed_after_close_is_a_clear_error(tmp_path: Path):
    path = _with_many_series(tmp_path, count=5)
    with HDF5IO(path) as io:
        children = io.read().acquisition.children
    with pytest.raises(ClosedFileError, match="closed before this member was read"):
        list(children)
    with pytest.raises(ClosedFileError, match="closed before this member was read"):
        children["s_0001"]


def test_model_dump_reads_the_members_left_for_later():
    from pydantic_core import PydanticSerializationError

    path = REPO / "examples" / "ecephys.nwb"
    with HDF5IO(path, lazy=False) as eager:
        want = eager.read().acquisition.model_dump()
    with HDF5IO(path) as io:
        acquisition = io.read().acquisition
        dumped = acquisition.model_dump()
        assert list(dumped["children"]) == ["raw"]
        assert dumped["children"]["raw"]["name"] == "raw"
        assert dumped.keys() == want.keys()
        assert dumped["children"].keys() == want["children"].keys()
    with HDF5IO(path) as io:
        acquisition = io.read().acquisition
    # pydantic wraps what a serializer raises; the reason and the file stay
    with pytest.raises(PydanticSerializationError, match="ClosedFileError: .*ecephys"):
        acquisition.model_dump()
