"""Every NWB file under ../shared/data, read and written through the generated
readers and writers.

Per file: read with ``strict=False`` (no unknown-type fallback; all but the files
that really break their schema read strictly clean), write the model to a new
file, compare the two files object by object (tests/h5diff.py: groups, datasets,
attributes, links, reference targets, values, dtypes and string types), read the
copy with pynwb, and validate it with pynwb's validator (no error its source did
not already have). Files run in worker processes, started when the first test
asks; each compiles the models its specs need into one shared cache.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import h5py
import pytest

from tests.support.paths import SHARED, TESTS

DATA = SHARED / "data"
FILES = sorted(DATA.rglob("*.nwb")) if DATA.is_dir() else []
TOOLKIT_TESTS = TESTS / "io" / "toolkit"

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
    # cut to 10 items per dataset without their indexes: the ragged columns'
    # indexes still point into the whole session
    "real/aibs_dandi000021_truncated.nwb": [
        "/units/spike_times_index: index value 987786 is past the end of its "
        "target /units/spike_times (10 elements)",
        "/units/spike_amplitudes_index: index value 987786 is past the end of its "
        "target /units/spike_amplitudes (10 elements)",
        "/units/waveform_mean_index: index value 3840 is past the end of its "
        "target /units/waveform_mean (10 elements)",
    ],
}


def _external_targets(path: str) -> set[str]:
    """Relative file names the file's external links point into."""
    found: set[str] = set()
    with h5py.File(path, "r") as h5f:

        def visit(name: str, link: object) -> None:
            if isinstance(link, h5py.ExternalLink) and not os.path.isabs(link.filename):
                found.add(link.filename)

        h5f.visititems_links(visit)
    return found


def _check(source: str, workdir: str) -> dict:
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(TOOLKIT_TESTS))
    from nwbgen import HDF5IO
    from tests.support.h5diff import diff_files
    from tests.support.toolkit_oracle import read_with_pynwb, validate

    here = os.path.join(workdir, Path(source).stem)
    os.makedirs(here)
    copy = os.path.join(here, Path(source).name)
    report: dict = {}
    try:
        with HDF5IO(source) as reader:
            nwbfile = reader.read()
            report["types"] = [c.__name__ for c in type(nwbfile).__mro__]
            report["violations"] = [str(v) for v in reader.validate()]
            report["origin"] = reader.provider.origin
            with HDF5IO(copy, "w") as writer:
                writer.write(nwbfile)
        report["diff"] = diff_files(source, copy)
        for name in _external_targets(copy):  # relative external links, as beside
            target = os.path.join(os.path.dirname(source), name)
            if os.path.exists(target):
                os.symlink(target, os.path.join(here, name))
        report["pynwb_copy"] = read_with_pynwb(Path(copy))
        if report["pynwb_copy"] is not None:
            report["pynwb_source"] = read_with_pynwb(Path(source))
        else:
            errors = validate(Path(copy))
            report["new_errors"] = (
                sorted(set(errors) - set(validate(Path(source)))) if errors else []
            )
    except Exception:  # noqa: BLE001 - reported by the test
        report["crash"] = traceback.format_exc()
    finally:
        shutil.rmtree(here, ignore_errors=True)
    return report


@pytest.fixture(scope="module")
def reports():
    if not FILES:
        pytest.skip("../shared/data is not beside this checkout")
    workdir = tempfile.mkdtemp(prefix="nwbgen-corpus-")
    before = os.environ.get("NWBGEN_CACHE_DIR")
    os.environ["NWBGEN_CACHE_DIR"] = os.path.join(workdir, "cache")
    try:
        with ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            yield {p: pool.submit(_check, str(p), workdir) for p in FILES}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if before is None:
            os.environ.pop("NWBGEN_CACHE_DIR", None)
        else:
            os.environ["NWBGEN_CACHE_DIR"] = before


def _report(path: Path, reports: dict) -> dict:
    report = reports[path].result()
    assert "crash" not in report, report["crash"]
    return report


CORPUS_IDS = [str(p.relative_to(DATA)) for p in FILES] or None


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=CORPUS_IDS)
def test_reads(path: Path, reports) -> None:
    report = _report(path, reports)
    assert "NWBFile" in report["types"]  # or an extension's subtype of it
    assert not [v for v in report["violations"] if "unknown type" in v]
    expected = EXPECTED_VIOLATIONS.get(str(path.relative_to(DATA)), [])
    assert report["violations"] == expected


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=CORPUS_IDS)
def test_round_trip(path: Path, reports) -> None:
    report = _report(path, reports)
    assert report["diff"] == [], "\n".join(report["diff"])
    if report["pynwb_copy"] is not None:
        if report["pynwb_source"] is not None:
            pytest.xfail(f"pynwb cannot read the source: {report['pynwb_source']}")
        pytest.fail(f"pynwb cannot read the copy: {report['pynwb_copy']}")
    assert report["new_errors"] == []


@pytest.mark.slow
@pytest.mark.corpus
def test_summary(reports, capsys) -> None:
    done = {p: f.result() for p, f in reports.items()}
    read = [p for p in done if "violations" in done[p]]
    clean = [p for p in read if done[p]["violations"] == []]
    bundled = [p for p in read if done[p]["origin"] == "bundled"]
    identical = [p for p in read if done[p].get("diff") == []]
    with capsys.disabled():
        print(
            f"\ncorpus: {len(read)} of {len(done)} files read ({len(clean)} strictly "
            f"clean, {len(bundled)} with bundled models); {len(identical)} written "
            "back identical"
        )
    assert len(read) == len(done)  # files without /specifications too
    assert len(clean) == len(read) - len(EXPECTED_VIOLATIONS)
