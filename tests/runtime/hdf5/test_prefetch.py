"""Fetching ahead over HTTP: the member lists read from the file's bytes equal
HDF5's; what is fetched ahead is what HDF5 then reads; a remote walk waits for
the link a few times, not once per object, and reads the same tree."""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
import pytest
from h5py import h5l, h5o

from nwbgen import HDF5IO
from nwbgen.runtime.hdf5 import prefetch as prefetch_module
from nwbgen.runtime.hdf5.files import remote_of
from nwbgen.runtime.hdf5.layout import (
    btree_node,
    collection_size,
    continuations,
    first_chunk,
    heap_ids,
    stored,
    vlen_heaps,
    heap_header_size,
    heap_segment,
    superblock_sizes,
    symbol_node,
    symbol_table,
)
from nwbgen.runtime.hdf5.prefetch import Spans, plan, windows
from tests.support.paths import shared_file
from tests.support.range_server import RangeServer

# -- Spans and plans -------------------------------------------------------------


def test_spans_hold_what_was_added_and_join_neighbours():
    spans = Spans()
    spans.add(100, bytes(range(100)))  # 100..199
    spans.add(200, bytes(range(100, 150)))  # 200..249, touches
    assert spans.get(150, 80) == bytes(range(50, 130))  # across the two
    assert spans.get(90, 20) is None
    assert spans.get(240, 20) is None
    assert spans.missing(50, 300) == [(50, 100), (250, 300)]
    spans.add(80, bytes(300))  # overlaps both: only the new parts are kept
    assert spans.missing(0, 400) == [(0, 80), (380, 400)]
    assert spans.get(100, 3) == bytes([0, 1, 2])  # what was held stays
    assert spans.nbytes == 300


def test_windows_skip_objects_held_and_plans_merge_close_ranges():
    spans = Spans()
    spans.add(0, bytes(100_000))
    size = 10_000_000
    got = windows([50_000, 3_000_000, 3_001_000], size, spans)
    assert got == [
        (
            3_000_000 - prefetch_module.WINDOW_BEFORE,
            3_001_000 + prefetch_module.WINDOW_AFTER,
        )
    ]
    # two ranges a gap apart: one request; far apart: two; long: cut
    near = plan([(200_000, 201_000), (210_000, 211_000)], size, spans)
    assert near == [(200_000, 211_000)]
    far = plan([(200_000, 201_000), (5_000_000, 5_001_000)], size, spans)
    assert len(far) == 2
    long = plan([(0, 9_000_000)], size, spans)
    assert long[0] == (100_000, 100_000 + prefetch_module.MAX_SPAN)
    assert sum(e - s for s, e in long) == 8_900_000
    assert plan([(0, 1000)], size, spans) == []  # held


def test_metadata_fetched_ahead_brings_the_window_around_it():
    spans = Spans()
    spans.add(0, bytes(100_000))
    before, after = prefetch_module.WINDOW_BEFORE, prefetch_module.WINDOW_AFTER
    got = prefetch_module.around([(50_000, 50_500), (3_000_000, 3_000_300)], spans)
    assert got == [(50_000, 50_500), (3_000_000 - before, 3_000_000 + after)]
    # a range longer than the window keeps its end; none starts before the file
    assert prefetch_module.around([(1_000, 900_000)], Spans()) == [(0, 900_000)]


# -- the member lists, from the bytes ----------------------------------------------


def _listing(path: Path, group: str) -> dict[str, int] | None:
    """Member name -> header address, read from the file's bytes (None: not an
    old-style group)."""
    with open(path, "rb") as fh:

        def read(address: int, size: int) -> bytes:
            fh.seek(base + address)
            return fh.read(size)

        with h5py.File(path, "r") as h5f:
            base = h5f.userblock_size
            header = h5o.get_info(h5f[group].id).addr
        sizes = superblock_sizes(read(0, 24))
        assert sizes is not None
        found = symbol_table(read, header, sizes)
        if found is None:
            return None
        btree, heap = found
        start, length = heap_segment(read(heap, heap_header_size(sizes)), sizes)
        names = read(start, length)

        def leaves(at: int) -> list[int]:
            level, children = btree_node(read(at, sizes.node_size), sizes)
            return children if level == 0 else [x for c in children for x in leaves(c)]

        out = {}
        step = 2 * sizes.offsets + 24
        for node in leaves(btree):
            data = read(node, sizes.snod_size)
            addresses = set(symbol_node(data, sizes))
            (count,) = struct.unpack_from("<H", data, 6)
            for i in range(count):  # name and address of each entry
                offset = sizes.address(data, 8 + i * step)
                address = sizes.address(data, 8 + i * step + sizes.offsets)
                if address in addresses:  # not a soft link
                    name = names[offset : names.index(b"\0", offset)].decode()
                    out[name] = address
        return out


def _hdf5_listing(path: Path, group: str) -> dict[str, int]:
    out: dict[str, int] = {}
    with h5py.File(path, "r") as h5f:

        def visit(name: bytes, info) -> None:
            if info.type == h5l.TYPE_HARD:
                out[name.decode()] = info.u

        held = h5f[group]  # a LinkProxy does not keep its group open
        held.id.links.iterate(visit, info=True)
    return out


@pytest.mark.parametrize("userblock", [0, 512])
def test_member_lists_read_from_the_bytes_equal_hdf5s(tmp_path: Path, userblock):
    path = tmp_path / "groups.h5"
    sizes = {"empty": 0, "one": 1, "nine": 9, "wide": 300, "deep": 1200}
    with h5py.File(path, "w", userblock_size=userblock) as h5f:
        for name, count in sizes.items():
            group = h5f.create_group(name)
            for i in range(count):
                if i % 3:
                    group.create_group(f"g{i:05d}")
                else:
                    group[f"d{i:05d}"] = np.arange(i % 7)
    for name, count in sizes.items():
        listed = _listing(path, name)
        assert listed == _hdf5_listing(path, name)
        assert len(listed) == count
    assert _listing(path, "/") == _hdf5_listing(path, "/")
    with h5py.File(path, "r") as h5f:  # the deep one needs an inner level
        header = h5o.get_info(h5f["deep"].id).addr
    with open(path, "rb") as fh:

        def read(address: int, size: int) -> bytes:
            fh.seek(userblock + address)
            return fh.read(size)

        layout = superblock_sizes(read(0, 24))
        btree, _ = symbol_table(read, header, layout)
        assert btree_node(read(btree, layout.node_size), layout)[0] > 0


def _blocks(read, header: int, sizes) -> list[bytes]:
    out, pending = [], [first_chunk(read, header)]
    while pending:
        data = read(*pending.pop())
        out.append(data)
        pending.extend(continuations(data, sizes))
    return out


def test_where_datasets_keep_values_and_strings_their_heaps(tmp_path: Path):
    path = tmp_path / "values.h5"
    text = h5py.string_dtype()
    with h5py.File(path, "w") as h5f:
        h5f["rate"] = 30.0
        h5f["note"] = "a text"
        h5f.create_dataset("names", data=["a", "bb", "ccc"], dtype=text)
        space = h5py.h5s.create_simple((4,))
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_layout(h5py.h5d.COMPACT)
        h5py.h5d.create(h5f.id, b"small", h5py.h5t.NATIVE_INT64, space, dcpl=plist)
        h5f["small"][:] = np.arange(4)
        h5f.create_dataset("chunked", data=np.arange(100), chunks=(10,))
        h5f["rate"].attrs["unit"] = "seconds"
        h5f["rate"].attrs["many"] = np.array(["x", "y"], dtype=object)
        h5f["rate"].attrs["number"] = 3
    with h5py.File(path, "r") as h5f, open(path, "rb") as fh:

        def read(address: int, size: int) -> bytes:
            fh.seek(address)
            return fh.read(size)

        sizes = superblock_sizes(read(0, 24))
        headers = {n: h5o.get_info(h5f[n].id).addr for n in h5f}
        found = {n: stored(_blocks(read, a, sizes), sizes) for n, a in headers.items()}
        for name in ("rate", "note", "names"):
            dsid = h5f[name].id
            assert found[name].contiguous == (
                dsid.get_offset(),
                dsid.get_storage_size(),
            )
        assert not found["rate"].vlen and found["note"].vlen and found["names"].vlen
        assert found["names"].count == 3
        assert found["small"].compact == np.arange(4).tobytes()
        assert found["chunked"] is None
        heaps = heap_ids(read(*found["names"].contiguous), 3, sizes)
        assert heaps and all(read(a, 4) == b"GCOL" for a in heaps)
        attributes = [
            a
            for b in _blocks(read, headers["rate"], sizes)
            for a in vlen_heaps(b, sizes)
        ]
        assert len(attributes) == 3  # "unit", and both of "many"; not "number"
        assert all(read(a, 4) == b"GCOL" for a in attributes)
        assert collection_size(read(attributes[0], 16), sizes) >= 4096


def test_new_style_groups_are_left_to_hdf5(tmp_path: Path):
    path = tmp_path / "latest.h5"
    with h5py.File(path, "w", libver="latest") as h5f:
        group = h5f.create_group("g")
        for i in range(20):
            group.create_group(f"m{i}")
    assert _listing(path, "g") is None


def test_bytes_that_are_no_header_are_not_guessed():
    sizes = superblock_sizes(
        b"\x89HDF\r\n\x1a\n"
        + bytes([0, 0, 0, 0, 0, 8, 8, 0])
        + struct.pack("<HH", 4, 16)
        + bytes(4)
    )
    assert sizes is not None and sizes.offsets == 8 and sizes.leaf_k == 4
    assert superblock_sizes(b"not hdf5" * 4) is None
    junk = bytes(range(256)) * 4
    assert symbol_table(lambda a, n: junk[a : a + n], 0, sizes) is None
    assert btree_node(junk, sizes) is None
    assert heap_segment(junk, sizes) is None
    assert symbol_node(junk, sizes) == []


@pytest.mark.parametrize(
    "name", ["pynwb/ecephys_core2.11.0.nwb", "real/aibs_dandi000021_truncated.nwb"]
)
def test_member_lists_of_corpus_files(name: str):
    path = shared_file("data", *name.split("/"))
    with h5py.File(path, "r") as h5f:
        groups = ["/"]
        h5f.visititems(
            lambda n, o: groups.append(n) if isinstance(o, h5py.Group) else None
        )
    for group in groups:
        assert _listing(path, group) == _hdf5_listing(path, group), group


# -- a remote walk -------------------------------------------------------------------


SERIES = 60


def _write_series(path: Path, **h5py_options) -> Path:
    pynwb = pytest.importorskip("pynwb")
    nwbfile = pynwb.NWBFile(
        session_description="prefetch",
        identifier="prefetch",
        session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc),
    )
    for i in range(SERIES):
        nwbfile.add_acquisition(
            pynwb.TimeSeries(
                name=f"ts_{i:03d}",
                data=np.arange(65536, dtype="f8") + i,
                unit="V",
                rate=1000.0,
                description=f"series {i}",
            )
        )
    with h5py.File(path, "w", **h5py_options) as h5f:
        with pynwb.NWBHDF5IO(file=h5f, mode="w") as io:
            io.write(nwbfile)
    return path


@pytest.fixture(scope="module")
def many_series(tmp_path_factory) -> Path:
    """A pynwb-written file of 60 series of 512 KiB: metadata scattered between
    the data, as DANDI's files have it."""
    return _write_series(tmp_path_factory.mktemp("prefetch") / "many.nwb")


@pytest.fixture(scope="module")
def metadata_together(tmp_path_factory) -> Path:
    """The same, written with 1 MiB metadata blocks: headers together at the
    start, the values of scalars and strings beside each series' data."""
    path = tmp_path_factory.mktemp("prefetch") / "together.nwb"
    return _write_series(path, meta_block_size=1 << 20)


def _walk(model) -> list[tuple]:
    """What a walk sees: each model's class and name, its members' names, its
    arrays' shapes, in a stable order."""
    from pydantic import BaseModel

    seen: set[int] = set()
    out: list[tuple] = []
    stack = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float)):
            continue
        seen.add(id(obj))
        if isinstance(obj, BaseModel):
            out.append((type(obj).__name__, getattr(obj, "name", None)))
            stack.extend(getattr(obj, f, None) for f in type(obj).model_fields)
        elif isinstance(obj, dict):
            out.append(("dict", tuple(sorted(obj))))
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif type(obj).__name__ == "LazyArray":
            out.append(("array", obj.shape, str(obj.dtype)))
    return sorted(out, key=repr)


def _remote_walk(url: str) -> tuple[list[tuple], int, int]:
    with HDF5IO(url, timeout=10) as io:
        seen = _walk(io.read())
        remote = remote_of(io.file)
        return seen, remote.rounds, remote.requests


@pytest.mark.parametrize("layout", ["many_series", "metadata_together"])
def test_a_remote_walk_waits_a_few_times_and_sees_the_local_tree(
    layout: str, request, monkeypatch
):
    many_series = request.getfixturevalue(layout)
    with HDF5IO(many_series) as io:
        local = _walk(io.read())
    with RangeServer(many_series.parent) as srv:
        url = srv.url(many_series.name)
        seen, rounds, requests = _remote_walk(url)
        assert seen == local
        # a request a place of metadata at most (a series' place lies between
        # its data and the next one's): what lies beside a piece of metadata is
        # fetched with it, not asked for again in a later round
        assert requests <= SERIES, requests
        # the same walk with nothing fetched ahead: HDF5 asks for each header
        # in turn
        monkeypatch.setattr(prefetch_module, "prefetch_members", lambda *a, **k: None)
        monkeypatch.setattr(prefetch_module, "fetch_listings", lambda *a, **k: {})
        from nwbgen.runtime import read_frame

        monkeypatch.setattr(read_frame, "prefetch_members", lambda *a, **k: None)
        monkeypatch.setattr(read_frame, "fetch_listings", lambda *a, **k: {})
        unaided, unaided_rounds, _ = _remote_walk(url)
        assert unaided == local
    assert unaided_rounds >= SERIES  # one wait at least a series
    assert rounds * 4 <= unaided_rounds, (rounds, unaided_rounds)


def test_one_series_fetches_nothing_ahead_of_it(many_series: Path):
    with RangeServer(many_series.parent) as srv:
        with HDF5IO(srv.url(many_series.name), timeout=10) as io:
            series = io.read("/acquisition/ts_007")
            assert np.array_equal(series.data.value[:10], np.arange(10) + 7)
            remote = remote_of(io.file)
            assert remote is not None
            # one round of two for the open (the file's two ends), then one
            # request a round: nothing fetched ahead of what one series needs
            assert remote.requests == remote.rounds + 1
        assert srv.requests < 10


def test_a_lazy_mapping_fetches_its_members_ahead_when_counted(many_series: Path):
    with RangeServer(many_series.parent) as srv:
        with HDF5IO(srv.url(many_series.name), timeout=10) as io:
            nwbfile = io.read()
            remote = remote_of(io.file)
            before = remote.rounds
            assert len(nwbfile.acquisition.children) == SERIES
            counted = remote.rounds - before
            values = list(nwbfile.acquisition.children.values())
            assert [v.name for v in values] == sorted(
                f"ts_{i:03d}" for i in range(SERIES)
            )
            read_all = remote.rounds - before
    assert counted <= 6, counted
    assert read_all <= 10, read_all


def _outcome(source) -> tuple:
    """What a read and walk of ``source`` gives: the tree seen, or the kind of
    error (its message names the file or URL, which differ)."""
    try:
        with HDF5IO(source, timeout=10) as io:
            return ("read", _walk(io.read()))
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return ("error", type(exc).__name__)


def test_a_damaged_member_list_reads_remotely_as_locally(many_series: Path, tmp_path):
    """Bytes the fetch ahead misreads (a B-tree node and a header continuation
    overwritten) fetch nothing extra; HDF5's own reads say the same as locally."""
    path = tmp_path / "damaged.nwb"
    path.write_bytes(many_series.read_bytes())
    with h5py.File(path, "r") as h5f:
        acquisition = h5o.get_info(h5f["acquisition"].id).addr
        series = h5o.get_info(h5f["acquisition/ts_010"].id).addr
    with open(path, "rb") as fh:

        def read(address: int, size: int) -> bytes:
            fh.seek(address)
            return fh.read(size)

        sizes = superblock_sizes(read(0, 24))
        btree, _ = symbol_table(read, acquisition, sizes)
        prefix = read(series, 16)
    with open(path, "r+b") as fh:
        fh.seek(btree + 8)  # the node's siblings: HDF5 ignores them on a read
        fh.write(b"\xff" * 16)
        fh.seek(series + 8)  # the series' header: a chunk size no header has
        fh.write(struct.pack("<I", 0x7FFFFFF0))
    assert prefix != read_bytes(path, series, 16)
    local = _outcome(path)
    assert local[0] == "error"  # HDF5 cannot read the series' header
    with RangeServer(tmp_path) as srv:
        assert _outcome(srv.url(path.name)) == local
        assert srv.bytes_sent < path.stat().st_size  # no length taken at its word


def read_bytes(path: Path, at: int, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(at)
        return fh.read(size)


@pytest.mark.parametrize("after", [3, 6, 12])
def test_a_connection_reset_during_a_walk_is_one_clear_error(many_series: Path, after):
    from nwbgen.errors import SourceError

    with RangeServer(many_series.parent, fail="reset", fail_after=after) as srv:
        url = srv.url(many_series.name)
        with pytest.raises(SourceError) as caught:
            with HDF5IO(url, timeout=5) as io:
                _walk(io.read())
    assert url in str(caught.value)
    assert "connection reset" in str(caught.value)
