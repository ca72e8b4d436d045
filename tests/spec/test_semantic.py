"""Two spellings of one schema hash alike; a changed schema does not."""

from __future__ import annotations

import copy

from nwbgen.spec.catalog import NamespaceCatalog
from nwbgen.spec.parse import parse_namespace
from nwbgen.spec.semantic import semantic_sha256

ENTRY = {"name": "s", "version": "1.0.0", "doc": "d", "schema": [{"source": "s.yaml"}]}
TYPES = {
    "datasets": [
        {"data_type_def": "Col", "dtype": "int32", "doc": "c", "shape": [None]},
    ],
    "groups": [
        {
            "data_type_def": "Table",
            "doc": "t",
            "attributes": [
                {"name": "label", "dtype": "text", "doc": "l", "default_value": "x"}
            ],
            "datasets": [
                {"name": "id", "data_type_inc": "Col", "doc": "ids", "quantity": 1},
                {"data_type_inc": "Col", "doc": "columns", "quantity": "*"},
            ],
        }
    ],
}


def _hash(entry, types):
    ns = parse_namespace(entry, {entry["schema"][0]["source"]: types}, "test")
    return semantic_sha256(NamespaceCatalog([ns]), "s")


def test_hdmf_style_respelling_hashes_alike():
    cached = copy.deepcopy(TYPES)
    table = cached["groups"][0]
    table["attributes"][0]["required"] = False  # hdmf marks defaulted attributes
    del table["datasets"][0]["quantity"]  # and drops quantity: 1
    table["datasets"][0]["dtype"] = "int32"  # and copies the type's dtype in
    table["datasets"][0]["shape"] = [None]
    entry = dict(ENTRY, schema=[{"source": "s"}])  # and strips the extension
    entry.pop("doc")
    assert _hash(entry, cached) == _hash(ENTRY, TYPES)


def test_a_real_change_differs():
    changed = copy.deepcopy(TYPES)
    changed["groups"][0]["datasets"][1]["quantity"] = "+"
    assert _hash(ENTRY, changed) != _hash(ENTRY, TYPES)
    retyped = copy.deepcopy(TYPES)
    retyped["datasets"][0]["dtype"] = "int64"
    assert _hash(ENTRY, retyped) != _hash(ENTRY, TYPES)
