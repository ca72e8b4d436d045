"""Seed files and the mutations the fuzz applies to them.

Seeds (made once per run, see :func:`build_seeds`):

- ``ecephys``: ``examples/ecephys.nwb`` (pynwb-written, its specs cached);
- ``small``: the same without ``/specifications`` (read with the bundled core by
  its ``nwb_version``), so that byte mutations land on structure, not spec text;
- ``tiny``: a file of the ``tiny`` test namespace, its specs cached as JSON, for
  spec-text mutations that still parse (compiling tiny takes a fraction of a
  second; compiling core takes several);
- ``tiny_yaml``: the ``tiny`` namespace YAML files, for ``nwbgen compile``.

Every mutation is drawn from a seeded :class:`random.Random`: the same seed and
number give the same mutant.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import yaml

from nwbgen.runtime.hdf5.write import repoint_references
from tests.support.paths import FIXTURES, REPO

TEXT = h5py.string_dtype()

#: commands run on a mutated file / on a mutated namespace YAML
FILE_COMMANDS = ("show", "copy", "truncate", "inspect", "hdf5io")
SPEC_COMMANDS = (*FILE_COMMANDS, "compile")
YAML_COMMANDS = ("compile",)


class NotApplicable(Exception):
    """The operator has nothing to work on in this file (draw another)."""


@dataclass(frozen=True)
class Mutant:
    number: int
    seed: str
    kind: str  # bytes, attribute, link, structure, spec, yaml
    operator: str
    detail: str
    path: Path  # the mutated file, or the mutated namespace YAML
    commands: tuple[str, ...]

    def __str__(self) -> str:
        return f"#{self.number} {self.seed}/{self.operator}: {self.detail}"


# --- seeds ---------------------------------------------------------------------


def build_seeds(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ecephys = folder / "ecephys.nwb"
    shutil.copyfile(REPO / "examples" / "ecephys.nwb", ecephys)
    small = folder / "small.nwb"
    with h5py.File(ecephys, "r") as src, h5py.File(small, "w") as dst:
        for key, value in src.attrs.items():
            if key != ".specloc":
                dst.attrs[key] = value
        names = [name for name in src if name != "specifications"]
        for name in names:
            src.copy(src[name], dst, name=name)
        for name in names:  # HDF5's copy leaves references into another file null
            repoint_references(dst[name], src[name])
    tiny_yaml = folder / "tiny_yaml"
    tiny_yaml.mkdir(exist_ok=True)
    for source in (FIXTURES / "tiny").glob("*.yaml"):
        shutil.copyfile(source, tiny_yaml / source.name)
    return {
        "ecephys": ecephys,
        "small": small,
        "tiny": _tiny_file(folder / "tiny.nwb"),
        "tiny_yaml": tiny_yaml / "tiny.namespace.yaml",
    }


def _typed(obj, type_name: str, object_id: str):
    obj.attrs["namespace"] = "tiny"
    obj.attrs["neurodata_type"] = type_name
    obj.attrs["object_id"] = object_id
    return obj


def _tiny_file(path: Path) -> Path:
    """A Holder (two Values, a Device by link, settings) and a VoltageSeries, with
    the tiny namespace cached in /specifications as pynwb caches specs."""
    docs = {
        "namespace": yaml.safe_load(
            (FIXTURES / "tiny" / "tiny.namespace.yaml").read_text()
        )
    }
    for name in ("tiny.base", "tiny.series"):
        docs[name] = yaml.safe_load((FIXTURES / "tiny" / f"{name}.yaml").read_text())
    with h5py.File(path, "w") as f:
        specs = f.create_group("specifications/tiny/1.2.0")
        for name, doc in docs.items():
            specs.create_dataset(name, data=json.dumps(doc), dtype=TEXT)
        f.attrs.create(".specloc", f["specifications"].ref, dtype=h5py.ref_dtype)
        _typed(f, "Holder", "00000000-0000-4000-8000-000000000001")
        f.create_group("settings").create_dataset(
            "gains", data=np.array([1.0, 2.0, 4.0], dtype="f4")
        )
        device = _typed(
            f.create_group("probe"), "Device", "00000000-0000-4000-8000-000000000002"
        )
        device.attrs["manufacturer"] = "nwbgen"
        f["device"] = h5py.SoftLink("/probe")
        for i, name in enumerate(("first", "second")):
            values = f.create_dataset(name, data=np.arange(6.0).reshape(2, 3) + i)
            _typed(values, "Values", f"00000000-0000-4000-8000-00000000001{i}")
            values.attrs["unit"] = "mV"
            values.attrs.create("source", device.ref, dtype=h5py.ref_dtype)
        series = _typed(
            f.create_group("series"),
            "VoltageSeries",
            "00000000-0000-4000-8000-000000000020",
        )
        series.attrs["description"] = "a series"
        data = series.create_dataset("data", data=np.linspace(0, 1, 20, dtype="f4"))
        data.attrs["unit"] = "volts"
        series.create_dataset("timestamps", data=np.arange(20.0) / 10)
        series.create_dataset("rate", data=np.float32(10.0))
    return path


# --- picking objects -------------------------------------------------------------


def _objects(f: h5py.File, *, specs: bool = False) -> list[str]:
    """Every object path (hard links), /specifications left out unless asked."""
    out = ["/"]

    def visit(name: str, _obj) -> None:
        if specs or not name.startswith("specifications"):
            out.append("/" + name)

    f.visititems(visit)
    return out


def _typed_paths(f: h5py.File, type_name: str) -> list[str]:
    return [
        p
        for p in _objects(f)
        if _text(f[p].attrs.get("neurodata_type", b"")) == type_name
    ]


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _choice(rng: random.Random, items):
    items = list(items)
    if not items:
        raise NotApplicable("nothing to mutate")
    return items[rng.randrange(len(items))]


# --- bytes -------------------------------------------------------------------------

BLOCK_SIZES = (1, 8, 16, 64, 512, 4096)


def zero_block(rng: random.Random, path: Path) -> str:
    data = bytearray(path.read_bytes())
    size = rng.choice(BLOCK_SIZES)
    start = rng.randrange(len(data))
    data[start : start + size] = bytes(len(data[start : start + size]))
    path.write_bytes(data)
    return f"zeroed {size} bytes at {start}"


def random_block(rng: random.Random, path: Path) -> str:
    data = bytearray(path.read_bytes())
    size = rng.choice(BLOCK_SIZES)
    start = rng.randrange(len(data))
    n = len(data[start : start + size])
    data[start : start + n] = bytes(rng.randrange(256) for _ in range(n))
    path.write_bytes(data)
    return f"{n} random bytes at {start}"


def flip_bits(rng: random.Random, path: Path) -> str:
    data = bytearray(path.read_bytes())
    offsets = sorted(rng.randrange(len(data)) for _ in range(rng.randint(1, 8)))
    for offset in offsets:
        data[offset] ^= 1 << rng.randrange(8)
    path.write_bytes(data)
    return f"flipped bits at {offsets}"


def cut_file(rng: random.Random, path: Path) -> str:
    data = path.read_bytes()
    keep = rng.randrange(len(data) // 8, len(data))
    path.write_bytes(data[:keep])
    return f"cut to {keep} of {len(data)} bytes"


def copy_block(rng: random.Random, path: Path) -> str:
    data = bytearray(path.read_bytes())
    size = rng.choice(BLOCK_SIZES[2:])
    src, dst = rng.randrange(len(data) - size), rng.randrange(len(data) - size)
    data[dst : dst + size] = data[src : src + size]
    path.write_bytes(data)
    return f"copied {size} bytes from {src} to {dst}"


def zero_heap_objects(rng: random.Random, path: Path) -> str:
    """Zero the objects of one global heap collection behind its intact header:
    HDF5 2.0 loops forever on it (what nwbgen's stall guard is for)."""
    import re

    data = bytearray(path.read_bytes())
    heaps = [m.start() for m in re.finditer(b"GCOL", bytes(data))]
    start = _choice(rng, heaps) + 16
    data[start : start + 64] = bytes(64)
    path.write_bytes(data)
    return f"zeroed the objects of the heap collection at {start - 16}"


# --- attributes ----------------------------------------------------------------------

ODD_VALUES: tuple[tuple[str, Callable[[], object]], ...] = (
    ("text", lambda: "fast"),
    ("number", lambda: np.int64(42)),
    ("negative", lambda: np.int64(-1)),
    ("float", lambda: np.float64(1e308)),
    ("nan", lambda: np.float64("nan")),
    ("array", lambda: np.array([1, 2, 3])),
    ("empty", lambda: h5py.Empty("f4")),
    ("bytes", lambda: np.bytes_(b"\xff\xfe\x00x")),
    ("texts", lambda: np.array(["a", "b"], dtype=object)),
    ("bool", lambda: np.bool_(True)),
)


def _attributes(f: h5py.File) -> list[tuple[str, str]]:
    return [(p, name) for p in _objects(f) for name in f[p].attrs]


def retype_attribute(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        holder, name = _choice(rng, _attributes(f))
        label, make = rng.choice(ODD_VALUES)
        value = make()
        del f[holder].attrs[name]
        if isinstance(value, np.ndarray) and value.dtype == object:
            f[holder].attrs.create(name, value, dtype=TEXT)
        else:
            f[holder].attrs[name] = value
    return f"{holder} attribute {name!r} set to {label}"


def delete_attribute(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        holder, name = _choice(rng, _attributes(f))
        del f[holder].attrs[name]
    return f"{holder} attribute {name!r} deleted"


def add_reference(rng: random.Random, path: Path) -> str:
    """An attribute the schema does not name holding object or region references
    (a copy must write them back, re-pointed)."""
    with h5py.File(path, "a") as f:
        holder = _choice(rng, _objects(f))
        target = _choice(rng, _members(f))
        shape = rng.choice(["object", "objects", "region"])
        if shape == "region" and isinstance(f[target], h5py.Dataset):
            if not f[target].shape:
                raise NotApplicable("a scalar has no region")
            value = f[target].regionref[0:1]
            f[holder].attrs.create("extra_ref", value, dtype=h5py.regionref_dtype)
        elif shape == "objects":
            refs = [f[target].ref, f["/"].ref]
            f[holder].attrs.create("extra_ref", refs, dtype=h5py.ref_dtype)
        else:
            shape = "object"
            f[holder].attrs.create("extra_ref", f[target].ref, dtype=h5py.ref_dtype)
    return f"{holder} attribute 'extra_ref': {shape} reference to {target}"


def rename_type(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        typed = [p for p in _objects(f) if "neurodata_type" in f[p].attrs]
        holder = _choice(rng, typed)
        others = sorted({_text(f[p].attrs["neurodata_type"]) for p in typed})
        attr, value = rng.choice(
            [
                ("neurodata_type", "NoSuchType"),
                ("neurodata_type", rng.choice(others)),
                ("namespace", "no-such-namespace"),
                ("namespace", ""),
            ]
        )
        f[holder].attrs[attr] = value
    return f"{holder} {attr} set to {value!r}"


# --- links ---------------------------------------------------------------------------


def _groups(f: h5py.File) -> list[str]:
    return [p for p in _objects(f) if isinstance(f[p], h5py.Group)]


def _members(f: h5py.File) -> list[str]:
    return [p for p in _objects(f) if p != "/"]


def soft_cycle(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        group = _choice(rng, _groups(f)).rstrip("/")
        if rng.random() < 0.5:
            f[f"{group}/loop_a"] = h5py.SoftLink(f"{group}/loop_b")
            f[f"{group}/loop_b"] = h5py.SoftLink(f"{group}/loop_a")
            return f"soft links {group}/loop_a <-> loop_b"
        member = _choice(
            rng,
            [m for m in _members(f) if m.startswith(group + "/")] or [f"{group}/self"],
        )
        if member in f:
            del f[member]
        f[member] = h5py.SoftLink(member)
        return f"{member} replaced by a soft link to itself"


def soft_elsewhere(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        member = _choice(rng, _members(f))
        target = rng.choice(
            ["/no/such/object", _choice(rng, _objects(f)), "relative/nothing"]
        )
        del f[member]
        f[member] = h5py.SoftLink(target)
    return f"{member} replaced by a soft link to {target}"


def soft_chain(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        member = _choice(rng, _members(f))
        parent = member.rpartition("/")[0] or "/"
        hops = rng.randint(15, 20)
        previous = member
        for i in range(hops):
            name = f"{parent.rstrip('/')}/hop{i}"
            f[name] = h5py.SoftLink(previous)
            previous = name
    return f"a chain of {hops} soft links to {member}"


def hard_loop(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        group = _choice(rng, [g for g in _groups(f) if g != "/"])
        parts = group.strip("/").split("/")
        ancestor = "/" + "/".join(parts[: rng.randrange(len(parts))])
        f[f"{group}/ancestor"] = f[ancestor]
    return f"{group}/ancestor hard-links {ancestor}"


def external_link(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        member = _choice(rng, _members(f))
        filename = rng.choice(["missing.nwb", path.name, "/dev/null"])
        del f[member]
        f[member] = h5py.ExternalLink(filename, rng.choice([member, "/nothing"]))
    return f"{member} replaced by an external link into {filename}"


# --- structure -----------------------------------------------------------------------


def index_past_end(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        index = _choice(rng, _typed_paths(f, "VectorIndex"))
        dataset = f[index]
        last = int(dataset[-1]) + rng.choice([1, 7, 1000])
        if last > np.iinfo(dataset.dtype).max:
            raise NotApplicable("the index dtype cannot hold a larger value")
        dataset[-1] = last
    return f"{index}: last value {last}"


def region_out_of_range(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        region = _choice(rng, _typed_paths(f, "DynamicTableRegion"))
        dataset = f[region]
        bad = [len(dataset) + 3, 10**6]
        if dataset.dtype.kind == "i":
            bad.append(-1)
        value = rng.choice(bad)
        row = rng.randrange(len(dataset))
        dataset[row] = value
    return f"{region}[{row}] = {value}"


def dangling_reference(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        refs = [
            (p, name)
            for p in _objects(f)
            for name, value in f[p].attrs.items()
            if isinstance(value, h5py.Reference)
        ]
        holder, name = _choice(rng, refs)
        doomed = f.create_group(f"/doomed_{rng.randrange(10**6)}")
        f[holder].attrs.create(name, doomed.ref, dtype=h5py.ref_dtype)
        del f[doomed.name]
    return f"{holder} attribute {name!r} refers to a deleted group"


def _datasets(f: h5py.File) -> list[str]:
    return [p for p in _objects(f) if isinstance(f[p], h5py.Dataset)]


def replace_dataset(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        member = _choice(rng, _datasets(f))
        attrs = dict(f[member].attrs)
        del f[member]
        shape = rng.choice(["text", "empty", "scalar", "2-d", "group", "null", "bool"])
        if shape == "group":
            new = f.create_group(member)
        elif shape == "text":
            new = f.create_dataset(
                member, data=np.array(["x", "y"], dtype=object), dtype=TEXT
            )
        elif shape == "empty":
            new = f.create_dataset(member, shape=(0,), dtype="f8")
        elif shape == "scalar":
            new = f.create_dataset(member, data=3.5)
        elif shape == "2-d":
            new = f.create_dataset(member, data=np.zeros((3, 2, 2)))
        elif shape == "bool":
            new = f.create_dataset(member, data=np.array([True, False]))
        else:
            new = f.create_dataset(member, data=h5py.Empty("f8"))
        for key, value in attrs.items():
            try:
                new.attrs[key] = value
            except (TypeError, ValueError, OSError):
                pass
    return (
        f"{member} replaced by a {shape} {'group' if shape == 'group' else 'dataset'}"
    )


def replace_group(rng: random.Random, path: Path) -> str:
    """A group (typed or not) replaced by a dataset carrying its attributes."""
    with h5py.File(path, "a") as f:
        member = _choice(rng, [g for g in _groups(f) if g != "/"])
        attrs = dict(f[member].attrs)
        del f[member]
        new = f.create_dataset(member, data=np.arange(rng.choice([1, 4])))
        for key, value in attrs.items():
            try:
                new.attrs[key] = value
            except (TypeError, ValueError, OSError):
                pass
    return f"{member} replaced by a dataset"


def delete_member(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        member = _choice(rng, _members(f))
        del f[member]
    return f"{member} deleted"


# --- spec text -----------------------------------------------------------------------

GARBAGE = (
    "{ this: is: [ not yaml",
    "",
    "[" * 5000,
    "- a\n- b",
    "42",
    "null",
    '{"namespaces": [',
    "\x00\x01\x02",
    '{"groups": "not a list"}',
    "key: [unclosed",
)


def _spec_sources(f: h5py.File) -> list[str]:
    return [
        p
        for p in _objects(f, specs=True)
        if p.startswith("/specifications/") and isinstance(f[p], h5py.Dataset)
    ]


def spec_garbage(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        source = _choice(rng, _spec_sources(f))
        text = rng.choice(GARBAGE)
        del f[source]
        f.create_dataset(source, data=text, dtype=TEXT)
    return f"{source} replaced by {text[:20]!r}"


def _nodes(doc, out: list) -> list:
    if isinstance(doc, dict):
        out.append(doc)
        for value in doc.values():
            _nodes(value, out)
    elif isinstance(doc, list):
        for value in doc:
            _nodes(value, out)
    return out


WRONG = ("bogus", -1, 0, None, [], {}, ["a", 1], 3.5, True, "*", "Container", "text")


def edit_document(rng: random.Random, doc) -> str:
    """Change one key of one mapping of a schema document in place."""
    node = _choice(rng, _nodes(doc, []))
    if not node:
        node["unexpected"] = "value"
        return "added key 'unexpected'"
    key = _choice(rng, sorted(node))
    action = rng.choice(["delete", "wrong", "wrong", "duplicate"])
    if action == "delete":
        del node[key]
        return f"deleted key {key!r}"
    if action == "duplicate" and isinstance(node[key], list) and node[key]:
        node[key].append(node[key][0])
        return f"duplicated the first item of {key!r}"
    node[key] = rng.choice(WRONG)
    return f"set {key!r} to {node[key]!r}"


def spec_edit(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        source = _choice(rng, _spec_sources(f))
        doc = json.loads(f[source][()])
        change = edit_document(rng, doc)
        del f[source]
        f.create_dataset(source, data=json.dumps(doc), dtype=TEXT)
    return f"{source}: {change}"


def spec_remove(rng: random.Random, path: Path) -> str:
    with h5py.File(path, "a") as f:
        target = _choice(rng, ["/specifications", *_spec_sources(f)])
        del f[target]
    return f"{target} deleted"


# --- namespace YAML -------------------------------------------------------------------


def _yaml_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob("*.yaml"))


def yaml_text(rng: random.Random, path: Path) -> str:
    target = _choice(rng, _yaml_files(path))
    lines = target.read_text().split("\n")
    i = rng.randrange(len(lines))
    action = rng.choice(["delete", "duplicate", "indent", "dedent", "char", "swap"])
    if action == "delete":
        del lines[i]
    elif action == "duplicate":
        lines.insert(i, lines[i])
    elif action == "indent":
        lines[i] = "   " + lines[i]
    elif action == "dedent":
        lines[i] = lines[i].lstrip()
    elif action == "char" and lines[i]:
        j = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:j] + rng.choice(":-[]{}'\"#&*!|>%@`") + lines[i][j + 1 :]
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    target.write_text("\n".join(lines))
    return f"{target.name} line {i + 1}: {action}"


def yaml_edit(rng: random.Random, path: Path) -> str:
    target = _choice(rng, _yaml_files(path))
    doc = yaml.safe_load(target.read_text())
    change = edit_document(rng, doc)
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return f"{target.name}: {change}"


# --- the menu ---------------------------------------------------------------------------

BYTES = (zero_block, random_block, flip_bits, cut_file, copy_block)
ATTRIBUTES = (retype_attribute, delete_attribute, rename_type, add_reference)
LINKS = (soft_cycle, soft_elsewhere, soft_chain, hard_loop, external_link)
STRUCTURE = (
    index_past_end,
    region_out_of_range,
    dangling_reference,
    replace_dataset,
    replace_group,
    delete_member,
)

#: (weight, seed, kind, operators, commands)
MENU: tuple[tuple[int, str, str, tuple, tuple[str, ...]], ...] = (
    (3, "small", "bytes", BYTES, FILE_COMMANDS),
    (2, "ecephys", "bytes", BYTES, FILE_COMMANDS),
    (1, "tiny", "bytes", BYTES, FILE_COMMANDS),
    (1, "small", "bytes", (zero_heap_objects,), FILE_COMMANDS),  # HDF5 loops
    (2, "small", "attribute", ATTRIBUTES, FILE_COMMANDS),
    (1, "tiny", "attribute", ATTRIBUTES, FILE_COMMANDS),
    (2, "small", "link", LINKS, FILE_COMMANDS),
    (1, "tiny", "link", LINKS, FILE_COMMANDS),
    (2, "small", "structure", STRUCTURE, FILE_COMMANDS),
    (1, "ecephys", "spec", (spec_garbage, spec_remove), SPEC_COMMANDS),
    (2, "tiny", "spec", (spec_garbage, spec_edit, spec_remove), SPEC_COMMANDS),
    (2, "tiny_yaml", "yaml", (yaml_text, yaml_edit), YAML_COMMANDS),
)


def make_mutant(
    number: int, rng: random.Random, seeds: dict[str, Path], folder: Path
) -> Mutant:
    """Mutant ``number`` in ``folder`` (a directory of its own): a copy of a seed
    with one mutation drawn from :data:`MENU`."""
    weights = [w for w, *_ in MENU]
    for _ in range(100):
        _, seed, kind, operators, commands = rng.choices(MENU, weights)[0]
        operator = rng.choice(operators)
        source = seeds[seed]
        if seed == "tiny_yaml":
            for yaml_file in source.parent.glob("*.yaml"):
                shutil.copyfile(yaml_file, folder / yaml_file.name)
            path = folder / source.name
        else:
            path = folder / f"mutant{number}.nwb"
            shutil.copyfile(source, path)
        try:
            detail = operator(rng, path)
        except (NotApplicable, KeyError, ValueError, TypeError, OSError, OverflowError):
            continue  # nothing to work on here, or h5py refuses: draw again
        return Mutant(number, seed, kind, operator.__name__, detail, path, commands)
    raise RuntimeError("no operator applies to any seed")
