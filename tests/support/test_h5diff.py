"""The structural HDF5 diff used by round-trip tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.support.h5diff import diff_files, dtype_label

Change = Callable[[h5py.File], None]


def build(path: Path, change: Change | None = None, *, before: Change | None = None):
    """A small file with one of everything; ``change`` edits it afterwards and
    ``before`` adds objects first (moving every address in the file)."""
    with h5py.File(path, "w") as h5f:
        if before is not None:
            before(h5f)
        h5f.attrs["nwb_version"] = "2.7.0"
        h5f.attrs["object_id"] = path.name
        ts = h5f.create_group("acquisition/ts")
        ts.attrs["unit"] = "m"
        ts.attrs["conversion"] = np.float32(0.5)
        ts.attrs["colnames"] = np.array(["a", "b"], dtype=h5py.string_dtype())
        data = ts.create_dataset("data", data=np.array([1.0, np.nan, 3.0], "f4"))
        ts.create_dataset("identifier", data="séance", dtype=h5py.string_dtype())
        ts.create_dataset("empty", data=h5py.Empty("f8"))
        device = h5f.create_group("general/devices/dev")
        ts["device"] = h5py.SoftLink("/general/devices/dev")
        ts["remote"] = h5py.ExternalLink("other.nwb", "/acquisition/x")
        h5f["general/alias"] = device  # a second hard link
        table = h5f.create_group("general/electrodes")
        table.attrs["target"] = ts.ref
        refs = np.array([ts.ref, device.ref, h5py.Reference()], dtype=h5py.ref_dtype)
        table.create_dataset("group", data=refs)
        table.create_dataset(
            "region", data=[data.regionref[0:2]], dtype=h5py.regionref_dtype
        )
        rows = np.array(
            [(0, 2, ts.ref), (2, 1, device.ref)],
            dtype=[
                ("idx_start", "i4"),
                ("count", "i4"),
                ("timeseries", h5py.ref_dtype),
            ],
        )
        table.create_dataset("timeseries", data=rows)
        h5f.create_dataset("specifications/core/2.7.0/namespace", data="{}")
        if change is not None:
            change(h5f)
    return path


@pytest.fixture
def pair(tmp_path: Path):
    def make(change: Change | None = None, **kwargs) -> tuple[Path, Path]:
        return build(tmp_path / "a.h5"), build(tmp_path / "b.h5", change, **kwargs)

    return make


def diff(a: Path, b: Path, **options) -> list[str]:
    return diff_files(a, b, ignore_attrs={"object_id"}, **options)


def test_identical_files_have_no_difference(pair):
    a, b = pair()
    assert diff(a, b) == []
    assert diff(a, a) == []
    with h5py.File(a, "r") as first, h5py.File(b, "r") as second:
        assert diff_files(first, second, ignore_attrs={"object_id"}) == []
        assert diff_files(first["acquisition"], second["acquisition"]) == []


def test_object_ids_differ_unless_ignored(pair):
    a, b = pair()
    assert diff_files(a, b) == ["/@object_id: value differs: 'a.h5' vs 'b.h5'"]


def test_references_compare_by_target_path_not_address(pair):
    a, b = pair(before=lambda h5f: h5f.create_group("zzz_first"))
    assert diff(a, b) == ["/zzz_first: group only in the second file"]


def test_missing_and_extra_members(pair):
    def change(h5f: h5py.File) -> None:
        del h5f["acquisition/ts/identifier"]
        del h5f["acquisition/ts"].attrs["unit"]
        h5f.create_group("extra")
        h5f["acquisition/ts"].attrs["new"] = 1
        h5f["acquisition/ts/extra_link"] = h5py.SoftLink("/nowhere")

    assert diff(*pair(change)) == [
        "/acquisition/ts@new: attribute only in the second file",
        "/acquisition/ts@unit: attribute only in the first file",
        "/acquisition/ts/extra_link: soft link to /nowhere only in the second file",
        "/acquisition/ts/identifier: dataset only in the first file",
        "/extra: group only in the second file",
    ]


def test_links(pair):
    def change(h5f: h5py.File) -> None:
        ts = h5f["acquisition/ts"]
        del ts["device"], ts["remote"], h5f["general/alias"]
        ts["device"] = h5py.SoftLink("/general/devices")
        ts["remote"] = h5py.ExternalLink("other.nwb", "/acquisition/y")
        h5f["general/alias"] = h5py.SoftLink("/general/devices/dev")

    assert diff(*pair(change)) == [
        "/acquisition/ts/device: soft link to /general/devices/dev vs to /general/devices",
        "/acquisition/ts/remote: external link to other.nwb:/acquisition/x "
        "vs to other.nwb:/acquisition/y",
        "/general/alias: group vs soft link to /general/devices/dev",
    ]


def test_hard_link_aliases(pair):
    """Two hard links to one object are not two equal objects."""

    def change(h5f: h5py.File) -> None:
        del h5f["general/alias"]
        h5f.create_group("general/alias")

    alias = "/general/devices/dev: the same object as /general/alias"
    a, b = pair(change)
    assert diff(a, b) == [f"{alias} in the first file only"]
    assert diff(b, a) == [f"{alias} in the second file only"]
    with h5py.File(b, "r+") as h5f:
        h5f["general/alias"].attrs["x"] = 1
    assert diff(a, b) == [
        "/general/alias@x: attribute only in the second file",
        f"{alias} in the first file only",
    ]


def test_references_to_an_object_with_several_paths(pair):
    def change(h5f: h5py.File) -> None:
        del h5f["general/alias"]  # the device keeps one of its two paths

    assert diff(*pair(change)) == ["/general/alias: group only in the first file"]


def test_dtypes_are_compared_strictly(pair):
    def change(h5f: h5py.File) -> None:
        ts = h5f["acquisition/ts"]
        ts.attrs["conversion"] = 0.5  # float64
        del ts["data"], ts["identifier"]
        ts.create_dataset("data", data=np.array([1.0, np.nan, 3.0]))
        ts.create_dataset("identifier", data=np.bytes_("séance".encode()))

    dangling = (  # the region pointed into the dataset deleted
        "/general/electrodes/region: value differs: at [0]: "
        "/acquisition/ts/data selecting [[[0], [1]]] vs '<dangling reference>'"
    )
    assert diff(*pair(change)) == [
        "/acquisition/ts@conversion: dtype float32 vs float64",
        "/acquisition/ts/data: dtype float32 vs float64",
        "/acquisition/ts/identifier: dtype text(utf-8, vlen) vs text(ascii, length 7)",
        dangling,
    ]
    assert diff(*pair(change), strict_strings=False) == [
        "/acquisition/ts@conversion: dtype float32 vs float64",
        "/acquisition/ts/data: dtype float32 vs float64",
        dangling,
    ]


def test_shapes_and_values(pair):
    def change(h5f: h5py.File) -> None:
        ts = h5f["acquisition/ts"]
        ts["data"][2] = 4.0  # the NaN in [1] stays equal
        ts.attrs["unit"] = "cm"
        ts.attrs["colnames"] = np.array(["a", "b", "c"], dtype=h5py.string_dtype())
        del ts["identifier"]
        ts.create_dataset("identifier", data="other", dtype=h5py.string_dtype())

    assert diff(*pair(change)) == [
        "/acquisition/ts@colnames: shape (2,) vs (3,)",
        "/acquisition/ts@unit: value differs: 'm' vs 'cm'",
        "/acquisition/ts/data: 1 differences in 3 elements, first at [2]: 3.0 vs 4.0",
        "/acquisition/ts/identifier: value differs: 'séance' vs 'other'",
    ]


def test_reference_targets(pair):
    def change(h5f: h5py.File) -> None:
        table = h5f["general/electrodes"]
        table.attrs["target"] = h5f["general/devices/dev"].ref
        table["group"][2] = table.ref
        data = h5f["acquisition/ts/data"]
        table["region"][0] = data.regionref[1:3]
        rows = table["timeseries"][()]
        rows["timeseries"][1] = h5f["acquisition/ts"].ref
        rows["count"][0] = 5
        table["timeseries"][...] = rows

    assert diff(*pair(change)) == [
        "/general/electrodes@target: value differs: "
        "/acquisition/ts vs /general/alias = /general/devices/dev",
        "/general/electrodes/group: 1 differences in 3 elements, "
        "first at [2]: None vs /general/electrodes",
        "/general/electrodes/region: value differs: at [0]: "
        "/acquisition/ts/data selecting [[[0], [1]]] vs "
        "/acquisition/ts/data selecting [[[1], [2]]]",
        "/general/electrodes/timeseries: 2 differences in 2 elements, "
        "first field 'count' at [0]: 2 vs 5",
    ]


def test_ignored_paths_and_attributes(pair):
    def change(h5f: h5py.File) -> None:
        del h5f["specifications"]
        h5f.attrs["nwb_version"] = "2.8.0"
        h5f["acquisition/ts"].attrs["unit"] = "cm"

    a, b = pair(change)
    assert diff(a, b, ignore_paths=["^/specifications", "^/@nwb_version$"]) == [
        "/acquisition/ts@unit: value differs: 'm' vs 'cm'"
    ]
    assert diff_files(a, b, ignore_attrs={"object_id", "unit", "nwb_version"}) == [
        "/specifications: group only in the first file"
    ]


def test_large_datasets_are_compared_in_blocks(tmp_path: Path, monkeypatch):
    values = np.arange(100_000, dtype=np.float64).reshape(-1, 4)
    changed = values.copy()
    changed[-1, 3] = -1.0
    for name, data in [("a.h5", values), ("b.h5", changed)]:
        with h5py.File(tmp_path / name, "w") as h5f:
            h5f.create_dataset("big", data=data, chunks=(1000, 4))
    reads: list[int] = []
    original = h5py.Dataset.__getitem__

    def counting(self, key, *args):
        out = original(self, key, *args)
        reads.append(np.size(out))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    got = diff_files(tmp_path / "a.h5", tmp_path / "b.h5", block_bytes=64 << 10)
    assert got == [
        "/big: 1 differences in 100000 elements, first at [24999, 3]: 99999.0 vs -1.0"
    ]
    assert len(reads) > 2 and max(reads) <= (64 << 10) // 8
    reads.clear()
    whole = diff_files(tmp_path / "a.h5", tmp_path / "b.h5", chunked=False)
    assert whole == got and max(reads) == values.size


def test_layout_only_when_asked(tmp_path: Path):
    for name, options in [
        ("a.h5", {}),
        ("b.h5", {"chunks": (2,), "maxshape": (None,)}),
    ]:
        with h5py.File(tmp_path / name, "w") as h5f:
            h5f.create_dataset("x", data=np.arange(4), **options)
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert diff_files(a, b) == []
    assert diff_files(a, b, compare_layout=True) == [
        "/x: chunks None vs (2,)",
        "/x: maxshape (4,) vs (None,)",
    ]


def test_dtype_labels():
    assert dtype_label(np.dtype(">f4")) == "float32"
    assert dtype_label(h5py.string_dtype()) == "text(utf-8, vlen)"
    assert dtype_label(h5py.string_dtype("ascii", 5), strict_strings=False) == "text"
    assert dtype_label(h5py.regionref_dtype) == "region reference"
    assert dtype_label(h5py.vlen_dtype("i4")) == "vlen(int32)"
    assert dtype_label(np.dtype(("f8", (3,)))) == "float64[3]"
    assert dtype_label(np.dtype([("x", "u4"), ("r", h5py.ref_dtype)])) == (
        "compound(x: uint32, r: reference)"
    )
