"""What a read keeps on each model (Source), violations, and unknown members."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import nwbgen.generated.core.v2_11_0 as core
import nwbgen.generated.hdmf_common.v1_10_0 as hdmf
from nwbgen.runtime.hdf5.lazy import LazyArray
from nwbgen.runtime.hdf5.links import ExternalLinkInfo, SoftLinkInfo
from nwbgen.runtime.hdf5.references import Resolver
from nwbgen.runtime.read import ReadContext, merge_registries
from nwbgen.runtime.source import (
    Source,
    UnknownMembers,
    Violation,
    source_of,
    unknown_members,
)


@pytest.fixture
def h5(tmp_path: Path):
    """A fresh HDF5 file open for writing; closed after the test."""
    h5f = h5py.File(tmp_path / "source.h5", "w")
    yield h5f
    h5f.close()


def typed(obj, type_name: str, namespace: str = "core"):
    obj.attrs["namespace"] = namespace
    obj.attrs["neurodata_type"] = type_name
    return obj


# --- source_of -------------------------------------------------------------------


def test_source_of_a_read_model_and_of_a_built_one(h5):
    device = typed(h5.create_group("general/devices/probe"), "Device")
    device.attrs["object_id"] = "id-1"
    device.attrs["description"] = "a probe"
    ctx = ReadContext(*merge_registries([hdmf, core]))
    read = ctx.read(h5["general/devices/probe"])
    source = source_of(read)
    assert isinstance(source, Source)
    assert (source.filename, source.path, source.object_id) == (
        h5.filename,
        "/general/devices/probe",
        "id-1",
    )
    built = core.Device(name="probe", description="a probe")
    assert source_of(built) is None
    assert built.description == read.description  # same values, different origin
    # what is not a model has no source either
    for other in (None, object(), {"_h5": source}, h5):
        assert source_of(other) is None


def test_model_copy_keeps_the_source(h5):
    typed(h5.create_group("probe"), "Device").attrs["description"] = "d"
    read = ReadContext(*merge_registries([hdmf, core])).read(h5["probe"])
    copied = read.model_copy(update={"description": "changed"})
    assert copied.description == "changed" and read.description == "d"
    assert source_of(copied) == source_of(read)


def test_source_defaults_are_not_shared():
    a, b = Source("f.h5", "/a"), Source("f.h5", "/b")
    a.unknown.attributes["x"] = 1
    a.dtypes["rate"] = np.dtype("f8")
    a.links["l"] = SoftLinkInfo("/x")
    assert b.unknown.attributes == {} and b.dtypes == {} and b.links == {}
    assert b.object_id is None and b.type_attribute == "neurodata_type"
    assert b.extra_children == {} and b.member_attributes == {}


# --- violations and unknown members ------------------------------------------------


def test_violation_str_and_value_semantics():
    violation = Violation("/acquisition/raw", "data: Field required")
    assert str(violation) == "/acquisition/raw: data: Field required"
    assert violation == Violation("/acquisition/raw", "data: Field required")
    assert len({violation, Violation("/acquisition/raw", "data: Field required")}) == 1
    with pytest.raises(AttributeError):  # immutable
        violation.path = "/elsewhere"  # type: ignore[misc]


def test_unknown_members_is_false_only_when_empty(h5):
    assert not UnknownMembers()
    assert UnknownMembers(attributes={"a": 1})
    assert UnknownMembers(datasets={"d": LazyArray(h5.create_dataset("d", data=[1]))})
    assert UnknownMembers(groups={"g": h5.create_group("g")})
    assert UnknownMembers(links={"l": SoftLinkInfo("/g")})


def test_unknown_members_filters_the_known_names(h5):
    group = h5.create_group("ts")
    group.attrs["description"] = "known"
    group.attrs["rate"] = np.float32(2.5)
    group.attrs["texts"] = ["a", "b"]
    group.create_dataset("data", data=[1, 2])
    group.create_dataset("extra", data=np.arange(4, dtype="u2"))
    group.create_group("sub")
    group["alias"] = h5["ts/sub"]  # a hard link is a member like any other
    group["dangling"] = h5py.SoftLink("/nowhere")
    group["ext"] = h5py.ExternalLink("absent.h5", "/x")
    found = unknown_members(group, ["description"], iter(["data"]))
    assert set(found.attributes) == {"rate", "texts"}
    assert found.attributes["rate"].dtype == np.float32  # no schema: dtype kept
    assert found.attributes["texts"].tolist() == ["a", "b"]
    assert set(found.datasets) == {"extra"}
    extra = found.datasets["extra"]
    assert isinstance(extra, LazyArray) and extra.dtype == np.uint16
    assert extra[1:3].tolist() == [1, 2]
    assert set(found.groups) == {"alias", "sub"}
    assert found.groups["alias"] == found.groups["sub"]
    # links are reported as stored, never followed (dangling ones too)
    assert found.links == {
        "dangling": SoftLinkInfo("/nowhere"),
        "ext": ExternalLinkInfo("absent.h5", "/x"),
    }
    everything = unknown_members(
        group, group.attrs.keys(), ["data", "extra", "sub", "alias", "dangling", "ext"]
    )
    assert not everything


def test_unknown_members_of_a_dataset_are_its_attributes(h5):
    dset = h5.create_dataset("d", data=[1.0])
    dset.attrs["unit"] = "m"
    dset.attrs["note"] = b"raw"
    found = unknown_members(dset, ["unit"], ["anything"])
    assert found.attributes == {"note": "raw"}
    assert not (found.datasets or found.groups or found.links)


def test_unknown_members_resolve_references_through_the_resolver(h5):
    target = h5.create_group("target")
    holder = h5.create_group("holder")
    holder.attrs["points_to"] = target.ref
    holder.create_dataset("refs", data=[target.ref, target.ref], dtype=h5py.ref_dtype)
    built: list[str] = []

    def build(obj):
        built.append(obj.name)
        return {"model of": obj.name}

    resolver = Resolver(build)
    found = unknown_members(holder, resolver=resolver)
    model = found.attributes["points_to"]
    assert model == {"model of": "/target"}
    rows = found.datasets["refs"].load()
    assert rows[0] is model and rows[1] is model
    assert built == ["/target"]
    # without a resolver the reference stays a reference
    raw = unknown_members(holder).attributes["points_to"]
    assert isinstance(raw, h5py.Reference) and h5[raw] == target
