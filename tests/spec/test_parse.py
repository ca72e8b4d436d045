"""The schema language: dict -> frozen spec values."""

from __future__ import annotations

import pytest

from nwbgen.errors import SpecError
from nwbgen.spec.model import CompoundField, Quantity, RefDtype, version_key
from nwbgen.spec.parse import (
    parse_dataset,
    parse_dims,
    parse_dtype,
    parse_group,
    parse_namespace,
    parse_quantity,
    parse_shape,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, Quantity(1, 1)),
        (1, Quantity(1, 1)),
        (3, Quantity(3, 3)),
        ("?", Quantity(0, 1)),
        ("zero_or_one", Quantity(0, 1)),
        ("*", Quantity(0, None)),
        ("zero_or_many", Quantity(0, None)),
        ("+", Quantity(1, None)),
        ("one_or_many", Quantity(1, None)),
        ("2", Quantity(2, 2)),
    ],
)
def test_quantity(value, expected):
    assert parse_quantity(value, "here") == expected


@pytest.mark.parametrize("value", [0, -1, "many", True])
def test_bad_quantity_names_the_element(value):
    with pytest.raises(SpecError, match="TimeSeries/data: .*quantity"):
        parse_quantity(value, "TimeSeries/data")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("long", "int64"),
        ("int", "int32"),
        ("utf8", "text"),
        ("utf-8", "text"),
        ("text", "text"),
        ("ascii", "ascii"),
        ("str", "ascii"),
        ("bool", "bool"),
        ("isodatetime", "isodatetime"),
        ("numeric", "numeric"),
        ("uint8", "uint8"),
        (None, None),
    ],
)
def test_dtype_aliases(value, expected):
    assert parse_dtype(value, "x") == expected


def test_reference_and_compound_dtypes():
    assert parse_dtype({"target_type": "Device", "reftype": "object"}, "x") == RefDtype(
        "Device", "object"
    )
    assert parse_dtype({"target_type": "Data", "reftype": "region"}, "x") == RefDtype(
        "Data", "region"
    )
    compound = parse_dtype(
        [
            {"name": "idx_start", "dtype": "int32", "doc": "start"},
            {
                "name": "ts",
                "dtype": {"target_type": "TimeSeries", "reftype": "object"},
                "doc": "ref",
            },
        ],
        "x",
    )
    assert compound == (
        CompoundField("idx_start", "start", "int32"),
        CompoundField("ts", "ref", RefDtype("TimeSeries", "object")),
    )


def test_unknown_dtype_is_an_error():
    with pytest.raises(SpecError, match="Foo/@bar: unknown dtype 'float128'"):
        parse_dtype("float128", "Foo/@bar")


def test_shape_alternatives_and_dims():
    shape = parse_shape([[None], [None, 3]], "x")
    assert shape == ((None,), (None, 3))
    assert parse_dims([["t"], ["t", "xyz"]], shape, "x") == (("t",), ("t", "xyz"))
    assert parse_shape([None, 2], "x") == ((None, 2),)
    assert parse_dims(None, ((None, 2),), "x") == (("dim_0", "dim_1"),)
    # core 2.2's field_of_view: one name per 1-D alternative
    assert parse_dims(["width|height", "width|height|depth"], ((2,), (3,)), "x") == (
        ("width|height",),
        ("width|height|depth",),
    )


def test_group_with_both_key_spellings():
    group = parse_group(
        {
            "neurodata_type_def": "A",
            "neurodata_type_inc": "B",
            "doc": "d",
            "groups": [{"data_type_inc": "C", "quantity": "*", "doc": "c"}],
            "links": [{"name": "l", "target_type": "C", "doc": "l"}],
            "datasets": [{"name": "x", "dtype": "float", "shape": [None], "doc": "x"}],
        },
        "here",
    )
    assert (group.def_type, group.inc_type) == ("A", "B")
    assert group.groups[0].inc_type == "C" and group.groups[0].quantity == Quantity(
        0, None
    )
    assert group.links[0].target_type == "C"
    assert group.datasets[0].dtype == "float32"


def test_member_needs_name_or_type():
    with pytest.raises(SpecError, match="needs a name or a type"):
        parse_dataset({"doc": "nameless"}, "Foo")


def test_namespace_with_missing_source_names_it():
    entry = {"name": "ns", "version": "1.0.0", "schema": [{"source": "gone.yaml"}]}
    with pytest.raises(SpecError, match="names source 'gone.yaml', which is missing"):
        parse_namespace(entry, {}, "ns.namespace.yaml")


def test_versions_compare_numerically():
    assert version_key("2.10.0") > version_key("2.9.0")
    assert version_key("2.6.0") > version_key("2.6.0-alpha")
    assert version_key("1.10.0") > version_key("1.8.0")
    assert sorted(["2.9.0", "2.10.0", "2.2.5"], key=version_key) == [
        "2.2.5",
        "2.9.0",
        "2.10.0",
    ]
