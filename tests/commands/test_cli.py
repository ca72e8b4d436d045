"""The compile and inspect commands, as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import h5py
import pytest
from click.testing import CliRunner

from nwbgen.cli import main
from tests.support.paths import FIXTURES

TINY = str(FIXTURES / "tiny" / "tiny.namespace.yaml")
TINY_EXT = str(FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml")


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_compile_check_and_drift(tmp_path):
    out = tmp_path / "models"
    result = run("compile", TINY, TINY_EXT, "-o", out)
    assert result.exit_code == 0, result.output
    assert "compiled tiny 1.2.0, tiny-ext 0.1.0" in result.output
    assert (out / "tiny_ext" / "v0_1_0" / "tiny_ext_extensions.py").is_file()
    assert run("compile", TINY, TINY_EXT, "-o", out, "--check").exit_code == 0
    again = run("compile", TINY, TINY_EXT, "-o", out)
    assert "is up to date (compiled from these sources)" in again.output  # warm path
    edited = out / "tiny" / "v1_2_0" / "tiny_base.py"
    original = edited.read_bytes()
    edited.write_text("# edited\n")
    drift = run("compile", TINY, TINY_EXT, "-o", out, "--check")
    assert drift.exit_code == 1
    assert "out of date: 1 changed (tiny/v1_2_0/tiny_base.py)" in drift.output
    repaired = run("compile", TINY, TINY_EXT, "-o", out)
    assert "(1 written," in repaired.output and edited.read_bytes() == original


def test_only_one_namespace(tmp_path):
    result = run("compile", TINY, TINY_EXT, "-o", tmp_path / "m", "-n", "tiny-ext")
    assert result.exit_code == 0, result.output
    assert (
        not (tmp_path / "m" / "tiny").exists()
        and (tmp_path / "m" / "tiny_ext").is_dir()
    )
    bad = run("compile", TINY, "-o", tmp_path / "m2", "-n", "nope")
    assert bad.exit_code == 1 and "--namespace nope: not in the sources" in bad.output


def test_emit_linkml_loads_in_schemaview(tmp_path):
    from linkml_runtime.utils.schemaview import SchemaView

    out = tmp_path / "models"
    assert run("compile", TINY, TINY_EXT, "-o", out, "--emit-linkml").exit_code == 0
    view = SchemaView(str(out / "linkml" / "tiny_ext.v0_1_0.yaml"))
    classes = view.all_classes()
    assert "LaserSeries" in classes and "SeriesData" in classes  # imports resolved
    assert view.get_class("LaserSeries").is_a == "Series"
    slot = (
        view.induced_slot("data", "SeriesData")
        if "data" in view.class_slots("SeriesData")
        else None
    )
    assert slot is None  # data is a member of Series, not of its nested class
    data = view.induced_slot("data", "Series")
    assert data.range == "SeriesData" and data.annotations["role"].value == "dataset"


def test_inspect_lists_namespaces_and_bundle_status(tmp_path):
    import json

    from nwbgen.spec.sources import bundled_namespaces

    bundled = {ns.key: ns for ns in bundled_namespaces()}
    path = tmp_path / "f.nwb"
    keys = [
        ("core", "2.11.0"),
        ("hdmf-common", "1.10.0"),
        ("hdmf-experimental", "0.6.0"),
    ]
    with h5py.File(path, "w") as f:
        for key in keys:
            sources = json.loads(json.dumps(bundled[key].raw["sources"]))
            if key[0] == "hdmf-common":  # respelled: the namespace's doc is no schema
                sources["namespace"]["namespaces"][0]["doc"] += " (edited)"
            if key[0] == "hdmf-experimental":  # changed: a type's doc is
                sources["experimental"]["datasets"][0]["doc"] += " (edited)"
            for name, doc in sources.items():
                f.create_dataset(
                    f"specifications/{key[0]}/{key[1]}/{name}", data=json.dumps(doc)
                )
    result = run("inspect", path)
    assert result.exit_code == 0, result.output
    rows = [line.split(None, 5) for line in result.output.splitlines()]
    assert rows[0] == [
        "namespace",
        "version",
        "sha256",
        "identity",
        "package",
        "models",
    ]
    status = {(r[0], r[1]): r[5] for r in rows[1:]}
    package = {(r[0], r[1]): r[4] for r in rows[1:]}
    assert package[("core", "2.11.0")] == "core/v2_11_0"
    assert status[("core", "2.11.0")] == "bundled"
    assert (
        status[("hdmf-common", "1.10.0")]
        == "bundled (same schema, spelled differently)"
    )
    assert status[("hdmf-experimental", "0.6.0")] == (
        "not bundled (bundle has this version with another schema)"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["compile", "/nonexistent/file.nwb", "-o", "{tmp}/o"],
            "/nonexistent/file.nwb: no such file",
        ),
        (
            ["compile", "{tmp}/notes.nwb", "-o", "{tmp}/o"],
            "notes.nwb: neither an HDF5 file nor a namespace YAML",
        ),
        (
            ["compile", str(FIXTURES / "tiny" / "tiny.base.yaml"), "-o", "{tmp}/o"],
            "is a schema source",
        ),
        (
            ["compile", TINY_EXT, "-o", "{tmp}/o"],
            "includes namespace 'tiny', which is neither given nor bundled",
        ),
        (["inspect", "{tmp}/notes.nwb"], "notes.nwb: not an HDF5 file"),
    ],
)
def test_errors_are_one_line_without_traceback(tmp_path, args, message):
    (tmp_path / "notes.nwb").write_text("not hdf5")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "nwbgen", *argv], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert (
        len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    ), proc.stderr
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_refuses_foreign_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("mine")
    result = run("compile", TINY, "-o", tmp_path)
    assert result.exit_code == 1 and "not an nwbgen output directory" in result.output
    assert (tmp_path / "precious.txt").read_text() == "mine"
