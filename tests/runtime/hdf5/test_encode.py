"""Encoding values for a schema dtype: parse_kind, encode_values and references."""

from __future__ import annotations

import warnings
from datetime import date, datetime, timezone

import h5py
import numpy as np
import pytest

from nwbgen.errors import HDF5WriteError
from nwbgen.runtime.hdf5.encode import (
    ASCII,
    UTF8,
    Kind,
    encode_values,
    minimum_dtype,
    parse_kind,
    safe_cast,
    target_in,
    to_reference,
)
from nwbgen.runtime.hdf5.write import write_attribute


def encoding(array: np.ndarray) -> str | None:
    info = h5py.check_string_dtype(array.dtype)
    return None if info is None else info.encoding


def encode(value, kind, dest=None, target_of=None):
    return encode_values(value, parse_kind(kind), dest, target_of)


# --- parse_kind ------------------------------------------------------------------


NUMBERS = {
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
    "long": "i8",
    "int64": "i8",
    "int": "i4",
    "int32": "i4",
    "short": "i2",
    "int16": "i2",
    "int8": "i1",
    "uint": "u4",
    "uint64": "u8",
    "uint32": "u4",
    "uint16": "u2",
    "uint8": "u1",
    "bool": "?",
}


@pytest.mark.parametrize("name, dtype", sorted(NUMBERS.items()))
def test_parse_kind_numbers(name, dtype):
    kind = parse_kind(name)
    assert kind == Kind("number", np.dtype(dtype))
    assert not kind.exact  # a schema dtype is a minimum
    assert parse_kind(name.upper()) == kind  # names are not case-sensitive


@pytest.mark.parametrize(
    "name, tag, dtype",
    [
        ("numeric", "number", None),
        ("number", "number", None),
        ("text", "text", UTF8),
        ("utf", "text", UTF8),
        ("utf8", "text", UTF8),
        ("utf-8", "text", UTF8),
        ("str", "text", UTF8),
        ("ascii", "text", ASCII),
        ("bytes", "text", ASCII),
        ("isodatetime", "isodatetime", ASCII),
        ("datetime", "isodatetime", ASCII),
        ("object", "reference", h5py.ref_dtype),
        ("ref", "reference", h5py.ref_dtype),
        ("reference", "reference", h5py.ref_dtype),
        ("object:Device", "reference", h5py.ref_dtype),
        ("region", "reference", h5py.regionref_dtype),
        ("region:DynamicTable", "reference", h5py.regionref_dtype),
    ],
)
def test_parse_kind_other_names(name, tag, dtype):
    kind = parse_kind(name)
    assert kind.tag == tag
    if dtype is None:
        assert kind.dtype is None
    else:
        assert kind.dtype == dtype
        assert h5py.check_string_dtype(kind.dtype) == h5py.check_string_dtype(dtype)
        assert h5py.check_dtype(ref=kind.dtype) is h5py.check_dtype(ref=dtype)


def test_parse_kind_of_specs_dtypes_and_compounds():
    assert parse_kind(None).tag == "keep"
    assert parse_kind("float32") is parse_kind("float32")  # parsed once
    kind = parse_kind("int8")
    assert parse_kind(kind) is kind
    region = parse_kind({"target_type": "Table", "reftype": "region"})
    assert h5py.check_dtype(ref=region.dtype) is h5py.RegionReference
    assert parse_kind({"dtype": "uint16"}) == parse_kind("uint16")
    compound = parse_kind(
        [{"name": "start", "dtype": "int32"}, ("label", "text"), ["ok", "bool"]]
    )
    assert compound.tag == "compound"
    assert [name for name, _ in compound.fields] == ["start", "label", "ok"]
    assert compound.fields[0][1] == parse_kind("int32")
    assert compound.fields[1][1].tag == "text"
    # numpy dtypes as h5py reads them: written exactly
    assert parse_kind(np.dtype("f4")) == Kind("number", np.dtype("f4"), exact=True)
    assert parse_kind(np.dtype("S3")) == Kind("exact", np.dtype("S3"))
    assert encoding(np.empty(0, parse_kind(h5py.string_dtype("ascii")).dtype)) == (
        "ascii"
    )
    assert parse_kind(h5py.regionref_dtype).tag == "reference"
    nested = parse_kind(np.dtype([("x", "f8"), ("name", h5py.string_dtype())]))
    assert [(n, k.tag) for n, k in nested.fields] == [("x", "number"), ("name", "text")]
    with pytest.raises(ValueError, match="unknown schema dtype 'complex'"):
        parse_kind("complex")
    with pytest.raises(TypeError, match="not a schema dtype"):
        parse_kind(3)


# --- text, dates, bool ---------------------------------------------------------


def test_text_is_utf8_and_ascii_keeps_what_it_is_given():
    out = encode("é", "text")
    assert out.shape == () and out[()] == "é" and encoding(out) == "utf-8"
    many = encode(["a", np.str_("b"), 3], "text")
    assert many.tolist() == ["a", "b", "3"] and encoding(many) == "utf-8"
    ascii_ = encode(["é", b"raw"], "ascii")
    assert encoding(ascii_) == "ascii"
    assert ascii_.tolist() == ["é".encode(), b"raw"]  # str as its UTF-8 bytes
    with pytest.raises(TypeError, match="None where text is expected"):
        encode(["a", None], "text")
    # an empty list as hdmf writes it (float64) is kept for text
    empty = np.zeros(0)
    assert encode(empty, "text") is empty


def test_isodatetime_is_ascii_iso_8601():
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    out = encode(when, "isodatetime")
    assert out[()] == b"2020-01-02T03:04:05+00:00" and encoding(out) == "ascii"
    many = encode(
        [date(2020, 1, 1), np.datetime64("2020-01-02T03:04"), "2021"], "isodatetime"
    )
    assert many.tolist() == [b"2020-01-01", b"2020-01-02T03:04", b"2021"]


def test_bool():
    assert encode([True, False], "bool").dtype == np.bool_
    assert encode([1, 0], "bool").tolist() == [True, False]
    assert encode(np.array([1, 0], "i1"), "bool").dtype == np.bool_
    with pytest.raises(ValueError, match="do not fit in bool"):
        encode([2], "bool")


# --- numbers ---------------------------------------------------------------------


def test_python_numbers_take_the_schema_dtype_exactly():
    assert encode(3, "uint8").dtype == np.uint8 and encode(3, "uint8").shape == ()
    assert encode([1, 2], "int8").dtype == np.int8
    assert encode([0.5], "float32").dtype == np.float32
    assert encode([1, 2], "float64").dtype == np.float64
    assert encode([1.5, 2], "numeric").dtype == np.float64  # any number: as given


def test_numpy_numbers_are_widened_but_never_narrowed():
    cases = [
        ("i2", "int32", "i4"),  # narrower: widened
        ("i8", "int32", "i8"),  # wider: kept
        ("f2", "float32", "f4"),
        ("f8", "float32", "f8"),
        ("i4", "float32", "f8"),  # as numpy promotes
        ("i4", "uint16", "u4"),  # signed into unsigned keeps the width
        ("u4", "int32", "i8"),
        ("f8", "int32", "i4"),  # floats into integers: values checked
        ("?", "int16", "i2"),
    ]
    for given, schema, want in cases:
        values = np.array([0, 1], dtype=given)
        out = encode(values, schema)
        assert out.dtype == np.dtype(want), (given, schema)
        assert out.tolist() == [0, 1]
        assert minimum_dtype(np.dtype(given), np.dtype(NUMBERS[schema])) == want
    # an explicit numpy dtype (as read from a file) is written exactly
    assert encode(np.array([1, 2], "i8"), np.dtype("i2")).dtype == np.int16
    same = np.arange(3, dtype="f4")
    assert encode(same, "float32") is same  # nothing to convert: no copy


@pytest.mark.parametrize(
    "values, schema, message",
    [
        ([1.5], "int32", "fractional values cannot be stored as int32"),
        ([300], "uint8", "values from 300 to 300 do not fit in uint8"),
        (np.array([-1], "i8"), "uint32", "do not fit in uint64"),
        ([np.nan], "int64", "non-finite values cannot be stored as int64"),
        (np.array([1.25]), "int16", "fractional"),
    ],
)
def test_a_lossy_cast_raises(values, schema, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        encode(values, schema)
    # through the write primitives: an HDF5WriteError naming the attribute
    with h5py.File(tmp_path / "lossy.h5", "w") as h5f:
        group = h5f.create_group("holder")
        with pytest.raises(HDF5WriteError) as raised:
            write_attribute(group, "value", values, schema)
        assert str(raised.value).startswith(
            f"{h5f.filename}:/holder: attribute 'value': "
        )
        assert "value" not in group.attrs


def test_a_python_float_too_large_for_float32_is_not_stored_as_inf():
    """Python numbers take the schema dtype exactly, and "a cast that would change
    a value raises instead": 1e40 is no float32, yet it was stored as inf."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            out = encode([1e40, 1.0], "float32")
        except ValueError:
            return  # refused, as other lossy casts are
    assert np.isfinite(out).all(), f"stored as {out!r}"


def test_safe_cast():
    ints = np.array([0, 255])
    assert safe_cast(ints, np.dtype("u1")).dtype == np.uint8
    assert safe_cast(ints, ints.dtype) is ints
    assert safe_cast(np.array([], "f8"), np.dtype("u1")).dtype == np.uint8
    with pytest.raises(ValueError, match="do not fit in int8"):
        safe_cast(ints, np.dtype("i1"))
    with pytest.raises(ValueError, match="non-finite"):
        safe_cast(np.array([np.inf]), np.dtype("i8"))
    with pytest.raises(TypeError, match="expected numbers"):
        encode(["a"], "int32")


def test_no_schema_dtype_keeps_the_values_own_type(h5):
    assert encode(np.array(["x", "yy"]), None).tolist() == ["x", "yy"]
    assert encoding(encode(np.array(["x"]), None)) == "utf-8"
    assert encoding(encode([b"x"], None)) == "ascii"
    assert encode(np.float32(1.5), None).dtype == np.float32
    assert encode([1, 2], None).dtype == np.int64
    assert encode(datetime(2020, 1, 1), None)[()] == b"2020-01-01T00:00:00"
    group = h5.create_group("g")
    assert h5[encode(group, None, h5)[()]] == group  # an h5py object: a reference


# --- compounds -------------------------------------------------------------------


def test_compound_rows_dicts_and_structured_arrays(h5):
    kind = [("start", "int32"), ("label", "text"), ("ok", "bool")]
    out = encode([(0, "a", True), {"start": 5, "label": "b", "ok": False}], kind, h5)
    assert out.dtype.names == ("start", "label", "ok")
    assert out.dtype["start"] == np.int32 and out.dtype["ok"] == np.bool_
    assert h5py.check_string_dtype(out.dtype["label"]).encoding == "utf-8"
    assert out["start"].tolist() == [0, 5] and out["label"].tolist() == ["a", "b"]
    scalar = encode(
        (1.0, 2.0, 3.0), [("x", "float32"), ("y", "float64"), ("z", "double")]
    )
    assert scalar.shape == () and scalar["x"].dtype == np.float32
    rows = np.zeros(2, dtype=[("x", "u4"), ("w", "f8")])
    rows["w"] = [0.5, 1.5]
    stored = encode(rows, [("x", "uint32"), ("w", "float32")])
    assert stored.dtype["w"] == np.float64  # numpy values: a minimum again
    assert stored["w"].tolist() == [0.5, 1.5]
    with pytest.raises(ValueError, match="fractional"):
        encode([(1.5, "a", True)], kind, h5)


def test_compound_with_a_reference_field(h5):
    target = h5.create_group("acquisition/ts")
    model = object()  # stands in for a model the writer maps to its home

    def target_of(value):
        assert value is model
        return "/acquisition/ts"

    kind = [
        ("idx", "int32"),
        ("ts", {"target_type": "TimeSeries", "reftype": "object"}),
    ]
    out = encode([(0, target), (1, model), (2, None)], kind, h5, target_of)
    assert h5py.check_dtype(ref=out.dtype["ts"]) is h5py.Reference
    first, second, null = out["ts"]
    assert h5[first] == target and h5[second] == target and not null


# --- references --------------------------------------------------------------------


def test_to_reference_of_every_kind_of_target(h5, tmp_path):
    group = h5.create_group("devices/probe")
    data = h5.create_dataset("data", data=np.arange(10))
    assert not to_reference(None, h5)
    assert isinstance(to_reference(None, h5, region=True), h5py.RegionReference)
    ref = group.ref
    assert to_reference(ref, h5) is ref
    assert h5[to_reference(group, h5)] == group
    assert h5[to_reference("/devices/probe", h5)] == group
    assert h5[to_reference(lambda: data, h5)] == data
    model = object()
    assert h5[to_reference(model, h5, target_of={model: group}.get)] == group
    assert h5[to_reference(model, h5, target_of={model: ref}.get)] == group
    region = to_reference((data, np.s_[2:5]), h5, region=True)
    assert data[region].tolist() == [2, 3, 4]
    whole = to_reference("/data", h5, region=True)
    assert data[whole].tolist() == list(range(10))
    # an object of another file: the object at the same path in this one
    with h5py.File(tmp_path / "other.h5", "w") as other:
        elsewhere = other.create_group("devices/probe")
        assert target_in(elsewhere, h5) == group
        assert h5[to_reference(elsewhere, h5)] == group
    assert target_in(group, h5) is group


def test_target_in_refuses_what_is_not_there(h5):
    with pytest.raises(HDF5WriteError) as raised:
        target_in("/nowhere", h5)
    assert str(raised.value) == (
        f"{h5.filename}: reference to /nowhere, which is not (yet) written"
    )
    with pytest.raises(TypeError, match="not an HDF5 object or path"):
        target_in(42, h5)


def test_reference_arrays_keep_their_shape(h5):
    a, b = h5.create_group("a"), h5.create_group("b")
    out = encode(np.array([[a, None], [b, "/a"]], dtype=object), "object", h5)
    assert out.shape == (2, 2) and h5py.check_dtype(ref=out.dtype) is h5py.Reference
    assert h5[out[0, 0]] == a and not out[0, 1] and h5[out[1, 1]] == a
    regions = encode(
        [(h5.create_dataset("d", data=[1, 2, 3]), np.s_[1:])], "region", h5
    )
    assert h5["d"][regions[0]].tolist() == [2, 3]
    single = encode(b, "object", h5)
    assert single.shape == () and h5[single[()]] == b
