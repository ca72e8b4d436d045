"""The model provider: bundle, then cache, then compile into the cache."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import h5py
import pytest

from nwbgen.errors import SourceError
from nwbgen.io.entry.provider import CACHE_ENV, cache_dir, make_provider
from nwbgen.spec.sources import bundled_namespaces, namespaces_from_yaml
from tests.support.paths import FIXTURES


def _write_specs(path, namespaces, nwb_version="2.11.0"):
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = nwb_version
        for ns in namespaces:
            for source, doc in ns.raw["sources"].items():
                f.create_dataset(
                    f"specifications/{ns.name}/{ns.version}/{source}",
                    data=json.dumps(doc),
                )
    return path


@pytest.fixture
def tiny_file(tmp_path):
    namespaces = namespaces_from_yaml(FIXTURES / "tiny" / "tiny.namespace.yaml")
    namespaces += namespaces_from_yaml(
        FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml"
    )
    return _write_specs(tmp_path / "tiny.nwb", namespaces)


def test_bundled_when_every_hash_matches(tmp_path):
    wanted = {
        ("core", "2.11.0"),
        ("hdmf-common", "1.10.0"),
        ("hdmf-experimental", "0.6.0"),
    }
    path = _write_specs(
        tmp_path / "f.nwb", [ns for ns in bundled_namespaces() if ns.key in wanted]
    )
    provider = make_provider(path, cache=tmp_path / "cache")
    assert provider.origin == "bundled"
    assert provider.packages["core"].__name__ == "nwbgen.generated.core.v2_11_0"
    assert provider.model("core", "TimeSeries").__nwb_type__ == ("core", "TimeSeries")
    assert not list((tmp_path / "cache").glob("models-*"))  # nothing compiled


def test_compiles_once_then_uses_the_cache(tiny_file, tmp_path):
    cache = tmp_path / "cache"
    provider = make_provider(tiny_file, cache=cache)
    assert provider.origin == "compiled"
    assert provider.model("tiny-ext", "LaserSeries").__nwb_type__ == (
        "tiny-ext",
        "LaserSeries",
    )
    entries = [p.name for p in cache.iterdir() if p.name != "provider-memo.json"]
    assert len(entries) == 1 and entries[0].startswith("models-")
    # a new process finds it in the cache and imports no compiler module
    code = (
        "import sys\n"
        "from nwbgen.io.entry.provider import make_provider\n"
        f"p = make_provider({str(tiny_file)!r}, cache={str(cache)!r}, compile=False)\n"
        "assert p.origin == 'cache', p.origin\n"
        "assert p.model('tiny', 'Series').__name__ == 'Series'\n"
        "heavy = {'linkml_runtime', 'jinja2', 'black', 'networkx'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_concurrent_processes_share_one_compile(tiny_file, tmp_path):
    cache = tmp_path / "cache"
    code = (
        "from nwbgen.io.entry.provider import make_provider\n"
        f"p = make_provider({str(tiny_file)!r}, cache={str(cache)!r})\n"
        "print(p.origin)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=120)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert set(outputs) <= {"compiled", "cache"}
    leftovers = [p.name for p in cache.iterdir() if not p.name.startswith("models-")]
    assert leftovers in ([], ["provider-memo.json"])  # no temporary directories
    assert len(list(cache.glob("models-*"))) == 1  # one entry, no leftovers


def test_lookup_only_raises_when_nothing_matches(tiny_file, tmp_path):
    with pytest.raises(
        LookupError, match="no compiled models for tiny 1.2.0, tiny-ext 0.1.0"
    ):
        make_provider(tiny_file, cache=tmp_path / "empty", compile=False)


def test_file_without_specifications_uses_bundled_core(tmp_path):
    path = tmp_path / "old.nwb"
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "2.7.0"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        provider = make_provider(path, cache=tmp_path / "cache")
    assert any(
        "has no /specifications; using the bundled core 2.7.0" in str(w.message)
        for w in caught
    )
    assert provider.origin == "bundled"
    assert provider.packages["core"].VERSION == "2.7.0"
    assert provider.packages["hdmf-common"].VERSION == "1.8.0"


def test_unbundled_version_reads_with_the_closest_bundled_core(tmp_path):
    """pynwb 1.0.x wrote core "2.0b" files without /specifications."""
    path = tmp_path / "ancient.nwb"
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "2.0b"
    with pytest.warns(
        UserWarning,
        match="ancient.nwb: has no /specifications; using the bundled core 2.0.1 "
        r"\(nwb_version '2.0b' is not bundled\)",
    ):
        provider = make_provider(path, cache=tmp_path / "cache")
    assert provider.packages["core"].VERSION == "2.0.1"


def test_no_specifications_and_no_version_is_a_clear_error(tmp_path):
    path = tmp_path / "bare.nwb"
    with h5py.File(path, "w") as f:
        f.create_group("acquisition")
    with pytest.raises(
        SourceError, match="bare.nwb: has no /specifications and no nwb_version"
    ):
        make_provider(path, cache=tmp_path / "cache")


def test_not_hdf5(tmp_path):
    path = tmp_path / "x.nwb"
    path.write_text("nope")
    with pytest.raises(SourceError, match="x.nwb: not an HDF5 file"):
        make_provider(path)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_dir().name == "nwbgen"


def test_pynwb_written_file_uses_the_bundle(tmp_path):
    # pynwb caches its specs respelled by hdmf; the schema is the released one
    from tests.support.paths import REPO

    provider = make_provider(
        REPO / "examples" / "ecephys.nwb", cache=tmp_path / "cache"
    )
    assert provider.origin == "bundled"
    assert provider.packages["core"].__name__ == "nwbgen.generated.core.v2_11_0"
    assert not list((tmp_path / "cache").glob("models-*"))
