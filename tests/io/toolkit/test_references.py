"""get_references, find_references, ReferenceIndex, resolve_hardlink."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from nwbgen.errors import DanglingReferenceError, HDF5PathError, SourceError
from nwbgen.io.hdf5 import (
    ReferenceIndex,
    find_references,
    get_references,
    resolve_hardlink,
)
from nwbgen.io.toolkit import references
from nwbgen.runtime.hdf5 import references as primitives
from tests.support.toolkit_oracle import BruteFile, corpus_params


def test_get_references_of_every_kind(ref_file):
    with h5py.File(ref_file, "r") as f:
        assert get_references(f["b"]) == ["/a", "/a/data"]  # scalar, array, region
        assert get_references(f["col"]) == ["/a", "/b"]
        assert sorted(get_references(f["grid"])) == ["/a", "/a/data", "/b"]
        assert get_references(f["scalar"]) == ["/a/data"]
        assert get_references(f["compound"]) == ["/a", "/b"]
        assert get_references(f["regions"]) == ["/a/data"]
        assert get_references(f["plain"]) == []
        assert get_references(f["nulls"]) == []
        assert get_references(f["empty_refs"]) == []


def test_references_resolve_to_the_original_of_a_hard_link(tmp_path):
    with h5py.File(tmp_path / "alias.h5", "w") as f:
        a = f.create_group("z_original")
        f["a_alias"] = a  # sorts first: it is the original in name order
        f.attrs["r"] = a.ref
    with h5py.File(tmp_path / "alias.h5", "r") as f:
        assert get_references(f["/"]) == ["/a_alias"]
        assert resolve_hardlink(f["z_original"]) == "/a_alias"
        assert resolve_hardlink(f["a_alias"]) == "/a_alias"


def test_resolve_hardlink(ref_file):
    with h5py.File(ref_file, "r") as f:
        assert resolve_hardlink(f["alias"]) == "/a"
        assert resolve_hardlink(f["alias/data"]) == "/a/data"
        assert resolve_hardlink(f["a"]) == "/a"
        assert resolve_hardlink(f["b/soft"]) == "/a/data"  # through a soft link
        assert resolve_hardlink(f["plain"]) == "/plain"
        assert resolve_hardlink(f["/"]) == "/"


def test_find_references(ref_file):
    with h5py.File(ref_file, "r") as f:
        assert find_references(f, "/a") == ["/b", "/col", "/compound", "/grid"]
        assert find_references(f, "/a/data") == ["/b", "/grid", "/regions", "/scalar"]
        assert find_references(f, "/b") == ["/col", "/compound", "/grid"]
        assert find_references(f, "/plain") == []
        # any path to the object: hard-link alias, soft link
        assert find_references(f, "/alias") == find_references(f, "/a")
        assert find_references(f, "/b/soft") == find_references(f, "/a/data")
        assert find_references(f, "/a", first=True) == ["/b"]
    assert find_references(str(ref_file), "/b") == ["/col", "/compound", "/grid"]


def test_find_first_stops_the_pass(ref_file, monkeypatch):
    """``first`` ends the walk at the first referrer: later objects are not read."""
    seen: list = []
    real = references.reference_sites

    def counting(obj_id):
        seen.append(obj_id)
        return real(obj_id)

    monkeypatch.setattr(references, "reference_sites", counting)
    with h5py.File(ref_file, "r") as f:
        find_references(f, "/a")
        every = len(seen)
        seen.clear()
        assert find_references(f, "/a", first=True) == ["/b"]
        assert 0 < len(seen) < every


def test_large_reference_datasets_are_read_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(primitives, "_BLOCK_ITEMS", 7)
    with h5py.File(tmp_path / "big.h5", "w") as f:
        targets = [f.create_group(f"g{i}") for i in range(5)]
        refs = np.array([targets[i % 5].ref for i in range(103)], dtype=h5py.ref_dtype)
        f.create_dataset("many", data=refs.reshape(103, 1), chunks=(10, 1))
        f.create_dataset(
            "few", data=np.array([targets[0].ref] * 3), dtype=h5py.ref_dtype
        )
    with h5py.File(tmp_path / "big.h5", "r") as f:
        assert sorted(get_references(f["many"])) == [f"/g{i}" for i in range(5)]
        assert find_references(f, "/g3") == ["/many"]
        assert find_references(f, "/g0") == ["/few", "/many"]


def test_reference_index(ref_file):
    with h5py.File(ref_file, "r") as f:
        index = ReferenceIndex(f)
        for path in ("/a", "/a/data", "/b", "/plain", "/alias", "/b/soft", "/col"):
            assert index.referrers(path) == find_references(f, path)
        assert index.references("/b") == ["/a", "/a/data"]
        assert index.references("/grid") == ["/a", "/a/data", "/b"]
        with pytest.raises(HDF5PathError, match="no object at /b/ext"):
            index.references("/b/ext")  # an external link to a missing file
        assert ("/col", "/b", "data") in set(index.edges())


def test_dangling_reference_is_one_clear_error(dangling_file):
    with h5py.File(dangling_file, "r") as f:
        with pytest.raises(
            DanglingReferenceError, match=r"/holder: attribute 'target'"
        ):
            get_references(f["holder"])
        with pytest.raises(DanglingReferenceError, match="dangling reference"):
            ReferenceIndex(f)


def test_bad_input(ref_file, tmp_path):
    with h5py.File(ref_file, "r") as f, pytest.raises(HDF5PathError, match="/nope"):
        find_references(f, "/nope")
    not_hdf5 = tmp_path / "x.nwb"
    not_hdf5.write_text("hello")
    with pytest.raises(SourceError, match="not an HDF5 file"):
        find_references(not_hdf5, "/")
    with pytest.raises(SourceError, match="no such file"):
        find_references(tmp_path / "missing.nwb", "/")


def _spread(items: list, k: int) -> list:
    """Up to ``k`` items evenly spread over a sorted list (deterministic)."""
    items = sorted(items)
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)]


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params())
def test_corpus_references_equal_brute_force(path):
    """The index answers for every object; ``find_references`` (a full pass per
    call) for a spread of referenced and unreferenced objects of every file."""
    with h5py.File(path, "r") as f:
        brute_file = BruteFile(f)
        brute = brute_file.references()
        referrers: dict[str, set[str]] = {}
        for holder, targets in brute.items():
            for target in targets:
                referrers.setdefault(target, set()).add(holder)
        index = ReferenceIndex(f)
        for holder, obj in brute_file.objects.items():
            assert sorted(get_references(obj)) == sorted(brute.get(holder, ())), holder
            assert index.references(holder) == sorted(brute.get(holder, ()))
            assert index.referrers(holder) == sorted(referrers.get(holder, ()))
        for target in _spread(list(referrers), 8):
            assert find_references(f, target) == sorted(referrers[target]), target
            assert find_references(f, target, first=True)[0] in referrers[target]
        unreferenced = [p for p in brute_file.objects if p not in referrers]
        for target in _spread(unreferenced, 3):
            assert find_references(f, target) == []
            assert find_references(f, target, first=True) == []
