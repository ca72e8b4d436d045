"""LazyArray: metadata without reads, decoding of selections, chunks, closed files."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta, timezone

import h5py
import numpy as np
import pytest

from nwbgen.errors import ClosedFileError, HDF5ReadError
from nwbgen.runtime.hdf5.lazy import LazyArray
from nwbgen.runtime.hdf5.values import decode_values, parse_isodatetime
from nwbgen.runtime.models.arrays import Array


def test_metadata_and_repr_read_no_data(h5, monkeypatch):
    ds = h5.create_dataset("acquisition/es/data", data=np.zeros((100, 4), "f4"))
    lazy = LazyArray(ds)

    def no_reads(*args, **kwargs):
        raise AssertionError("data was read")

    monkeypatch.setattr(h5py.Dataset, "__getitem__", no_reads)
    assert lazy.shape == (100, 4) and lazy.ndim == 2 and lazy.size == 400
    assert len(lazy) == 100 and lazy.dtype == np.float32
    assert lazy.name == "/acquisition/es/data" and lazy.filename == h5.filename
    assert repr(lazy) == (
        "LazyArray('/acquisition/es/data', shape=(100, 4), dtype=float32)"
    )
    # the Array protocol (not runtime-checkable): every member it declares
    members = {"shape", "dtype", "__getitem__", "__len__", "__array__"}
    assert members <= set(dir(Array)) and all(hasattr(lazy, m) for m in members)


def test_slices_read_the_selection(h5):
    data = np.arange(60, dtype="i2").reshape(20, 3)
    lazy = LazyArray(h5.create_dataset("d", data=data))
    assert np.array_equal(lazy[2:5], data[2:5]) and lazy[2:5].dtype == np.int16
    assert lazy[3, 1] == data[3, 1]
    assert np.array_equal(lazy.load(), data)
    assert np.array_equal(np.asarray(lazy), data)
    assert np.asarray(lazy, dtype="f8").dtype == np.float64
    assert [row.tolist() for row in lazy][:2] == data[:2].tolist()
    with pytest.raises(ValueError, match="copy"):
        lazy.__array__(copy=False)


def test_identity_equality_never_reads(h5):
    ds = h5.create_dataset("d", data=np.arange(3))
    a, b = LazyArray(ds), LazyArray(ds)
    assert a == a and a != b and len({a, b}) == 2


def test_scalar_and_null_datasets(h5):
    lazy = LazyArray(h5.create_dataset("s", data=2.5))
    assert lazy.shape == () and lazy[()] == 2.5
    with pytest.raises(TypeError):
        len(lazy)
    with pytest.raises(TypeError):
        list(lazy.iter_chunks())
    null = LazyArray(h5.create_dataset("n", data=h5py.Empty("f4")))
    assert null.shape == () and null.load() is None


def test_text_vlen_fixed_and_ascii(h5):
    vlen = h5.create_dataset("v", data=["a", "bé"], dtype=h5py.string_dtype())
    fixed = h5.create_dataset("f", data=np.array([b"ab", b"cde"], dtype="S3"))
    ascii_ = h5.create_dataset("a", data=[b"x"], dtype=h5py.string_dtype("ascii"))
    scalar = h5.create_dataset("s", data="hello", dtype=h5py.string_dtype())
    assert LazyArray(vlen, "text").load().tolist() == ["a", "bé"]
    assert LazyArray(vlen, "text").load().dtype == object
    assert LazyArray(fixed).load().tolist() == ["ab", "cde"]
    assert LazyArray(ascii_, "ascii")[0] == "x"
    assert LazyArray(scalar, "text")[()] == "hello"
    assert repr(LazyArray(vlen)).endswith("dtype=str)")


def test_invalid_utf8_keeps_bytes_as_latin1():
    assert decode_values(np.array([b"\xff\xfe"], dtype=object)).tolist() == ["ÿþ"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2018-09-28T14:43:54.123+02:00", (2018, 9, 28, 14, 43, 54, 123000, 120)),
        ("2020-05-26T00:53:26.903120-07:00", (2020, 5, 26, 0, 53, 26, 903120, -420)),
        ("2024-01-02T10:30:00Z", (2024, 1, 2, 10, 30, 0, 0, 0)),
        ("2024-01-02T10:30:00", (2024, 1, 2, 10, 30, 0, 0, None)),
        ("2024-01-02 10:30:00.5+0530", (2024, 1, 2, 10, 30, 0, 500000, 330)),
        ("2024-01-02T10:30:00.123456789Z", (2024, 1, 2, 10, 30, 0, 123456, 0)),
        ("20240102T103000", (2024, 1, 2, 10, 30, 0, 0, None)),
        ("2024-01-02", (2024, 1, 2, 0, 0, 0, 0, None)),
        ("2024-01-02T10:30", (2024, 1, 2, 10, 30, 0, 0, None)),
    ],
)
def test_isodatetime_variants(text, expected):
    *fields, offset = expected
    got = parse_isodatetime(text.encode())
    assert isinstance(got, datetime)
    tz = None if offset is None else timezone(timedelta(minutes=offset))
    assert got == datetime(*fields, tzinfo=tz) and (got.tzinfo is None) == (tz is None)


@pytest.mark.parametrize("text", ["not a date", "2024-13-45T99:00:00", ""])
def test_unparsable_isodatetime_is_kept(text):
    assert parse_isodatetime(text) == text


def test_isodatetime_dataset(h5):
    ds = h5.create_dataset(
        "file_create_date",
        data=["2024-01-03T10:30:00+00:00", "garbage"],
        dtype=h5py.string_dtype(),
    )
    values = LazyArray(ds, "isodatetime").load()
    assert values[0] == datetime(2024, 1, 3, 10, 30, tzinfo=timezone.utc)
    assert values[1] == "garbage"
    assert LazyArray(ds, "text").load()[0] == "2024-01-03T10:30:00+00:00"


def test_bool_stored_as_integers(h5):
    ds = h5.create_dataset("b", data=np.array([0, 1, 1], dtype="u1"))
    assert LazyArray(ds, "bool").load().tolist() == [False, True, True]


def _ref_fixture(h5):
    targets = [h5.create_group(f"ts{i}") for i in range(3)]
    refs = [targets[i % 3].ref for i in range(10)]
    dtype = np.dtype(
        [("idx_start", "i4"), ("count", "i4"), ("timeseries", h5py.ref_dtype)]
    )
    rows = np.array([(i, 1, refs[i]) for i in range(10)], dtype=dtype)
    rows[4]["timeseries"] = h5py.Reference()  # a null reference
    compound = h5.create_dataset("trials/timeseries", data=rows)
    plain = h5.create_dataset("group", data=np.array(refs, dtype=h5py.ref_dtype))
    return targets, compound, plain


def test_reference_dataset_resolved_once_per_object(h5):
    targets, _, plain = _ref_fixture(h5)
    calls = []

    def resolve(ref):
        calls.append(ref)
        return h5[ref].name

    values = LazyArray(plain, "object:TimeSeries", resolve).load()
    assert values.tolist() == [f"/ts{i % 3}" for i in range(10)]
    assert len(calls) == 3  # ten references, three objects
    assert LazyArray(plain, "object:TimeSeries", resolve)[7] == "/ts1"


def test_compound_with_reference_field(h5):
    _, compound, _ = _ref_fixture(h5)
    kind = (("idx_start", "int32"), ("count", "int32"), ("timeseries", "object:X"))
    lazy = LazyArray(compound, kind, lambda ref: h5[ref].name)
    rows = lazy.load()
    assert rows.dtype.names == ("idx_start", "count", "timeseries")
    assert rows["idx_start"].dtype == np.int32
    assert rows["timeseries"][0] == "/ts0" and rows["timeseries"][4] is None
    assert lazy[5]["timeseries"] == "/ts2"
    # without a resolver the references stay h5py references
    raw = LazyArray(compound, kind).load()
    assert isinstance(raw["timeseries"][0], h5py.Reference)


def test_compound_text_fields_decoded(h5):
    dtype = np.dtype([("key", h5py.string_dtype()), ("n", "i8"), ("s", "S4")])
    ds = h5.create_dataset("c", data=np.array([("é", 1, b"ab")], dtype=dtype))
    rows = LazyArray(ds).load()
    assert rows["key"][0] == "é" and rows["s"][0] == "ab" and rows["n"][0] == 1


def test_closed_file_raises_clear_error(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as h5f:
        lazy = LazyArray(h5f.create_dataset("acquisition/x", data=np.arange(5)))
    assert lazy.shape == (5,) and "file closed" in repr(lazy)
    for use in (
        lambda: lazy[0],
        lazy.load,
        lambda: np.asarray(lazy),
        lambda: lazy.file,
    ):
        with pytest.raises(ClosedFileError) as info:
            use()
        message = str(info.value)
        assert "/acquisition/x" in message and "f.h5" in message
        assert "closed" in message and "invalid object ID" not in message
    assert issubclass(ClosedFileError, HDF5ReadError)
    with pytest.raises(ClosedFileError):
        next(iter(lazy))


def test_chunked_gzip_read_lazily_in_blocks(h5):
    data = np.arange(400_000, dtype="f8").reshape(100_000, 4)  # 3.2 MB
    ds = h5.create_dataset("big", data=data, chunks=(1000, 4), compression="gzip")
    lazy = LazyArray(ds)
    tracemalloc.start()
    try:
        total, sizes = 0.0, []
        for block in lazy.iter_chunks(rows=5000):
            sizes.append(len(block))
            total += float(block[:, 0].sum())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == [5000] * 20
    assert total == float(data[:, 0].sum())
    assert peak < data.nbytes / 4  # a block at a time, never the whole array
    default = [len(b) for b in lazy.iter_chunks()]
    assert sum(default) == 100_000 and all(n % 1000 == 0 for n in default[:-1])
    assert [len(b) for b in lazy.iter_chunks(rows=30_000)] == [30_000] * 3 + [10_000]
