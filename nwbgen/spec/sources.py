"""Where namespaces come from: a file's ``/specifications``, YAML files, the bundled package.

All I/O of the compiler's front end lives here; everything downstream works on the
:class:`~nwbgen.spec.model.Namespace` values these functions return.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import SourceError, SpecError
from .model import Namespace, source_stem, version_key
from .parse import namespace_entries, parse_namespace

#: namespace name -> version -> source name -> parsed document
SpecDicts = dict[str, dict[str, dict[str, Any]]]


def _decode(value: Any, where: str) -> Any:
    """A cached spec source: JSON (sometimes YAML) as bytes or str, scalar or shape (1,)."""
    if hasattr(value, "shape") and getattr(value, "shape", ()) not in ((), None):
        if value.size != 1:
            raise SourceError(
                f"{where}: expected one spec document, found shape {value.shape}"
            )
        value = value.reshape(-1)[0]
    if hasattr(value, "item") and not isinstance(value, (bytes, str)):
        value = value.item()
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{where}: spec source is not UTF-8 text (byte {exc.start})"
            ) from None
    if not isinstance(value, str):
        raise SourceError(f"{where}: spec source is {type(value).__name__}, not text")
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise SourceError(
                f"{where}: spec source is neither JSON nor YAML ({yaml_reason(exc)})"
            ) from None
    except RecursionError:
        raise SourceError(f"{where}: spec source is nested too deeply") from None


def yaml_reason(exc: yaml.YAMLError) -> str:
    """A YAML parser's complaint on one line: ``expected ',' or '}', but got ':'
    (line 1, column 11)``, without the quoted source and carets."""
    problem = getattr(exc, "problem", None)
    if not problem:
        return " ".join(str(exc).split())
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    context = getattr(exc, "context", None)
    return f"{context + ': ' if context else ''}{problem}{where}"


def read_specs_as_dicts(group: Any) -> SpecDicts:
    """Every namespace and version under an h5py ``/specifications`` group, as dicts.

    Returns ``{namespace: {version: {source: document}}}``; the namespace document is
    under the source name ``"namespace"``.
    """
    from ..runtime.hdf5.files import reading

    filename = getattr(getattr(group, "file", None), "filename", "<file>")
    with reading(filename, getattr(group, "name", None) or "/specifications"):
        return _read_specs(group, filename)


def _read_specs(group: Any, filename: str) -> SpecDicts:
    import h5py

    from ..runtime.hdf5.files import reading

    out: SpecDicts = {}
    for ns_name in sorted(group):
        ns_group = group[ns_name]
        if not isinstance(ns_group, h5py.Group):
            continue
        for version in sorted(ns_group, key=version_key):
            version_group = ns_group[version]
            if not isinstance(version_group, h5py.Group):
                continue
            sources: dict[str, Any] = {}
            for source in sorted(version_group):
                path = f"{version_group.name}/{source}"
                with reading(filename, path):
                    obj = version_group[source]
                    value = obj[()] if isinstance(obj, h5py.Dataset) else None
                if value is not None:
                    sources[source] = _decode(value, f"{filename}:{path}")
            out.setdefault(ns_name, {})[version] = sources
    return out


def spec_sha256(sources: Mapping[str, Any]) -> str:
    """Hash of a namespace's content, independent of YAML vs JSON spelling and key order."""
    canonical = json.dumps(
        sources, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def namespaces_from_dicts(specs: SpecDicts, origin: str) -> list[Namespace]:
    """Namespaces from :func:`read_specs_as_dicts` output (every version of each)."""
    out = []
    for ns_name, versions in specs.items():
        for version, sources in versions.items():
            where = f"{origin}/{ns_name}/{version}"
            if "namespace" not in sources:
                raise SourceError(f"{where}: no 'namespace' document")
            entries = namespace_entries(sources["namespace"], where)
            entry = next((e for e in entries if e["name"] == ns_name), entries[0])
            raw = {"name": entry["name"], "version": version, "sources": sources}
            ns = parse_namespace(entry, sources, where, raw=raw)
            if ns.version != version:
                # the group name is what the file says; pynwb caches 2.6.0-alpha for 2.6.0
                ns = _with_version(ns, version)
            out.append(ns)
    return out


def _with_version(ns: Namespace, version: str) -> Namespace:
    from dataclasses import replace

    return replace(ns, version=version)


def namespaces_from_h5(path: str | Path) -> list[Namespace]:
    """The namespaces cached in an NWB/HDF5 file, or an error naming the file."""
    from ..runtime.hdf5.files import opened

    with opened(path) as h5f:
        group = h5f.get("specifications")
        if group is None:
            raise SourceError(f"{path}: has no /specifications group")
        return namespaces_from_dicts(
            read_specs_as_dicts(group), f"{path}:/specifications"
        )


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for _ in range(20):
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            repaired = _fold_broken_continuation(text, exc)
            if repaired is None:
                raise SpecError(f"{path}: invalid YAML ({yaml_reason(exc)})") from None
            line = getattr(getattr(exc, "problem_mark", None), "line", 0)
            warnings.warn(
                f"{path}:{line}: folded a doc line that breaks the YAML into the line above",
                stacklevel=2,
            )
            text = repaired
    raise SpecError(f"{path}: invalid YAML (too many broken lines)")


def _fold_broken_continuation(text: str, exc: yaml.YAMLError) -> str | None:
    """Repair the one YAML slip released schemas contain (core 2.2.3's nwb.ophys.yaml):
    a wrapped ``doc:`` whose next line starts at the key's indentation. Returns the
    text with that line joined to the one above, or None if the error is different."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None or "could not find expected ':'" not in str(
        getattr(exc, "problem", "")
    ):
        return None
    lines = text.split("\n")
    broken = mark.line - 1  # the scanner reports the line after the plain scalar
    if broken < 1 or ":" in lines[broken].split("#")[0]:
        return None
    previous = lines[broken - 1].strip()
    if not previous.startswith(("doc:", "- doc:")) or previous.endswith(
        ("'", '"', "|", ">")
    ):
        return None
    lines[broken - 1] = lines[broken - 1].rstrip() + " " + lines[broken].strip()
    del lines[broken]
    return "\n".join(lines)


def namespaces_from_yaml(path: str | Path) -> list[Namespace]:
    """Every namespace of a ``*.namespace.yaml`` file, its sources read from beside it."""
    path = Path(path)
    document = _load_yaml(path)
    out = []
    for entry in namespace_entries(document, str(path)):
        sources: dict[str, Any] = {"namespace": {"namespaces": [entry]}}
        for item in entry.get("schema") or ():
            if "source" in item:
                source_path = path.parent / str(item["source"])
                if not source_path.exists():
                    raise SourceError(
                        f"{path}: namespace {entry['name']} names source {item['source']!r}, not found at {source_path}"
                    )
                stem = source_stem(str(item["source"]))
                sources[stem] = _load_yaml(source_path)
        version = str(entry.get("version") or "unversioned")
        raw = {"name": entry["name"], "version": version, "sources": sources}
        out.append(parse_namespace(entry, sources, str(path), raw=raw))
    return out


def is_hdf5(path: str | Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    if head == b"\x89HDF\r\n\x1a\n":
        return True
    import h5py

    return bool(h5py.is_hdf5(str(path)))


def load_sources(paths: Iterable[str | Path]) -> list[Namespace]:
    """Namespaces from NWB/HDF5 files and namespace YAML files given together."""
    out: list[Namespace] = []
    for given in paths:
        if isinstance(given, str) and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", given):
            if not given.startswith("file://"):
                out.extend(namespaces_from_h5(given))  # a URL, read by ranges
                continue
            given = given[len("file://") :]
        path = Path(given)
        if not path.exists():
            raise SourceError(f"{path}: no such file")
        if path.suffix in (".yaml", ".yml"):
            out.extend(namespaces_from_yaml(path))
        elif is_hdf5(path):
            out.extend(namespaces_from_h5(path))
        else:
            raise SourceError(f"{path}: neither an HDF5 file nor a namespace YAML file")
    return out


def bundled_manifest() -> dict[str, Any]:
    """The manifest of :mod:`nwbgen.generated` (empty before the first bundle)."""
    from importlib import resources

    manifest_file = resources.files("nwbgen.generated") / "manifest.json"
    if not manifest_file.is_file():
        return {}
    return json.loads(manifest_file.read_text(encoding="utf-8"))


def bundled_namespaces() -> list[Namespace]:
    """The namespaces whose compiled packages ship in :mod:`nwbgen.generated`."""
    from importlib import resources

    root = resources.files("nwbgen.generated")
    manifest = bundled_manifest()
    out = []
    seen = set()
    for entry in manifest.get("namespaces", []):
        # one version built over several includes is one spec, listed once
        key = (entry["name"], entry["version"], entry["sha256"])
        if key in seen:
            continue
        seen.add(key)
        spec_file = root.joinpath(*entry["package"].split("/"), "_spec.json")
        out.append(spec_json_namespace(spec_file, "nwbgen.generated"))
    return out


def spec_json_namespace(spec_file: Any, origin: str) -> Namespace:
    """The namespace a compiled version package was built from: its
    ``_spec.json`` (a path or importlib resource)."""
    raw = json.loads(spec_file.read_text(encoding="utf-8"))
    (found,) = namespaces_from_dicts(
        {raw["name"]: {raw["version"]: raw["sources"]}}, origin
    )
    return found
