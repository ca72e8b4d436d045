"""hdf_dependency_graph, filter_dependency_graph, SKIP_PATTERN and the exports."""

from __future__ import annotations

import json

import h5py
import networkx as nx
import pytest

from nwbgen.errors import DanglingReferenceError
from nwbgen.io.hdf5 import SKIP_PATTERN, filter_dependency_graph, hdf_dependency_graph
from nwbgen.io.toolkit.graph import graph_to_dot, graph_to_graphml, graph_to_json
from tests.support.toolkit_oracle import BruteFile, corpus_params


def _labels(graph: nx.DiGraph) -> dict[tuple[str, str], str]:
    return {(u, v): d["label"] for u, v, d in graph.edges(data=True)}


def test_graph_of_a_small_file(ref_file):
    graph = hdf_dependency_graph(ref_file)
    labels = _labels(graph)
    assert "/alias" not in graph  # a hard link is the original object
    assert labels[("/", "/a")] == "child"
    assert labels[("/a", "/a/data")] == "child"
    assert labels[("/b", "/a/data")] == "link"  # soft link b/soft
    assert labels[("/b", "elsewhere.h5::/x")] == "external_link"
    assert graph.nodes["elsewhere.h5::/x"]["h5_type"] == "external"
    assert labels[("/b", "/a")] == "reference"
    assert labels[("/compound", "/b")] == "reference"
    assert labels[("/regions", "/a/data")] == "reference"
    assert graph.edges["/compound", "/b"]["where"] == "data field 'timeseries'"
    assert graph.edges["/b", "/a/data"]["name"] == "soft"
    # HDF5 attributes as node attributes, references as paths
    assert graph.nodes["/a"]["neurodata_type"] == "Thing"
    assert graph.nodes["/b"]["one"] == "/a"
    assert graph.nodes["/b"]["many"] == ["/a", "/a/data", None]
    assert graph.nodes["/a/data"]["h5_shape"] == [10, 2]
    assert graph.nodes["/a"]["h5_type"] == "group"


def test_one_label_per_pair_child_first(tmp_path):
    with h5py.File(tmp_path / "both.h5", "w") as f:
        child = f.create_group("parent/child")
        f["parent"].attrs["ref"] = child.ref  # child and referenced
    graph = hdf_dependency_graph(tmp_path / "both.h5")
    assert graph.edges["/parent", "/parent/child"] == {"label": "child"}


def test_dangling_soft_link(tmp_path):
    with h5py.File(tmp_path / "broken.h5", "w") as f:
        f["g/broken"] = h5py.SoftLink("/nowhere")
    with pytest.raises(
        DanglingReferenceError, match=r"/g/broken: soft link to /nowhere"
    ):
        hdf_dependency_graph(tmp_path / "broken.h5")


def test_filter():
    graph = nx.DiGraph()
    graph.add_node("/", neurodata_type="NWBFile")
    graph.add_node("/specifications")
    graph.add_node("/specifications/core", neurodata_type="x")
    graph.add_node("/acquisition")
    graph.add_node("/acquisition/ts", neurodata_type="TimeSeries")
    graph.add_node("/acquisition/ts/data")  # untyped leaf
    graph.add_node("/empty")  # untyped leaf group
    graph.add_edges_from(
        [
            ("/", "/acquisition"),
            ("/", "/specifications"),
            ("/acquisition", "/acquisition/ts"),
            ("/acquisition/ts", "/acquisition/ts/data"),
            ("/", "/empty"),
        ]
    )
    kept = filter_dependency_graph(graph)
    assert set(kept) == {"/", "/acquisition", "/acquisition/ts"}
    assert set(graph) != set(kept)  # the input is left alone
    assert SKIP_PATTERN.search("/specifications/core/2.7.0/namespace")
    assert SKIP_PATTERN.search("/.specloc")
    assert not SKIP_PATTERN.search("/acquisition/specifications_copy")


def test_exports_round_trip(ref_file):
    graph = hdf_dependency_graph(ref_file)
    data = json.loads(graph_to_json(graph))
    back = nx.node_link_graph(data, edges="edges")
    assert set(back.nodes) == set(graph.nodes)
    assert set(back.edges) == set(graph.edges)
    parsed = nx.parse_graphml(graph_to_graphml(graph))
    assert set(parsed.nodes) == set(graph.nodes)
    assert parsed.number_of_edges() == graph.number_of_edges()
    assert json.loads(parsed.nodes["/b"]["many"]) == ["/a", "/a/data", None]
    dot = graph_to_dot(graph)
    assert dot.startswith("digraph ")
    assert dot.count(" -> ") == graph.number_of_edges()
    assert '"/b" -> "/a" [label="reference", style=dashed];' in dot


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_params())
def test_corpus_graph_equals_brute_force(path):
    graph = hdf_dependency_graph(path)
    with h5py.File(path, "r") as f:
        brute = BruteFile(f)
        edges = brute.edges()
        assert set(graph.nodes) == brute.nodes()
        assert graph.number_of_nodes() == len(brute.nodes())
        assert graph.number_of_edges() == len(edges)
        assert _labels(graph) == edges
        for node, obj in brute.objects.items():
            typed = obj.attrs.get("neurodata_type")
            typed = typed.decode() if isinstance(typed, bytes) else typed
            assert graph.nodes[node].get("neurodata_type") == typed
            assert set(graph.nodes[node]) >= set(obj.attrs)
    filtered = filter_dependency_graph(graph)
    expected = {
        n
        for n, d in graph.nodes(data=True)
        if not n.startswith("/specifications")
        and (d.get("neurodata_type") is not None or graph.out_degree(n))
    }
    assert set(filtered) == expected
