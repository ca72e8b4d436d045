"""Every NWB file under ../shared/data reads through the generated readers.

Files with /specifications read with ``strict=False`` and no unknown-type
fallback; all but the few that really break their schema read strictly clean.
Files read in worker processes (each compiles the models its specs need into one
shared cache the first time), started when the first test asks.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from ..conftest import SHARED

DATA = SHARED / "data"
FILES = sorted(DATA.rglob("*.nwb")) if DATA.is_dir() else []

#: files that break their schema on purpose (pynwb's backward-compatibility set)
EXPECTED_VIOLATIONS = {
    "backcompat/pynwb-1.5.1_imageseries_no_unit.nwb": [
        "/acquisition/test_imageseries/data: unit: Field required"
    ],
    "backcompat/pynwb-1.5.1_timeseries_no_data.nwb": [
        "/acquisition/test_timeseries: data: Field required"
    ],
    "backcompat/pynwb-1.5.1_timeseries_no_unit.nwb": [
        "/acquisition/test_timeseries/data: unit: Field required"
    ],
}


def _read(path: str) -> dict:
    warnings.simplefilter("ignore")
    from nwbgen import HDF5IO

    try:
        with HDF5IO(path) as io:
            nwbfile = io.read()
            return {
                "types": [c.__name__ for c in type(nwbfile).__mro__],
                "violations": [str(v) for v in io.violations],
                "origin": io.provider.origin,
            }
    except Exception as exc:  # noqa: BLE001 - reported by the test
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


_POOL: dict = {}


@pytest.fixture(scope="module")
def reports():
    if not FILES:
        pytest.skip("../shared/data is not beside this checkout")
    cache = tempfile.mkdtemp(prefix="nwbgen-read-cache-")
    os.environ["NWBGEN_CACHE_DIR"] = cache
    with ProcessPoolExecutor(
        2, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        futures = {p: pool.submit(_read, str(p)) for p in FILES}
        yield {p: f for p, f in futures.items()}
    del os.environ["NWBGEN_CACHE_DIR"]


def _has_specifications(path: Path) -> bool:
    import h5py

    with h5py.File(path, "r") as h5f:
        return "specifications" in h5f


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize(
    "path", FILES, ids=[str(p.relative_to(DATA)) for p in FILES] or None
)
def test_corpus_file_reads(path: Path, reports) -> None:
    report = reports[path].result()
    rel = str(path.relative_to(DATA))
    import h5py

    with h5py.File(path, "r") as h5f:
        version = h5f.attrs.get("nwb_version")
    if isinstance(version, bytes):
        version = version.decode("utf-8")
    if not _has_specifications(path) and version == "2.0b":
        assert "2.0b" in report["error"] and "not supported" in report["error"]
        return
    assert "error" not in report, report.get("trace")
    assert "NWBFile" in report["types"]  # or an extension's subtype of it
    assert not [v for v in report["violations"] if "unknown type" in v]
    assert report["violations"] == EXPECTED_VIOLATIONS.get(rel, [])


@pytest.mark.slow
@pytest.mark.corpus
def test_corpus_summary(reports, capsys) -> None:
    done = {p: f.result() for p, f in reports.items()}
    with_specs = [p for p in done if _has_specifications(p)]
    clean = [p for p in with_specs if done[p].get("violations") == []]
    bundled = [p for p in with_specs if done[p].get("origin") == "bundled"]
    with capsys.disabled():
        print(
            f"\nread {len(with_specs)} files with /specifications: "
            f"{len(clean)} strictly clean, {len(bundled)} with bundled models"
        )
    assert len(clean) == len(with_specs) - len(EXPECTED_VIOLATIONS)
