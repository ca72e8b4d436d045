"""The catalog: includes, type resolution, inheritance, order."""

from __future__ import annotations

import pytest

from nwbgen.errors import CompileError
from nwbgen.spec.catalog import NamespaceCatalog, TypeRef
from nwbgen.spec.parse import parse_namespace
from nwbgen.spec.sources import namespaces_from_yaml
from tests.support.paths import FIXTURES


def _ns(name, types, includes=(), version="1.0.0"):
    entry = {
        "name": name,
        "version": version,
        "schema": [{"namespace": inc} for inc in includes]
        + [{"source": f"{name}.yaml"}],
    }
    return parse_namespace(
        entry, {f"{name}.yaml": {"groups": types}}, f"{name}.namespace.yaml"
    )


def _tiny():
    return namespaces_from_yaml(
        FIXTURES / "tiny" / "tiny.namespace.yaml"
    ) + namespaces_from_yaml(FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml")


def test_own_types_shadow_included_ones():
    catalog = NamespaceCatalog(_tiny())
    assert catalog.resolve("Device", "tiny-ext").ref == TypeRef("tiny-ext", "Device")
    assert catalog.resolve("Device", "tiny").ref == TypeRef("tiny", "Device")
    # the extension's Device refines tiny's Device of the same name
    assert catalog.types[TypeRef("tiny-ext", "Device")].parent == TypeRef(
        "tiny", "Device"
    )


def test_rolled_down_spec_merges_overrides():
    catalog = NamespaceCatalog(_tiny())
    voltage = catalog.rolled_down(TypeRef("tiny", "VoltageSeries"))
    data = next(d for d in voltage.datasets if d.name == "data")
    assert data.dtype == "float32"  # narrowed by the subtype
    assert data.shape == ((None,), (None, None))  # inherited
    unit = next(a for a in data.attributes if a.name == "unit")
    conversion = next(a for a in data.attributes if a.name == "conversion")
    assert unit.value == "volts" and conversion.default_value == 1.0
    assert [d.name for d in voltage.datasets] == ["data", "timestamps", "rate", "flags"]


def test_parents_come_before_children():
    catalog = NamespaceCatalog(_tiny())
    order = [t.ref.name for t in catalog.class_order("tiny")]
    assert order.index("Container") < order.index("Device") < order.index("Holder")
    assert order.index("Series") < order.index("VoltageSeries")


def test_unknown_type_names_namespace_type_and_member():
    bad = _ns(
        "bad",
        [
            {
                "neurodata_type_def": "A",
                "doc": "a",
                "links": [{"name": "x", "target_type": "Nope", "doc": ""}],
            }
        ],
    )
    from nwbgen.generator.linkml import build_linkml

    with pytest.raises(
        CompileError, match=r"namespace bad 1.0.0: bad:A/x: unknown type 'Nope'"
    ):
        build_linkml(NamespaceCatalog([bad]))


def test_unknown_parent_type():
    bad = _ns(
        "bad", [{"neurodata_type_def": "A", "neurodata_type_inc": "Ghost", "doc": "a"}]
    )
    with pytest.raises(CompileError, match="type A: unknown type 'Ghost'"):
        NamespaceCatalog([bad])


def test_inheritance_cycle_is_reported():
    bad = _ns(
        "loop",
        [
            {"neurodata_type_def": "A", "neurodata_type_inc": "B", "doc": "a"},
            {"neurodata_type_def": "B", "neurodata_type_inc": "A", "doc": "b"},
        ],
    )
    with pytest.raises(CompileError, match="inheritance cycle: loop:"):
        NamespaceCatalog([bad])


def test_missing_include_is_reported():
    ext = _ns("ext", [{"neurodata_type_def": "A", "doc": "a"}], includes=["elsewhere"])
    with pytest.raises(
        CompileError,
        match="includes namespace 'elsewhere', which is neither given nor bundled",
    ):
        NamespaceCatalog([ext])


def test_include_falls_back_to_given_then_bundled():
    base_old = _ns("base", [{"neurodata_type_def": "X", "doc": "x"}], version="1.0.0")
    base_new = _ns("base", [{"neurodata_type_def": "X", "doc": "x"}], version="1.10.0")
    ext = _ns(
        "ext",
        [{"neurodata_type_def": "A", "neurodata_type_inc": "X", "doc": "a"}],
        includes=["base"],
    )
    assert (
        NamespaceCatalog([ext], fallback=[base_new, base_old])
        .namespaces["base"]
        .version
        == "1.10.0"
    )
    assert (
        NamespaceCatalog([ext, base_old], fallback=[base_new])
        .namespaces["base"]
        .version
        == "1.0.0"
    )


def test_core_implicitly_includes_hdmf_common():
    hdmf = _ns("hdmf-common", [{"data_type_def": "Container", "doc": "c"}])
    core = _ns(
        "core",
        [
            {
                "neurodata_type_def": "NWBContainer",
                "neurodata_type_inc": "Container",
                "doc": "n",
            }
        ],
    )
    catalog = NamespaceCatalog([core, hdmf])
    assert catalog.includes["core"] == ("hdmf-common",)
    assert catalog.types[TypeRef("core", "NWBContainer")].parent == TypeRef(
        "hdmf-common", "Container"
    )


def test_nested_type_definitions_are_types():
    ns = _ns(
        "old",
        [
            {
                "neurodata_type_def": "File",
                "doc": "f",
                "groups": [
                    {
                        "name": "subject",
                        "neurodata_type_def": "Subject",
                        "doc": "s",
                        "quantity": "?",
                    }
                ],
            }
        ],
    )
    catalog = NamespaceCatalog([ns])
    assert TypeRef("old", "Subject") in catalog.types


def test_override_without_quantity_means_one():
    # core's SpikeEventSeries re-specifies TimeSeries' optional timestamps without a
    # quantity "because timestamps are required": the default, 1, applies
    ns = _ns(
        "q",
        [
            {
                "neurodata_type_def": "Base",
                "doc": "b",
                "datasets": [
                    {"name": "t", "dtype": "float64", "quantity": "?", "doc": "t"}
                ],
            },
            {
                "neurodata_type_def": "Strict",
                "neurodata_type_inc": "Base",
                "doc": "s",
                "datasets": [{"name": "t", "doc": "now required"}],
            },
        ],
    )
    catalog = NamespaceCatalog([ns])
    (t,) = catalog.rolled_down(TypeRef("q", "Strict")).datasets
    assert t.quantity.min == 1 and t.dtype == "float64"
    (base_t,) = catalog.rolled_down(TypeRef("q", "Base")).datasets
    assert base_t.quantity.min == 0
