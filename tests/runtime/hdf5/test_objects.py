"""HDF5 objects by identity: keys, handles, canonical paths, dereferencing."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from h5py import h5o

from nwbgen.errors import DanglingReferenceError, HDF5PathError
from nwbgen.runtime.hdf5.objects import (
    ObjectInfo,
    ObjectMap,
    address,
    dereference,
    get_object,
    high_level,
    location,
    object_key,
    open_member,
    resolve_hardlink,
)


def same_layout(h5f: h5py.File) -> None:
    h5f.create_group("a/x")
    h5f.create_dataset("a/data", data=np.arange(3))


@pytest.fixture
def two_files(tmp_path: Path):
    """Two files built the same way: same addresses, different files."""
    opened = []
    for name in ("one.h5", "two.h5"):
        h5f = h5py.File(tmp_path / name, "w")
        same_layout(h5f)
        opened.append(h5f)
    yield opened
    for h5f in opened:
        h5f.close()


# --- keys, handles, locations ------------------------------------------------------


def test_object_key_is_shared_by_hard_links_only(h5):
    group = h5.create_group("a/original")
    h5["b/alias"] = group
    h5["soft"] = h5py.SoftLink("/a/original")
    key = object_key(group)
    assert object_key(h5["b/alias"]) == key
    assert object_key(h5["soft"]) == key  # a soft link reaches the same object
    assert object_key(group.id) == key  # a low-level id works too
    assert object_key(h5["a"]) != key and object_key(h5) != key
    assert address(h5["b/alias"]) == key[1]


def test_object_keys_differ_across_files(two_files):
    one, two = two_files
    assert address(one["a/x"]) == address(two["a/x"])  # the same layout...
    assert object_key(one["a/x"]) != object_key(two["a/x"])  # ...other objects
    assert object_key(one["a/x"])[0] == object_key(one)[0]  # one file number


def test_high_level_location_and_open_member(h5):
    group = h5.create_group("g")
    dset = group.create_dataset("d", data=[1, 2])
    h5["g/t"] = np.dtype("f4")  # a named datatype
    assert isinstance(high_level(group.id), h5py.Group)
    assert isinstance(high_level(dset.id), h5py.Dataset)
    assert isinstance(high_level(h5["g/t"].id), h5py.Datatype)
    assert location(dset) == f"{h5.filename}:/g/d"
    member = open_member(group, "d")
    assert isinstance(member, h5py.Dataset) and member[()].tolist() == [1, 2]
    assert object_key(member) == object_key(dset)


def test_datasets_made_from_ids_are_h5pys_own_sharing_one_transfer_list(h5):
    dset = h5.create_dataset("d", data=np.arange(6).reshape(2, 3))
    made = [high_level(h5o.open(h5.id, b"d"), readonly=True) for _ in range(3)]
    plain = h5py.Dataset(dset.id, readonly=True)
    for one in made:
        assert type(one) is h5py.Dataset
        assert sorted(vars(one)) == sorted(vars(plain))  # what h5py gives one
        assert one.shape == (2, 3) and one[1, 1:].tolist() == [4, 5]
    # the second and later share one list; the first was h5py's own
    assert made[1]._dxpl is made[2]._dxpl
    assert made[1]._readonly and not high_level(dset.id)._readonly


def test_get_object(h5):
    h5.create_group("present")
    h5["dangling"] = h5py.SoftLink("/nowhere")
    assert get_object(h5, "/present") == h5["present"]
    for path in ("/absent", "/dangling", "/present/deeper"):
        with pytest.raises(HDF5PathError) as raised:
            get_object(h5, path)
        assert str(raised.value) == f"{h5.filename}: no object at {path}"


# --- ObjectMap -------------------------------------------------------------------------


def test_object_map_gives_canonical_paths(h5):
    original = h5.create_group("b/original")
    original.attrs["x"] = 1
    h5["a_alias"] = original  # before "b" in name order: canonical
    dset = h5.create_dataset("b/data", data=[1.0])
    h5["soft"] = h5py.SoftLink("/b/data")  # soft links are not objects
    objects = ObjectMap(h5)
    assert objects.file is h5
    assert objects.path_of[address(original)] == "/a_alias"
    assert objects.path_of[address(h5)] == "/"
    assert set(objects.info) == {"/", "/a_alias", "/b", "/b/data"}
    assert len(objects) == 4
    info = objects.info["/a_alias"]
    assert isinstance(info, ObjectInfo)
    assert (info.addr, info.num_attrs, info.rc) == (address(original), 1, 2)
    assert info.type == h5o.TYPE_GROUP and objects.info["/b/data"].type == (
        h5o.TYPE_DATASET
    )
    assert objects.path_at(object_key(dset)) == "/b/data"
    assert objects.path_at(object_key(h5["soft"])) == "/b/data"
    assert objects.resolve(address(dset), "/holder", "attribute 'ref'") == "/b/data"


def test_object_map_path_at_another_files_key(two_files):
    one, two = two_files
    objects = ObjectMap(one)
    assert objects.path_at(object_key(one["a/x"])) == "/a/x"
    # the same address in another file is another object
    assert objects.path_at(object_key(two["a/x"])) is None
    assert objects.path_at((objects.fileno, 123456789)) is None


def test_object_map_resolve_of_an_unreached_address(h5):
    h5.create_group("g")
    objects = ObjectMap(h5)
    with pytest.raises(DanglingReferenceError) as raised:
        objects.resolve(987654321, "/holder", "attribute 'ref'")
    assert str(raised.value) == (
        f"{h5.filename}:/holder: attribute 'ref' refers to an object that no path "
        "in the file reaches (dangling reference)"
    )


# --- resolve_hardlink ------------------------------------------------------------------


def test_resolve_hardlink(h5):
    single = h5.create_group("only/child")
    original = h5.create_group("a/x")
    h5["b"] = h5["a"]  # /b/x is /a/x through an aliased parent
    h5["z_alias"] = original
    h5["soft"] = h5py.SoftLink("/a/x")
    assert resolve_hardlink(single) == "/only/child"
    assert resolve_hardlink(h5["only"]["child"]) == "/only/child"
    for path in ("/a/x", "/b/x", "/z_alias", "/soft"):
        assert resolve_hardlink(h5[path]) == "/a/x", path
    assert resolve_hardlink(h5) == "/"
    assert resolve_hardlink(h5["b"]) == "/a"


def test_resolve_hardlink_of_an_unlinked_object(h5):
    orphan = h5.create_group("orphan")
    del h5["orphan"]  # still open, reached by no link
    with pytest.raises(HDF5PathError, match="is reached by no hard link"):
        resolve_hardlink(orphan)


# --- dereference -------------------------------------------------------------------------


def test_dereference_null_dangling_and_valid(tmp_path: Path):
    path = tmp_path / "refs.h5"
    with h5py.File(path, "w") as h5f:
        target = h5f.create_group("target")
        data = h5f.create_dataset("data", data=np.arange(5))
        gone = h5f.create_group("gone")
        h5f.attrs["target"] = target.ref
        h5f.attrs["gone"] = gone.ref
        h5f.attrs["region"] = data.regionref[1:3]
        del gone
        del h5f["gone"]
    with h5py.File(path, "r") as h5f:
        assert dereference(h5py.Reference(), h5f) is None
        assert dereference(None, h5f) is None
        assert dereference(h5f.attrs["gone"], h5f) is None  # dangling: None too
        found = dereference(h5f.attrs["target"], h5f["data"])
        assert isinstance(found, h5py.Group) and found.name == "/target"
        assert object_key(found) == object_key(h5f["target"])
        assert object_key(dereference(h5f.attrs["target"], h5f.id)) == object_key(
            h5f["target"]
        )
        region = dereference(h5f.attrs["region"], h5f)
        assert isinstance(region, h5py.Dataset) and region.name == "/data"
