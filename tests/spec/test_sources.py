"""Where specs come from: /specifications groups, YAML files, the bundle."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from nwbgen.errors import SourceError, SpecError
from nwbgen.io.hdf5 import read_specs_as_dicts
from nwbgen.spec.sources import (
    bundled_namespaces,
    load_sources,
    namespaces_from_h5,
    namespaces_from_yaml,
    spec_sha256,
)
from tests.support.paths import FIXTURES

NAMESPACE = {
    "namespaces": [
        {"name": "mini", "version": "0.1.0", "schema": [{"source": "mini.types"}]}
    ]
}
TYPES = {"groups": [{"neurodata_type_def": "Thing", "doc": "A thing."}]}


def _write_specs(path, versions, store):
    with h5py.File(path, "w") as f:
        for version in versions:
            group = f.create_group(f"specifications/mini/{version}")
            ns = json.loads(json.dumps(NAMESPACE))
            ns["namespaces"][0]["version"] = version
            store(group, "namespace", json.dumps(ns))
            store(group, "mini.types", json.dumps(TYPES))


def _scalar_bytes(group, name, text):
    group.create_dataset(name, data=text.encode(), dtype=h5py.special_dtype(vlen=bytes))


def _scalar_str(group, name, text):
    group.create_dataset(name, data=text, dtype=h5py.string_dtype())


def _shape_one(group, name, text):
    group.create_dataset(
        name,
        data=np.array([text.encode()], dtype=object),
        dtype=h5py.special_dtype(vlen=bytes),
    )


@pytest.mark.parametrize("store", [_scalar_bytes, _scalar_str, _shape_one])
def test_read_specs_as_dicts_any_storage(tmp_path, store):
    path = tmp_path / "f.nwb"
    _write_specs(path, ["0.1.0"], store)
    with h5py.File(path, "r") as f:
        specs = read_specs_as_dicts(f["specifications"])
    assert specs == {
        "mini": {
            "0.1.0": {
                "namespace": json.loads(json.dumps(NAMESPACE)),
                "mini.types": TYPES,
            }
        }
    }


def test_yaml_text_in_a_cache_is_read(tmp_path):
    path = tmp_path / "f.nwb"
    with h5py.File(path, "w") as f:
        group = f.create_group("specifications/mini/0.1.0")
        _scalar_str(
            group,
            "namespace",
            "namespaces:\n- name: mini\n  version: 0.1.0\n  schema:\n  - source: mini.types\n",
        )
        _scalar_str(
            group,
            "mini.types",
            "groups:\n- neurodata_type_def: Thing\n  doc: A thing.\n",
        )
    (ns,) = namespaces_from_h5(path)
    assert ns.key == ("mini", "0.1.0") and ns.schemas[0].types[0].def_type == "Thing"


def test_several_versions_newest_wins_numerically(tmp_path):
    path = tmp_path / "f.nwb"
    _write_specs(path, ["0.9.0", "0.10.0", "unversioned"], _scalar_bytes)
    with h5py.File(path, "r") as f:
        assert list(read_specs_as_dicts(f["specifications"])["mini"]) == [
            "unversioned",
            "0.9.0",
            "0.10.0",
        ]
    from nwbgen.spec.catalog import NamespaceCatalog

    assert (
        NamespaceCatalog(namespaces_from_h5(path)).namespaces["mini"].version
        == "0.10.0"
    )


def test_hash_ignores_spelling(tmp_path):
    assert spec_sha256({"a": {"x": 1, "y": [1, 2]}}) == spec_sha256(
        {"a": {"y": [1, 2], "x": 1}}
    )
    assert spec_sha256({"a": 1}) != spec_sha256({"a": 2})


def test_not_hdf5_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.nwb"
    bogus.write_text("hello")
    with pytest.raises(SourceError, match="notes.nwb: not an HDF5 file"):
        namespaces_from_h5(bogus)
    with pytest.raises(SourceError, match="neither an HDF5 file nor a namespace YAML"):
        load_sources([bogus])


def test_file_without_specifications(tmp_path):
    path = tmp_path / "bare.nwb"
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "2.0b"
    with pytest.raises(SourceError, match="bare.nwb: has no /specifications group"):
        namespaces_from_h5(path)


def test_broken_spec_json_names_the_path(tmp_path):
    path = tmp_path / "broken.nwb"
    with h5py.File(path, "w") as f:
        group = f.create_group("specifications/mini/0.1.0")
        _scalar_str(group, "namespace", "{not json: [")
    with pytest.raises(
        SourceError, match=r"broken.nwb:/specifications/mini/0.1.0/namespace"
    ):
        namespaces_from_h5(path)


def test_yaml_namespace_with_sources_beside_it():
    namespaces = namespaces_from_yaml(FIXTURES / "tiny" / "tiny.namespace.yaml")
    assert [ns.key for ns in namespaces] == [("tiny", "1.2.0")]
    assert [s.source for s in namespaces[0].schemas] == [
        "tiny.base.yaml",
        "tiny.series.yaml",
    ]
    assert (
        namespaces[0].raw["sources"]["tiny.base"]["groups"][0]["data_type_def"]
        == "Container"
    )


def test_schema_file_given_instead_of_namespace():
    with pytest.raises(SpecError, match="is a schema source, not a namespace file"):
        namespaces_from_yaml(FIXTURES / "tiny" / "tiny.base.yaml")


def test_bundle_lists_its_namespaces():
    keys = {ns.key for ns in bundled_namespaces()}
    assert ("core", "2.11.0") in keys and ("hdmf-common", "1.10.0") in keys
    assert ("hdmf-experimental", "0.6.0") in keys


def test_wrapped_doc_line_that_breaks_yaml_is_folded(tmp_path):
    (tmp_path / "ns.namespace.yaml").write_text(
        "namespaces:\n- name: ns\n  version: 0.1.0\n  schema:\n  - source: ns.types.yaml\n"
    )
    (tmp_path / "ns.types.yaml").write_text(
        "groups:\n- neurodata_type_def: Thing\n  doc: A thing that is\n  described on two lines.\n  quantity: '?'\n"
    )
    with pytest.warns(UserWarning, match=r"ns.types.yaml:4: folded a doc line"):
        (ns,) = namespaces_from_yaml(tmp_path / "ns.namespace.yaml")
    assert ns.schemas[0].types[0].doc == "A thing that is described on two lines."


def test_other_yaml_errors_name_the_file(tmp_path):
    (tmp_path / "ns.namespace.yaml").write_text("namespaces: [unclosed\n")
    with pytest.raises(SpecError, match=r"ns.namespace.yaml: invalid YAML"):
        namespaces_from_yaml(tmp_path / "ns.namespace.yaml")
