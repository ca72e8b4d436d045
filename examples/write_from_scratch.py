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
newest bundled core, 2.11.0), with pynwb's and hdmf's builders:

* ``NWBFile(identifier=, session_description=, session_start_time=)`` is enough;
  ``/general`` metadata (``lab=``, ``subject=``, ...) are keywords as in pynwb;
* ``create_device``, ``create_electrode_group``, ``add_electrode``,
  ``add_unit``, ``add_trial``, ``create_processing_module``, ... have pynwb's
  names and signatures; every table has hdmf's ``add_column`` / ``add_row`` /
  ``create_region``; a group takes members with ``add``;
* a dataset member takes its values (``data=np.zeros(...)``) and pynwb's flat
  keywords (``rate=``, ``unit=``, ``conversion=``);
* links and references are the models themselves: pass the Device to the
  ElectrodeGroup, the table region to the series.

``tests/io/entry/test_write_examples.py`` reads the files back with pynwb and with
nwbgen, compares the values with those built here, and runs pynwb's validator and
nwbinspector on them.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from nwbgen import HDF5IO
from nwbgen.generated.core.v2_11_0 import (
    ElectricalSeries,
    Fluorescence,
    ImageSegmentation,
    NWBFile,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
    Subject,
    TwoPhotonSeries,
)

SESSION_START = datetime(2024, 5, 6, 9, 30, tzinfo=timezone.utc)


def new_nwbfile(identifier: str, description: str, **general: object) -> NWBFile:
    return NWBFile(
        identifier=identifier,
        session_description=description,
        session_start_time=SESSION_START,
        experimenter=["Doe, Jane"],
        lab="nwbgen",
        institution="nowhere",
        subject=Subject(
            subject_id="mouse-001",
            species="Mus musculus",
            sex="F",
            age="P90D",
            description="a wild-type mouse",
        ),
        **general,
    )


# -- (a) extracellular electrophysiology --------------------------------------------

N_CHANNELS = 8
RATE = 30_000.0


def build_ecephys() -> NWBFile:
    rng = np.random.default_rng(1)
    nwbfile = new_nwbfile(
        "nwbgen-example-ecephys-from-scratch",
        "a probe in CA1 during a simple task (synthetic data)",
        experiment_description="extracellular recording during a 2AFC task",
        keywords=["ecephys", "CA1", "example"],
    )
    probe = nwbfile.create_device(
        name="probe", description="an 8-channel silicon probe", serial_number="SN-0001"
    )
    shank = nwbfile.create_electrode_group(
        name="shank0",
        description="the probe's only shank",
        location="CA1",
        device=probe,
    )
    # one row per channel; x, y, z, rel_x, rel_y are the schema's float32 columns
    for channel in range(N_CHANNELS):
        depth = channel * 20.0
        nwbfile.add_electrode(
            group=shank,
            location="CA1",
            x=-2000.0,
            y=1500.0 + depth,
            z=1500.0,
            rel_x=0.0,
            rel_y=depth,
        )
    # the raw voltage: float32 stays float32; conversion scales it to volts
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="ElectricalSeries",
            description="raw voltage from the probe",
            data=rng.normal(0, 50, size=(3_000, N_CHANNELS)).astype(np.float32),
            conversion=1e-6,  # stored in microvolts
            rate=RATE,
            electrodes=nwbfile.create_electrode_table_region(
                region=list(range(N_CHANNELS)), description="all channels of the probe"
            ),
        )
    )
    # sorted units: ragged spike times through a VectorIndex built by add_unit
    nwbfile.add_unit_column(name="quality", description="curation label")
    for n, quality in zip((5, 12, 3), ("good", "good", "mua")):
        nwbfile.add_unit(
            spike_times=np.sort(rng.uniform(0, 0.1, size=n)), quality=quality
        )
    nwbfile.units.spike_times.resolution = 1 / RATE  # detected on the 30 kHz samples
    add_trials(nwbfile)
    return nwbfile


# -- (b) trials ----------------------------------------------------------------------


def add_trials(nwbfile: NWBFile, n: int = 5) -> None:
    """Trials: start/stop times (the schema's columns) and one more column."""
    nwbfile.add_trial_column(
        name="correct", description="whether the animal chose correctly"
    )
    for i in range(n):
        start = i * 0.02
        nwbfile.add_trial(
            start_time=start, stop_time=start + 0.015, correct=i in (0, 2, 3)
        )


# -- (c) optical physiology ----------------------------------------------------------

FRAMES, WIDTH, HEIGHT, N_ROIS = 20, 16, 12, 3


def build_ophys() -> NWBFile:
    rng = np.random.default_rng(2)
    nwbfile = new_nwbfile(
        "nwbgen-example-ophys-from-scratch",
        "two-photon imaging in V1 (synthetic data)",
        experiment_description="calcium imaging of spontaneous activity",
        keywords=["ophys", "two-photon", "example"],
    )
    microscope = nwbfile.create_device(
        name="microscope", description="a two-photon microscope"
    )
    plane = nwbfile.create_imaging_plane(
        name="plane0",
        optical_channel=OpticalChannel(
            name="green", description="GCaMP emission", emission_lambda=510.0
        ),
        description="layer 2/3 of V1",
        device=microscope,
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="VISp",  # Allen CCF names, as nwbinspector suggests
    )
    nwbfile.add_acquisition(
        TwoPhotonSeries(
            name="TwoPhotonSeries",
            description="a tiny movie",
            data=rng.integers(0, 4096, size=(FRAMES, WIDTH, HEIGHT), dtype=np.uint16),
            unit="n.a.",
            rate=30.0,
            field_of_view=np.array([0.0005, 0.0004], dtype=np.float32),
            imaging_plane=plane,
        )
    )
    # ROIs as image masks: one (WIDTH, HEIGHT) weight image per ROI
    segmentation = PlaneSegmentation(
        name="PlaneSegmentation", description="hand-drawn ROIs", imaging_plane=plane
    )
    for i in range(N_ROIS):
        mask = np.zeros((WIDTH, HEIGHT), dtype=np.float32)
        mask[4 * i : 4 * i + 4, 3:7] = 1.0
        segmentation.add_row(image_mask=mask)
    ophys = nwbfile.create_processing_module(
        name="ophys", description="optical physiology processed data"
    )
    ophys.add(ImageSegmentation(children=[segmentation]))
    # fluorescence of each ROI; `rois`: the rows of the segmentation it covers
    ophys.add(
        Fluorescence(
            children=[
                RoiResponseSeries(
                    name="RoiResponseSeries",
                    description="mean fluorescence in each ROI",
                    data=rng.random((FRAMES, N_ROIS)).astype(np.float32),
                    unit="a.u.",
                    rate=30.0,
                    rois=segmentation.create_region(
                        name="rois", region=list(range(N_ROIS)), description="all ROIs"
                    ),
                )
            ]
        )
    )
    return nwbfile


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
