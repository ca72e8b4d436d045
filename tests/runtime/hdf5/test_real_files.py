"""The primitives on files written by pynwb and by a real pipeline (../shared)."""

from __future__ import annotations

from datetime import datetime

import h5py
import numpy as np
import pytest

from nwbgen.runtime.hdf5 import files
from nwbgen.runtime.hdf5.attributes import neurodata_type_of, read_attribute
from nwbgen.runtime.hdf5.lazy import LazyArray, read_dataset
from nwbgen.runtime.hdf5.links import ExternalLink, SoftLinkInfo, member_link
from nwbgen.runtime.hdf5.references import Resolver
from nwbgen.runtime.source import unknown_members
from tests.support.paths import shared_file

pytestmark = pytest.mark.corpus


def generic_build(resolver: Resolver):
    """A stand-in for generated readers: a dict per object, every member read."""

    def build(obj):
        model = resolver.put(obj, {"name": obj.name, "type": neurodata_type_of(obj)})
        found = unknown_members(obj, resolver=resolver)
        model.update(found.attributes)
        if isinstance(obj, h5py.Dataset):
            value = read_dataset(obj, resolver=resolver)
            model["value"] = value.load() if value.size <= 100 else value
        for name, member in {**found.datasets, **found.groups}.items():
            h5obj = member.dataset if isinstance(member, LazyArray) else member
            model[name] = resolver.get_or_build(h5obj)
        model.update(found.links)
        return model

    return build


def test_aibs_compound_timeseries_references():
    path = shared_file("data", "real", "aibs_dandi000021_truncated.nwb")
    with h5py.File(path, "r") as h5f:
        resolver = Resolver(lambda obj: {"name": obj.name})
        column = h5f["intervals/flashes_presentations/timeseries"]
        assert neurodata_type_of(column) == ("hdmf-common", "VectorData")
        kind = (("idx_start", "int32"), ("count", "int32"), ("timeseries", "object:X"))
        lazy = read_dataset(column, kind, resolver=resolver)
        assert isinstance(lazy, LazyArray) and lazy.shape == (10,)
        rows = lazy.load()
        assert rows["idx_start"].dtype == np.int32
        targets = {id(t) for t in rows["timeseries"]}
        assert len(targets) == len({t["name"] for t in rows["timeseries"]})
        target = rows["timeseries"][0]
        assert target is resolver.get(h5f[target["name"]])
        assert neurodata_type_of(h5f[target["name"]])[1].endswith("TimeSeries")
        assert lazy[3]["timeseries"] is rows["timeseries"][3]  # identity across reads

        start = read_dataset(h5f["session_start_time"], "isodatetime", scalar=True)
        assert isinstance(start, datetime) and start.utcoffset() is not None
        created = read_dataset(h5f["file_create_date"], "isodatetime").load()
        assert isinstance(created[0], datetime) and created[0].microsecond == 903120

        link = member_link(h5f["general/extracellular_ephys/probeA"], "device")
        assert link == SoftLinkInfo("/general/devices/probeA")
        spec = read_attribute(h5f, ".specloc", "object", resolver=resolver)
        assert spec["name"] == "/specifications"
        assert read_attribute(h5f, "nwb_version", "text") == "2.2.2"


def test_pynwb_ecephys_whole_file_reads_with_identity():
    path = shared_file("data", "pynwb", "ecephys_core2.11.0.nwb")
    with h5py.File(path, "r") as h5f:
        resolver = Resolver()
        resolver.build = generic_build(resolver)
        root = resolver.get_or_build(h5f)
        electrodes = resolver.get(h5f["general/extracellular_ephys/electrodes"])
        es = root["acquisition"]["ElectricalSeries"]
        assert es["electrodes"]["table"] is electrodes
        units = root["units"]
        assert units["electrodes"]["table"] is electrodes
        assert units["spike_times_index"]["target"] is units["spike_times"]
        groups = electrodes["group"]["value"]
        assert groups[0] is resolver.get(h5f["general/extracellular_ephys/shank0"])
        location = electrodes["location"]["value"]
        assert location.dtype == object and all(type(v) is str for v in location)
        shank = root["general"]["extracellular_ephys"]["shank0"]
        assert shank["device"] == SoftLinkInfo("/general/devices/probe_device")
        assert shank["position"]["value"].dtype.names == ("x", "y", "z")
        epochs = root["intervals"]["epochs"]
        ts = epochs["timeseries"]["value"]["timeseries"]
        assert ts[0] is resolver.get(h5f[ts[0]["name"]])
        assert root["session_start_time"]["value"].startswith("2024")  # no kind
        start = read_dataset(h5f["session_start_time"], "isodatetime", scalar=True)
        assert isinstance(start, datetime)


def test_pynwb_chunked_gzip_and_external_links():
    links = shared_file("data", "pynwb", "links_core2.11.0.nwb")
    extlink = shared_file("data", "pynwb", "extlink_core2.11.0.nwb")
    with h5py.File(links, "r") as h5f:
        data = LazyArray(h5f["acquisition/gzip_chunked/data"], "float32")
        blocks = list(data.iter_chunks(rows=250))
        assert [len(b) for b in blocks] == [250] * 8
        assert np.array_equal(np.concatenate(blocks), data.load())
        empty = LazyArray(h5f["acquisition/empty/data"])
        assert empty.shape == (0,) and list(empty.iter_chunks()) == []
    with h5py.File(extlink, "r") as h5f:
        value = ExternalLink.of(h5f["acquisition/external_data"], "data")
    try:
        assert value.filename == "links_core2.11.0.nwb"
        target = value.resolve()
        assert target.shape == h5py.File(links, "r")[value.path].shape
    finally:
        files.close_external_files()
