"""Write primitives: dtypes, text, dates, references, compounds, copies, files."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import h5py
import numpy as np
import pytest

from nwbgen.errors import HDF5WriteError
from nwbgen.runtime.hdf5 import encode
from nwbgen.runtime.hdf5 import write as h5write
from nwbgen.runtime.hdf5.attributes import read_attribute
from nwbgen.runtime.hdf5.lazy import LazyArray, read_dataset
from nwbgen.runtime.hdf5.links import ExternalLinkInfo, SoftLinkInfo, member_link
from nwbgen.runtime.hdf5.values import parse_isodatetime
from nwbgen.runtime.hdf5.write import (
    DataIO,
    StorageOptions,
    atomic_h5_file,
    blocks,
    external_link,
    new_object_id,
    smallest_uint,
    soft_link,
    write_attribute,
    write_dataset,
)
from tests.support.killed import killed_write
from tests.support.paths import shared_file

PST = timezone(timedelta(hours=-8))


def string_info(obj) -> tuple[str, int | None] | None:
    """(encoding, length) of a string dtype or of what has one; None if not text."""
    info = h5py.check_string_dtype(getattr(obj, "dtype", obj))
    return None if info is None else (info.encoding, info.length)


VLEN_UTF8, VLEN_ASCII = ("utf-8", None), ("ascii", None)


# --- numbers -----------------------------------------------------------------


def test_float32_stays_float32(h5):
    write_attribute(h5, "py", 0.1, "float32")
    write_attribute(h5, "np32", np.float32(2.5), "float32")
    write_attribute(h5, "np64", np.float64(0.1), "float32")  # a minimum: kept
    write_dataset(h5, "d32", np.arange(4, dtype=np.float32), "float32")
    write_dataset(h5, "list", [0.5, 1.5], "float32")
    write_dataset(h5, "d64", np.arange(4.0), "float32")
    write_dataset(h5, "numeric", np.arange(3, dtype=np.int16), "numeric")
    assert h5.attrs["py"].dtype == np.float32
    assert h5.attrs["np32"].dtype == np.float32
    assert h5.attrs["np64"].dtype == np.float64
    assert h5["d32"].dtype == np.float32 and h5["list"].dtype == np.float32
    assert h5["d64"].dtype == np.float64
    assert h5["numeric"].dtype == np.int16
    assert read_attribute(h5, "py", "float32") == 0.1


def test_numbers_widen_and_refuse_to_change_values(h5):
    write_dataset(h5, "i16", np.arange(3, dtype=np.int16), "int32")
    write_dataset(h5, "py_int", [1, 2], "uint8")
    write_attribute(h5, "count", 3, "int32")
    write_attribute(h5, "whole", np.array([1.0, 2.0]), "int64")
    assert h5["i16"].dtype == np.int32 and h5["py_int"].dtype == np.uint8
    assert h5.attrs["count"].dtype == np.int32 and h5.attrs["count"].shape == ()
    assert h5.attrs["whole"].dtype == np.int64
    with pytest.raises(HDF5WriteError, match="/bad: fractional"):
        write_dataset(h5, "bad", [1.5], "int32")
    with pytest.raises(HDF5WriteError, match="do not fit"):
        write_attribute(h5, "big", [300], "uint8")
    with pytest.raises(HDF5WriteError, match="do not fit"):
        write_attribute(h5, "negative", np.array([-1]), "uint8")
    with pytest.raises(HDF5WriteError, match="expected numbers"):
        write_attribute(h5, "text", "abc", "float64")
    assert "bad" not in h5 and "big" not in h5.attrs


def test_minimum_dtype_rules():
    md, dt = encode.minimum_dtype, np.dtype
    assert md(dt("f8"), dt("f4")) == dt("f8")
    assert md(dt("f4"), dt("f8")) == dt("f8")
    assert md(dt("i2"), dt("f4")) == dt("f4")
    assert md(dt("i4"), dt("f4")) == dt("f8")
    assert md(dt("i8"), dt("u1")) == dt("u8")
    assert md(dt("u4"), dt("i4")) == dt("i8")
    assert md(dt("?"), dt("u1")) == dt("u1")


def test_bool_is_the_h5py_enum(h5):
    write_attribute(h5, "flag", True, "bool")
    write_dataset(h5, "flags", [True, False, True], "bool")
    write_dataset(h5, "ints", np.array([0, 1], dtype=np.int8), "bool")
    for obj in (h5.attrs.get_id("flag"), h5["flags"], h5["ints"]):
        assert obj.dtype == np.bool_
    assert h5["flags"].id.get_type().get_class() == h5py.h5t.ENUM
    assert read_attribute(h5, "flag", "bool") is True
    assert h5["ints"][()].tolist() == [False, True]


def test_smallest_uint():
    assert smallest_uint(0) == np.uint8 and smallest_uint(255) == np.uint8
    assert smallest_uint(256) == np.uint16 and smallest_uint(65535) == np.uint16
    assert smallest_uint(65536) == np.uint32
    assert smallest_uint(np.int64(2**32)) == np.uint64
    assert smallest_uint(2**64 - 1) == np.uint64
    with pytest.raises(ValueError):
        smallest_uint(-1)
    with pytest.raises(OverflowError):
        smallest_uint(2**64)


# --- text ----------------------------------------------------------------------


def test_text_is_variable_length_utf8(h5):
    write_attribute(h5, "unit", "µV", "text")
    write_attribute(h5, "colnames", ["a", "é"], "text")
    write_dataset(h5, "name", "séance", "text")
    write_dataset(h5, "names", np.array(["x", "yz"]), "text")
    write_dataset(h5, "kept_bytes", [b"ab", "c"], "text")
    for obj in (h5.attrs.get_id("unit"), h5.attrs.get_id("colnames")):
        assert string_info(obj) == VLEN_UTF8
    for name in ("name", "names", "kept_bytes"):
        assert string_info(h5[name]) == VLEN_UTF8
    assert h5.attrs["unit"] == "µV" and h5.attrs.get_id("unit").shape == ()
    assert h5["name"].asstr()[()] == "séance" and h5["name"].shape == ()
    assert h5["names"].asstr()[()].tolist() == ["x", "yz"]
    assert h5["kept_bytes"].asstr()[()].tolist() == ["ab", "c"]
    assert list(h5.attrs["colnames"]) == ["a", "é"]


def test_ascii_and_kept_types(h5):
    write_attribute(h5, "ascii", "abc", "ascii")
    write_attribute(h5, "not_ascii", "é", "ascii")  # kept as its UTF-8 bytes
    write_attribute(h5, "bytes", b"raw")  # no schema dtype: bytes are ASCII
    write_attribute(h5, "str", "s")
    write_attribute(h5, "fixed", np.bytes_(b"xy"))  # numpy keeps its dtype
    write_attribute(h5, "u16", np.uint16(7))
    assert string_info(h5.attrs.get_id("ascii"))[0] == "ascii"
    assert read_attribute(h5, "not_ascii", "text") == "é"
    assert string_info(h5.attrs.get_id("bytes")) == VLEN_ASCII
    assert string_info(h5.attrs.get_id("str"))[0] == "utf-8"
    assert string_info(h5.attrs.get_id("fixed")) == ("ascii", 2)
    assert h5.attrs["u16"].dtype == np.uint16


def test_empty_lists(h5):
    write_attribute(h5, "colnames", [], "text")
    write_attribute(h5, "hdmf_empty", np.array([]), "text")  # hdmf: float64 (0,)
    write_dataset(h5, "none", [], "float32")
    assert string_info(h5.attrs.get_id("colnames"))[0] == "utf-8"
    assert h5.attrs["colnames"].shape == (0,)
    assert h5.attrs["hdmf_empty"].dtype == np.float64
    assert h5["none"].shape == (0,) and h5["none"].dtype == np.float32


def test_none_writes_nothing_and_empty_is_null(h5):
    write_attribute(h5, "absent", None, "text")
    assert write_dataset(h5, "absent", None, "float32") is None
    write_attribute(h5, "null", h5py.Empty("f4"))
    write_dataset(h5, "null", h5py.Empty("i4"))
    assert "absent" not in h5.attrs and "absent" not in h5
    assert isinstance(h5.attrs["null"], h5py.Empty) and h5["null"].shape is None


# --- isodatetime -----------------------------------------------------------------


def test_isodatetime_as_pynwb_writes_it(h5):
    start = datetime(2020, 1, 1, 12, 0, 0, tzinfo=PST)
    created = [datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=PST), start]
    write_dataset(h5, "session_start_time", start, "isodatetime")
    write_dataset(h5, "file_create_date", created, "isodatetime")
    write_dataset(h5, "date_of_birth", date(2019, 5, 6), "isodatetime")
    write_attribute(h5, "when", start, "isodatetime")
    write_attribute(h5, "text_date", "2020-01-01T12:00:00Z", "isodatetime")
    stored = h5["session_start_time"]
    assert string_info(stored) == VLEN_ASCII
    assert stored.shape == () and stored[()] == b"2020-01-01T12:00:00-08:00"
    assert h5["file_create_date"][1] == b"2020-01-01T12:00:00-08:00"
    assert h5["date_of_birth"][()] == b"2019-05-06"
    got = read_dataset(stored, "isodatetime", scalar=True)
    assert got == start and got.utcoffset() == timedelta(hours=-8)
    lazy = read_dataset(h5["file_create_date"], "isodatetime")
    assert list(lazy[:]) == created
    assert read_attribute(h5, "when", "isodatetime") == start
    utc = read_attribute(h5, "text_date", "isodatetime")
    assert utc == datetime(2020, 1, 1, 12, tzinfo=timezone.utc)
    assert parse_isodatetime(h5["date_of_birth"][()]) == datetime(2019, 5, 6)


# --- references --------------------------------------------------------------------


@pytest.fixture
def targets(h5):
    ts = h5.create_group("acquisition/ts")
    data = h5.create_dataset("acquisition/ts/data", data=np.arange(10.0))
    table = h5.create_group("general/electrodes")
    return h5, ts, data, table


def test_reference_attributes(targets):
    h5, ts, data, table = targets

    class Model:  # stands in for a model the writer maps to its HDF5 object
        pass

    model = Model()
    holder = h5.create_group("holder")
    write_attribute(
        holder, "by_object", table, {"target_type": "X", "reftype": "object"}
    )
    write_attribute(holder, "by_path", "/acquisition/ts", "object")
    write_attribute(holder, "by_callable", lambda: data, "object:TimeSeries")
    write_attribute(holder, "by_model", model, "object", target_of={model: ts}.get)
    write_attribute(holder, "absent", None, "object")  # None: not written
    write_attribute(holder, "many", [ts, None, table], "object")
    write_attribute(holder, "inferred", ts)  # no schema dtype: an h5py object
    for name, want in [
        ("by_object", table),
        ("by_path", ts),
        ("by_callable", data),
        ("by_model", ts),
        ("inferred", ts),
    ]:
        ref = holder.attrs[name]
        assert isinstance(ref, h5py.Reference) and h5[ref].name == want.name
        assert holder.attrs.get_id(name).shape == ()
    first, null, last = holder.attrs["many"]
    assert h5[first].name == ts.name and h5[last].name == table.name and not null
    assert "absent" not in holder.attrs


def test_reference_to_an_object_not_written_is_a_clear_error(targets):
    h5 = targets[0]
    with pytest.raises(HDF5WriteError, match="/nowhere.*not \\(yet\\) written"):
        write_attribute(h5, "target", "/nowhere", "object")


def test_reference_datasets_and_regions(targets):
    h5, ts, data, table = targets
    refs = write_dataset(h5, "group_column", [table, None, ts], "object")
    assert h5py.check_dtype(ref=refs.dtype) is h5py.Reference
    stored = refs[()]
    assert h5[stored[0]].name == table.name and not stored[1]
    assert h5[stored[2]].name == ts.name
    regions = write_dataset(
        h5, "regions", [(data, np.s_[2:5]), "/acquisition/ts/data"], "region"
    )
    assert h5py.check_dtype(ref=regions.dtype) is h5py.RegionReference
    first, whole = regions[0], regions[1]
    assert data[first].tolist() == [2.0, 3.0, 4.0]
    assert data[whole].tolist() == data[()].tolist()


def test_compound_with_reference_field(targets):
    h5, ts, data, table = targets
    kind = [
        {"name": "idx_start", "dtype": "int32"},
        {"name": "count", "dtype": "int32"},
        {
            "name": "timeseries",
            "dtype": {"target_type": "TimeSeries", "reftype": "object"},
        },
    ]
    rows = [
        (0, 5, ts),
        {"idx_start": 5, "count": 2, "timeseries": "/general/electrodes"},
    ]
    dset = write_dataset(h5, "timeseries", rows, kind)
    assert dset.dtype.names == ("idx_start", "count", "timeseries")
    assert dset.dtype["idx_start"] == np.int32
    assert h5py.check_dtype(ref=dset.dtype["timeseries"]) is h5py.Reference
    got = dset[()]
    assert got["count"].tolist() == [5, 2]
    assert [h5[r].name for r in got["timeseries"]] == [ts.name, table.name]
    # a scalar compound (ElectrodeGroup.position) and a structured array
    xyz = [("x", "float32"), ("y", "float32"), ("z", "float32")]
    position = write_dataset(h5, "position", (1.0, 2.0, 3.0), xyz)
    assert position.shape == () and position[()]["y"] == np.float32(2.0)
    masks = np.zeros(3, dtype=[("x", "u4"), ("y", "u4"), ("weight", "f4")])
    masks["weight"] = [0.5, 1.0, 0.25]
    mask = write_dataset(
        h5,
        "pixel_mask",
        masks,
        [("x", "uint32"), ("y", "uint32"), ("weight", "float32")],
    )
    assert mask.dtype == masks.dtype and mask[()].tolist() == masks.tolist()


def test_compound_with_text_field(h5):
    dset = write_dataset(
        h5, "pairs", [("a", 1), ("é", 2)], [("key", "text"), ("n", "int64")]
    )
    assert string_info(np.dtype(dset.dtype["key"]))[0] == "utf-8"
    assert [k.decode() for k in dset["key"]] == ["a", "é"]


# --- copies and iterators ------------------------------------------------------


class CountingArray:
    """An array-like that records each read and refuses to be read whole."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.shape, self.dtype = values.shape, values.dtype
        self.reads: list[int] = []

    def __getitem__(self, key):
        block = self.values[key]
        self.reads.append(block.size)
        return block

    def __array__(self, *args, **kwargs):
        raise AssertionError("the whole source was asked for")


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(h5write, "BLOCK_BYTES", 64 << 10)


def test_array_like_is_copied_block_by_block(h5, small_blocks):
    values = np.random.default_rng(0).normal(size=(5000, 7)).astype(np.float32)
    source = CountingArray(values)
    dset = write_dataset(h5, "copy", source, "float32")
    assert dset.dtype == np.float32 and dset.shape == values.shape
    np.testing.assert_array_equal(dset[()], values)
    assert len(source.reads) > 1 and max(source.reads) < values.size
    assert sum(source.reads) == values.size


def test_chunk_block_layout_covers_every_element_once():
    for shape, itemsize, chunks, limit in [
        ((10, 3), 8, None, 48),
        ((7, 5, 4), 4, (2, 5, 4), 80),
        ((3, 100), 8, None, 40),  # a row is larger than a block
        ((4, 3, 50), 1, None, 20),
        ((), 8, None, 8),
    ]:
        seen = np.zeros(shape, dtype=int)
        for selection in blocks(shape, itemsize, chunks, limit):
            seen[selection] += 1
            assert seen[selection].size * itemsize <= max(limit, itemsize * 50)
        assert (seen == 1).all(), shape
    assert list(blocks((0, 3), 8)) == []


@pytest.fixture
def source_file(tmp_path: Path):
    """Another open file holding a chunked, compressed dataset and references."""
    with h5py.File(tmp_path / "source.h5", "w") as src:
        big = np.arange(200_000, dtype=np.int16).reshape(-1, 4)
        src.create_dataset("big", data=big, chunks=(1000, 4), compression="gzip")
        src.create_dataset("text", data=["a", "bé"], dtype=h5py.string_dtype())
        src.create_group("acquisition/ts")
        src.create_group("acquisition/other")
        refs = [
            src["acquisition/ts"].ref,
            h5py.Reference(),
            src["acquisition/other"].ref,
        ]
        src.create_dataset("refs", data=np.array(refs, dtype=h5py.ref_dtype))
        rows = np.array(
            [(0, 5, refs[0]), (5, 2, refs[2])],
            dtype=[
                ("idx_start", "i4"),
                ("count", "i4"),
                ("timeseries", h5py.ref_dtype),
            ],
        )
        src.create_dataset("compound", data=rows)
        src.create_dataset("one_ref", data=refs[0], dtype=h5py.ref_dtype)
        src.create_dataset(
            "region", data=[src["big"].regionref[2:4, 1:3]], dtype=h5py.regionref_dtype
        )
    with h5py.File(tmp_path / "source.h5", "r") as src:
        yield src


def test_lazy_array_from_another_file_keeps_layout(h5, source_file):
    lazy = LazyArray(source_file["big"], "int16")
    dset = write_dataset(h5, "big", lazy, "int16")
    assert dset.dtype == np.int16 and dset.chunks == (1000, 4)
    assert dset.compression == "gzip" and not dset.attrs
    np.testing.assert_array_equal(dset[()], source_file["big"][()])
    text = write_dataset(h5, "text", LazyArray(source_file["text"], "text"), "text")
    assert text.asstr()[()].tolist() == ["a", "bé"]


def test_h5_copy_with_new_options_reads_blocks(
    h5, source_file, small_blocks, monkeypatch
):
    expected = source_file["big"][()].astype(np.float32)
    reads: list[int] = []
    original = h5py.Dataset.__getitem__

    def counting(self, key, *args):
        out = original(self, key, *args)
        if self.file == source_file:
            reads.append(np.size(out))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    source = source_file["big"]
    wrapped = DataIO(source, compression="gzip", compression_opts=9, shuffle=True)
    dset = write_dataset(h5, "repacked", wrapped, "float32")
    assert dset.compression_opts == 9 and dset.shuffle
    assert dset.dtype == np.float32  # int16 widened to the schema's float32
    assert len(reads) > 1 and max(reads) < source.size
    np.testing.assert_array_equal(dset[()], expected)


def test_references_copied_from_another_file_point_to_the_same_paths(h5, source_file):
    h5.create_group("acquisition/ts")
    h5.create_group("acquisition/other")
    big = write_dataset(h5, "big", source_file["big"])
    refs = write_dataset(h5, "refs", source_file["refs"], "object")[()]
    assert h5[refs[0]].name == "/acquisition/ts" and not refs[1]
    assert h5[refs[2]].name == "/acquisition/other"
    compound = write_dataset(h5, "compound", LazyArray(source_file["compound"]))[()]
    assert compound["count"].tolist() == [5, 2]
    assert [h5[r].name for r in compound["timeseries"]] == [
        "/acquisition/ts",
        "/acquisition/other",
    ]
    one = write_dataset(h5, "one_ref", source_file["one_ref"], "object")
    assert one.shape == () and h5[one[()]].name == "/acquisition/ts"
    region = write_dataset(h5, "region", source_file["region"], "region")[0]
    assert h5[region].name == "/big"
    np.testing.assert_array_equal(big[region], source_file["big"][2:4, 1:3])


def test_copying_references_before_their_targets_is_a_clear_error(h5, source_file):
    with pytest.raises(HDF5WriteError, match="/acquisition/ts.*not \\(yet\\) written"):
        write_dataset(h5, "refs", source_file["refs"], "object")


def test_iterator_appends_blocks_to_the_exact_shape(h5):
    def row_blocks():
        values = np.arange(1003.0)
        for start in range(0, len(values), 100):
            yield np.stack([values[start : start + 100]] * 3, axis=1)

    dset = write_dataset(h5, "series", row_blocks(), "float32")
    assert dset.shape == (1003, 3) and dset.maxshape == (None, 3)
    assert dset.chunks is not None and dset.dtype == np.float64  # numpy: a minimum
    np.testing.assert_array_equal(dset[:, 0], np.arange(1003.0))
    rows = write_dataset(h5, "rows", iter([1, 2, 3]), "int32")
    assert rows.shape == (3,) and rows.dtype == np.int32
    texts = write_dataset(h5, "texts", iter([["a", "b"], ["c"]]), "text")
    assert texts.asstr()[()].tolist() == ["a", "b", "c"]
    empty = write_dataset(
        h5, "empty", iter([]), "float32", options=StorageOptions(maxshape=(None, 4))
    )
    assert empty.shape == (0, 4) and empty.dtype == np.float32
    with pytest.raises(HDF5WriteError, match="rows of shape"):
        write_dataset(h5, "ragged", iter([np.zeros((2, 3)), np.zeros((2, 4))]))


def test_storage_options(h5):
    values = np.arange(10_000, dtype=np.float64)
    plain = write_dataset(h5, "plain", values, "float64")
    assert plain.chunks is None and plain.compression is None
    packed = write_dataset(
        h5, "packed", DataIO(values, compression=True, chunks=(500,)), "float64"
    )
    assert packed.compression == "gzip" and packed.compression_opts == 4
    assert packed.chunks == (500,)
    grow = write_dataset(
        h5,
        "grow",
        values,
        "float64",
        options=StorageOptions(maxshape=(None,), fillvalue=-1.0),
    )
    assert grow.maxshape == (None,) and grow.fillvalue == -1.0
    scalar = write_dataset(
        h5, "scalar", 1.0, "float64", options=StorageOptions(compression=5)
    )
    assert scalar.shape == () and scalar.compression is None
    level = StorageOptions(compression=7).settings()
    assert level == {"compression": "gzip", "compression_opts": 7}
    assert StorageOptions().settings() == {}


# --- links, ids, files ----------------------------------------------------------


def test_links(h5):
    h5.create_group("devices/dev")
    soft_link(h5, "device", "/devices/dev")
    external_link(h5, "remote", "other.nwb", "/acquisition/x")
    assert member_link(h5, "device") == SoftLinkInfo("/devices/dev")
    assert h5["device"] == h5["devices/dev"]
    assert member_link(h5, "remote") == ExternalLinkInfo("other.nwb", "/acquisition/x")
    with pytest.raises(HDF5WriteError):
        soft_link(h5, "nowhere", "")


def test_new_object_id():
    ids = {new_object_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)


def _leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def test_atomic_file_appears_only_when_complete(tmp_path: Path):
    target = tmp_path / "out.nwb"
    with atomic_h5_file(target) as h5f:
        assert not target.exists() and Path(h5f.filename).parent == tmp_path
        write_attribute(h5f, "nwb_version", "2.7.0", "text")
    with h5py.File(target, "r") as done:
        assert done.attrs["nwb_version"] == "2.7.0"
    assert _leftovers(tmp_path) == []


def test_atomic_file_refuses_to_overwrite(tmp_path: Path):
    target = tmp_path / "out.nwb"
    target.write_bytes(b"keep me")
    with pytest.raises(FileExistsError, match="out.nwb"):
        with atomic_h5_file(target):
            raise AssertionError("never entered")
    assert target.read_bytes() == b"keep me" and _leftovers(tmp_path) == []
    with atomic_h5_file(target, overwrite=True) as h5f:
        h5f.attrs["x"] = 1
    with h5py.File(target, "r") as done:
        assert done.attrs["x"] == 1


def test_atomic_file_on_error_leaves_target_untouched(tmp_path: Path):
    target = tmp_path / "out.nwb"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_h5_file(target, overwrite=True) as h5f:
            h5f.create_dataset("x", data=np.arange(10))
            raise RuntimeError("boom")
    assert target.read_bytes() == b"previous" and _leftovers(tmp_path) == []
    fresh = tmp_path / "fresh.nwb"
    with pytest.raises(HDF5WriteError):
        with atomic_h5_file(fresh) as h5f:
            write_dataset(h5f, "bad", [1.5], "int8")
    assert not fresh.exists() and _leftovers(tmp_path) == []


def test_atomic_file_does_not_clobber_a_file_that_appeared(tmp_path: Path):
    target = tmp_path / "out.nwb"
    with pytest.raises(FileExistsError):
        with atomic_h5_file(target) as h5f:
            h5f.attrs["x"] = 1
            target.write_bytes(b"someone else's")
    assert target.read_bytes() == b"someone else's" and _leftovers(tmp_path) == []


def test_a_killed_writes_temporary_is_removed_by_the_next_write(tmp_path: Path):
    target = tmp_path / "out.nwb"
    stale = killed_write(target)  # SIGKILL: no chance to clean up
    assert _leftovers(tmp_path) == [stale.name]
    with atomic_h5_file(target) as h5f:
        h5f.attrs["x"] = 1
    assert target.is_file() and _leftovers(tmp_path) == []


def test_a_live_writers_temporary_is_left_alone(tmp_path: Path):
    target = tmp_path / "out.nwb"
    with atomic_h5_file(target, overwrite=True) as first:
        # a second write to the same target while the first is under way
        with atomic_h5_file(target, overwrite=True) as second:
            second.attrs["x"] = 2
        assert Path(first.filename).is_file()
        first.attrs["x"] = 1
    with h5py.File(target, "r") as done:
        assert done.attrs["x"] == 1
    assert _leftovers(tmp_path) == []


def test_temporaries_that_cannot_be_asked_are_removed_when_old(tmp_path: Path):
    from nwbgen.runtime.hdf5 import temporary

    target = tmp_path / "out.nwb"
    legacy_old = tmp_path / f".out.nwb.{uuid.uuid4().hex}.tmp"  # no pid in its name
    legacy_new = tmp_path / f".out.nwb.{uuid.uuid4().hex[:8]}.tmp"
    other_host = tmp_path / ".out.nwb.1@00000000.abcdef012345.tmp"
    not_ours = tmp_path / ".other.nwb.1@00000000.abcdef012345.tmp"
    for path in (legacy_old, legacy_new, other_host, not_ours):
        path.write_bytes(b"x")
    old = os.stat(legacy_old).st_mtime - temporary.STALE_AFTER - 10
    os.utime(legacy_old, (old, old))
    os.utime(not_ours, (old, old))
    removed = temporary.remove_stale_temporaries(str(target))
    assert removed == [str(legacy_old)]
    assert legacy_new.exists() and other_host.exists() and not_ours.exists()


# --- what pynwb writes ------------------------------------------------------------


def test_storage_matches_a_pynwb_file(tmp_path: Path):
    """Text, isodatetime, bool and reference storage as in a file pynwb wrote."""
    source = shared_file("data", "pynwb", "ecephys_core2.11.0.nwb")
    with h5py.File(source, "r") as theirs, h5py.File(tmp_path / "ours.h5", "w") as ours:
        start = parse_isodatetime(theirs["session_start_time"][()])
        write_dataset(ours, "session_start_time", start, "isodatetime")
        write_dataset(ours, "identifier", theirs["identifier"].asstr()[()], "text")
        write_attribute(ours, "neurodata_type", "NWBFile", "text")
        ours.create_group("t")
        write_attribute(ours, "ref", ours["t"], "object")
        for name in ("session_start_time", "identifier"):
            assert ours[name][()] == theirs[name][()]
            assert ours[name].dtype == theirs[name].dtype
            assert string_info(ours[name]) == string_info(theirs[name])
        for name, where in [
            ("neurodata_type", "/"),
            ("ref", "/units/spike_times_index"),
        ]:
            theirs_name = "target" if name == "ref" else name
            mine = ours.attrs.get_id(name)
            other = theirs[where].attrs.get_id(theirs_name)
            assert mine.dtype == other.dtype and mine.shape == other.shape
