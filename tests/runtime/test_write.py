"""WriteContext and WriteFrame driven directly: models of the small generated "tiny"
package (built in Python, or read back) written into fresh h5py files."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
import pytest

import nwbgen.generated.core.v2_11_0 as core
from nwbgen.errors import HDF5WriteError
from nwbgen.generator.compile import compile_namespaces
from nwbgen.generator.emit import write_package
from nwbgen.runtime.hdf5.links import SoftLinkInfo
from nwbgen.runtime.read import ReadContext, merge_registries
from nwbgen.runtime.source import source_of
from nwbgen.runtime.write import WriteContext, package_of
from nwbgen.spec.sources import load_sources
from tests.support.paths import FIXTURES, import_package


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The models of tiny 1.2.0, compiled into a fresh package."""
    root = tmp_path_factory.mktemp("tiny_write")
    sources = load_sources([FIXTURES / "tiny" / "tiny.namespace.yaml"])
    write_package(compile_namespaces(sources).files, root / "tiny_pkg")
    return import_package(root, "tiny_pkg").load("tiny", "1.2.0")


@pytest.fixture
def out(tmp_path: Path):
    """A fresh HDF5 file to write into."""
    h5f = h5py.File(tmp_path / "out.h5", "w")
    yield h5f
    h5f.close()


def string_info(dtype) -> tuple[str, int | None] | None:
    info = h5py.check_string_dtype(dtype)
    return None if info is None else (info.encoding, info.length)


def attr_dtype(obj, name: str):
    return obj.attrs.get_id(name).dtype


def series_model(tiny, **kwargs):
    return tiny.VoltageSeries(
        name="vs",
        data=tiny.VoltageSeriesData(value=[1, 2, 3]),
        rate=30.0,
        flags=[True, False, True],
        created=datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        **kwargs,
    )


def holder_model(tiny, device=None, children=None):
    device = device or tiny.Device(name="probe", manufacturer="acme")
    return tiny.Holder(
        settings=tiny.HolderSettings(gains=np.array([1.0, 2.0], dtype="f4")),
        device=device,
        children=children if children is not None else [device],
    )


# --- built models --------------------------------------------------------------


def test_attributes_and_datasets_get_the_schema_dtypes(tiny, out):
    ctx = WriteContext(out, {})
    ctx.write(out, "vs", series_model(tiny))
    ctx.write(out, "holder", holder_model(tiny))
    ctx.finish()
    series = out["vs"]
    assert series.attrs["description"] == "no description"  # the default
    assert string_info(attr_dtype(series, "description")) == ("utf-8", None)
    assert series.attrs["created"] == "2020-01-02T03:04:05+00:00"
    assert string_info(attr_dtype(series, "created")) == ("ascii", None)
    data = series["data"]
    assert data.dtype == np.float32 and data[()].tolist() == [1.0, 2.0, 3.0]
    assert data.attrs["unit"] == "volts"
    assert attr_dtype(data, "conversion") == np.float32  # a Python float: exact
    assert series["rate"].shape == () and series["rate"].dtype == np.float32
    assert series["flags"].dtype == np.bool_
    assert series["flags"][()].tolist() == [True, False, True]
    assert "timestamps" not in series  # None: nothing written
    settings = out["holder/settings"]
    assert settings.attrs["mode"] == "auto"
    assert string_info(attr_dtype(settings, "mode")) == ("ascii", None)
    assert settings["gains"].dtype == np.float32


def test_type_attributes_and_fresh_object_ids(tiny, out):
    ctx = WriteContext(out, {})
    ctx.write(out, "vs", series_model(tiny))
    ctx.write(out, "holder", holder_model(tiny))
    ctx.finish()
    ids = set()
    for path, type_name in [
        ("vs", "VoltageSeries"),
        ("holder", "Holder"),
        ("holder/probe", "Device"),
    ]:
        attrs = out[path].attrs
        assert attrs["namespace"] == "tiny" and attrs["neurodata_type"] == type_name
        assert uuid.UUID(attrs["object_id"]).version == 4
        ids.add(attrs["object_id"])
    assert len(ids) == 3
    for untyped in ("vs/data", "holder/settings"):  # nested member classes
        assert not {"namespace", "neurodata_type", "object_id"} & set(
            out[untyped].attrs
        )
    assert ctx.classes_written >= {tiny.VoltageSeries, tiny.Holder, tiny.Device}


def test_links_are_soft_links_to_the_home(tiny, out):
    device = tiny.Device(name="probe")
    first = holder_model(tiny, device)
    values = tiny.Values(name="v", value=[1.0], unit="m")
    second = holder_model(tiny, device, children=[values])
    ctx = WriteContext(out, {})
    ctx.write(out, "first", first)
    ctx.write(out, "second", second)
    ctx.write(out, "again", values)  # reached again: a link to its home
    ctx.finish()
    assert isinstance(out["first"].get("probe", getlink=True), h5py.HardLink)
    for path in ("first/device", "second/device"):
        link = out.get(path, getlink=True)
        assert isinstance(link, h5py.SoftLink) and link.path == "/first/probe"
    again = out.get("again", getlink=True)
    assert isinstance(again, h5py.SoftLink) and again.path == "/second/v"
    assert ctx.homes[id(device)] == "/first/probe"


def test_a_link_to_a_model_not_in_the_file_names_the_link(tiny, out):
    elsewhere = tiny.Device(name="elsewhere")
    ctx = WriteContext(out, {})
    ctx.write(out, "h", holder_model(tiny, elsewhere, children=[]))
    with pytest.raises(HDF5WriteError) as raised:
        ctx.finish()
    message = str(raised.value)
    assert message.startswith(f"{out.filename}:/h/device: links to Device")
    assert "'elsewhere', which is not in the file" in message


def test_references_wait_for_their_targets(tiny, out):
    device = tiny.Device(name="probe")
    values = tiny.Values(name="v0", value=[1.0, 2.0], unit="mV", source=device)
    spans = tiny.Spans(
        name="spans",
        value=np.array(
            [(0, 2, None)], dtype=[("start", "i4"), ("count", "u4"), ("target", "O")]
        ),
    )
    spans.value["target"][0] = values
    ctx = WriteContext(out, {})
    ctx.write(out, "v0", values)  # before the device it refers to
    ctx.write(out, "spans", spans)  # a dataset of references: created last
    assert "source" not in out["v0"].attrs and "spans" not in out
    assert ctx.homes[id(spans)] == "/spans"
    ctx.write(out, "probe", device)
    ctx.finish()
    assert out[out["v0"].attrs["source"]].name == "/probe"
    stored = out["spans"][()]
    assert stored["start"].tolist() == [0] and stored["count"].tolist() == [2]
    assert out[stored["target"][0]].name == "/v0"
    assert out["spans"].dtype["start"] == np.int32
    assert out["spans"].attrs["neurodata_type"] == "Spans"


def test_a_reference_to_a_model_not_in_the_file(tiny, out):
    lost = tiny.Device(name="lost")
    ctx = WriteContext(out, {})
    ctx.write(out, "v0", tiny.Values(name="v0", value=[1.0], unit="m", source=lost))
    with pytest.raises(HDF5WriteError) as raised:
        ctx.finish()
    message = str(raised.value)
    assert "a reference to Device 'lost', which is not in the file" in message
    # the error family names the HDF5 path (and member) that cannot be written
    assert message.startswith(f"{out.filename}:/v0: attribute 'source': ")


def test_a_dataset_of_references_to_a_model_not_in_the_file(tiny, out):
    lost = tiny.Values(name="lost", value=[1.0], unit="m")
    rows = np.array(
        [(0, 1, None)], dtype=[("start", "i4"), ("count", "u4"), ("target", "O")]
    )
    rows["target"][0] = lost
    ctx = WriteContext(out, {})
    ctx.write(out, "spans", tiny.Spans(name="spans", value=rows))
    with pytest.raises(HDF5WriteError) as raised:
        ctx.finish()
    message = str(raised.value)
    assert "a reference to Values 'lost', which is not in the file" in message
    assert f"{out.filename}:/spans" in message  # the dataset that holds it


def test_package_of(tiny):
    assert package_of(tiny.Device) is tiny
    assert package_of(tiny.HolderSettings) is tiny  # a nested member class
    assert package_of(core.ElectricalSeries) is core
    assert package_of(int) is None and package_of(WriteContext) is None


def test_writers_come_from_the_models_package(tiny, out):
    writers: dict = {}
    ctx = WriteContext(out, writers)
    ctx.write(out, "dev", tiny.Device(name="dev"))
    assert writers == tiny.writers()
    with pytest.raises(HDF5WriteError, match=f"{out.filename}:/x: no writer for"):
        ctx.write(out, "x", 5)


def test_a_bad_value_names_its_path(tiny, out):
    ctx = WriteContext(out, {})
    data = tiny.VoltageSeriesData.model_construct(
        name="data", value=np.zeros(2, "f4"), unit="volts", conversion="x"
    )
    with pytest.raises(HDF5WriteError) as raised:
        ctx.write(out, "s1", tiny.VoltageSeries.model_construct(name="s1", data=data))
    assert str(raised.value).startswith(
        f"{out.filename}:/s1/data: attribute 'conversion':"
    )
    series = tiny.VoltageSeries.model_construct(
        name="s2", data=tiny.VoltageSeriesData(value=[1.0]), rate="fast"
    )
    with pytest.raises(HDF5WriteError, match=f"^{out.filename}:/s2/rate: "):
        ctx.write(out, "s2", series)
    lossy = tiny.HolderSettings.model_construct(name="settings", gains=["a", "b"])
    with pytest.raises(HDF5WriteError, match="/h/settings/gains"):
        ctx.write(
            out,
            "h",
            tiny.Holder.model_construct(name="h", settings=lossy, children={}),
        )
    with pytest.raises(HDF5WriteError, match="/empty: dataset has no value"):
        ctx.write(out, "empty", tiny.Values.model_construct(name="empty", unit="m"))


# --- models read from a file -----------------------------------------------------


def typed(obj, type_name: str, object_id: str | None = None):
    obj.attrs["namespace"] = "tiny"
    obj.attrs["neurodata_type"] = type_name
    if object_id is not None:
        obj.attrs["object_id"] = object_id
    return obj


@pytest.fixture
def read_back(tiny, tmp_path: Path):
    """Build a file with ``build(h5f)``, read ``path`` from it: (model, file)."""
    opened: list[h5py.File] = []

    def make(build, path: str):
        with h5py.File(tmp_path / "source.h5", "w") as h5f:
            build(h5f)
        h5f = h5py.File(tmp_path / "source.h5", "r")
        opened.append(h5f)
        ctx = ReadContext(*merge_registries([tiny]))
        return ctx.read(h5f[path]), ctx

    yield make
    for h5f in opened:
        h5f.close()


def stored_series(h5f):
    series = typed(h5f.create_group("series"), "VoltageSeries", object_id="abc")
    series.attrs["gain"] = np.float32(2.5)
    data = series.create_dataset("data", data=np.zeros(3, "f4"))
    data.attrs["unit"] = "volts"
    data.attrs["conversion"] = np.float64(2.0)  # float32 in the schema
    series["rate"] = np.float64(30.0)
    series["extra"] = np.arange(3, dtype="i2")
    series.create_group("extra_group").attrs["x"] = 7
    series["soft"] = h5py.SoftLink("/nowhere")
    series["ext"] = h5py.ExternalLink("other.h5", "/x")


def test_a_read_model_writes_back_what_it_held(read_back, out):
    series, ctx = read_back(stored_series, "series")
    assert ctx.violations == []
    wctx = WriteContext(out, {})
    wctx.write(out, "series", series)
    wctx.finish()
    written = out["series"]
    assert written.attrs["object_id"] == "abc"  # kept, not new
    assert attr_dtype(written, "gain") == np.float32
    assert attr_dtype(written["data"], "conversion") == np.float64  # as stored
    assert written["rate"].dtype == np.float64
    assert written["extra"].dtype == np.int16 and written["extra"][()].tolist() == [
        0,
        1,
        2,
    ]
    assert written["extra_group"].attrs["x"] == 7
    assert written.get("soft", getlink=True).path == "/nowhere"
    ext = written.get("ext", getlink=True)
    assert (ext.filename, ext.path) == ("other.h5", "/x")
    # defaults the file did not have are not added
    assert "description" not in written.attrs and "created" not in written.attrs


def test_a_read_model_without_object_id_stays_without(read_back, out, tiny):
    device, _ = read_back(lambda h5f: typed(h5f.create_group("dev"), "Device"), "dev")
    assert source_of(device).object_id is None
    ctx = WriteContext(out, {})
    ctx.write(out, "dev", device)
    assert "object_id" not in out["dev"].attrs
    assert out["dev"].attrs["neurodata_type"] == "Device"


def test_a_read_link_is_written_as_a_link_to_the_new_home(read_back, out, tiny):
    def build(h5f):
        typed(h5f.create_group("devices/probe"), "Device")
        holder = typed(h5f.create_group("holder"), "Holder")
        holder.create_group("settings")["gains"] = np.array([1.0], "f4")
        typed(holder.create_group("box"), "Container")
        holder["device"] = h5py.SoftLink("/devices/probe")

    holder, _ = read_back(build, "holder")
    assert source_of(holder).links == {"device": SoftLinkInfo("/devices/probe")}
    ctx = WriteContext(out, {})
    ctx.write(out, "copy", holder)  # read at /holder: placed once homes are known
    assert "copy" not in out
    ctx.write(out.require_group("devices"), "probe", holder.device)
    ctx.finish()
    assert out["copy/box"].attrs["neurodata_type"] == "Container"
    link = out["copy"].get("device", getlink=True)
    assert isinstance(link, h5py.SoftLink) and link.path == "/devices/probe"


def test_a_dangling_link_among_children_survives_a_round_trip(read_back, out):
    """A group with typed children (Holder) and a dangling soft link: the link is
    reported, but neither kept as unknown nor written back."""

    def build(h5f):
        holder = typed(h5f.create_group("holder"), "Holder")
        holder.create_group("settings")["gains"] = np.array([1.0], "f4")
        typed(holder.create_group("box"), "Container")
        holder["dangle"] = h5py.SoftLink("/nowhere")

    holder, ctx = read_back(build, "holder")
    assert [v.path for v in ctx.violations] == ["/holder/dangle"]
    wctx = WriteContext(out, {})
    wctx.write(out, "holder", holder)
    wctx.finish()
    assert "box" in out["holder"]
    link = out["holder"].get("dangle", getlink=True)
    assert isinstance(link, h5py.SoftLink) and link.path == "/nowhere"


def test_text_attributes_of_untyped_datasets_keep_their_encoding(read_back, out):
    """Attributes of an untyped member dataset (Series.timestamps) were kept raw
    (variable-length UTF-8 text as bytes) and written back as ASCII."""

    def build(h5f):
        stored_series(h5f)
        h5f["series/timestamps"] = np.arange(3.0)
        h5f["series/timestamps"].attrs["note"] = "café"

    series, _ = read_back(build, "series")
    assert "note" in source_of(series).member_attributes["timestamps"]
    ctx = WriteContext(out, {})
    ctx.write(out, "series", series)
    ctx.finish()
    timestamps = out["series/timestamps"]
    assert timestamps.attrs["note"] == "café"
    assert string_info(attr_dtype(timestamps, "note")) == ("utf-8", None)
