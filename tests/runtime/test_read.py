"""ReadContext and ReadFrame driven directly: the small generated "tiny" package's
readers (and the bundled core models) on HDF5 files built per test with h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import nwbgen.generated.core.v2_11_0 as core
import nwbgen.generated.hdmf_common.v1_10_0 as hdmf
from nwbgen.errors import SchemaViolationError
from nwbgen.generator.compile import compile_namespaces
from nwbgen.generator.emit import write_package
from nwbgen.runtime import read as read_module
from nwbgen.runtime.hdf5 import files
from nwbgen.runtime.hdf5 import search as search_module
from nwbgen.runtime.hdf5.lazy import LazyArray
from nwbgen.runtime.hdf5.links import ExternalLink, ExternalLinkInfo, SoftLinkInfo
from nwbgen.runtime.hdf5.objects import ObjectMap
from nwbgen.runtime.models.base import is_model
from nwbgen.runtime.read import INDEX_AFTER, ReadContext, merge_registries
from nwbgen.runtime.source import Violation, source_of
from nwbgen.spec.sources import load_sources
from tests.support.paths import FIXTURES, import_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The models of tiny 1.2.0, compiled into a fresh package."""
    root = tmp_path_factory.mktemp("tiny_read")
    sources = load_sources([FIXTURES / "tiny" / "tiny.namespace.yaml"])
    write_package(compile_namespaces(sources).files, root / "tiny_pkg")
    return import_package(root, "tiny_pkg").load("tiny", "1.2.0")


@pytest.fixture
def context(tiny):
    """A new lenient read with the tiny readers."""

    def make(**kwargs) -> ReadContext:
        return ReadContext(*merge_registries([tiny]), **kwargs)

    return make


def typed(obj, type_name: str, namespace: str = "tiny", object_id: str | None = None):
    obj.attrs["namespace"] = namespace
    obj.attrs["neurodata_type"] = type_name
    if object_id is not None:
        obj.attrs["object_id"] = object_id
    return obj


def holder_group(parent: h5py.Group, name: str = "holder") -> h5py.Group:
    """A Holder with its required settings and children (a Container "box")."""
    group = typed(parent.create_group(name), "Holder")
    group.create_group("settings")["gains"] = np.array([1.0, 2.0], dtype="f4")
    typed(group.create_group("box"), "Container")
    return group


def holder_linking(link):
    """Build a Holder whose ``device`` is ``link``."""

    def build(h5f: h5py.File) -> None:
        holder_group(h5f)["device"] = link

    return build


def values(parent: h5py.Group, name: str, data=(1.0, 2.0), unit="mV") -> h5py.Dataset:
    dset = typed(parent.create_dataset(name, data=np.asarray(data)), "Values")
    if unit is not None:
        dset.attrs["unit"] = unit
    return dset


@pytest.fixture
def reopen(tmp_path: Path):
    """Build a file with ``build(h5f)``, then give it back opened read-only."""
    opened: list[h5py.File] = []

    def make(build, name: str = "read.h5") -> h5py.File:
        path = tmp_path / name
        with h5py.File(path, "w") as h5f:
            build(h5f)
        h5f = h5py.File(path, "r")
        opened.append(h5f)
        return h5f

    yield make
    for h5f in opened:
        h5f.close()


# --- registries ----------------------------------------------------------------


def test_merge_registries_keys_types_by_namespace(tiny):
    types, readers = merge_registries([hdmf, core])
    assert types[("core", "TimeSeries")] is core.TimeSeries
    assert types[("hdmf-common", "DynamicTable")] is hdmf.DynamicTable
    assert readers[core.TimeSeries] is core.readers()[core.TimeSeries]
    # nested member classes have readers too, but no type name
    assert core.NWBFileScratch in readers
    assert core.NWBFileScratch not in types.values()
    tiny_types, tiny_readers = merge_registries([tiny])
    assert set(tiny_types) == {("tiny", name) for name in tiny.TYPES}
    assert tiny.HolderSettings in tiny_readers


# --- identity ------------------------------------------------------------------


def test_one_model_per_object_and_hard_links_share_it(context, reopen, tiny):
    def build(h5f):
        group = holder_group(h5f)
        values(group, "v0")
        group["alias"] = group["v0"]  # a second hard link, read first (name order)

    h5f = reopen(build)
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert isinstance(holder, tiny.Holder)
    assert set(holder.children) == {"alias", "box", "v0"}
    assert holder.children["alias"] is holder.children["v0"]
    assert ctx.known(h5f["holder/v0"]) is holder.children["v0"]
    assert ctx.read(h5f["holder/v0"]) is holder.children["v0"]
    assert ctx.read(h5f["holder"]) is holder
    assert ctx.known(h5f["holder/settings"]) is holder.settings
    # another read is another set of models
    assert context().read(h5f["holder"]) is not holder


def test_begin_registers_the_model_before_its_members(context, reopen, tiny):
    h5f = reopen(lambda h5f: typed(h5f.create_group("dev"), "Device"))
    ctx = context()
    obj = h5f["dev"]
    frame = ctx.begin(obj, {"manufacturer": b"acme"}, tiny.Device)
    placeholder = frame.model
    assert type(placeholder) is tiny.Device and ctx.known(obj) is placeholder
    assert frame.path == "/dev" and frame.values == {"name": "dev"}
    frame.attribute("manufacturer", "manufacturer", "text", True)
    assert frame.values["manufacturer"] == "acme" and "manufacturer" not in frame.attrs
    model = frame.end()
    assert model is placeholder and model.manufacturer == "acme"
    assert source_of(model).path == "/dev"


def test_a_reference_cycle_reads_through_the_placeholder(context, reopen, tiny):
    def build(h5f):
        device = typed(h5f.create_group("devices/probe"), "Device")
        dset = values(h5f, "v0")
        dset.attrs["source"] = device.ref
        device.attrs["back"] = dset.ref  # not in the schema: kept, resolved

    h5f = reopen(build)
    ctx = context()
    v0 = ctx.read(h5f["v0"])
    device = v0.source
    assert isinstance(device, tiny.Device)
    assert source_of(device).path == "/devices/probe"  # where it lives
    assert source_of(device).unknown.attributes["back"] is v0
    assert ctx.read(h5f["devices/probe"]) is device
    assert ctx.violations == []


def test_a_refined_class_upgrades_the_shared_model_in_place(reopen):
    """A column first reached by reference (as VectorData) and then as a member
    whose class refines it stays one object, of the refined class."""

    def build(h5f):
        table = typed(h5f.create_group("trials"), "TimeIntervals", "core")
        table.attrs["colnames"] = ["start_time", "stop_time", "tags"]
        table.attrs["description"] = "trials"
        ids = table.create_dataset("id", data=[0, 1])
        typed(ids, "ElementIdentifiers", "hdmf-common")
        for name in ("start_time", "stop_time"):
            column = table.create_dataset(name, data=[0.0, 1.0])
            typed(column, "VectorData", "hdmf-common").attrs["description"] = name
        tags = table.create_dataset("tags", data=["a", "b", "c"])
        typed(tags, "VectorData", "hdmf-common").attrs["description"] = "tags"
        index = table.create_dataset("tags_index", data=np.array([1, 3], "u1"))
        typed(index, "VectorIndex", "hdmf-common").attrs["description"] = "index"
        index.attrs["target"] = tags.ref

    h5f = reopen(build)
    ctx = ReadContext(*merge_registries([hdmf, core]))
    index = ctx.read(h5f["trials/tags_index"])
    tags = index.target
    assert type(tags) is hdmf.VectorData
    table = ctx.read(h5f["trials"])
    assert table.tags is tags and table.tags_index is index
    assert type(tags) is core.TimeIntervalsTags
    assert table.values("tags")[1].tolist() == ["b", "c"]
    assert ctx.violations == []


# --- violations ----------------------------------------------------------------


def broken_holder(h5f):
    group = typed(h5f.create_group("holder"), "Holder")
    group.create_group("settings")  # its gains are required
    values(group, "v0", unit=None)  # unit is required


def test_violations_are_collected_with_their_paths(context, reopen, tiny):
    h5f = reopen(broken_holder)
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert sorted(v.path for v in ctx.violations) == [
        "/holder/settings",
        "/holder/v0",
    ]
    by_path = {v.path: v.message for v in ctx.violations}
    assert by_path["/holder/settings"].startswith("gains:")
    assert by_path["/holder/v0"].startswith("unit:")
    assert all(isinstance(v, Violation) for v in ctx.violations)
    # read anyway: the missing required members are None, the rest is there
    assert holder.settings.gains is None and holder.settings.mode == "auto"
    assert holder.children["v0"].unit is None
    assert holder.children["v0"].value[:].tolist() == [1.0, 2.0]
    ctx.check(h5f.filename)  # lenient: nothing raised


def test_strict_mode_raises_them_together_at_check(context, reopen):
    h5f = reopen(broken_holder)
    ctx = context(strict=True)
    ctx.read(h5f["holder"])  # a read never stops at a violation
    assert len(ctx.violations) == 2
    with pytest.raises(SchemaViolationError) as raised:
        ctx.check("broken.h5")
    message = str(raised.value)
    assert message.startswith("broken.h5: 2 schema violation(s):")
    assert "\n  /holder/settings: gains:" in message
    assert "\n  /holder/v0: unit:" in message
    assert raised.value.violations == ctx.violations


def test_without_validation_values_are_kept_as_read(context, reopen, tiny):
    h5f = reopen(broken_holder)
    ctx = context(validate=False)
    holder = ctx.read(h5f["holder"])
    assert ctx.violations == []
    assert holder.children["v0"].unit is None
    assert holder.settings.mode == "auto"  # defaults still apply
    assert holder.children["v0"].model_fields_set == {"name", "value"}


def test_unknown_type_is_read_as_the_expected_class(context, reopen, tiny):
    def build(h5f):
        series = typed(h5f.create_group("series"), "Series")
        data = typed(series.create_dataset("data", data=[1.0]), "Mystery")
        data.attrs["unit"] = "m"
        typed(h5f.create_group("lost"), "Mystery", "elsewhere")

    h5f = reopen(build)
    ctx = context()
    series = ctx.read(h5f["series"])
    assert type(series.data) is tiny.SeriesData and series.data.unit == "m"
    assert ctx.violations == [
        Violation(
            "/series/data",
            "unknown type 'Mystery' of namespace 'tiny'; " "read as SeriesData",
        )
    ]
    # nothing expected, no common base: nothing to read it as
    assert ctx.read(h5f["lost"]) is None
    assert ctx.violations[-1] == Violation(
        "/lost", "unknown type 'Mystery' of namespace 'elsewhere'"
    )


def test_unknown_child_type_is_read_as_the_common_base(reopen):
    def build(h5f):
        module = typed(h5f.create_group("behavior"), "ProcessingModule", "core")
        module.attrs["description"] = "behaviour"
        typed(module.create_group("odd"), "Mystery", "myext")

    h5f = reopen(build)
    ctx = ReadContext(*merge_registries([hdmf, core]))
    assert ctx.common_base((core.NWBDataInterface, hdmf.DynamicTable)) is (
        hdmf.Container
    )
    module = ctx.read(h5f["behavior"])
    odd = module.children["odd"]
    assert type(odd) is hdmf.Container and odd.name == "odd"
    assert (
        Violation(
            "/behavior/odd",
            "unknown type 'Mystery' of namespace 'myext'; read as Container",
        )
        in ctx.violations
    )


def test_unknown_child_type_without_common_base_is_not_dropped(context, reopen, tiny):
    """Holder's children may be Values (datasets) or Containers (groups): they have
    no common base with a reader, and the unknown child became ``None``."""

    def build(h5f):
        group = holder_group(h5f)
        typed(group.create_group("odd"), "Mystery")

    h5f = reopen(build)
    ctx = context()
    assert ctx.common_base((tiny.Values, tiny.Container)) is None
    holder = ctx.read(h5f["holder"])
    kept = (holder.children or {}).get("odd")
    assert kept is not None or "odd" in source_of(holder).unknown.groups
    assert all(is_model(child) for child in (holder.children or {}).values())


def test_a_type_in_the_wrong_namespace_is_read_by_its_name(context, reopen, tiny):
    h5f = reopen(lambda h5f: typed(h5f.create_group("dev"), "Device", "other"))
    ctx = context()
    device = ctx.read(h5f["dev"])
    assert type(device) is tiny.Device
    assert ctx.violations == [
        Violation(
            "/dev", "type 'Device' is not in namespace 'other'; read as tiny:Device"
        )
    ]
    # with no namespace attribute the name alone is enough
    h5f = reopen(
        lambda h5f: h5f.create_group("dev").attrs.create("neurodata_type", "Device"),
        "bare.h5",
    )
    ctx = context()
    assert type(ctx.read(h5f["dev"])) is tiny.Device and ctx.violations == []


def test_a_type_where_the_schema_expects_another(context, reopen, tiny):
    def build(h5f):
        series = typed(h5f.create_group("series"), "Series")
        series.create_dataset("data", data=[1.0]).attrs["unit"] = "m"
        typed(h5f.create_group("dev"), "Device")

    h5f = reopen(build)
    ctx = context()
    assert type(ctx.read(h5f["dev"], tiny.Series)) is tiny.Device
    assert ctx.violations == [
        Violation("/dev", "is a Device, where the schema expects a Series")
    ]


# --- what the schema does not name ---------------------------------------------


def test_source_keeps_unknown_members_ids_and_dtypes(context, reopen, tiny):
    def build(h5f):
        series = typed(h5f.create_group("series"), "VoltageSeries", object_id="abc")
        series.attrs["gain"] = np.float32(2.5)
        series.attrs["note"] = "extra"
        data = series.create_dataset("data", data=np.zeros(3, "f4"))
        data.attrs["unit"] = "volts"
        data.attrs["conversion"] = np.float64(2.0)  # float32 in the schema
        series["rate"] = np.float64(30.0)
        series["timestamps"] = np.arange(3.0)
        series["timestamps"].attrs["note"] = 1
        series["extra"] = np.arange(3, dtype="i2")
        series.create_group("extra_group").attrs["x"] = 1
        series["soft"] = h5py.SoftLink("/series/data")
        series["ext"] = h5py.ExternalLink("other.h5", "/x")
        typed(series.create_group("stray"), "Device")

    h5f = reopen(build)
    ctx = context()
    series = ctx.read(h5f["series"])
    source = source_of(series)
    assert (source.filename, source.path, source.object_id) == (
        h5f.filename,
        "/series",
        "abc",
    )
    unknown = source.unknown
    assert unknown.attributes["gain"] == np.float32(2.5)
    assert unknown.attributes["gain"].dtype == np.float32
    assert unknown.attributes["note"] == "extra"
    assert isinstance(unknown.datasets["extra"], LazyArray)
    assert unknown.datasets["extra"].dtype == np.int16
    assert unknown.groups["extra_group"].attrs["x"] == 1
    assert unknown.links == {
        "soft": SoftLinkInfo("/series/data"),
        "ext": ExternalLinkInfo("other.h5", "/x"),
    }
    # scalars decoded to Python numbers remember their stored dtype
    assert series.rate == 30.0 and type(series.rate) is float
    assert source.dtypes == {"rate": np.dtype("f8")}
    assert source_of(series.data).dtypes == {"conversion": np.dtype("f8")}
    assert source_of(series.data).object_id is None
    assert source.member_attributes["timestamps"] == {"note": 1}
    # a typed member with no place in the schema: read, kept, and a violation
    assert isinstance(source.extra_children["stray"], tiny.Device)
    assert ctx.violations == [
        Violation("/series/stray", "a typed member the schema has no place for")
    ]
    assert source.type_attribute == "neurodata_type"


def test_hdmf_style_type_attribute_is_remembered(context, reopen, tiny):
    def build(h5f):
        group = h5f.create_group("dev")
        group.attrs["namespace"] = "tiny"
        group.attrs["data_type"] = "Device"

    h5f = reopen(build)
    device = context().read(h5f["dev"])
    assert type(device) is tiny.Device
    assert source_of(device).type_attribute == "data_type"
    assert not source_of(device).unknown  # the type attributes are not unknown


# --- links ---------------------------------------------------------------------


def test_soft_link_is_opened_by_its_target_path(context, reopen, tiny):
    def build(h5f):
        typed(h5f.create_group("devices/probe"), "Device").attrs["manufacturer"] = "x"
        holder_group(h5f)["device"] = h5py.SoftLink("/devices/probe")

    h5f = reopen(build)
    ctx = context()
    holder = ctx.read(h5f["holder"])
    device = holder.device
    assert isinstance(device, tiny.Device) and device.name == "probe"
    assert source_of(device).path == "/devices/probe"  # its home, not the link
    assert source_of(holder).links == {"device": SoftLinkInfo("/devices/probe")}
    assert ctx.read(h5f["devices/probe"]) is device
    assert ctx.violations == []


def test_a_dangling_soft_link_is_a_violation(context, reopen):
    h5f = reopen(holder_linking(h5py.SoftLink("/nowhere")))
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert holder.device is None
    assert ctx.violations == [
        Violation(
            "/holder/device", "soft link to /nowhere: no such object (dangling link)"
        )
    ]


def test_external_link_to_a_missing_file_is_kept_as_a_value(context, reopen):
    h5f = reopen(holder_linking(h5py.ExternalLink("missing.h5", "/devices/probe")))
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert holder.device == ExternalLink("missing.h5", "/devices/probe")
    assert holder.device.source == h5f.filename
    assert source_of(holder).links == {
        "device": ExternalLinkInfo("missing.h5", "/devices/probe")
    }


def test_external_link_to_a_present_file_is_followed(context, reopen, tiny, tmp_path):
    with h5py.File(tmp_path / "devices.h5", "w") as other:
        typed(other.create_group("probe"), "Device").attrs["manufacturer"] = "acme"
    h5f = reopen(holder_linking(h5py.ExternalLink("devices.h5", "/probe")))
    try:
        ctx = context()
        holder = ctx.read(h5f["holder"])
        assert isinstance(holder.device, tiny.Device)
        assert holder.device.manufacturer == "acme"
        assert source_of(holder).links["device"] == ExternalLinkInfo(
            "devices.h5", "/probe"
        )
    finally:
        files.close_external_files()


# --- references and paths ------------------------------------------------------


def test_reference_target_is_built_at_its_own_path(context, reopen, tiny):
    def build(h5f):
        device = typed(h5f.create_group("devices/probe"), "Device")
        h5f["devices/alias"] = device  # another hard link to it
        values(h5f, "v0").attrs["source"] = device.ref

    h5f = reopen(build)
    ctx = context()
    v0 = ctx.read(h5f["v0"])
    assert isinstance(v0.source, tiny.Device)
    assert source_of(v0.source).path in ("/devices/probe", "/devices/alias")
    assert ctx.known(h5f["devices/alias"]) is v0.source


def test_dangling_and_null_references(context, reopen):
    def build(h5f):
        gone = typed(h5f.create_group("gone"), "Device")
        values(h5f, "v0").attrs["source"] = gone.ref
        values(h5f, "v1").attrs["source"] = h5py.Reference()
        del h5f["gone"]

    h5f = reopen(build)
    ctx = context()
    assert ctx.read(h5f["v0"]).source is None
    assert ctx.read(h5f["v1"]).source is None
    assert [v.path for v in ctx.violations] == ["/v0 attribute 'source'"]
    assert "dangling" in ctx.violations[0].message


def test_path_of_indexes_the_file_after_a_few_searches(context, reopen, monkeypatch):
    def build(h5f):
        for name in ("a", "b", "c", "d"):
            h5f.create_group(f"groups/{name}")
        h5f["aliases/first"] = h5f["groups/d"]  # before /groups in name order

    h5f = reopen(build)
    built: list[ObjectMap] = []

    class Counting(ObjectMap):
        def __init__(self, h5file):
            super().__init__(h5file)
            built.append(self)

    monkeypatch.setattr(read_module, "ObjectMap", Counting)
    # past the small-groups-first search's budget (see test_search.py)
    monkeypatch.setattr(search_module, "BUDGET", 0)
    ctx = context()
    searched = [ctx.path_of(h5f[f"groups/{n}"]) for n in "ab"[:INDEX_AFTER]]
    assert searched == ["/groups/a", "/groups/b"] and built == []
    assert ctx.path_of(h5f["groups/c"]) == "/groups/c"
    assert len(built) == 1
    # now from the index: the canonical path (first in name order), once built
    assert ctx.path_of(h5f["groups/d"]) == "/aliases/first"
    assert ctx.path_of(h5f["groups/a"]) == "/groups/a"
    assert len(built) == 1
    with h5py.File(Path(h5f.filename).with_name("other.h5"), "w") as other:
        assert ctx.path_of(other.create_group("groups/a")) is None


def test_a_group_where_the_schema_expects_a_dataset(context, reopen):
    def build(h5f):
        series = typed(h5f.create_group("series"), "Series")
        series.create_dataset("data", data=[1.0]).attrs["unit"] = "m"
        series.create_group("timestamps").attrs["x"] = 1

    h5f = reopen(build)
    ctx = context()
    series = ctx.read(h5f["series"])
    assert series.timestamps is None
    assert source_of(series).unknown.groups["timestamps"].attrs["x"] == 1
    assert ctx.violations == [
        Violation(
            "/series/timestamps", "is a group, where the schema expects a dataset"
        )
    ]


def test_a_link_among_children_to_something_untyped_stays_a_link(context, reopen):
    def build(h5f):
        holder = holder_group(h5f)
        h5f.create_group("plain")
        holder["to_plain"] = h5py.SoftLink("/plain")
        holder["to_box"] = h5py.SoftLink("/holder/box")

    h5f = reopen(build)
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert set(holder.children) == {"box", "to_box"}
    assert holder.children["to_box"] is holder.children["box"]
    source = source_of(holder)
    assert source.unknown.links == {"to_plain": SoftLinkInfo("/plain")}
    assert source.links == {"to_box": SoftLinkInfo("/holder/box")}
    assert ctx.violations == []


# --- structural damage (issue 14) --------------------------------------------------


def test_soft_links_in_a_cycle_are_a_violation_and_kept(context, reopen):
    def build(h5f):
        holder_group(h5f)["device"] = h5py.SoftLink("/loop")
        h5f["loop"] = h5py.SoftLink("/holder/device")

    h5f = reopen(build)
    ctx = context()
    holder = ctx.read(h5f["holder"])
    assert holder.device is None
    assert ctx.violations == [
        Violation(
            "/holder/device",
            "soft link to /loop: a cycle of soft links "
            "(/holder/device -> /loop -> /holder/device)",
        )
    ]
    # kept as stored, so that writing the model back writes the link again
    assert source_of(holder).unknown.links == {"device": SoftLinkInfo("/loop")}
    strict = context(strict=True)
    strict.read(h5f["holder"])
    with pytest.raises(SchemaViolationError, match="a cycle of soft links"):
        strict.check(h5f.filename)


def _hdmf_context(**kwargs) -> ReadContext:
    return ReadContext(*merge_registries([hdmf]), **kwargs)


def _hdmf(obj, type_name: str):
    obj.attrs["namespace"] = "hdmf-common"
    obj.attrs["neurodata_type"] = type_name
    obj.attrs["description"] = "a column"
    return obj


def test_an_index_past_the_end_of_its_target_is_a_violation(reopen):
    def build(h5f):
        data = _hdmf(h5f.create_dataset("data", data=[1.0, 2.0, 3.0]), "VectorData")
        index = _hdmf(
            h5f.create_dataset("data_index", data=np.array([1, 2, 5], "u1")),
            "VectorIndex",
        )
        index.attrs["target"] = data.ref

    h5f = reopen(build)
    ctx = _hdmf_context()
    index = ctx.read(h5f["data_index"])
    assert list(index.value[()]) == [1, 2, 5]  # read as stored
    assert ctx.violations == [
        Violation(
            "/data_index",
            "index value 5 is past the end of its target /data (3 elements)",
        )
    ]
    strict = _hdmf_context(strict=True)
    strict.read(h5f["data_index"])
    with pytest.raises(SchemaViolationError, match="past the end of its target"):
        strict.check(h5f.filename)


def test_a_region_row_out_of_range_is_a_violation(reopen):
    def build(h5f):
        table = h5f.create_group("table")
        _hdmf(table, "DynamicTable").attrs["colnames"] = np.array([], dtype="S1")
        _hdmf(table.create_dataset("id", data=[0, 1]), "ElementIdentifiers")
        region = _hdmf(
            h5f.create_dataset("region", data=np.array([0, 1, 7])),
            "DynamicTableRegion",
        )
        region.attrs["table"] = table.ref

    h5f = reopen(build)
    ctx = _hdmf_context()
    ctx.read(h5f["region"])
    assert (
        Violation("/region", "row 7 is out of range of its table /table (2 rows)")
        in ctx.violations
    )


def test_a_damaged_member_names_its_path(reopen, context):
    from h5py import h5o

    from nwbgen.errors import DamagedFileError

    h5f = reopen(lambda f: holder_group(f))
    path, address = h5f.filename, h5o.get_info(h5f["holder/box"].id).addr
    h5f.close()
    data = bytearray(Path(path).read_bytes())
    data[address : address + 16] = bytes(16)
    Path(path).write_bytes(data)
    with h5py.File(path, "r") as damaged:
        with pytest.raises(DamagedFileError) as raised:
            context().read(damaged["holder"])
    assert str(raised.value).startswith(
        f"{path}: damaged file: cannot read /holder/box ("
    )


def test_a_group_typed_as_a_dataset_type_is_a_violation(context, reopen):
    h5f = reopen(
        lambda f: typed(f.create_group("v0"), "Values").attrs.create("unit", "mV")
    )
    ctx = context()
    ctx.read(h5f["v0"])
    assert Violation("/v0", "is a group, where its type is a dataset: no values") in (
        ctx.violations
    )


def test_path_of_finds_a_referenced_object_small_groups_first(context, reopen):
    def build(h5f):
        for i in range(300):
            h5f.create_group(f"acquisition/ts_{i:03d}")
        h5f.create_group("general/extracellular_ephys/electrodes")

    h5f = reopen(build)
    ctx = context()
    target = h5f["general/extracellular_ephys/electrodes"]
    assert ctx.path_of(target) == "/general/extracellular_ephys/electrodes"
    assert ctx._searches == 0  # noqa: SLF001 - no HDF5 search of the file
