"""Small NWB files for the package-identity tests (issue 9), written with the
pynwb / hdmf that are installed (test dependencies).

- ``write_enum``: an NWBFile whose tables hold ``EnumData`` columns (the type of
  hdmf-experimental, whose ``elements`` attribute refers to a ``VectorData`` of
  hdmf-common): a trials column added with ``enum=...``, and a DynamicTable in a
  processing module built from an ``EnumData`` and its ``elements`` column. With
  pynwb 4.x the file caches core 2.11.0, hdmf-common 1.10.0 and
  hdmf-experimental 0.6.0: one hdmf-experimental version that two hdmf-common
  versions (1.9.0 for core 2.10.0, 1.10.0 for core 2.11.0) include.
- ``write_ndx_events``: the ndx-events 0.4.0 extension (from PyPI) beside the
  core of the installed pynwb. pynwb 4.x cannot build ndx-events' own
  ``MeaningsTable`` / ``EventsTable`` / ``TimestampVectorData`` /
  ``DurationVectorData``: core 2.11 and hdmf-common 1.10 define types of those
  names, and hdmf's catalog keeps its own definitions and hands back its own
  classes for ``("ndx-events", name)``. So pynwb writes the file, the ndx-events
  0.4.0 spec cached in /specifications through a private type map, and a core
  ``EventsTable`` with an hdmf-common ``MeaningsTable``; the ndx-events table
  (an ``EventsTable`` with a ``TimestampVectorData``, a ``DurationVectorData``,
  a ``CategoricalVectorData`` whose ``meanings`` refers to its ``MeaningsTable``)
  is then added with h5py, laid out as ndx-events 0.4.0 / pynwb 3.1 lay it out
  (see ``../shared/data/pynwb/with_extension_events_core2.9.0.nwb``). The file
  has two types of each name, in two namespaces. Raises ``FixtureUnavailable``
  when ndx-events is not installed.

``cached(directory, name)`` writes a file once per content key: this module's
source and the pynwb / hdmf / h5py / ndx-events versions. A changed writer or an
upgraded pynwb gives a new file; older ones of the same name are removed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import uuid
import warnings
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

START = datetime(2024, 6, 7, 8, 9, 10, tzinfo=timezone(timedelta(hours=1)))
#: default home of the cached files (shared by runs and xdist workers)
DEFAULT_DIRECTORY = Path(tempfile.gettempdir()) / "nwbgen-test-fixtures"
NDX_EVENTS = "ndx-events"
DISTRIBUTIONS = ("pynwb", "hdmf", "h5py", "ndx-events")


class FixtureUnavailable(RuntimeError):
    """A fixture the installed packages cannot write (the reason is the message)."""


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def _nwbfile(identifier: str, **kwargs):
    from pynwb import NWBFile

    return NWBFile(
        session_description=f"{identifier}: package identity test file",
        identifier=f"nwbgen-package-identity-{identifier}",
        session_start_time=START,
        file_create_date=[START],
        experimenter=["Doe, Jane"],
        lab="The Lab",
        institution="Nowhere",
        **kwargs,
    )


# -- (a) EnumData columns ------------------------------------------------------------


def write_enum(path: Path) -> Path:
    """Trials with an ``enum=`` column, and a DynamicTable of a processing module
    holding an ``EnumData`` built by hand with its ``elements`` column."""
    from hdmf.common import DynamicTable, EnumData, VectorData
    from pynwb import NWBHDF5IO

    nwbfile = _nwbfile("enum")
    outcomes = ["hit", "miss", "false alarm"]
    nwbfile.add_trial_column(
        name="outcome", description="the outcome of the trial", enum=outcomes
    )
    nwbfile.add_trial_column(name="contrast", description="a float column")
    for i in range(5):
        nwbfile.add_trial(
            start_time=2.0 * i,
            stop_time=2.0 * i + 1.0,
            outcome=outcomes[i % 3],
            contrast=0.2 * i,
        )

    elements = VectorData(
        name="colour_elements",
        description="the colours a stimulus can have",
        data=["red", "green", "blue"],
    )
    colour = EnumData(
        name="colour",
        description="the colour of each stimulus, as an index into its elements",
        data=np.array([0, 2, 1, 2], dtype="uint8"),
        elements=elements,
    )
    table = DynamicTable(
        name="stimuli",
        description="stimuli with an EnumData column",
        columns=[
            VectorData(
                name="size_deg",
                description="stimulus size",
                data=[1.0, 2.0, 4.0, 8.0],
            ),
            colour,
            elements,
        ],
    )
    module = nwbfile.create_processing_module("behavior", "stimulus tables")
    module.add(table)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


# -- (b) ndx-events 0.4.0 beside core 2.11 -------------------------------------------


def ndx_events_namespace() -> Path:
    """The installed ndx-events namespace file, found without importing ndx_events
    (its ``__init__`` loads the namespace into pynwb's global type map)."""
    spec = importlib.util.find_spec("ndx_events")
    if spec is None or not spec.submodule_search_locations:
        raise FixtureUnavailable("ndx-events is not installed (pip install ndx-events)")
    namespace = (
        Path(list(spec.submodule_search_locations)[0])
        / "spec"
        / "ndx-events.namespace.yaml"
    )
    if not namespace.is_file():
        raise FixtureUnavailable(f"ndx-events is installed without {namespace}")
    if _version("ndx-events").split(".")[:2] != ["0", "4"]:
        raise FixtureUnavailable(
            f"ndx-events {_version('ndx-events')} is installed; MeaningsTable needs 0.4"
        )
    return namespace


def _text(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def _typed(obj, namespace: str, neurodata_type: str, **attributes) -> None:
    """The attributes hdmf gives every typed object, then ``attributes`` (a list
    or tuple is written as an array of text)."""
    import h5py

    obj.attrs["namespace"] = namespace
    obj.attrs["neurodata_type"] = neurodata_type
    obj.attrs["object_id"] = str(uuid.uuid4())
    for key, value in attributes.items():
        if isinstance(value, (list, tuple)):
            obj.attrs.create(key, _text(value), dtype=h5py.string_dtype("utf-8"))
        else:
            obj.attrs[key] = value


def _column(group, name: str, data, namespace: str, neurodata_type: str, **attrs):
    import h5py

    data = np.asarray(data)
    if data.dtype.kind in "OUS":
        dataset = group.create_dataset(
            name, data=_text(data), dtype=h5py.string_dtype("utf-8")
        )
    else:
        dataset = group.create_dataset(name, data=data)
    _typed(dataset, namespace, neurodata_type, **attrs)
    return dataset


def _ids(group, rows: int) -> None:
    _column(
        group, "id", np.arange(rows, dtype="int64"), "hdmf-common", "ElementIdentifiers"
    )


def _add_ndx_events_table(h5f, where: str) -> None:
    """An ndx-events 0.4.0 EventsTable at ``where`` (its parent exists): timestamp,
    duration, a categorical column and the MeaningsTable its ``meanings`` names."""
    import h5py

    table = h5f.create_group(where)
    _typed(
        table,
        NDX_EVENTS,
        "EventsTable",
        description="cue onsets (ndx-events 0.4.0 EventsTable)",
        colnames=["timestamp", "duration", "cue_type"],
    )
    _ids(table, 5)
    _column(
        table,
        "timestamp",
        [1.0, 2.0, 3.0, 4.0, 5.0],
        NDX_EVENTS,
        "TimestampVectorData",
        description="cue onset times",
        unit="seconds",
        resolution=1e-4,
    )
    _column(
        table,
        "duration",
        [0.25] * 5,
        NDX_EVENTS,
        "DurationVectorData",
        description="cue durations",
        unit="seconds",
        resolution=1e-4,
    )
    meanings = table.create_group("cue_type_meanings")
    _typed(
        meanings,
        NDX_EVENTS,
        "MeaningsTable",
        description="meanings of cue_type values",
        colnames=["value", "meaning"],
    )
    _ids(meanings, 2)
    _column(
        meanings,
        "value",
        ["circle", "square"],
        "hdmf-common",
        "VectorData",
        description="The value of the parent CategoricalVectorData object.",
    )
    _column(
        meanings,
        "meaning",
        ["a white circle was shown", "a white square was shown"],
        "hdmf-common",
        "VectorData",
        description=(
            "The meaning of the value in the parent CategoricalVectorData object."
        ),
    )
    cue_type = _column(
        table,
        "cue_type",
        ["circle", "square", "circle", "square", "circle"],
        NDX_EVENTS,
        "CategoricalVectorData",
        description="cue type",
    )
    cue_type.attrs.create("meanings", meanings.ref, dtype=h5py.ref_dtype)


def write_ndx_events(path: Path) -> Path:
    """pynwb writes the NWBFile (ndx-events 0.4.0 cached, a core EventsTable with
    an hdmf-common MeaningsTable); h5py adds the ndx-events 0.4.0 EventsTable in
    ``/processing/events_ext/cue_events``."""
    import h5py
    from hdmf.build import BuildManager
    from hdmf.common import VectorData
    from pynwb import NWBHDF5IO, get_type_map

    try:  # pynwb >= 4 (core 2.10+, hdmf-common 1.10)
        from hdmf.common import MeaningsTable
        from pynwb.event import EventsTable, TimestampVectorData
    except ImportError as exc:
        raise FixtureUnavailable(
            f"written for pynwb 4.x, whose core defines EventsTable ({exc})"
        ) from None

    namespace = ndx_events_namespace()
    type_map = get_type_map()  # a copy: pynwb's global type map stays as it was
    with warnings.catch_warnings():
        # "ndx-events.extensions.yaml defines a different specification for
        # MeaningsTable than the existing definition from table.yaml": the clash
        warnings.simplefilter("ignore")
        loaded = type_map.load_namespaces(str(namespace))
    if NDX_EVENTS not in loaded:
        raise FixtureUnavailable(f"pynwb did not load {namespace}")

    nwbfile = _nwbfile("ndx-events")
    side = VectorData(
        name="side", description="which spout", data=["left", "right", "left"]
    )
    meanings = MeaningsTable(target=side, description="meanings of side")
    meanings.add_row(value="left", meaning="the left spout")
    meanings.add_row(value="right", meaning="the right spout")
    licks = EventsTable(
        name="licks",
        description="licks (core EventsTable)",
        columns=[
            TimestampVectorData(
                name="timestamp", description="lick times", data=[0.5, 1.25, 2.0]
            ),
            side,
        ],
        meanings_tables=[meanings],
    )
    nwbfile.add_events_table(licks)
    nwbfile.create_processing_module("events_ext", "ndx-events 0.4.0 tables")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with NWBHDF5IO(str(path), "w", manager=BuildManager(type_map)) as io:
            io.write(nwbfile)
    with h5py.File(path, "a") as h5f:
        if "events_ext" not in h5f["processing"]:
            raise FixtureUnavailable("pynwb did not write the empty processing module")
        cached = set(h5f["specifications"])
        if NDX_EVENTS not in cached:
            raise FixtureUnavailable(f"pynwb cached {sorted(cached)}, not ndx-events")
        _add_ndx_events_table(h5f, "/processing/events_ext/cue_events")
    return path


#: name -> writer taking the output path
WRITERS = {
    "enum": write_enum,
    "ndx_events": write_ndx_events,
}


# -- written once per content key ----------------------------------------------------


def content_key() -> str:
    """This module's source and the versions of what writes the files."""
    source = inspect.getsource(sys.modules[__name__])
    digest = hashlib.sha256(source.encode())
    for distribution in DISTRIBUTIONS:
        digest.update(f"\0{distribution}={_version(distribution)}".encode())
    return digest.hexdigest()[:12]


def cached(directory: str | os.PathLike[str], name: str) -> Path:
    """The file ``WRITERS[name]`` writes, in ``directory``, written once per content
    key (beside its final name first, then renamed: concurrent writers are safe)."""
    directory = Path(directory)
    path = directory / f"{name}_{content_key()}.nwb"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f".{path.stem}.{os.getpid()}.tmp.nwb"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            WRITERS[name](partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    for stale in directory.glob(f"{name}_*.nwb"):  # written by an older writer
        if stale != path and len(stale.stem) == len(path.stem):
            stale.unlink(missing_ok=True)
    return path
