"""SmallFirstSearch: the path of an object reached by reference, found among
small groups first, by address, within a budget."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

from nwbgen.runtime.hdf5 import search as search_module
from nwbgen.runtime.hdf5.objects import object_key
from nwbgen.runtime.hdf5.search import SmallFirstSearch


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    path = tmp_path / "layout.h5"
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5.create_group("far/away")
    with h5py.File(path, "w") as h5:
        big = h5.create_group("acquisition")
        for i in range(400):
            big.create_group(f"ts_{i:03d}").create_dataset("data", data=[i])
        h5.create_group("general/extracellular_ephys/electrodes").create_dataset(
            "id", data=[0, 1]
        )
        h5["general/dangling"] = h5py.SoftLink("/nowhere")
        h5["general/outside"] = h5py.ExternalLink(other.name, "/far")
        h5["general/alias"] = h5py.SoftLink("/acquisition")  # a cycle of names
    return path


def test_a_target_in_a_small_group_is_found_before_the_big_one(layout: Path):
    with h5py.File(layout, "r") as h5:
        paths: dict = {}
        search = SmallFirstSearch(h5, paths)
        target = h5["general/extracellular_ephys/electrodes"]
        assert (
            search.find(object_key(target)) == "/general/extracellular_ephys/electrodes"
        )
        assert search.spent < 20  # the 400 members of /acquisition not looked at
        assert paths[object_key(target)] == "/general/extracellular_ephys/electrodes"


def test_a_target_in_the_big_group_is_found_and_the_search_goes_on(layout: Path):
    with h5py.File(layout, "r") as h5:
        search = SmallFirstSearch(h5, {})
        first = h5["general/extracellular_ephys/electrodes/id"]
        assert (
            search.find(object_key(first))
            == "/general/extracellular_ephys/electrodes/id"
        )
        spent = search.spent
        target = h5["acquisition/ts_399/data"]
        assert search.find(object_key(target)) == "/acquisition/ts_399/data"
        assert search.spent > spent
        again = search.spent
        assert (
            search.find(object_key(first))
            == "/general/extracellular_ephys/electrodes/id"
        )
        assert search.spent == again  # known: no more looking


def test_past_the_budget_the_search_gives_up(layout: Path, monkeypatch):
    monkeypatch.setattr(search_module, "BUDGET", 10)
    with h5py.File(layout, "r") as h5:
        search = SmallFirstSearch(h5, {})
        assert search.find(object_key(h5["acquisition/ts_399/data"])) is None
        assert search.spent <= 10 + 400  # stops after the group it was in


def test_an_object_no_link_reaches_is_not_found(layout: Path):
    with h5py.File(layout, "a") as h5:
        orphan = h5.create_group("orphan")
        key = object_key(orphan)
        del h5["orphan"]
        assert SmallFirstSearch(h5, {}).find(key) is None


def test_a_soft_link_is_an_alias_not_a_home(layout: Path):
    with h5py.File(layout, "a") as h5:
        # in the root, looked at first: a path to the table, but not its own
        h5["shortcut"] = h5py.SoftLink("/general/extracellular_ephys/electrodes")
        target = h5["general/extracellular_ephys/electrodes"]
        found = SmallFirstSearch(h5, {}).find(object_key(target))
        assert found == "/general/extracellular_ephys/electrodes"
