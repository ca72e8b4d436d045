"""Build NWB files from scratch with nwbgen's generated models, and write them.

    python examples/write_from_scratch.py [OUT_DIR]

writes two small files into OUT_DIR (default: the current directory), replacing
files of the same names:

* ``ecephys.nwb``: a probe (Device), an ElectrodeGroup, the electrodes table, an
  ElectricalSeries whose ``electrodes`` region points into that table, sorted units
  with ragged spike times, and a trials table with an extra column;
* ``ophys.nwb``: a microscope, an OpticalChannel and ImagingPlane, a small
  TwoPhotonSeries, and a processing module "ophys" holding an ImageSegmentation
  (a PlaneSegmentation with image masks) and Fluorescence (a RoiResponseSeries
  whose ``rois`` region points into the plane segmentation).

The models are plain pydantic classes generated from the NWB schema (here the
newest bundled core, 2.11.0). A few rules cover everything below:

* every schema member is a keyword argument with the schema's name;
* members the schema names only by type (the devices in ``/general/devices``, the
  series in ``/acquisition``, the columns a table adds) go in ``children``, a dict
  ``{name: model}`` or simply a list of models;
* a dataset with attributes is its own class holding the values in ``value``
  (``ElectricalSeriesData(value=..., conversion=...)``);
* links and references are the models themselves: pass the Device to the
  ElectrodeGroup, the table to a DynamicTableRegion. The writer makes HDF5 soft
  links and object references to wherever each model is stored. Every model that
  is referred to must itself be in the file.

``tests/io/test_write_examples.py`` reads the files back with pynwb and with
nwbgen, compares the values with those built here, and runs pynwb's validator and
nwbinspector on them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nwbgen import HDF5IO
from nwbgen.generated.core.v2_11_0 import (
    Device,
    ElectricalSeries,
    ElectricalSeriesData,
    ElectrodeGroup,
    ElectrodesTable,
    ElectrodesTableGroup,
    ElectrodesTableGroupName,
    ElectrodesTableLocation,
    ElectrodesTableRelX,
    ElectrodesTableRelY,
    ElectrodesTableX,
    ElectrodesTableY,
    ElectrodesTableZ,
    Fluorescence,
    ImageSegmentation,
    ImagingPlane,
    NWBFile,
    NWBFileAcquisition,
    NWBFileAnalysis,
    NWBFileGeneral,
    NWBFileGeneralDevices,
    NWBFileGeneralExtracellularEphys,
    NWBFileGeneralOptophysiology,
    NWBFileIntervals,
    NWBFileProcessing,
    NWBFileStimulus,
    NWBFileStimulusPresentation,
    NWBFileStimulusTemplates,
    OpticalChannel,
    PlaneSegmentation,
    PlaneSegmentationImageMask,
    PlaneSegmentationReferenceImages,
    ProcessingModule,
    RoiResponseSeries,
    RoiResponseSeriesData,
    Subject,
    SubjectAge,
    TimeIntervals,
    TimeIntervalsStartTime,
    TimeIntervalsStopTime,
    TimeSeries,
    TimeSeriesStartingTime,
    TwoPhotonSeries,
    TwoPhotonSeriesData,
    Units,
    UnitsSpikeTimes,
)
from nwbgen.generated.hdmf_common.v1_10_0 import (
    DynamicTableRegion,
    ElementIdentifiers,
    VectorData,
    VectorIndex,
)

SESSION_START = datetime(2024, 5, 6, 9, 30, tzinfo=timezone.utc)

# -- small helpers -------------------------------------------------------------------


def new_nwbfile(
    identifier: str,
    description: str,
    general: NWBFileGeneral,
    acquisition: Sequence[TimeSeries] = (),
    processing: Sequence[ProcessingModule] = (),
    **more,
) -> NWBFile:
    """An NWBFile: the groups every file has (empty unless given), the session's
    metadata in ``general``, and ``more`` top-level members (``units=``, ...)."""
    return NWBFile(
        identifier=identifier,
        session_description=description,
        session_start_time=SESSION_START,
        # time zero of every timestamp in the file: here the session start
        timestamps_reference_time=SESSION_START,
        # when the file was created (later modifications append to this list)
        file_create_date=[datetime.now(timezone.utc)],
        acquisition=NWBFileAcquisition(children=list(acquisition)),
        analysis=NWBFileAnalysis(),
        processing=NWBFileProcessing(children=list(processing)),
        stimulus=NWBFileStimulus(
            presentation=NWBFileStimulusPresentation(),
            templates=NWBFileStimulusTemplates(),
        ),
        general=general,
        **more,
    )


def subject() -> Subject:
    return Subject(
        name="subject",
        subject_id="mouse-001",
        species="Mus musculus",
        sex="F",
        age=SubjectAge(value="P90D"),
        description="a wild-type mouse",
    )


# -- (a) extracellular electrophysiology --------------------------------------------

N_CHANNELS = 8
RATE = 30_000.0


def build_ecephys() -> NWBFile:
    rng = np.random.default_rng(1)

    # Hardware: a probe, and the group of electrodes on its shank. The group refers
    # to the device by holding it; the writer turns that into a link to
    # /general/devices/probe.
    probe = Device(
        name="probe",
        description="an 8-channel silicon probe",
        serial_number="SN-0001",
    )
    shank = ElectrodeGroup(
        name="shank0",
        description="the probe's only shank",
        location="CA1",
        device=probe,
    )

    # The electrodes table: one row per channel. Each column the schema defines
    # has its own class (ElectrodesTableX, ...); its `group` column holds the
    # ElectrodeGroup models (object references in the file). A table also lists
    # its columns' names, in order, in `colnames`.
    depth = np.arange(N_CHANNELS, dtype=np.float32) * 20.0
    columns = {
        "location": ElectrodesTableLocation(
            value=["CA1"] * N_CHANNELS, description="brain area of each channel"
        ),
        "group": ElectrodesTableGroup(
            value=[shank] * N_CHANNELS, description="the group of each channel"
        ),
        "group_name": ElectrodesTableGroupName(
            value=[shank.name] * N_CHANNELS, description="its group's name"
        ),
        "x": ElectrodesTableX(
            value=np.full(N_CHANNELS, -2000.0, dtype=np.float32),
            description="AP coordinate, um",
        ),
        "y": ElectrodesTableY(value=1500.0 + depth, description="DV coordinate, um"),
        "z": ElectrodesTableZ(
            value=np.full(N_CHANNELS, 1500.0, dtype=np.float32),
            description="ML coordinate, um",
        ),
        "rel_x": ElectrodesTableRelX(
            value=np.zeros(N_CHANNELS, dtype=np.float32),
            description="x on the shank, um",
        ),
        "rel_y": ElectrodesTableRelY(value=depth, description="y on the shank, um"),
    }
    electrodes = ElectrodesTable(
        name="electrodes",
        description="the channels of the probe",
        id=ElementIdentifiers(name="id", value=np.arange(N_CHANNELS)),
        colnames=list(columns),
        **columns,
    )

    # A region of the electrodes table: the rows (channels) a series recorded.
    # `table` is the table model; the file gets an object reference to it.
    recorded = DynamicTableRegion(
        name="electrodes",
        value=np.arange(N_CHANNELS),
        table=electrodes,
        description="all channels of the probe",
    )

    # The raw voltage trace: float32 stays float32 in the file. `conversion`
    # scales it to the schema's unit (volts); `starting_time` + `rate` give the
    # sample times without storing a timestamps array.
    raw = ElectricalSeries(
        name="ElectricalSeries",
        description="raw voltage from the probe",
        data=ElectricalSeriesData(
            value=rng.normal(0, 50, size=(3_000, N_CHANNELS)).astype(np.float32),
            conversion=1e-6,  # stored in microvolts
        ),
        starting_time=TimeSeriesStartingTime(value=0.0, rate=RATE),
        electrodes=recorded,
    )

    # Sorted units with ragged spike times: all spikes of all units in one
    # VectorData, and a VectorIndex of cumulative ends (unit i's spikes are
    # spike_times[index[i-1]:index[i]]). The index's `target` is the data model.
    # The writer stores the index in the smallest unsigned dtype that fits; give
    # it as a numpy array (a Python list is cast to the schema's uint8).
    spikes = [np.sort(rng.uniform(0, 0.1, size=n)) for n in (5, 12, 3)]
    spike_times = UnitsSpikeTimes(
        value=np.concatenate(spikes),
        description="spike times of each unit, s",
        resolution=1 / RATE,  # spikes were detected on the 30 kHz samples
    )
    units = Units(
        name="units",
        description="units sorted from the probe",
        id=ElementIdentifiers(name="id", value=np.arange(len(spikes))),
        spike_times=spike_times,
        spike_times_index=VectorIndex(
            name="spike_times_index",
            value=np.cumsum([len(s) for s in spikes]),
            target=spike_times,
            description="index into spike_times",
        ),
        # columns beyond the schema's are children
        children=[
            VectorData(
                name="quality",
                value=["good", "good", "mua"],
                description="curation label",
            )
        ],
        # the index is not a column of its own: it belongs to spike_times
        colnames=["spike_times", "quality"],
    )

    return new_nwbfile(
        "nwbgen-example-ecephys-from-scratch",
        "a probe in CA1 during a simple task (synthetic data)",
        # untyped groups of the schema have their own classes (NWBFileGeneral,
        # NWBFileGeneralDevices, ...); typed members go in their `children`
        general=NWBFileGeneral(
            experimenter=["Doe, Jane"],
            experiment_description="extracellular recording during a 2AFC task",
            keywords=["ecephys", "CA1", "example"],
            lab="nwbgen",
            institution="nowhere",
            subject=subject(),
            devices=NWBFileGeneralDevices(children=[probe]),
            extracellular_ephys=NWBFileGeneralExtracellularEphys(
                electrodes=electrodes, children=[shank]
            ),
        ),
        acquisition=[raw],
        units=units,
        intervals=NWBFileIntervals(trials=build_trials()),
    )


# -- (b) trials ----------------------------------------------------------------------


def build_trials(n: int = 5) -> TimeIntervals:
    """A trials table: start/stop times (required columns) and one more column."""
    # The schema's dtype for times here is float32. Numeric schema dtypes are
    # minimums: a float64 numpy array stays float64 (as pynwb writes it), while
    # a list of Python floats would be cast to float32.
    start = np.arange(n, dtype=np.float64) * 0.02
    return TimeIntervals(
        name="trials",
        description="trials of the task",
        id=ElementIdentifiers(name="id", value=np.arange(n)),
        start_time=TimeIntervalsStartTime(value=start, description="trial start, s"),
        stop_time=TimeIntervalsStopTime(
            value=start + 0.015, description="trial stop, s"
        ),
        children=[
            VectorData(
                name="correct",
                value=np.array([True, False, True, True, False][:n]),
                description="whether the animal chose correctly",
            )
        ],
        colnames=["start_time", "stop_time", "correct"],
    )


# -- (c) optical physiology ----------------------------------------------------------

FRAMES, WIDTH, HEIGHT, N_ROIS = 20, 16, 12, 3


def build_ophys() -> NWBFile:
    rng = np.random.default_rng(2)

    microscope = Device(name="microscope", description="a two-photon microscope")
    green = OpticalChannel(
        name="green", description="GCaMP emission", emission_lambda=510.0
    )
    plane = ImagingPlane(
        name="plane0",
        description="layer 2/3 of V1",
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="VISp",  # Allen CCF names, as nwbinspector suggests
        device=microscope,  # a link to /general/devices/microscope
        children=[green],  # optical channels are members of the plane
    )

    movie = TwoPhotonSeries(
        name="TwoPhotonSeries",
        description="a tiny movie",
        data=TwoPhotonSeriesData(
            value=rng.integers(0, 4096, size=(FRAMES, WIDTH, HEIGHT), dtype=np.uint16),
            unit="n.a.",
        ),
        starting_time=TimeSeriesStartingTime(value=0.0, rate=30.0),
        field_of_view=np.array([0.0005, 0.0004], dtype=np.float32),
        imaging_plane=plane,
    )

    # ROIs as image masks: one (WIDTH, HEIGHT) weight image per ROI.
    masks = np.zeros((N_ROIS, WIDTH, HEIGHT), dtype=np.float32)
    for i in range(N_ROIS):
        masks[i, 4 * i : 4 * i + 4, 3:7] = 1.0
    segmentation = PlaneSegmentation(
        name="PlaneSegmentation",
        description="hand-drawn ROIs",
        id=ElementIdentifiers(name="id", value=np.arange(N_ROIS)),
        image_mask=PlaneSegmentationImageMask(
            value=masks, description="weight of each pixel in each ROI"
        ),
        reference_images=PlaneSegmentationReferenceImages(),
        imaging_plane=plane,
        colnames=["image_mask"],
    )

    # Fluorescence of each ROI over time; `rois` says which rows of the plane
    # segmentation the columns of `data` are.
    roi_response = RoiResponseSeries(
        name="RoiResponseSeries",
        description="mean fluorescence in each ROI",
        data=RoiResponseSeriesData(
            value=rng.random((FRAMES, N_ROIS)).astype(np.float32), unit="a.u."
        ),
        starting_time=TimeSeriesStartingTime(value=0.0, rate=30.0),
        rois=DynamicTableRegion(
            name="rois",
            value=np.arange(N_ROIS),
            table=segmentation,
            description="all ROIs",
        ),
    )

    ophys = ProcessingModule(
        name="ophys",
        description="optical physiology processed data",
        children=[
            ImageSegmentation(children=[segmentation]),
            Fluorescence(children=[roi_response]),
        ],
    )

    return new_nwbfile(
        "nwbgen-example-ophys-from-scratch",
        "two-photon imaging in V1 (synthetic data)",
        general=NWBFileGeneral(
            experimenter=["Doe, Jane"],
            experiment_description="calcium imaging of spontaneous activity",
            keywords=["ophys", "two-photon", "example"],
            lab="nwbgen",
            institution="nowhere",
            subject=subject(),
            devices=NWBFileGeneralDevices(children=[microscope]),
            optophysiology=NWBFileGeneralOptophysiology(children=[plane]),
        ),
        acquisition=[movie],
        processing=[ophys],
    )


# -- writing -------------------------------------------------------------------------

#: file name -> the function that builds it
BUILDERS = {"ecephys.nwb": build_ecephys, "ophys.nwb": build_ophys}


def write(nwbfile: NWBFile, path: Path, overwrite: bool = False) -> Path:
    # HDF5IO writes beside `path` and renames when complete: on any error nothing
    # is left behind. It refuses to replace an existing file unless overwrite=True.
    with HDF5IO(path, mode="w", overwrite=overwrite) as io:
        io.write(nwbfile)
    return path


def main(out_dir: str | Path = ".", overwrite: bool = True) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        path = write(build(), out / name, overwrite=overwrite)
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
        written.append(path)
    return written


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
