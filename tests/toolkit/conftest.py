"""Fixtures for the HDF5 toolkit tests: small hand-built files and the corpus run."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest
from toolkit_oracle import CORPUS, check_truncation

TRUNCATE_NS = (3, 10)


def _checked(source: str, workdir: str) -> dict:
    try:
        return check_truncation(source, workdir, TRUNCATE_NS)
    except Exception:  # noqa: BLE001 - reported by the test that reads it
        return {"crash": traceback.format_exc()}


@pytest.fixture(scope="session")
def truncation_reports(tmp_path_factory) -> dict[Path, dict]:
    """Every corpus file truncated (n = 3 and 10), validated and read, in parallel.

    pynwb-validate costs about half a second a file (it loads the cached
    namespaces), so the corpus is spread over all cores, one process each.
    """
    if not CORPUS:
        pytest.skip("../shared/data absent")
    workdir = tmp_path_factory.mktemp("truncated")
    workers = max(1, min(os.cpu_count() or 1, 4))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        jobs = {p: pool.submit(_checked, str(p), str(workdir)) for p in CORPUS}
        return {p: job.result() for p, job in jobs.items()}


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
