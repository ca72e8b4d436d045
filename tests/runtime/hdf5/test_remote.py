"""Remote sources: a URL is read by byte ranges from a loopback server of the
test's own; every bad answer is one clear error naming the URL, within the
timeout, never a hang."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from nwbgen import HDF5IO
from nwbgen.errors import SourceError
from nwbgen.runtime.hdf5.remote import open_url, url_scheme
from tests.support.paths import REPO
from tests.support.range_server import RangeServer

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

EXAMPLE = REPO / "examples" / "ecephys.nwb"


@pytest.fixture
def served(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "ecephys.nwb")
    return tmp_path


def test_url_schemes():
    assert url_scheme("https://dandiarchive.s3.amazonaws.com/x.nwb") == "https"
    assert url_scheme("s3://bucket/x.nwb") == "s3"
    assert url_scheme("file:///tmp/x.nwb") is None
    assert url_scheme("/tmp/x.nwb") is None
    assert url_scheme(Path("/tmp/x.nwb")) is None


def test_a_url_reads_like_the_local_file(served: Path):
    with RangeServer(served) as srv:
        h5f = open_url(srv.url("ecephys.nwb"), timeout=5)
        try:
            remote: list[str] = []
            h5f.visit(remote.append)
            data = h5f["acquisition/raw/data"][:10]
        finally:
            h5f.close()
        assert srv.requests > 0
    import h5py

    with h5py.File(EXAMPLE, "r") as local:
        names: list[str] = []
        local.visit(names.append)
        assert remote == names
        assert np.array_equal(data, local["acquisition/raw/data"][:10])


@pytest.mark.parametrize(
    ("server", "name", "reason"),
    [
        ({}, "missing.nwb", "cannot open (404 not found)"),
        ({"ranges": False}, "ecephys.nwb", "does not answer byte-range requests"),
        ({"fail": "reset"}, "ecephys.nwb", "cannot open (connection reset"),
        ({"fail": "stall"}, "ecephys.nwb", "cannot open (timed out)"),
        ({"fail": "stall", "fail_after": 1}, "ecephys.nwb", "cannot read (timed out)"),
    ],
    ids=["404", "no-ranges", "reset", "stall", "stall-mid-read"],
)
def test_bad_remote_input_is_one_clear_error(served, server, name, reason):
    start = time.perf_counter()
    with RangeServer(served, **server) as srv:
        url = srv.url(name)
        with pytest.raises(SourceError) as caught:
            h5f = open_url(url, timeout=1)
            try:
                h5f.visit(lambda _: None)
                h5f["acquisition/raw/data"][:]
            finally:
                h5f.close()
    message = str(caught.value)
    assert message.startswith(url) and reason in message, message
    assert "\n" not in message
    assert time.perf_counter() - start < 15  # bounded by the timeout, no hang


def test_connection_refused():
    with pytest.raises(
        SourceError, match=r"127\.0\.0\.1:1/x\.nwb: cannot open \(connection refused\)"
    ):
        open_url("http://127.0.0.1:1/x.nwb", timeout=1)


def test_hdf5io_reads_a_url_like_a_path(served: Path):
    with HDF5IO(EXAMPLE) as local:
        expected = local.read()
        want = {
            name: type(model).__name__
            for name, model in expected.acquisition.children.items()
        }
        samples = np.asarray(expected.acquisition["raw"].data.value[:10])
    with RangeServer(served) as srv, HDF5IO(srv.url("ecephys.nwb")) as remote:
        nwbfile = remote.read()
        got = {
            name: type(model).__name__
            for name, model in nwbfile.acquisition.children.items()
        }
        assert got == want
        assert np.array_equal(nwbfile.acquisition["raw"].data.value[:10], samples)
        assert nwbfile.identifier == expected.identifier


def test_hdf5io_reads_a_file_object():
    with open(EXAMPLE, "rb") as fh, HDF5IO(fh) as io:
        assert io.read().identifier


def test_commands_read_urls(served: Path):
    from click.testing import CliRunner

    from nwbgen.cli import main

    runner = CliRunner()
    with RangeServer(served) as srv:
        url = srv.url("ecephys.nwb")
        shown = runner.invoke(main, ["show", url, "--depth", "1"])
        assert shown.exit_code == 0, shown.output
        assert shown.output.startswith("root (NWBFile)")
        inspected = runner.invoke(main, ["inspect", url])
        assert inspected.exit_code == 0 and "core" in inspected.output
        referred = runner.invoke(main, ["refs", url, "/acquisition/raw"])
        assert referred.exit_code == 0, referred.output
        missing = runner.invoke(main, ["show", srv.url("missing.nwb")])
        assert missing.exit_code == 1
        assert "missing.nwb: cannot open (404 not found)" in missing.output


def test_truncate_and_compile_read_urls(served: Path, tmp_path: Path, monkeypatch):
    """A URL truncates to the file a local truncate writes (by default into the
    current directory: a URL has no "beside"), and its namespaces are those the
    local file gives the compiler."""
    from click.testing import CliRunner

    from nwbgen.cli import main
    from nwbgen.spec.sources import load_sources
    from tests.support.h5diff import diff_files

    runner = CliRunner()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    local = runner.invoke(main, ["truncate", str(EXAMPLE), str(tmp_path / "local.nwb")])
    assert local.exit_code == 0, local.output
    with RangeServer(served) as srv:
        url = srv.url("ecephys.nwb") + "?version=1"  # a query is not the name
        cut = runner.invoke(main, ["truncate", url, "-n", "10"])
        assert cut.exit_code == 0, cut.output
        assert cut.output.startswith("wrote ecephys_truncated.nwb (220.6 KB -> ")

        def meaning(namespaces):  # not where they were read from
            return [(n.name, n.version, n.includes, n.schemas) for n in namespaces]

        assert meaning(load_sources([url])) == meaning(load_sources([EXAMPLE]))
    written = here / "ecephys_truncated.nwb"
    assert diff_files(written, tmp_path / "local.nwb") == []


def test_a_relative_external_link_of_a_url_resolves_beside_the_url(tmp_path: Path):
    import h5py

    from nwbgen.errors import DanglingLinkError
    from nwbgen.runtime.hdf5.files import close_external_files
    from nwbgen.runtime.hdf5.links import ExternalLink

    (tmp_path / "sub").mkdir()
    with h5py.File(tmp_path / "sub" / "target file.h5", "w") as h5f:
        h5f["data"] = np.arange(5)
    with h5py.File(tmp_path / "holder.h5", "w") as h5f:
        h5f["linked"] = h5py.ExternalLink("sub/target file.h5", "/data")
        h5f["gone"] = h5py.ExternalLink("sub/missing.h5", "/data")
    with RangeServer(tmp_path) as srv:
        h5f = open_url(srv.url("holder.h5"), timeout=5)
        try:
            link = ExternalLink.of(h5f, "linked")
            assert link.candidates() == [srv.url("sub/target file.h5")]
            target = link.resolve()
            assert np.array_equal(target[:], np.arange(5))
            with pytest.raises(DanglingLinkError) as caught:
                ExternalLink.of(h5f, "gone").resolve()
            assert srv.url("holder.h5") in str(caught.value)
        finally:
            close_external_files()
            h5f.close()


def test_any_fsspec_filesystem_reads_like_the_file():
    """A filesystem of fsspec's that is not asynchronous (memory://) reads its
    ranges in turn, and reads the same tree."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/nwbgen-test/ecephys.nwb", EXAMPLE.read_bytes())
    try:
        with HDF5IO("memory://nwbgen-test/ecephys.nwb") as io:
            remote = io.read()
            shown = repr(remote.acquisition.children["raw"].data.value[:5])
        with HDF5IO(EXAMPLE) as io:
            local = io.read()
            assert shown == repr(local.acquisition.children["raw"].data.value[:5])
            assert sorted(remote.acquisition.children) == sorted(
                local.acquisition.children
            )
    finally:
        fs.rm("/nwbgen-test", recursive=True)


EXIT_SCRIPT = """
import shutil, sys, tempfile, pathlib
from nwbgen.errors import SourceError
from nwbgen.runtime.hdf5.files import open_file
from tests.support.range_server import RangeServer

served = pathlib.Path(tempfile.mkdtemp())
shutil.copy(sys.argv[1], served / "ecephys.nwb")
with RangeServer(served, fail="stall", fail_after=1) as srv:
    try:
        open_file(srv.url("ecephys.nwb"), timeout=1)
    except SourceError as exc:
        failed = exc  # kept to the end, as pytest keeps what it caught
with RangeServer(served) as srv:
    left_open = open_file(srv.url("ecephys.nwb"), timeout=5)
    left_open.visit(lambda _: None)
file_object = open_file(open(sys.argv[1], "rb"))
print("done")
"""


def test_the_process_exits_cleanly_after_failed_and_unclosed_remote_files():
    """A read that failed half-way through HDF5's open, and files on file
    objects left open, must not crash the interpreter on exit: HDF5's exit
    handler would free their driver after Python finalized (a segfault that
    failed CI once, after every test had passed)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(EXAMPLE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "done"
