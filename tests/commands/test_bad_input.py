"""Malformed inputs on the command line (issue 14): each ends in success, or in one
line ``Error: ...`` naming the file, the HDF5 path or schema element and the
reason; never "internal error", never a half-written output."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import h5py
import pytest
from click.testing import CliRunner
from h5py import h5o

from nwbgen.cli import main
from tests.support.killed import killed_write
from tests.support.paths import FIXTURES, REPO

EXAMPLE = REPO / "examples" / "ecephys.nwb"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NWBGEN_CACHE_DIR", str(tmp_path / "cache"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def error_line(result) -> str:
    """The one line a failed command printed (and nothing else)."""
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    assert "internal error" not in lines[0] and "Traceback" not in result.output
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def example(tmp_path: Path, name: str = "in.nwb") -> Path:
    path = tmp_path / name
    shutil.copyfile(EXAMPLE, path)
    return path


# --- 1. a /specifications source that is neither JSON nor YAML -----------------------


@pytest.fixture
def bad_spec(tmp_path) -> Path:
    path = example(tmp_path, "badspec.nwb")
    with h5py.File(path, "a") as f:
        version = f["specifications/core"][next(iter(f["specifications/core"]))]
        del version["nwb.base"]
        version.create_dataset("nwb.base", data="{ this: is: [ not yaml")
    return path


@pytest.mark.parametrize("command", ["show", "copy", "inspect", "compile"])
def test_a_spec_source_neither_json_nor_yaml_is_one_line(bad_spec, tmp_path, command):
    extra = {
        "copy": [tmp_path / "out.nwb"],
        "compile": ["-o", tmp_path / "out"],
    }.get(command, [])
    line = error_line(run(command, bad_spec, *extra))
    assert f"{bad_spec}:/specifications/core/2.11.0/nwb.base: spec source is " in line
    assert line.endswith(
        "neither JSON nor YAML (while parsing a flow mapping: expected ',' or '}', "
        "but got ':' (line 1, column 11))"
    )
    assert not (tmp_path / "out.nwb").exists() and not (tmp_path / "out").exists()


# --- 2. a corrupted block -----------------------------------------------------------


def zero_heap_signatures(path: Path) -> None:
    """Every global heap collection loses its signature: vlen text cannot be read."""
    data = bytearray(path.read_bytes())
    for match in re.finditer(b"GCOL", bytes(data)):
        data[match.start() : match.start() + 4] = bytes(4)
    path.write_bytes(data)


def zero_object_header(path: Path, target: str) -> None:
    with h5py.File(path, "r") as f:
        address = h5o.get_info(f[target].id).addr
    data = bytearray(path.read_bytes())
    data[address : address + 16] = bytes(16)
    path.write_bytes(data)


@pytest.mark.parametrize("command", ["show", "copy", "truncate"])
def test_a_zeroed_object_header_names_its_path(tmp_path, command):
    src = example(tmp_path)
    zero_object_header(src, "/units/spike_times_index")
    out = tmp_path / "out.nwb"
    line = error_line(run(command, src, *([out] if command != "show" else [])))
    assert line.startswith(
        f"Error: {src}: damaged file: cannot read /units/spike_times_index ("
    ), line
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["show", "copy", "truncate", "inspect"])
def test_a_bad_heap_signature_is_a_damaged_file(tmp_path, command):
    src = example(tmp_path)
    zero_heap_signatures(src)
    out = tmp_path / "out.nwb"
    args = [out] if command in ("copy", "truncate") else []
    line = error_line(run(command, src, *args))
    assert re.fullmatch(
        rf"Error: {re.escape(str(src))}: damaged file: cannot read /\S+ "
        r"\(bad global heap collection signature\)",
        line,
    ), line
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_file_cut_short_is_a_damaged_file(tmp_path):
    src = example(tmp_path)
    src.write_bytes(src.read_bytes()[:50_000])
    line = error_line(run("show", src))
    assert line.startswith(f"Error: {src}: damaged file: cannot open it (")


# --- 3. two soft links that point at each other --------------------------------------


@pytest.fixture
def cycle(tmp_path) -> Path:
    path = example(tmp_path, "cycle.nwb")
    with h5py.File(path, "a") as f:
        f["acquisition/a"] = h5py.SoftLink("/acquisition/b")
        f["acquisition/b"] = h5py.SoftLink("/acquisition/a")
    return path


def test_soft_links_in_a_cycle_are_read_and_copied_as_violations(cycle, tmp_path):
    shown = run("show", cycle)
    assert shown.exit_code == 0, shown.output
    assert "2 schema violation(s)" in shown.stderr
    strict = error_line(run("show", cycle, "--strict"))
    assert (
        "/acquisition/a: soft link to /acquisition/b: a cycle of soft links " in strict
    )
    assert "(/acquisition/a -> /acquisition/b -> /acquisition/a)" in strict
    out = tmp_path / "out.nwb"
    copied = run("copy", cycle, out)
    assert copied.exit_code == 0, copied.output
    assert "2 schema violation(s) kept as read" in copied.stderr
    with h5py.File(out, "r") as f:
        links = {n: f["acquisition"].get(n, getlink=True) for n in ("a", "b")}
        assert {n: link.path for n, link in links.items()} == {
            "a": "/acquisition/b",
            "b": "/acquisition/a",
        }
    truncated = run("truncate", cycle, tmp_path / "small.nwb")
    assert truncated.exit_code == 0 and "2 structural problem(s)" in truncated.stdout


def test_reading_through_a_cycle_names_it(cycle):
    line = error_line(run("show", cycle, "/acquisition/a/raw"))
    assert "soft links that lead back to themselves" in line
    assert "/acquisition/a -> /acquisition/b -> /acquisition/a" in line


# --- 4. a VectorIndex past the end of its target --------------------------------------


@pytest.fixture
def index_past_end(tmp_path) -> Path:
    path = example(tmp_path, "index.nwb")
    with h5py.File(path, "a") as f:
        f["units/spike_times_index"][-1] = 100
    return path


def test_an_index_past_its_target_is_said_and_kept(index_past_end, tmp_path):
    message = (
        "/units/spike_times_index: index value 100 is past the end of its target "
        "/units/spike_times (18 elements)"
    )
    assert "1 schema violation(s)" in run("show", index_past_end).stderr
    assert message in error_line(run("show", index_past_end, "--strict"))
    out = tmp_path / "out.nwb"
    copied = run("copy", index_past_end, out)
    assert (
        copied.exit_code == 0 and "1 schema violation(s) kept as read" in copied.stderr
    )
    with h5py.File(out, "r") as f:
        assert f["units/spike_times_index"][-1] == 100
    small = tmp_path / "small.nwb"
    truncated = run("truncate", index_past_end, small)
    assert truncated.exit_code == 0, truncated.output
    assert "1 structural problem(s) kept as read" in truncated.stdout
    strict = error_line(run("truncate", index_past_end, tmp_path / "s.nwb", "--strict"))
    assert message in strict and not (tmp_path / "s.nwb").exists()


# --- 5. an attribute of the wrong dtype, read leniently ----------------------------------


def test_a_text_rate_is_copied_as_read(tmp_path):
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        f["acquisition/raw/starting_time"].attrs["rate"] = "fast"
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    assert "1 schema violation(s) kept as read" in copied.stderr
    with h5py.File(out, "r") as f:
        assert f["acquisition/raw/starting_time"].attrs["rate"] == "fast"
        assert f["acquisition/raw/starting_time"][()] == 0.0


# --- 6. a write killed outright -------------------------------------------------------


@pytest.mark.parametrize("command", ["copy", "truncate", "hdf5io"])
def test_the_next_write_removes_a_killed_writes_temporary(tmp_path, command):
    out = tmp_path / "out.nwb"
    stale = killed_write(out)
    assert stale.name.startswith(".out.nwb.") and stale.name.endswith(".tmp")
    assert leftovers(tmp_path) == [stale.name]
    if command == "hdf5io":
        from nwbgen import HDF5IO

        with HDF5IO(EXAMPLE) as io:
            HDF5IO(out, "w").write(io.read())
    else:
        result = run(command, EXAMPLE, out)
        assert result.exit_code == 0, result.output
    assert out.is_file() and leftovers(tmp_path) == []


# --- one line, whatever the error ---------------------------------------------------------


def test_warnings_are_one_line_each_and_left_out_of_a_failure(tmp_path):
    bare = tmp_path / "bare.nwb"
    with h5py.File(EXAMPLE, "r") as src, h5py.File(bare, "w") as dst:
        for key, value in src.attrs.items():
            if key != ".specloc":
                dst.attrs[key] = value
        for name in src:
            if name != "specifications":
                src.copy(src[name], dst, name=name)
    shown = run("show", bare)
    assert shown.exit_code == 0
    warning = [
        line for line in shown.stderr.splitlines() if line.startswith("Warning:")
    ]
    assert warning == [
        f"Warning: {bare}: has no /specifications; using the bundled core 2.11.0"
    ]
    zero_object_header(bare, "/acquisition/raw")
    error_line(run("show", bare))  # the warning is not among the lines


def test_a_schema_error_names_the_file(tmp_path):
    for source in (FIXTURES / "tiny").glob("*.yaml"):
        shutil.copyfile(source, tmp_path / source.name)
    base = tmp_path / "tiny.base.yaml"
    base.write_text(
        base.read_text().replace(
            "data_type_inc: Container", "data_type_inc: Containr", 1
        )
    )
    namespace = tmp_path / "tiny.namespace.yaml"
    line = error_line(run("compile", namespace, "-o", tmp_path / "out"))
    assert line.startswith(f"Error: {namespace}: namespace tiny 1.2.0: type ")
    assert "'Containr'" in line and not (tmp_path / "out").exists()


def test_a_namespace_file_without_namespaces_is_named(tmp_path):
    namespace = tmp_path / "empty.namespace.yaml"
    namespace.write_text("namespaces: []\n")
    line = error_line(run("compile", namespace, "-o", tmp_path / "out"))
    assert line == f"Error: {namespace}: no namespaces found in the sources"
    assert not (tmp_path / "out").exists()


def test_hdf5io_says_the_same(tmp_path, cycle):
    """The library under the commands: damage raises, structure is a violation."""
    import warnings

    from nwbgen import HDF5IO
    from nwbgen.errors import DamagedFileError, SchemaViolationError

    src = example(tmp_path, "header.nwb")
    zero_object_header(src, "/units/spike_times_index")
    with HDF5IO(src) as io, pytest.raises(DamagedFileError) as raised:
        io.read()
    assert str(raised.value).startswith(
        f"{src}: damaged file: cannot read /units/spike_times_index ("
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with HDF5IO(cycle) as io:
            nwbfile = io.read()
            assert io.violations == []  # the links are met when they are listed
            list(nwbfile.acquisition.children)
            assert [v.path for v in io.violations] == [
                "/acquisition/a",
                "/acquisition/b",
            ]
    with HDF5IO(cycle, strict=True) as io, pytest.raises(SchemaViolationError):
        io.read()


# --- an object of the other kind than its type (found by the fuzz) ---------------------


def test_a_group_carrying_a_dataset_type_is_copied_as_a_group(tmp_path):
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        attrs = dict(f["intervals/trials/correct"].attrs)
        del f["intervals/trials/correct"]
        group = f.create_group("intervals/trials/correct")
        group.attrs.update(attrs)
    strict = error_line(run("show", src, "--strict"))
    assert "/intervals/trials/correct: is a group, where its type is a dataset" in (
        strict
    )
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    assert "schema violation(s) kept as read" in copied.stderr
    with h5py.File(out, "r") as f:
        kept = f["intervals/trials/correct"]
        assert isinstance(kept, h5py.Group)
        assert dict(kept.attrs) == attrs


def test_a_dataset_carrying_a_group_type_is_copied_as_a_dataset(tmp_path):
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        attrs = dict(f["general/devices/probe"].attrs)
        del f["general/devices/probe"]
        dataset = f.create_dataset("general/devices/probe", data=[1.5, 2.5])
        dataset.attrs.update(attrs)
    strict = error_line(run("show", src, "--strict"))
    assert (
        "/general/devices/probe: is a dataset, where its type is a group: values "
        "kept as read"
    ) in strict
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        kept = f["general/devices/probe"]
        assert isinstance(kept, h5py.Dataset) and list(kept[()]) == [1.5, 2.5]
        assert dict(kept.attrs) == attrs
        # the electrode group's link to its device still reaches it
        assert f["general/extracellular_ephys/shank0/device"] == kept


def test_references_the_schema_does_not_name_are_copied(tmp_path):
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        raw = f["acquisition/raw"]
        probe, data = f["general/devices/probe"], f["acquisition/raw/data"]
        raw.attrs.create("extra", probe.ref, dtype=h5py.ref_dtype)
        raw.attrs.create("extras", [probe.ref, data.ref], dtype=h5py.ref_dtype)
        raw.attrs.create("region", data.regionref[1:3], dtype=h5py.regionref_dtype)
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        attrs = f["acquisition/raw"].attrs
        assert f[attrs["extra"]].name == "/general/devices/probe"
        assert [f[r].name for r in attrs["extras"]] == [
            "/general/devices/probe",
            "/acquisition/raw/data",
        ]
        region = attrs["region"]
        assert isinstance(region, h5py.RegionReference)
        assert f[region].name == "/acquisition/raw/data"
        assert (f[region][region] == f["acquisition/raw/data"][1:3]).all()


def test_references_outside_the_schema_are_re_pointed(tmp_path):
    """References the schema does not name, to objects no class fits, in
    attributes of untyped datasets and inside groups the schema does not name:
    the copy points each at the same object in the new file."""
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        raw, probe = f["acquisition/raw"], f["general/devices/probe"]
        raw.attrs.create("to_lab", f["general/lab"].ref, dtype=h5py.ref_dtype)
        experimenter = f["general/experimenter"].regionref[0:1]
        raw.attrs.create("to_names", experimenter, dtype=h5py.regionref_dtype)
        start = raw["starting_time"]
        start.attrs.create("device", probe.ref, dtype=h5py.ref_dtype)
        extra = raw.create_dataset("extra", data=[1, 2])
        extra.attrs["note"] = "kept"
        extra.attrs.create("device", probe.ref, dtype=h5py.ref_dtype)
        group = raw.create_group("extra_group")
        group.attrs.create("device", probe.ref, dtype=h5py.ref_dtype)
        group.create_dataset("targets", data=[probe.ref, raw.ref], dtype=h5py.ref_dtype)
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        raw = f["acquisition/raw"]
        assert f[raw.attrs["to_lab"]].name == "/general/lab"
        region = raw.attrs["to_names"]
        assert f[region].name == "/general/experimenter"
        assert list(f[region][region]) == list(f["general/experimenter"][0:1])
        assert f[raw["starting_time"].attrs["device"]] == f["general/devices/probe"]
        assert raw["extra"].attrs["note"] == "kept"
        assert f[raw["extra"].attrs["device"]] == f["general/devices/probe"]
        group = raw["extra_group"]
        assert f[group.attrs["device"]] == f["general/devices/probe"]
        assert [f[r].name for r in group["targets"][()]] == [
            "/general/devices/probe",
            "/acquisition/raw",
        ]


def test_a_damaged_object_behind_a_column_of_references_is_a_damaged_file(
    tmp_path, monkeypatch
):
    """The electrodes table's group column is iterated by pydantic, which turns
    any error into a validation error: the damage of an ElectrodeGroup it refers
    to must still be the one line of a damaged file, not a violation (that left
    the group half read, and copied so)."""
    from h5py import h5o

    from nwbgen.runtime import read_frame

    real = read_frame.member_links

    def member_links(group):
        if group.name == "/general/extracellular_ephys/shank0":
            h5o.open(group.id, b"no such member")  # HDF5 fails, as on damage
        return real(group)

    monkeypatch.setattr(read_frame, "member_links", member_links)
    src = example(tmp_path)
    out = tmp_path / "out.nwb"
    for args in (["show", src], ["copy", src, out]):
        line = error_line(run(*args))
        assert line.startswith(
            f"Error: {src}: damaged file: cannot read "
            "/general/extracellular_ephys/shank0 ("
        ), line
    assert not out.exists() and leftovers(tmp_path) == []


def test_attributes_stored_without_a_value_are_copied_so(tmp_path):
    src = example(tmp_path)
    empty = h5py.Empty("f4")
    with h5py.File(src, "a") as f:
        f["acquisition/raw/data"].attrs["unit"] = empty
        f["general/devices/probe"].attrs["object_id"] = empty
        f["general/devices/probe"].attrs["description"] = empty
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        assert f["acquisition/raw/data"].attrs["unit"] == empty
        probe = f["general/devices/probe"].attrs
        assert probe["object_id"] == empty and probe["description"] == empty


def test_a_reference_to_an_object_of_an_unknown_type_is_copied(tmp_path):
    """A VectorIndex's target of a type nothing knows: the model holds no
    target (a violation), the copy still points the attribute at it."""
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        f["units/spike_times"].attrs["neurodata_type"] = "NoSuchType"
    strict = error_line(run("show", src, "--strict"))
    assert "/units/spike_times_index: target: " in strict
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        index = f["units/spike_times_index"]
        assert f[index.attrs["target"]] == f["units/spike_times"]
        assert f["units/spike_times"].attrs["neurodata_type"] == "NoSuchType"


def test_references_to_a_deleted_group_are_copied_as_null(tmp_path):
    """The electrodes table's group column refers to an ElectrodeGroup no longer
    linked (deleted): violations, and the copy writes null references."""
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        del f["general/extracellular_ephys/shank0"]
    shown = run("show", src)
    assert shown.exit_code == 0 and "schema violation(s)" in shown.stderr
    out = tmp_path / "out.nwb"
    copied = run("copy", src, out)
    assert copied.exit_code == 0, copied.output
    with h5py.File(out, "r") as f:
        column = f["general/extracellular_ephys/electrodes/group"][()]
        assert len(column) == 4 and not any(column)


def test_a_region_without_values_is_read_and_copied(tmp_path):
    src = example(tmp_path)
    with h5py.File(src, "a") as f:
        attrs = dict(f["acquisition/raw/electrodes"].attrs)
        del f["acquisition/raw/electrodes"]
        region = f.create_dataset("acquisition/raw/electrodes", data=h5py.Empty("i8"))
        region.attrs.update(attrs)
    for args in (["show", src], ["copy", src, tmp_path / "out.nwb"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "out.nwb", "r") as f:
        assert f["acquisition/raw/electrodes"].shape is None
