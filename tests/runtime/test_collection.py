"""The collector during a read: paused, the read's objects moved to the oldest
generation, and the program's own settings kept."""

from __future__ import annotations

import gc

import pytest

from nwbgen import HDF5IO
from nwbgen.runtime import collection
from tests.support.paths import REPO

EXAMPLE = REPO / "examples" / "ecephys.nwb"


@pytest.fixture
def collections(monkeypatch):
    """The collections run while the test runs (their generations)."""
    monkeypatch.setattr(collection, "PROMOTE_AFTER", 200)  # the example is small
    runs: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(info["generation"])

    gc.collect()
    gc.callbacks.append(seen)
    yield runs
    gc.callbacks.remove(seen)


def test_a_read_runs_no_collection_and_leaves_its_objects_old(collections):
    with HDF5IO(EXAMPLE, lazy=False) as io:  # the models' first use: imports
        io.read()
    collections.clear()
    with HDF5IO(EXAMPLE, lazy=False) as io:
        made_before = gc.get_count()[0]
        nwbfile = io.read()
        assert collections == []  # hundreds of objects made, none collected
        assert gc.isenabled()
        # the young generation is empty again: what the read made is old
        assert gc.get_count()[0] < made_before + collection.PROMOTE_AFTER
        assert gc.get_count()[0] < collection.PROMOTE_AFTER
        assert nwbfile.acquisition["raw"].data.shape == (100, 4)


def test_a_collector_turned_off_stays_off_and_frozen_objects_stay_frozen(
    collections,
):
    gc.disable()
    try:
        with HDF5IO(EXAMPLE, lazy=False) as io:
            io.read()
        assert not gc.isenabled()
    finally:
        gc.enable()
    gc.freeze()  # a program about to fork keeps its objects out of collections
    try:
        frozen = gc.get_freeze_count()
        with HDF5IO(EXAMPLE, lazy=False) as io:
            io.read()
        # still frozen (less what the read let go of): not given back
        assert gc.get_freeze_count() > frozen // 2 and gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_failing_read_turns_the_collector_back_on(monkeypatch):
    from nwbgen.runtime.read import ReadContext

    def fail(*_args, **_kwargs):
        assert not gc.isenabled()  # paused while the read runs
        raise RuntimeError("a reader failed")

    monkeypatch.setattr(ReadContext, "_build", fail)
    io = HDF5IO(EXAMPLE, lazy=False)
    try:
        with pytest.raises(RuntimeError, match="a reader failed"):
            io.read()
    finally:
        io.close()
    assert gc.isenabled()
