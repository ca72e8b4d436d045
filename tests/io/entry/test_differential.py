"""Differential test: nwbgen reads what pynwb reads.

Files written by pynwb here (ecephys, ophys, icephys, behavior, images, an
extension; see ``pynwb_fixtures``) and the pynwb-written files of
``../shared/data/pynwb`` are read by both; for every object (matched on
``object_id``) the type, name, scalar fields and attributes, array values,
containment, references and links, table columns and ragged rows must be equal
(see ``pynwb_compare``). Where pynwb departs from the file itself (defaults it
fills in, values it rewrites, old types it reads as newer ones), the file decides.
"""

from __future__ import annotations

import hashlib
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.support.paths import SHARED
from tests.support.pynwb_compare import Comparison, Report, type_of_model
from tests.support.pynwb_fixtures import WRITERS

PYNWB_DATA = SHARED / "data" / "pynwb"
SHARED_FILES = sorted(PYNWB_DATA.glob("*.nwb")) if PYNWB_DATA.is_dir() else []

#: shared files the installed pynwb cannot read (so there is nothing to compare)
PYNWB_UNREADABLE = {
    "with_extension_events_core2.9.0.nwb": (
        "not read by the pynwb that is installed (4.x): ndx-events 0.4.0 defines "
        "MeaningsTable, a name hdmf-common took later (data/README.md)"
    ),
}

#: per fixture file: the neurodata types that must have been compared, and the
#: comparison counts that must be non-zero (so that no test passes vacuously)
EXPECTED = {
    "ecephys": (
        {
            "Device",
            "ElectrodeGroup",
            "ElectrodesTable",
            "ElectricalSeries",
            "SpikeEventSeries",
            "LFP",
            "DecompositionSeries",
            "FrequencyBandsTable",
            "Units",
            "DynamicTableRegion",
            "VectorIndex",
        },
        ("fields", "arrays", "references", "columns", "rows", "index_rows"),
    ),
    "ophys": (
        {
            "ImagingPlane",
            "OpticalChannel",
            "TwoPhotonSeries",
            "ImageSegmentation",
            "PlaneSegmentation",
            "RoiResponseSeries",
            "Fluorescence",
            "DfOverF",
        },
        ("fields", "arrays", "references", "columns", "rows", "index_rows"),
    ),
    "icephys": (
        {
            "IntracellularElectrode",
            "CurrentClampSeries",
            "CurrentClampStimulusSeries",
            "VoltageClampSeries",
            "VoltageClampStimulusSeries",
            "IZeroClampSeries",
            "IntracellularRecordingsTable",
            "SimultaneousRecordingsTable",
            "SequentialRecordingsTable",
            "RepetitionsTable",
            "ExperimentalConditionsTable",
        },
        ("fields", "arrays", "references", "columns", "rows", "categories"),
    ),
    "behavior": (
        {
            "Position",
            "SpatialSeries",
            "CompassDirection",
            "BehavioralEvents",
            "BehavioralTimeSeries",
            "TimeIntervals",
            "TimeSeriesReferenceVectorData",
        },
        ("fields", "arrays", "references", "columns", "rows", "index_rows"),
    ),
    "images": (
        {
            "Images",
            "GrayscaleImage",
            "RGBImage",
            "RGBAImage",
            "ImageReferences",
            "ImageSeries",
            "IndexSeries",
            "OpticalSeries",
        },
        ("fields", "arrays", "references"),
    ),
    "extension": (
        {"LabMetaDataExt", "TimeSeriesWithExtra", "Device"},
        ("fields", "arrays", "references"),
    ),
}


@pytest.fixture(scope="session")
def nwbgen_cache() -> Path:
    """A model cache keyed by nwbgen's own source (compiler, runtime, templates):
    models of one source compile once across runs and xdist workers, and a user
    cache holding models compiled by an older nwbgen of the same version is never
    used."""
    import nwbgen

    package = Path(nwbgen.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] == "generated" or path.suffix not in {".py", ".j2"}:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return Path(tempfile.gettempdir()) / "nwbgen-test-models" / digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory):
    """``written(topic)``: the path of the pynwb-written file of a topic (written
    once per session)."""
    directory = tmp_path_factory.mktemp("pynwb-written")
    paths: dict[str, Path] = {}

    def write(topic: str) -> Path:
        if topic not in paths:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths[topic] = WRITERS[topic](directory / f"{topic}.nwb")
        return paths[topic]

    return write


def read_both(path: Path, cache: Path):
    """Context: (pynwb io, pynwb NWBFile, nwbgen io, nwbgen NWBFile)."""
    from contextlib import contextmanager

    from pynwb import NWBHDF5IO

    from nwbgen import HDF5IO

    @contextmanager
    def opened():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with NWBHDF5IO(str(path), "r") as pio, HDF5IO(path, cache=cache) as nio:
                yield pio, pio.read(), nio, nio.read()

    return opened()


def compare(path: Path, cache: Path, mutate=None) -> tuple[Report, list]:
    """The comparison of one file, and nwbgen's schema violations; ``mutate`` (if
    given) changes the nwbgen models first."""
    with read_both(path, cache) as (pio, pfile, nio, nfile):
        if mutate is not None:
            mutate(nfile)
        comparison = Comparison(pio, pfile, nfile, nio.file)
        report = comparison.run()
        report.counts.update(
            f"type:{type_of_model(m)}" for m in comparison.models.values()
        )
        return report, list(nio.violations)


def _check_counts(report: Report, kinds) -> None:
    assert report.counts["objects"] > 0, report.summary()
    empty = [kind for kind in kinds if report.counts[kind] == 0]
    assert not empty, f"nothing compared of {empty}:\n{report.summary()}"


def _no_mismatches(report: Report) -> None:
    if report.mismatches:
        pytest.fail(report.summary(notes=True), pytrace=False)


# --- files written here -------------------------------------------------------------


@pytest.mark.parametrize("topic", list(WRITERS))
def test_pynwb_written_file_reads_the_same(topic: str, written, nwbgen_cache) -> None:
    report, violations = compare(written(topic), nwbgen_cache)
    types, kinds = EXPECTED[topic]
    missing = {t for t in types if not report.counts[f"type:{t}"]}
    assert not missing, f"no {sorted(missing)} compared:\n{report.summary()}"
    _check_counts(report, kinds)
    _no_mismatches(report)
    assert not violations  # pynwb wrote it: it keeps its schema


# --- the comparator finds differences ----------------------------------------------


def _set(model, field: str, value) -> None:
    model.__dict__[field] = value


#: what is changed in nwbgen's models -> (file, the change, where the comparator
#: must then report a mismatch: pynwb path, member)
MUTATIONS = {
    "scalar attribute": (
        "ecephys",
        lambda f: _set(f.acquisition["raw"], "comments", "changed"),
        ("raw", "comments"),
    ),
    "dataset attribute": (
        "ecephys",
        lambda f: _set(f.acquisition["raw"].data, "conversion", 2.0),
        ("raw/data", "conversion"),
    ),
    "array values": (
        "ecephys",
        lambda f: _set(f.acquisition["raw"].data, "value", np.zeros((200, 8), "i2")),
        ("raw", "data"),
    ),
    "reference target": (
        "ecephys",
        lambda f: _set(f.acquisition["raw"].electrodes, "table", f.units),
        ("raw/electrodes", "table"),
    ),
    "ragged rows": (
        "ecephys",
        lambda f: _set(
            f.units.spike_times_index,
            "value",
            np.asarray(f.units.spike_times_index.value)[::-1].copy(),
        ),
        ("units", "values('spike_times')"),
    ),
    "containment": (
        "ecephys",
        lambda f: f.acquisition.children.pop("snippets"),
        ("/", "<contains>"),
    ),
    "datetime": (
        "ecephys",
        lambda f: _set(
            f, "session_start_time", f.session_start_time.replace(year=2000)
        ),
        ("/", "session_start_time"),
    ),
    "extension attribute": (
        "extension",
        lambda f: _set(f.general.children["lab_info"], "temperature", 0.0),
        ("lab_info", "temperature"),
    ),
    "extension dataset attribute": (
        "extension",
        lambda f: _set(f.acquisition["extra"].quality, "threshold", 0.0),
        ("extra/quality", "threshold"),
    ),
    "link target": (
        "extension",
        lambda f: _set(
            f.acquisition["extra"], "source_device", f.general.children["lab_info"]
        ),
        ("extra", "source_device"),
    ),
}


@pytest.mark.parametrize("what", list(MUTATIONS))
def test_comparator_finds_a_changed_model(what, written, nwbgen_cache) -> None:
    topic, mutate, where = MUTATIONS[what]
    report, _ = compare(written(topic), nwbgen_cache, mutate)
    found = {(m.path, m.member.split("[")[0]) for m in report.mismatches}
    assert where in found, report.summary()


# --- the shared pynwb-written files ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize(
    "path", SHARED_FILES, ids=[p.name for p in SHARED_FILES] or None
)
def test_shared_pynwb_file_reads_the_same(path: Path, nwbgen_cache) -> None:
    if path.name in PYNWB_UNREADABLE:
        from pynwb import NWBHDF5IO

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with NWBHDF5IO(str(path), "r") as io:
                    io.read()
        except Exception:  # noqa: BLE001 - any failure of pynwb's
            pytest.xfail(PYNWB_UNREADABLE[path.name])
        pytest.fail(f"pynwb reads {path.name} now: drop it from PYNWB_UNREADABLE")
    report, _ = compare(path, nwbgen_cache)
    _check_counts(report, ("fields", "references"))
    _no_mismatches(report)


def test_shared_pynwb_files_present() -> None:
    if not SHARED_FILES:
        pytest.skip("../shared/data/pynwb is not beside this checkout")
    assert len(SHARED_FILES) > 40
