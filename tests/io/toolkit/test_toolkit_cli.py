"""``nwbgen graph``, ``nwbgen refs``, ``nwbgen truncate`` on the command line."""

from __future__ import annotations

import json
import shutil

import h5py
import networkx as nx
import pytest
from click.testing import CliRunner

from nwbgen.cli import main
from tests.support.toolkit_oracle import CORPUS


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_graph_formats(ref_file, tmp_path):
    result = run("graph", ref_file)
    assert result.exit_code == 0, result.output
    graph = nx.node_link_graph(json.loads(result.output), edges="edges")
    assert ("/b", "/a") in graph.edges
    dot = run("graph", ref_file, "--format", "dot").output
    assert dot.startswith("digraph") and '"/b" -> "/a"' in dot
    graphml = run("graph", ref_file, "--format", "graphml").output
    assert nx.parse_graphml(graphml).number_of_nodes() == graph.number_of_nodes()
    filtered = run("graph", ref_file, "--filter", "-o", tmp_path / "g.json")
    assert filtered.exit_code == 0
    kept = json.loads((tmp_path / "g.json").read_text())
    assert "/empty" not in {node["id"] for node in kept["nodes"]}
    assert "/a" in {node["id"] for node in kept["nodes"]}


def test_refs(ref_file):
    result = run("refs", ref_file, "/a/data")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "/a/data is referred to by 4:",
        "  /b",
        "  /grid",
        "  /regions",
        "  /scalar",
        "/a/data refers to 0:",
    ]
    out = run("refs", ref_file, "/compound").output
    assert "/compound refers to 2:\n  /a\n  /b\n" in out


def test_truncate(tmp_path):
    if not CORPUS:
        pytest.skip("../shared/data absent")
    source = tmp_path / "ecephys.nwb"
    shutil.copy(next(p for p in CORPUS if p.name == "ecephys_core2.11.0.nwb"), source)
    result = run("truncate", source, "-n", "3")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {tmp_path / 'ecephys_truncated.nwb'} (")
    with h5py.File(tmp_path / "ecephys_truncated.nwb", "r") as f:
        assert f["units/id"].shape == (3,)
    result = run("truncate", source, tmp_path / "ten.nwb")
    assert result.exit_code == 0
    assert (tmp_path / "ten.nwb").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("graph", "{text}"), "not an HDF5 file"),
        (("refs", "{text}", "/a"), "not an HDF5 file"),
        (("truncate", "{text}"), "not an HDF5 file"),
        (("graph", "{missing}"), "no such file"),
        (("refs", "{refs}", "/nope"), "no object at /nope"),
        (("refs", "{dangling}", "/holder"), "dangling reference"),
        (("graph", "{dangling}"), "dangling reference"),
        (("truncate", "{refs}", "{refs}"), "target is the source file itself"),
        (("truncate", "{refs}", "-n", "0"), "0 is not in the range x>=1"),
    ],
)
def test_bad_input_is_one_line(args, message, ref_file, dangling_file, tmp_path):
    text = tmp_path / "text.nwb"
    text.write_text("plain text")
    names = {
        "text": text,
        "missing": tmp_path / "missing.nwb",
        "refs": ref_file,
        "dangling": dangling_file,
    }
    result = CliRunner().invoke(main, [a.format(**names) for a in args])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert message in result.output
    assert "Traceback" not in result.output
    assert len([line for line in lines if line.startswith("Error")]) == 1
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    )
