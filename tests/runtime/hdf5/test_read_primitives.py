"""Read primitives: attributes, identity, references, cycles, links, types."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import h5py
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from nwbgen.errors import DanglingLinkError, DanglingReferenceError, ReferenceCycleError
from nwbgen.runtime.hdf5 import files
from nwbgen.runtime.hdf5.attributes import neurodata_type_of, read_attribute
from nwbgen.runtime.hdf5.lazy import LazyArray, read_dataset
from nwbgen.runtime.hdf5.links import (
    ExternalLink,
    ExternalLinkInfo,
    SoftLinkInfo,
    follow_link,
    member_link,
)
from nwbgen.runtime.hdf5.objects import object_key
from nwbgen.runtime.hdf5.references import Resolver
from nwbgen.runtime.hdf5.values import decode_attribute
from nwbgen.runtime.source import unknown_members

# --- attributes --------------------------------------------------------------


def test_text_attributes_bytes_and_str(h5):
    h5.attrs["vlen"] = "é"
    h5.attrs["fixed"] = np.bytes_(b"abc")
    h5.attrs["ascii"] = np.array(b"xy", dtype=h5py.string_dtype("ascii"))
    h5.attrs["texts"] = ["a", "b"]
    h5.attrs["fixed_texts"] = np.array([b"a", b"bc"], dtype="S2")
    for name, want in [("vlen", "é"), ("fixed", "abc"), ("ascii", "xy")]:
        got = read_attribute(h5, name, "text")
        assert got == want and type(got) is str
    for name in ("texts", "fixed_texts"):
        got = read_attribute(h5, name, "text")
        assert got.dtype == object and all(type(v) is str for v in got)
    assert read_attribute(h5, "fixed_texts", "text").tolist() == ["a", "bc"]


def test_scalars_become_python_values(h5):
    h5.attrs["f32"] = np.float32(0.1)
    h5.attrs["f64"] = 0.1
    h5.attrs["i64"] = np.int64(2**62)
    h5.attrs["u8"] = np.uint8(200)
    h5.attrs["flag"] = True
    h5.attrs["flag_int"] = np.int8(1)
    assert read_attribute(h5, "f32", "float32") == 0.1  # not 0.10000000149011612
    assert np.float32(read_attribute(h5, "f32", "float32")) == np.float32(0.1)
    assert type(read_attribute(h5, "f64", "float64")) is float
    assert read_attribute(h5, "i64", "int64") == 2**62
    assert type(read_attribute(h5, "u8", "uint8")) is int
    assert read_attribute(h5, "flag", "bool") is True
    assert read_attribute(h5, "flag_int", "bool") is True
    # unnamed by the schema: numpy scalars keep their dtype for writing back
    assert read_attribute(h5, "f32").dtype == np.float32


def test_scalar_stored_as_one_element_array(h5):
    h5.attrs["rate"] = np.array([30.0])
    h5.attrs["unit"] = np.array(["volts"], dtype=h5py.string_dtype())
    h5.attrs["values"] = np.array([1.0, 2.0])
    h5.attrs["one"] = 3
    assert read_attribute(h5, "rate", "float64", scalar=True) == 30.0
    assert read_attribute(h5, "unit", "text", scalar=True) == "volts"
    assert read_attribute(h5, "rate", "float64").tolist() == [30.0]  # as stored
    # more than one element where the schema says scalar: kept, validation decides
    assert read_attribute(h5, "values", "float64", scalar=True).tolist() == [1, 2]
    assert read_attribute(h5, "one", "int64", scalar=False).tolist() == [3]


def test_missing_and_empty_attributes(h5):
    h5.attrs["empty"] = h5py.Empty("f4")
    assert read_attribute(h5, "absent", "text") is None
    assert read_attribute(h5, "absent", "text", default="x") == "x"
    assert read_attribute(h5, "empty", "float32") is None
    assert isinstance(read_attribute(h5, "empty"), h5py.Empty)


def test_isodatetime_attribute_and_dataset(h5):
    h5.attrs["t"] = "2018-10-26T12:59:23-07:00"
    h5.create_dataset("session_start_time", data=b"2024-01-02T10:30:00Z")
    h5.create_dataset("old", data=np.array([b"2024-01-02T10:30:00Z"], dtype=object))
    t = read_attribute(h5, "t", "isodatetime")
    assert t == datetime(2018, 10, 26, 12, 59, 23, tzinfo=timezone(-timedelta(hours=7)))
    want = datetime(2024, 1, 2, 10, 30, tzinfo=timezone.utc)
    assert read_dataset(h5["session_start_time"], "isodatetime", scalar=True) == want
    assert read_dataset(h5["old"], "isodatetime", scalar=True) == want
    assert isinstance(read_dataset(h5["old"], "isodatetime"), LazyArray)


def test_decode_attribute_compound():
    dtype = np.dtype([("x", "f4"), ("label", h5py.string_dtype())])
    value = np.array([(1.5, b"a")], dtype=dtype)
    out = decode_attribute(value, (("x", "float32"), ("label", "text")))
    assert out["label"][0] == "a" and out["x"].dtype == np.float32


# --- identity, references, cycles ------------------------------------------


def test_object_key_is_shared_by_hard_links(h5):
    group = h5.create_group("a/original")
    h5["b_alias"] = group
    other = h5.create_group("c")
    assert object_key(h5["a/original"]) == object_key(h5["b_alias"])
    assert object_key(group) != object_key(other)


def test_same_object_via_paths_and_references_is_one_model(h5):
    target = h5.create_group("devices/probe")
    h5["alias"] = target
    holder = h5.create_group("holder")
    holder.attrs["device"] = target.ref
    holder.create_dataset("refs", data=[target.ref, h5["alias"].ref])
    built = []

    def build(obj):
        built.append(obj.name)
        return {"name": obj.name}

    resolver = Resolver(build)
    first = resolver.get_or_build(h5["alias"])
    assert read_attribute(holder, "device", "object:Device", resolver=resolver) is first
    rows = read_dataset(holder["refs"], "object:Device", resolver=resolver).load()
    assert rows[0] is first and rows[1] is first
    assert resolver.get(h5["devices/probe"]) is first and len(built) == 1
    assert h5["devices/probe"] in resolver and len(resolver) == 1


def test_put_rejects_a_second_model(h5):
    group = h5.create_group("g")
    resolver = Resolver()
    model = resolver.put(group, object())
    assert resolver.put(h5["g"], model) is model
    with pytest.raises(ValueError, match="already registered"):
        resolver.put(group, object())


class Node(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)
    name: str
    peer: Node | None = None


def test_cycle_with_placeholders(h5):
    a, b = h5.create_group("a"), h5.create_group("b")
    a.attrs["peer"], b.attrs["peer"] = b.ref, a.ref

    def build(obj):
        model = resolver.placeholder(obj, Node)  # registered before the members
        peer = read_attribute(obj, "peer", "object:Node", resolver=resolver)
        model.__init__(name=obj.name, peer=peer)
        return model

    resolver = Resolver(build)
    node_a = resolver.get_or_build(a)
    assert node_a.name == "/a" and node_a.peer.name == "/b"
    assert node_a.peer.peer is node_a
    assert resolver.get(b) is node_a.peer


def test_cycle_without_placeholder_is_reported(h5):
    a, b = h5.create_group("a"), h5.create_group("b")
    a.attrs["peer"], b.attrs["peer"] = b.ref, a.ref

    def build(obj):
        return Node(name=obj.name, peer=read_attribute(obj, "peer", resolver=resolver))

    resolver = Resolver(build)
    with pytest.raises(ReferenceCycleError, match="placeholder"):
        resolver.get_or_build(a)


def test_dangling_reference(tmp_path):
    path = tmp_path / "dangling.h5"
    with h5py.File(path, "w") as h5f:
        target = h5f.create_group("target")
        h5f.create_group("holder").attrs["ref"] = target.ref
        h5f.create_dataset("refs", data=[target.ref])
        del h5f["target"]
    with h5py.File(path, "r") as h5f:
        resolver = Resolver(lambda obj: obj.name)
        with pytest.raises(DanglingReferenceError) as info:
            read_attribute(h5f["holder"], "ref", "object:X", resolver=resolver)
        message = str(info.value)
        assert "dangling.h5" in message and "/holder" in message
        assert "'ref'" in message and "dangling" in message
        with pytest.raises(DanglingReferenceError, match="/refs"):
            read_dataset(h5f["refs"], resolver=resolver).load()


def test_null_reference_is_none(h5):
    h5.attrs["ref"] = h5py.Reference()
    assert read_attribute(h5, "ref", "object:X", resolver=Resolver(str)) is None


def test_region_references(h5):
    data = np.arange(40).reshape(8, 5)
    ds = h5.create_dataset("table", data=data)
    block = ds.regionref[2:4, 1:3]
    space = ds.id.get_space()
    space.select_elements(np.array([[0, 1], [5, 4], [7, 0]]))
    points = h5py.h5r.create(h5.id, b"table", h5py.h5r.DATASET_REGION, space)
    space = ds.id.get_space()
    space.select_hyperslab((0, 0), (1, 2))
    space.select_hyperslab((6, 3), (1, 2), op=h5py.h5s.SELECT_OR)
    blocks = h5py.h5r.create(h5.id, b"table", h5py.h5r.DATASET_REGION, space)
    h5.create_dataset(
        "regions", data=[block, points, blocks], dtype=h5py.regionref_dtype
    )
    resolver = Resolver(lambda obj: LazyArray(obj))
    rows = read_dataset(h5["regions"], "region:Table", resolver=resolver).load()
    for (target, selection), ref in zip(rows, [block, points, blocks]):
        assert target is rows[0][0]  # one model for the target dataset
        assert np.array_equal(target.load()[selection], ds[ref])
    assert rows[0][1] == (slice(2, 4), slice(1, 3))


# --- links -------------------------------------------------------------------


def test_member_link_kinds(h5):
    h5.create_group("hard")
    h5["soft"] = h5py.SoftLink("/hard")
    h5["dangling"] = h5py.SoftLink("/nowhere")
    h5["ext"] = h5py.ExternalLink("other.nwb", "/acquisition/x")
    assert member_link(h5, "hard") is None
    assert member_link(h5, "soft") == SoftLinkInfo("/hard")
    assert member_link(h5, "dangling") == SoftLinkInfo("/nowhere")
    assert member_link(h5, "ext") == ExternalLinkInfo("other.nwb", "/acquisition/x")
    with pytest.raises(KeyError):
        member_link(h5, "absent")
    assert object_key(follow_link(h5, "soft")) == object_key(h5["hard"])
    with pytest.raises(DanglingLinkError, match="soft link to /nowhere"):
        follow_link(h5, "dangling")
    with pytest.raises(DanglingLinkError, match="other.nwb"):
        follow_link(h5, "ext")


def test_resolve_path_follows_soft_links_one_at_a_time(h5):
    from nwbgen.errors import LinkCycleError
    from nwbgen.runtime.hdf5.links import resolve_path

    h5.create_dataset("a/b/d", data=1)
    h5["s"] = h5py.SoftLink("/a")
    h5["a/rel"] = h5py.SoftLink("b/d")
    h5["c1"] = h5py.SoftLink("/c2")
    h5["c2"] = h5py.SoftLink("/c1")
    previous = "/a/b/d"
    for i in range(20):  # a chain longer than HDF5's own limit of 16
        h5[f"hop{i}"] = h5py.SoftLink(previous)
        previous = f"/hop{i}"
    for path in ("/s/b/d", "/a/rel", previous):
        found = resolve_path(h5, path)
        assert found.path == "/a/b/d" and object_key(found.obj) == object_key(
            h5["a/b/d"]
        )
    assert resolve_path(h5, "rel", h5["a"]).path == "/a/b/d"
    assert resolve_path(h5, "/s/nothing").obj is None
    with pytest.raises(LinkCycleError) as raised:
        resolve_path(h5, "/c1/x")
    assert raised.value.chain == ["/c1", "/c2", "/c1"]
    assert str(raised.value).endswith(
        ":/c1: soft links that lead back to themselves (/c1 -> /c2 -> /c1)"
    )


def test_external_link_value_resolves_lazily(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    with h5py.File(tmp_path / "sub" / "data.h5", "w") as h5f:
        h5f.create_dataset("acquisition/x", data=np.arange(4))
    main = tmp_path / "sub" / "main.h5"
    with h5py.File(main, "w") as h5f:
        h5f["x"] = h5py.ExternalLink("data.h5", "/acquisition/x")
        h5f["y"] = h5py.ExternalLink("data.h5", "/nothing")
        h5f["z"] = h5py.ExternalLink("missing.h5", "/x")
    monkeypatch.chdir(tmp_path)  # relative names resolve beside the linking file
    try:
        with h5py.File(main, "r") as h5f:
            link = ExternalLink.of(h5f, "x")
            missing_object = ExternalLink.of(h5f, "y")
            missing_file = ExternalLink.of(h5f, "z")
        assert link == ExternalLink("data.h5", "/acquisition/x")  # a value
        target = link.resolve()
        assert target[:].tolist() == [0, 1, 2, 3]
        assert link.resolve()[1] == 1
        assert list(files._OPEN_FILES) == [str((tmp_path / "sub/data.h5").resolve())]
        with pytest.raises(DanglingLinkError, match="/nothing"):
            missing_object.resolve()
        with pytest.raises(DanglingLinkError, match="missing.h5"):
            missing_file.resolve()
    finally:
        files.close_external_files()
    assert not target.id.valid


# --- types and unknown members -----------------------------------------------


def test_neurodata_type_of(h5):
    nwb = h5.create_group("ts")
    nwb.attrs["neurodata_type"] = np.bytes_(b"TimeSeries")
    nwb.attrs["namespace"] = b"core"
    table = h5.create_dataset("col", data=[1])
    table.attrs["data_type"] = "VectorData"
    table.attrs["namespace"] = "hdmf-common"
    old = h5.create_group("old")
    old.attrs["neurodata_type"] = "Device"
    assert neurodata_type_of(nwb) == ("core", "TimeSeries")
    assert neurodata_type_of(table) == ("hdmf-common", "VectorData")
    assert neurodata_type_of(old) == (None, "Device")
    assert neurodata_type_of(h5.create_group("plain")) is None


def test_unknown_members(h5):
    group = h5.create_group("ts")
    group.attrs["description"] = "known"
    group.attrs["custom"] = np.float32(1.5)
    group.attrs["note"] = b"extra"
    group.create_dataset("data", data=[1, 2])
    group.create_dataset("extra_data", data=np.arange(3))
    group.create_group("extra_group")
    group["extra_link"] = h5py.SoftLink("/ts/data")
    found = unknown_members(group, {"description"}, {"data"})
    assert set(found.attributes) == {"custom", "note"}
    assert found.attributes["custom"].dtype == np.float32
    assert found.attributes["note"] == "extra"
    assert isinstance(found.datasets["extra_data"], LazyArray)
    assert found.groups["extra_group"].name == "/ts/extra_group"
    assert found.links == {"extra_link": SoftLinkInfo("/ts/data")}
    none = unknown_members(group["data"], (), ())
    assert not none
