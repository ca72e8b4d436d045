"""LazyArray as dask arrays: blocks on the HDF5 chunks, values decoded as slicing
decodes them, tasks that reopen the file by its path or URL on worker processes
of a ``dask.distributed`` cluster of the test's own."""

from __future__ import annotations

import copy
import io
import pickle
import shutil
import sys
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

from nwbgen import HDF5IO
from nwbgen.errors import ClosedFileError, HDF5ReadError, NWBGenError, SourceError
from nwbgen.runtime.hdf5 import reopen
from nwbgen.runtime.hdf5.lazy import LazyArray
from tests.support.paths import REPO
from tests.support.range_server import RangeServer

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

EXAMPLE = REPO / "examples" / "ecephys.nwb"
DATA = np.arange(200 * 30, dtype="f8").reshape(200, 30)
COMPOUND = np.dtype([("idx", "i4"), ("label", h5py.string_dtype())])


@pytest.fixture(scope="module")
def path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "file.h5"
    with h5py.File(path, "w") as h5f:
        h5f.create_dataset("chunked", data=DATA, chunks=(16, 10))
        h5f.create_dataset("contiguous", data=np.arange(1000, dtype="i8"))
        h5f.create_dataset("text", data=["a", "bb", "ccc"], dtype=h5py.string_dtype())
        h5f.create_dataset("fixed", data=np.array([b"x", b"yz"], dtype="S2"))
        h5f.create_dataset("flags", data=np.array([0, 1, 1], dtype="i1"))
        h5f.create_dataset("times", data=["2020-01-02T03:04:05Z"] * 2)
        rows = np.array([(1, "one"), (2, "two")], dtype=COMPOUND)
        h5f.create_dataset("table", data=rows)
        h5f.create_dataset("scalar", data="just one")
        h5f.create_dataset("refs", data=[h5f["chunked"].ref], dtype=h5py.ref_dtype)
        h5f.create_dataset("null", data=h5py.Empty("f4"))
    return path


@pytest.fixture(scope="module")
def h5f(path: Path):
    h5f = h5py.File(path, "r")
    yield h5f
    h5f.close()


@pytest.fixture(autouse=True)
def _close_reopened():
    yield
    reopen.close_reopened()  # what this process reopened (pickle round trips)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def _reopened_sources() -> list[str]:
    from nwbgen.runtime.hdf5 import reopen

    return sorted(reopen._FILES)


# --- blocks -----------------------------------------------------------------------


def test_blocks_are_whole_hdf5_chunks(h5f):
    lazy = LazyArray(h5f["chunked"])
    assert lazy.chunks == (16, 10)
    with dask.config.set({"array.chunk-size": "8KiB"}):
        x = lazy.to_dask()
    # whole rows (three chunks across), as many chunk rows as fit in 8 KiB
    assert x.chunks[1] == (30,)
    assert set(x.chunks[0][:-1]) == {32} and sum(x.chunks[0]) == 200
    assert lazy.to_dask().chunks == ((200,), (30,))  # 47 KiB: one block
    exact = lazy.to_dask(chunks=lazy.chunks)
    assert exact.chunks == (tuple([16] * 12 + [8]), (10, 10, 10))
    assert lazy.to_dask(chunks=(50, 15)).chunks == ((50,) * 4, (15, 15))


def test_a_contiguous_dataset_is_read_in_runs(h5f):
    lazy = LazyArray(h5f["contiguous"])
    assert lazy.chunks is None
    with dask.config.set({"array.chunk-size": "1KiB"}):
        x = lazy.to_dask()
    assert set(x.chunks[0][:-1]) == {128} and sum(x.chunks[0]) == 1000


@pytest.mark.parametrize(
    ("name", "kind", "dtype"),
    [
        ("chunked", "float64", np.float64),
        ("contiguous", None, np.int64),
        ("text", "text", object),
        ("fixed", "ascii", object),
        ("flags", "bool", bool),
        ("times", "isodatetime", object),
        ("scalar", "text", object),
    ],
)
def test_values_are_decoded_as_slicing_decodes_them(h5f, name, kind, dtype):
    lazy = LazyArray(h5f[name], kind)
    x = lazy.to_dask()
    assert x.dtype == dtype and x.shape == lazy.shape
    got = x.compute(scheduler="threads")
    assert got.dtype == dtype
    assert np.array_equal(got, np.asarray(lazy))
    if name == "times":
        assert isinstance(got[0], datetime)


def test_compound_fields_are_decoded(h5f):
    lazy = LazyArray(h5f["table"], (("idx", "int32"), ("label", "text")))
    got = lazy.to_dask().compute(scheduler="threads")
    assert got.dtype == np.dtype([("idx", "i4"), ("label", object)])
    assert got["label"].tolist() == ["one", "two"]


def test_references_and_null_datasets_are_not_dask_arrays(h5f):
    with pytest.raises(HDF5ReadError, match=r":/refs: a dataset of references"):
        LazyArray(h5f["refs"], "object").to_dask()
    with pytest.raises(HDF5ReadError, match=r":/null: .*NULL dataspace"):
        LazyArray(h5f["null"]).to_dask()


def test_without_dask_the_error_names_the_extra(h5f, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.array", None)
    with pytest.raises(NWBGenError, match=r'pip install "nwbgen\[dask\]"') as caught:
        LazyArray(h5f["chunked"]).to_dask()
    assert isinstance(caught.value, ImportError)


# --- other processes --------------------------------------------------------------


def test_a_lazy_array_pickles_as_its_path(h5f, path):
    lazy = LazyArray(h5f["chunked"])
    assert copy.deepcopy(lazy) is lazy and copy.copy(lazy) is lazy
    again = pickle.loads(pickle.dumps(lazy))
    assert isinstance(again, LazyArray) and again is not lazy
    assert again.filename == str(path.resolve()) and again.name == "/chunked"
    assert np.array_equal(again[5:9], DATA[5:9])
    # one open file per process, however many arrays are unpickled
    pickle.loads(pickle.dumps(LazyArray(h5f["text"], "text")))
    assert _reopened_sources() == [str(path.resolve())]


def test_a_graph_outlives_its_file(path):
    with h5py.File(path, "r") as h5f:
        lazy = LazyArray(h5f["chunked"])
        x = (lazy.to_dask(chunks=(50, 30)) + 1).sum()
    with pytest.raises(ClosedFileError):
        lazy[0]
    assert x.compute(scheduler="threads") == (DATA + 1).sum()  # reopened by path


def test_computed_on_worker_processes(client, h5f, path):
    x = LazyArray(h5f["chunked"]).to_dask(chunks=(32, 30))
    got = (x * 2).sum(axis=0).compute(scheduler=client)
    assert np.array_equal(got, (DATA * 2).sum(axis=0))
    text = LazyArray(h5f["text"], "text").to_dask().compute(scheduler=client)
    assert text.tolist() == ["a", "bb", "ccc"]
    # a worker that ran tasks opened the file once, for all of them and both arrays
    opened = client.run(_reopened_sources)
    source = str(path.resolve())
    assert len(opened) == 2 and [source] in opened.values(), opened
    assert all(files in ([], [source]) for files in opened.values()), opened
    # dask's own from_array of a lazy array works there too (the file's dtype)
    y = da.from_array(LazyArray(h5f["chunked"]), chunks=(50, 30))
    assert np.array_equal(y.max(axis=1).compute(scheduler=client), DATA.max(axis=1))
    client.run(reopen.close_reopened)


def test_a_url_is_reopened_by_its_url(client, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "ecephys.nwb")
    with RangeServer(tmp_path) as srv, HDF5IO(srv.url("ecephys.nwb")) as nwb_io:
        lazy = nwb_io.read().acquisition["raw"].data.value
        assert isinstance(lazy, LazyArray)
        expected = np.asarray(lazy)
        x = lazy.to_dask()
        got = (x * 2).sum(axis=0).compute(scheduler=client)
        assert np.array_equal(got, (expected * 2).sum(axis=0))
        assert pickle.loads(pickle.dumps(lazy)).filename == srv.url("ecephys.nwb")
        opened = client.run(_reopened_sources)
        # one block: one worker read it
        assert sorted(opened.values()) == [[], [srv.url("ecephys.nwb")]], opened
        client.run(reopen.close_reopened)  # before the server stops
        reopen.close_reopened()


def test_a_file_object_cannot_be_reopened_elsewhere(client, path):
    with h5py.File(io.BytesIO(path.read_bytes()), "r") as h5f:
        lazy = LazyArray(h5f["chunked"])
        x = lazy.to_dask(chunks=(50, 30))
        # in this process the open file is read
        assert x.sum().compute(scheduler="threads") == DATA.sum()
        message = r"opened on a Python file object, which another process cannot"
        with pytest.raises(SourceError, match=message):
            pickle.dumps(x)
        with pytest.raises(SourceError, match=message):
            pickle.dumps(lazy)
        with pytest.raises(Exception) as caught:  # distributed wraps it
            x.sum().compute(scheduler=client)
        chain, error = [], caught.value
        while error is not None and len(chain) < 10:
            chain.append(error)
            error = error.__cause__ or error.__context__
        assert any(isinstance(e, SourceError) for e in chain), chain
