"""Fixtures for the HDF5 toolkit tests: small hand-built files and the corpus run."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.support.toolkit_oracle import CORPUS, check_truncation

TRUNCATE_NS = (3, 10)


def _checked(source: str, workdir: str) -> dict:
    try:
        return check_truncation(source, workdir, TRUNCATE_NS)
    except Exception:  # noqa: BLE001 - reported by the test that reads it
        return {"crash": traceback.format_exc()}


_JOBS: dict = {}


def _start_corpus_jobs() -> None:
    """Submit the corpus truncations to worker processes (once per session).

    pynwb-validate costs about half a second a file (it loads the cached
    namespaces), so the corpus is spread over the cores, and started as soon as
    collection shows it is needed: the other tests run while the workers work.
    """
    if _JOBS or not CORPUS:
        return
    workdir = tempfile.mkdtemp(prefix="nwbgen-truncated-")
    workers = max(1, min(os.cpu_count() or 1, 4))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    _JOBS["workdir"], _JOBS["pool"] = workdir, pool
    _JOBS["futures"] = {p: pool.submit(_checked, str(p), workdir) for p in CORPUS}


def pytest_collection_modifyitems(session, config, items) -> None:
    if any("truncation_reports" in getattr(i, "fixturenames", ()) for i in items):
        _start_corpus_jobs()


def pytest_sessionfinish(session, exitstatus) -> None:
    if _JOBS:
        _JOBS["pool"].shutdown(cancel_futures=True)
        shutil.rmtree(_JOBS["workdir"], ignore_errors=True)
        _JOBS.clear()


@pytest.fixture(scope="session")
def truncation_reports() -> dict[Path, dict]:
    """Every corpus file truncated (n = 3 and 10), validated and read."""
    if not CORPUS:
        pytest.skip("../shared/data absent")
    _start_corpus_jobs()
    return {path: job.result() for path, job in _JOBS["futures"].items()}


@pytest.fixture
def ref_file(tmp_path: Path) -> Path:
    """References of every kind: attributes, columns, 2-D, scalar, compound, region."""
    path = tmp_path / "refs.h5"
    with h5py.File(path, "w") as f:
        a = f.create_group("a")
        a.attrs["neurodata_type"] = "Thing"
        data = f.create_dataset("a/data", data=np.arange(20).reshape(10, 2))
        b = f.create_group("b")
        b.attrs["neurodata_type"] = "Other"
        f["alias"] = a  # a second hard link to /a
        f["b/soft"] = h5py.SoftLink("/a/data")
        f["b/ext"] = h5py.ExternalLink("elsewhere.h5", "/x")
        f.create_group("empty")
        b.attrs["one"] = a.ref
        b.attrs["many"] = np.array(
            [a.ref, data.ref, h5py.Reference()], dtype=h5py.ref_dtype
        )
        f.create_dataset("col", data=[a.ref, a.ref, b.ref], dtype=h5py.ref_dtype)
        f.create_dataset(
            "grid",
            data=np.array([[a.ref, b.ref], [data.ref, a.ref]]),
            dtype=h5py.ref_dtype,
        )
        f.create_dataset("scalar", data=data.ref, dtype=h5py.ref_dtype)
        record = np.dtype(
            [("idx_start", "i4"), ("count", "i4"), ("timeseries", h5py.ref_dtype)]
        )
        f.create_dataset(
            "compound", data=np.array([(0, 2, a.ref), (2, 2, b.ref)], dtype=record)
        )
        f.create_dataset(
            "regions", data=[data.regionref[2:5]], dtype=h5py.regionref_dtype
        )
        f["b"].attrs["region"] = data.regionref[0:1]
        f.create_dataset("plain", data=np.arange(5))
        f.create_dataset("nulls", data=[h5py.Reference()], dtype=h5py.ref_dtype)
        f.create_dataset("empty_refs", shape=(0,), dtype=h5py.ref_dtype)
    return path


@pytest.fixture
def dangling_file(tmp_path: Path) -> Path:
    """A reference to an object that was unlinked after the reference was made."""
    path = tmp_path / "dangling.h5"
    with h5py.File(path, "w") as f:
        gone = f.create_dataset("gone", data=[1, 2, 3])
        f.create_group("holder").attrs["target"] = gone.ref
        del f["gone"]
    return path
