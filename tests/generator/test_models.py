"""Behaviour of generated models: import them, build them, break them."""

from __future__ import annotations

import typing

import numpy as np
import pydantic
import pytest

from nwbgen.generator.compile import compile_namespaces
from nwbgen.generator.emit import write_package
from nwbgen.spec.sources import load_sources
from tests.support.paths import FIXTURES, import_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tinymodels"
    sources = [
        FIXTURES / "tiny" / "tiny.namespace.yaml",
        FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml",
    ]
    write_package(compile_namespaces(load_sources(sources)).files, out)
    return import_package(out.parent, "tinymodels")


def test_registry_and_identity(tiny):
    pkg = tiny.load("tiny", "1.2.0")
    assert (
        pkg.NAMESPACE == "tiny"
        and pkg.VERSION == "1.2.0"
        and len(pkg.SPEC_SHA256) == 64
    )
    assert pkg.TYPES["Series"].__nwb_type__ == ("tiny", "Series")
    ext = tiny.load("tiny-ext", "0.1.0")
    # two types of one name in two namespaces, the extension's refining the other
    assert ext.TYPES["Device"] is not pkg.TYPES["Device"]
    assert issubclass(ext.TYPES["Device"], pkg.TYPES["Device"])
    with pytest.raises(LookupError, match="no models for tiny 9.9.9"):
        tiny.load("tiny", "9.9.9")


def test_inheritance_and_overrides(tiny):
    t = tiny.load("tiny", "1.2.0")
    assert issubclass(t.VoltageSeries, t.Series)
    assert issubclass(t.VoltageSeriesData, t.SeriesData)
    hints = typing.get_type_hints(t.VoltageSeriesData, include_extras=True)
    assert hints["unit"] == typing.Literal["volts"]
    spec = hints["value"].__metadata__[0]
    assert spec.dtype == "float32" and spec.shape == ((None,), (None, None))
    assert t.VoltageSeriesData.model_fields["unit"].default == "volts"
    assert t.SeriesData.model_fields["conversion"].default == 1.0
    assert "Unit of the samples." == t.SeriesData.model_fields["unit"].description


def test_build_and_validate(tiny):
    t = tiny.load("tiny", "1.2.0")
    data = t.VoltageSeriesData(value=[[1, 2], [3, 4]])
    assert data.value.dtype == np.float32  # float32 stays float32
    assert data.name == "data" and data.unit == "volts" and data.shape == (2, 2)
    series = t.VoltageSeries(name="v", data=data, timestamps=[0.0, 1.0])
    assert series.timestamps.dtype == np.float64
    assert series.description == "no description"
    assert series.data[1, 0] == 3
    with pytest.raises(
        pydantic.ValidationError, match="shape \\(2, 2, 2\\) does not match"
    ):
        t.VoltageSeriesData(value=np.zeros((2, 2, 2)))
    with pytest.raises(pydantic.ValidationError, match="data"):
        t.VoltageSeries(name="v")  # data is required
    with pytest.raises(pydantic.ValidationError, match="typo"):
        t.VoltageSeries(name="v", data=data, typo=1)


def test_children_links_and_named_groups(tiny):
    t = tiny.load("tiny", "1.2.0")
    device = t.Device(name="probe", manufacturer="acme")
    values = [
        t.Values(name=f"v{i}", value=[1.0, 2.0], unit="mV", source=device)
        for i in range(2)
    ]
    holder = t.Holder(
        settings=t.HolderSettings(gains=[1.0, 2.0]),
        device=device,
        children=values,  # a list is keyed by name
    )
    assert holder.name == "holder" and holder.settings.mode == "auto"
    assert holder["v1"] is values[1] and "v0" in holder
    assert holder.device is device and values[0].source is device
    hints = typing.get_type_hints(t.Holder)
    assert hints["children"] == dict[str, t.Values | t.Container]


def test_compound_dtype_kept(tiny):
    t = tiny.load("tiny", "1.2.0")
    spec = typing.get_type_hints(t.Spans, include_extras=True)["value"].__metadata__[0]
    assert spec.dtype == (
        ("start", "int32"),
        ("count", "uint32"),
        ("target", "object:Values"),
    )


def test_bundled_core_models_build():
    import nwbgen.generated.core.v2_11_0 as core
    import nwbgen.generated.hdmf_common.v1_10_0 as hdmf

    table = hdmf.DynamicTable(
        name="electrodes",
        colnames=["x"],
        description="the electrodes",
        id=hdmf.ElementIdentifiers(name="id", value=[0, 1]),
    )
    es = core.ElectricalSeries(
        name="es",
        data=core.ElectricalSeriesData(value=np.zeros((3, 2), dtype=np.float32)),
        electrodes=hdmf.DynamicTableRegion(
            name="electrodes", value=[0, 1], description="rows", table=table
        ),
        starting_time=core.TimeSeriesStartingTime(value=0.0, rate=30000.0),
    )
    assert es.data.unit == "volts" and es.data.conversion == 1.0
    assert es.electrodes.table is table and es.electrodes.value.dtype == np.int32
    assert core.TYPES["ElectricalSeries"] is core.ElectricalSeries
