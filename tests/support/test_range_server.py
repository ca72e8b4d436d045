"""The loopback range server of tests/support: ranges, errors, counting, faults."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.range_server import UNSATISFIABLE, RangeServer, parse_range

DATA = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable


@pytest.fixture
def root(tmp_path):
    (tmp_path / "data.bin").write_bytes(DATA)
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "empty.bin").write_bytes(b"")
    return tmp_path


@pytest.fixture
def server(root):
    with RangeServer(root) as srv:
        yield srv


def get(url: str, headers: dict | None = None, method: str = "GET", timeout=5):
    """(status, headers, body); HTTP errors are answers here, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-1000", (0, 99)),
        ("bytes=90-1000", (90, 99)),
        ("Bytes = 5 - 6", (5, 6)),
        ("bytes=100-", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        ("bytes=9-3", None),  # invalid: ignored
        ("bytes=0-1,5-6", None),  # several ranges: ignored
        ("items=0-1", None),
        ("bytes=-", None),
        ("bytes=+1-2", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


def test_range_open_and_suffix(server):
    url = server.url("data.bin")
    status, headers, body = get(url, {"Range": "bytes=100-199"})
    assert (status, body) == (206, DATA[100:200])
    assert headers["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    assert headers["Content-Length"] == "100"
    status, headers, body = get(url, {"Range": "bytes=10000-"})
    assert (status, body) == (206, DATA[10000:])
    status, headers, body = get(url, {"Range": "bytes=-16"})
    assert (status, body) == (206, DATA[-16:])
    assert headers["Content-Range"] == f"bytes {len(DATA) - 16}-{len(DATA) - 1}/10240"
    status, _, body = get(url, {"Range": "bytes=10200-99999"})  # clipped
    assert (status, body) == (206, DATA[10200:])
    status, headers, body = get(url)
    assert (status, body) == (200, DATA)
    assert headers["Accept-Ranges"] == "bytes"


def test_unsatisfiable_missing_and_outside(server, root):
    url = server.url("data.bin")
    status, headers, _ = get(url, {"Range": f"bytes={len(DATA)}-"})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert get(server.url("sub dir/empty.bin"), {"Range": "bytes=0-"})[0] == 416
    assert get(server.url("sub dir/empty.bin"))[:3:2] == (200, b"")
    assert get(server.url("missing.bin"))[0] == 404
    assert get(server.url("sub dir"))[0] == 404
    assert get(server.base_url + "/")[0] == 404
    assert get(server.base_url + "/../" + root.name + "/data.bin")[0] == 200
    outside = root.parent / f"{root.name}-outside.bin"
    outside.write_bytes(b"secret")
    try:
        assert get(server.base_url + f"/%2E%2E/{outside.name}")[0] == 404
    finally:
        outside.unlink()


def test_head(server):
    status, headers, body = get(server.url("data.bin"), method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(DATA))
    assert headers["Accept-Ranges"] == "bytes"
    status, headers, _ = get(
        server.url("data.bin"), {"Range": "bytes=0-9"}, method="HEAD"
    )
    assert (status, headers["Content-Length"]) == (206, "10")
    assert get(server.url("nothing"), method="HEAD")[0] == 404
    assert server.bytes_sent == 0


def test_without_range_support(root):
    with RangeServer(root, ranges=False) as srv:
        status, headers, body = get(srv.url("data.bin"), {"Range": "bytes=0-9"})
        assert (status, body) == (200, DATA)
        assert headers["Accept-Ranges"] == "none"
        assert "Content-Range" not in headers


def test_counting_keep_alive_and_reset(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    try:
        for i in range(5):  # one connection, five requests
            connection.request("GET", "/data.bin", headers={"Range": f"bytes={i}-{i}"})
            response = connection.getresponse()
            assert response.read() == DATA[i : i + 1]
        connection.request("HEAD", "/data.bin")
        connection.getresponse().read()
        assert server.open_connections == 1
    finally:
        connection.close()
    assert server.wait_idle(2) and server.open_connections == 0
    assert server.counts() == {"requests": 6, "bytes_sent": 5, "connections": 1}
    assert [s.status for s in server.history] == [206] * 5 + [200]
    assert {s.connection for s in server.history} == {1}
    server.reset_counts()
    assert (server.requests, server.bytes_sent, server.history) == (0, 0, [])


def test_no_nagle_stall(root):
    """Headers and body in separate sends must not wait for a delayed ACK."""
    (root / "big.bin").write_bytes(DATA * 20)
    with RangeServer(root) as srv:
        connection = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
        start = time.perf_counter()
        for i in range(10):
            connection.request("GET", "/big.bin", headers={"Range": f"bytes={i}-"})
            connection.getresponse().read()
        elapsed = time.perf_counter() - start
        connection.close()
    assert elapsed < 0.1  # about 0.15 s with Nagle's algorithm


def test_concurrent_clients(server):
    def fetch(i: int) -> bytes:
        start = (i * 97) % len(DATA)
        return get(server.url("data.bin"), {"Range": f"bytes={start}-{start + 99}"})[2]

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(fetch, range(40)))
    for i, body in enumerate(bodies):
        start = (i * 97) % len(DATA)
        assert body == DATA[start : start + 100]
    assert server.requests == 40
    assert server.bytes_sent == sum(map(len, bodies))


def test_delay_and_bandwidth_roughly_honoured(root):
    with RangeServer(root, delay=0.05) as srv:
        start = time.perf_counter()
        for _ in range(3):
            get(srv.url("data.bin"), {"Range": "bytes=0-0"})
        elapsed = time.perf_counter() - start
    assert 0.15 <= elapsed < 1.0
    with RangeServer(root, bandwidth=len(DATA) / 0.2) as srv:  # 0.2 s the file
        start = time.perf_counter()
        assert get(srv.url("data.bin"))[2] == DATA
        elapsed = time.perf_counter() - start
    assert 0.15 <= elapsed < 1.0


def test_reset_is_a_client_error(root):
    with RangeServer(root, fail="reset") as srv:
        start = time.perf_counter()
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            urllib.request.urlopen(srv.url("data.bin"), timeout=2).read()
        assert time.perf_counter() - start < 1.5
        assert srv.requests == 1
        assert srv.history[0].fault == "reset"


def test_fail_after_and_truncate(root):
    with RangeServer(root, fail="truncate", fail_after=1) as srv:
        assert get(srv.url("data.bin"))[2] == DATA  # the first one is answered
        with pytest.raises(http.client.IncompleteRead):
            get(srv.url("data.bin"))
        srv.fail = None
        assert get(srv.url("data.bin"))[2] == DATA


def test_stall_times_out_and_stop_does_not_hang(root):
    srv = RangeServer(root, fail="stall").start()
    try:
        start = time.perf_counter()
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(srv.url("data.bin"), timeout=0.3).read()
        assert time.perf_counter() - start < 1.5
        # a client still waiting (no timeout of its own) while the server stops
        errors: list[BaseException] = []

        def wait_forever() -> None:
            try:
                urllib.request.urlopen(srv.url("data.bin")).read()
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        waiting = threading.Thread(target=wait_forever, daemon=True)
        waiting.start()
        deadline = time.monotonic() + 2
        while srv.requests < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert srv.requests == 2
    finally:
        start = time.perf_counter()
        srv.stop()
        stopping = time.perf_counter() - start
    assert stopping < 1.0
    waiting.join(2)
    assert not waiting.is_alive() and errors  # the stalled client got an error


def test_stop_with_idle_keep_alive_and_slow_download(root):
    srv = RangeServer(root, bandwidth=1000).start()  # 10 s for the file
    idle = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
    idle.request("HEAD", "/data.bin")
    idle.getresponse().read()  # its connection stays open, its handler waiting
    slow = socket.create_connection((srv.host, srv.port), timeout=5)
    slow.sendall(b"GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.1)
    start = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - start < 1.0
    srv.stop()  # twice is harmless
    idle.close()
    slow.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(srv.url("data.bin"), timeout=1)


def test_h5py_through_remfile(root):
    """A real client: h5py reading a served file through remfile."""
    h5py = pytest.importorskip("h5py")
    remfile = pytest.importorskip("remfile")
    import numpy as np

    with h5py.File(root / "small.h5", "w") as f:
        f.create_dataset("x", data=np.arange(1000.0))
        f["x"].attrs["unit"] = "m"
    with RangeServer(root, delay=0.001) as srv:
        with h5py.File(remfile.File(srv.url("small.h5")), "r") as f:
            assert f["x"][:10].tolist() == list(range(10))
            assert f["x"].attrs["unit"] == "m"
        assert srv.requests >= 2
        assert srv.connections <= 3  # the requests reuse their connections
