"""Small NWB files written by pynwb, one per area, for the differential test.

Each ``write_*`` function writes one file with the pynwb that is installed and
returns its path; ``EXTENSION`` defines a tiny extension in a directory first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.file import Subject

START = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=timezone(timedelta(hours=2)))


def _nwbfile(identifier: str, **kwargs) -> NWBFile:
    return NWBFile(
        session_description=f"{identifier} session",
        identifier=identifier,
        session_start_time=START,
        file_create_date=[START, START + timedelta(days=1)],
        experimenter=["Doe, Jane", "Roe, Rich"],
        keywords=["differential", "test"],
        institution="Nowhere",
        lab="The Lab",
        experiment_description="differential test of nwbgen against pynwb",
        session_id=f"{identifier}-1",
        related_publications=["doi:10.0/xyz"],
        notes="some notes",
        pharmacology="none",
        protocol="P1",
        surgery="none",
        virus="none",
        stimulus_notes="none",
        data_collection="by hand",
        source_script="pynwb_fixtures.py",
        source_script_file_name="pynwb_fixtures.py",
        subject=Subject(
            subject_id="mouse-1",
            age="P90D",
            age__reference="birth",
            description="a mouse",
            genotype="WT",
            sex="F",
            species="Mus musculus",
            strain="C57BL/6J",
            weight="20 g",
            date_of_birth=START - timedelta(days=90),
        ),
        **kwargs,
    )


def _write(nwbfile: NWBFile, path: Path) -> Path:
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


# -- (a) extracellular ephys ---------------------------------------------------------


def write_ecephys(path: Path) -> Path:
    from pynwb.ecephys import LFP, ElectricalSeries, SpikeEventSeries
    from pynwb.misc import DecompositionSeries

    nwbfile = _nwbfile("ecephys")
    device = nwbfile.create_device(
        name="probe", description="an 8-channel probe", manufacturer="ACME"
    )
    groups = [
        nwbfile.create_electrode_group(
            name=f"shank{i}",
            description=f"shank {i}",
            location="CA1",
            device=device,
            position=(float(i), 2.0, 3.0),
        )
        for i in range(2)
    ]
    nwbfile.add_electrode_column(name="depth_um", description="a float column")
    nwbfile.add_electrode_column(name="label", description="a text column")
    nwbfile.add_electrode_column(
        name="aliases", description="a ragged text column", index=True
    )
    for i in range(8):
        nwbfile.add_electrode(
            group=groups[i // 4],
            location="CA1",
            x=float(i),
            y=-float(i),
            z=0.5 * i,
            imp=1e6 + i,
            filtering="none",
            rel_x=0.1 * i,
            rel_y=0.2,
            rel_z=np.nan if i == 3 else 0.0,
            reference="skull",
            depth_um=10.0 * i,
            label=f"ch{i}",
            aliases=[f"a{i}_{j}" for j in range(i % 3)],
        )
    all_electrodes = nwbfile.create_electrode_table_region(
        list(range(8)), "all electrodes"
    )
    nwbfile.add_acquisition(
        ElectricalSeries(
            name="raw",
            data=np.arange(200 * 8, dtype="int16").reshape(200, 8),
            electrodes=all_electrodes,
            starting_time=1.5,
            rate=1000.0,
            conversion=1.95e-7,
            offset=0.001,
            resolution=1.95e-7,
            filtering="0.3-7500 Hz",
            channel_conversion=np.linspace(1.0, 2.0, 8),
            comments="raw data",
            description="raw voltage",
        )
    )
    nwbfile.add_acquisition(
        SpikeEventSeries(
            name="snippets",
            data=np.random.default_rng(0).normal(size=(6, 4, 12)),
            timestamps=np.arange(6) * 0.25,
            electrodes=nwbfile.create_electrode_table_region([0, 1, 2, 3], "shank0"),
        )
    )
    ecephys = nwbfile.create_processing_module("ecephys", "processed ephys")
    lfp_series = ElectricalSeries(
        name="lfp_series",
        data=np.random.default_rng(1).normal(size=(50, 4)).astype("float32"),
        electrodes=nwbfile.create_electrode_table_region([4, 5, 6, 7], "shank1"),
        timestamps=np.arange(50) / 100.0,
    )
    ecephys.add(LFP(electrical_series=lfp_series))
    ecephys.add(
        DecompositionSeries(
            name="bands",
            description="power in bands",
            data=np.random.default_rng(2).random((20, 4, 2)),
            metric="power",
            rate=10.0,
            source_timeseries=lfp_series,
            source_channels=nwbfile.create_electrode_table_region(
                [4, 5, 6, 7], "source channels", name="source_channels"
            ),
        )
    )
    bands = ecephys["bands"]
    bands.add_band(
        band_name="theta", band_limits=(4.0, 8.0), band_mean=6.0, band_stdev=1.0
    )
    bands.add_band(
        band_name="gamma", band_limits=(30.0, 80.0), band_mean=55.0, band_stdev=10.0
    )

    nwbfile.add_unit_column(name="quality", description="a text column")
    nwbfile.add_unit_column(
        name="peaks", description="a ragged float column", index=True
    )
    rng = np.random.default_rng(3)
    for u in range(4):
        electrodes = [u, u + 4] if u % 2 else [u]
        nwbfile.add_unit(
            spike_times=np.sort(rng.random(3 + u)) * 10,
            # doubly ragged: per electrode, per spike, the samples
            waveforms=[rng.random((3 + u, 5)) for _ in electrodes],
            obs_intervals=[[0.0, 4.0], [5.0, 10.0]][: 1 + u % 2],
            electrodes=electrodes,
            electrode_group=groups[u % 2],
            waveform_mean=rng.random((10, 2)),
            waveform_sd=rng.random((10, 2)),
            quality="good" if u % 2 else "mua",
            peaks=list(rng.random(u)),
        )
    return _write(nwbfile, path)


# -- (b) optical physiology ------------------------------------------------------------


def write_ophys(path: Path) -> Path:
    from pynwb.ophys import (
        DfOverF,
        Fluorescence,
        ImageSegmentation,
        OpticalChannel,
        PlaneSegmentation,
        RoiResponseSeries,
        TwoPhotonSeries,
    )

    nwbfile = _nwbfile("ophys")
    device = nwbfile.create_device(name="microscope", description="2p scope")
    channel = OpticalChannel(
        name="green", description="GCaMP channel", emission_lambda=520.0
    )
    plane = nwbfile.create_imaging_plane(
        name="plane",
        optical_channel=channel,
        description="a plane",
        device=device,
        excitation_lambda=920.0,
        imaging_rate=30.0,
        indicator="GCaMP6f",
        location="V1",
        grid_spacing=[0.5, 0.5],
        grid_spacing_unit="micrometers",
        origin_coords=[1.0, 2.0],
        origin_coords_unit="millimeters",
        reference_frame="bregma",
    )
    nwbfile.add_acquisition(
        TwoPhotonSeries(
            name="two_photon",
            data=np.arange(6 * 8 * 8, dtype="uint16").reshape(6, 8, 8),
            imaging_plane=plane,
            rate=30.0,
            starting_time=0.0,
            field_of_view=[0.4, 0.4],
            pmt_gain=1.5,
            scan_line_rate=15000.0,
            dimension=[8, 8],
            unit="a.u.",
        )
    )
    module = nwbfile.create_processing_module("ophys", "processed 2p")
    segmentation = ImageSegmentation(name="ImageSegmentation")
    module.add(segmentation)
    masks = segmentation.create_plane_segmentation(
        name="planar",
        description="image and pixel masks",
        imaging_plane=plane,
    )
    rng = np.random.default_rng(4)
    for i in range(3):
        image = np.zeros((8, 8))
        image[i : i + 3, i : i + 2] = 1.0
        pixels = [
            (x, y, float(rng.random())) for x in range(i, i + 2) for y in range(2)
        ]
        masks.add_roi(image_mask=image, pixel_mask=pixels)
    volume = PlaneSegmentation(
        name="volumetric",
        description="voxel masks",
        imaging_plane=plane,
    )
    for i in range(2):
        volume.add_roi(
            voxel_mask=[(i, 1, z, 0.5 + 0.1 * z) for z in range(i + 2)],
        )
    segmentation.add_plane_segmentation(volume)
    rois = masks.create_roi_table_region("all rois", region=[0, 1, 2])
    fluorescence = Fluorescence(name="Fluorescence")
    fluorescence.add_roi_response_series(
        RoiResponseSeries(
            name="raw_f",
            data=rng.random((20, 3)),
            rois=rois,
            unit="lumens",
            rate=30.0,
        )
    )
    module.add(fluorescence)
    dff = DfOverF(name="DfOverF")
    dff.add_roi_response_series(
        RoiResponseSeries(
            name="dff",
            data=rng.random((20, 2)),
            rois=masks.create_roi_table_region("two rois", region=[0, 2]),
            unit="%",
            timestamps=np.arange(20) / 30.0,
        )
    )
    module.add(dff)
    return _write(nwbfile, path)


# -- (c) intracellular physiology -------------------------------------------------------


def write_icephys(path: Path) -> Path:
    from pynwb.icephys import (
        CurrentClampSeries,
        CurrentClampStimulusSeries,
        IZeroClampSeries,
        VoltageClampSeries,
        VoltageClampStimulusSeries,
    )

    nwbfile = _nwbfile("icephys")
    device = nwbfile.create_device(name="amplifier", description="an amplifier")
    electrodes = [
        nwbfile.create_icephys_electrode(
            name=f"electrode{i}",
            description=f"patch pipette {i}",
            device=device,
            location="CA1",
            resistance="10 MOhm",
            seal="1 GOhm",
            filtering="10 kHz",
            slice="slice 1",
        )
        for i in range(2)
    ]
    rng = np.random.default_rng(5)
    rows = []
    for sweep in range(3):
        electrode = electrodes[sweep % 2]
        stimulus = CurrentClampStimulusSeries(
            name=f"ccss{sweep}",
            data=rng.random(100),
            electrode=electrode,
            gain=0.02,
            rate=10000.0,
            starting_time=float(sweep),
            sweep_number=np.uint32(sweep),
            stimulus_description="step",
        )
        response = CurrentClampSeries(
            name=f"ccs{sweep}",
            data=rng.random(100),
            electrode=electrode,
            gain=0.02,
            rate=10000.0,
            starting_time=float(sweep),
            bias_current=1e-12,
            bridge_balance=7e6,
            capacitance_compensation=1e-12,
            sweep_number=np.uint32(sweep),
            stimulus_description="step",
        )
        rows.append(
            nwbfile.add_intracellular_recording(
                electrode=electrode,
                stimulus=stimulus,
                stimulus_start_index=10,
                stimulus_index_count=80,
                response=response,
            )
        )
    vstimulus = VoltageClampStimulusSeries(
        name="vcss",
        data=rng.random(50),
        electrode=electrodes[0],
        gain=0.1,
        rate=5000.0,
    )
    vresponse = VoltageClampSeries(
        name="vcs",
        data=rng.random(50),
        electrode=electrodes[0],
        gain=0.1,
        rate=5000.0,
        capacitance_fast=1e-12,
        capacitance_slow=2e-12,
        resistance_comp_bandwidth=1e3,
        resistance_comp_correction=70.0,
        resistance_comp_prediction=70.0,
        whole_cell_capacitance_comp=1e-12,
        whole_cell_series_resistance_comp=1e7,
    )
    rows.append(
        nwbfile.add_intracellular_recording(
            electrode=electrodes[0], stimulus=vstimulus, response=vresponse
        )
    )
    nwbfile.add_acquisition(
        IZeroClampSeries(
            name="izero",
            data=rng.random(40),
            electrode=electrodes[1],
            gain=0.5,
            rate=1000.0,
        )
    )
    simultaneous = [
        nwbfile.add_icephys_simultaneous_recording(recordings=[rows[0], rows[1]]),
        nwbfile.add_icephys_simultaneous_recording(recordings=[rows[2]]),
        nwbfile.add_icephys_simultaneous_recording(recordings=[rows[3]]),
    ]
    sequential = [
        nwbfile.add_icephys_sequential_recording(
            simultaneous_recordings=simultaneous[:2], stimulus_type="step"
        ),
        nwbfile.add_icephys_sequential_recording(
            simultaneous_recordings=simultaneous[2:], stimulus_type="ramp"
        ),
    ]
    repetition = nwbfile.add_icephys_repetition(sequential_recordings=sequential)
    conditions = nwbfile.get_icephys_experimental_conditions()
    conditions.add_column(name="drug", description="the drug applied")
    nwbfile.add_icephys_experimental_condition(repetitions=[repetition], drug="TTX")
    return _write(nwbfile, path)


# -- (d) behavior and intervals ---------------------------------------------------------


def write_behavior(path: Path) -> Path:
    from pynwb.behavior import (
        BehavioralEvents,
        BehavioralTimeSeries,
        CompassDirection,
        Position,
        SpatialSeries,
    )
    from pynwb.epoch import TimeIntervals

    nwbfile = _nwbfile("behavior")
    rng = np.random.default_rng(6)
    position = SpatialSeries(
        name="position",
        description="x, y in the arena",
        data=rng.random((40, 2)),
        reference_frame="arena corner",
        timestamps=np.arange(40) / 20.0,
        unit="meters",
    )
    behavior = nwbfile.create_processing_module("behavior", "behavioural data")
    behavior.add(Position(spatial_series=position))
    behavior.add(
        CompassDirection(
            spatial_series=SpatialSeries(
                name="heading",
                data=rng.random(40) * 6.28,
                reference_frame="north",
                unit="radians",
                timestamps=position,  # linked timestamps
            )
        )
    )
    lick = TimeSeries(
        name="licks",
        data=np.ones(5, dtype="uint8"),
        unit="n/a",
        timestamps=[0.5, 1.0, 1.7, 2.2, 3.0],
        continuity="instantaneous",
    )
    behavior.add(BehavioralEvents(time_series=lick))
    speed = TimeSeries(
        name="speed",
        data=position,  # linked data
        unit="m/s",
        rate=20.0,
        starting_time=0.25,
    )
    behavior.add(BehavioralTimeSeries(time_series=speed))

    nwbfile.add_trial_column(name="correct", description="a bool column")
    nwbfile.add_trial_column(name="stimulus", description="a text column")
    nwbfile.add_trial_column(
        name="licks_in_trial", description="a ragged float column", index=True
    )
    for i in range(4):
        nwbfile.add_trial(
            start_time=2.0 * i,
            stop_time=2.0 * i + 1.5,
            correct=bool(i % 2),
            stimulus=f"grating {i * 45}",
            licks_in_trial=[0.1 * j + 2 * i for j in range(i)],
            tags=["a", "b"][: i % 3],
            timeseries=[lick] if i % 2 else [position, lick],
        )
    nwbfile.add_epoch(
        start_time=0.0, stop_time=5.0, tags=["baseline"], timeseries=[lick]
    )
    nwbfile.add_epoch(
        start_time=5.0, stop_time=9.0, tags=["task", "run"], timeseries=[speed, lick]
    )
    nwbfile.add_invalid_time_interval(start_time=3.0, stop_time=3.5)
    nwbfile.add_invalid_time_interval(start_time=7.0, stop_time=7.25)
    sleep = TimeIntervals(name="sleep", description="sleep stages")
    sleep.add_column(name="stage", description="the stage")
    sleep.add_interval(
        start_time=0.0, stop_time=10.0, stage="REM", timeseries=[position]
    )
    sleep.add_interval(
        start_time=10.0, stop_time=30.0, stage="NREM", timeseries=[speed]
    )
    nwbfile.add_time_intervals(sleep)
    return _write(nwbfile, path)


# -- (e) images ------------------------------------------------------------------------


def write_images(path: Path) -> Path:
    from pynwb.base import ImageReferences, Images
    from pynwb.image import (
        GrayscaleImage,
        ImageSeries,
        IndexSeries,
        OpticalSeries,
        RGBAImage,
        RGBImage,
    )

    nwbfile = _nwbfile("images")
    rng = np.random.default_rng(7)
    gray = GrayscaleImage(
        name="gray", data=rng.random((8, 6)), resolution=2.5, description="gray"
    )
    rgb = RGBImage(name="rgb", data=rng.integers(0, 255, (8, 6, 3), dtype="uint8"))
    rgba = RGBAImage(name="rgba", data=rng.random((8, 6, 4)))
    images = Images(
        name="templates",
        images=[gray, rgb, rgba],
        description="stimulus templates",
        order_of_images=ImageReferences(name="order_of_images", data=[rgb, gray, rgba]),
    )
    nwbfile.add_stimulus_template(images)
    nwbfile.add_stimulus(
        IndexSeries(
            name="shown",
            data=np.array([0, 2, 1, 0], dtype="uint32"),
            indexed_images=images,
            unit="N/A",
            timestamps=[0.0, 0.5, 1.0, 1.5],
        )
    )
    nwbfile.add_acquisition(
        ImageSeries(
            name="video",
            external_file=["video1.mp4", "video2.mp4"],
            starting_frame=[0, 100],
            format="external",
            num_samples=200,
            rate=30.0,
            starting_time=0.0,
            unit="n/a",
            description="a video kept outside",
        )
    )
    nwbfile.add_stimulus(
        OpticalSeries(
            name="optical",
            data=rng.random((5, 4, 3)),
            distance=0.7,
            field_of_view=[0.2, 0.3, 0.7],
            orientation="lower left",
            unit="n/a",
            rate=60.0,
        )
    )
    nwbfile.add_acquisition(
        Images(name="snapshots", images=[GrayscaleImage(name="snap", data=np.eye(4))])
    )
    return _write(nwbfile, path)


# -- (f) an extension ------------------------------------------------------------------

EXTENSION = "ndx-diff"


def write_extension_spec(directory: Path) -> Path:
    """A tiny extension: a LabMetaData subtype with attributes and a TimeSeries
    subtype with an extra dataset (itself with an attribute) and a link."""
    from pynwb.spec import (
        NWBAttributeSpec,
        NWBDatasetSpec,
        NWBGroupSpec,
        NWBLinkSpec,
        NWBNamespaceBuilder,
    )

    builder = NWBNamespaceBuilder(
        doc="differential-test extension",
        name=EXTENSION,
        version="0.1.0",
        author="nwbgen tests",
        contact="nobody@example.org",
    )
    builder.include_type("LabMetaData", namespace="core")
    builder.include_type("TimeSeries", namespace="core")
    builder.include_type("Device", namespace="core")
    lab = NWBGroupSpec(
        neurodata_type_def="LabMetaDataExt",
        neurodata_type_inc="LabMetaData",
        doc="lab metadata with attributes",
        attributes=[
            NWBAttributeSpec("rig", "the rig", "text"),
            NWBAttributeSpec("temperature", "in Celsius", "float64"),
            NWBAttributeSpec("trials_planned", "a count", "int32"),
            NWBAttributeSpec("flags", "some numbers", "int64", shape=(None,)),
            NWBAttributeSpec(
                "operator", "who", "text", required=False, default_value="nobody"
            ),
        ],
        datasets=[
            NWBDatasetSpec(
                name="protocol_steps", doc="steps", dtype="text", shape=(None,)
            )
        ],
    )
    series = NWBGroupSpec(
        neurodata_type_def="TimeSeriesWithExtra",
        neurodata_type_inc="TimeSeries",
        doc="a TimeSeries with an extra dataset and a link",
        attributes=[NWBAttributeSpec("label", "a label", "text")],
        datasets=[
            NWBDatasetSpec(
                name="quality",
                doc="quality per sample",
                dtype="float32",
                shape=(None,),
                attributes=[NWBAttributeSpec("threshold", "cut-off", "float64")],
            )
        ],
        links=[
            NWBLinkSpec(name="source_device", doc="the device", target_type="Device")
        ],
    )
    directory.mkdir(parents=True, exist_ok=True)
    builder.add_spec(f"{EXTENSION}.extensions.yaml", lab)
    builder.add_spec(f"{EXTENSION}.extensions.yaml", series)
    builder.export(f"{EXTENSION}.namespace.yaml", outdir=str(directory))
    return directory / f"{EXTENSION}.namespace.yaml"


def write_extension(path: Path, spec_dir: Path) -> Path:
    """A file using the extension, written through a private type map (pynwb's
    global one stays as it was)."""
    from hdmf.build import BuildManager
    from pynwb import get_type_map

    namespace = write_extension_spec(spec_dir)
    type_map = get_type_map()
    type_map.load_namespaces(str(namespace))
    LabMetaDataExt = type_map.get_dt_container_cls("LabMetaDataExt", EXTENSION)
    TimeSeriesWithExtra = type_map.get_dt_container_cls(
        "TimeSeriesWithExtra", EXTENSION
    )
    nwbfile = _nwbfile("extension")
    device = nwbfile.create_device(name="sensor", description="a sensor")
    nwbfile.add_lab_meta_data(
        LabMetaDataExt(
            name="lab_info",
            rig="rig 2",
            temperature=36.6,
            trials_planned=120,
            flags=np.array([1, 2, 3]),
            protocol_steps=["fill", "wait", "record"],
        )
    )
    nwbfile.add_acquisition(
        TimeSeriesWithExtra(
            name="extra",
            data=np.arange(10.0),
            unit="V",
            rate=100.0,
            label="with extra",
            quality=np.linspace(0, 1, 10).astype("float32"),
            quality__threshold=0.5,
            source_device=device,
        )
    )
    with NWBHDF5IO(str(path), "w", manager=BuildManager(type_map)) as io:
        io.write(nwbfile)
    return path


#: name -> writer taking the output path (the extension's spec goes beside it)
WRITERS = {
    "ecephys": write_ecephys,
    "ophys": write_ophys,
    "icephys": write_icephys,
    "behavior": write_behavior,
    "images": write_images,
    "extension": lambda path: write_extension(path, path.parent / "ndx-diff-spec"),
}
