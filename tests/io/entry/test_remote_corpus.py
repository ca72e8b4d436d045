"""Every NWB file under ../shared/data, read through a loopback HTTP server of byte
ranges (``HDF5IO(url)``), gives the model tree its local read gives.

Per file, both trees are walked from the root through every field (``children``
included) and every typed member a read kept outside the schema; each model is
described by its class, its HDF5 path and object id, its scalar fields exactly,
its arrays by shape, dtype and first values (``SAMPLE`` rows: the files are
small, the point is that the same bytes come back), the models its fields hold
by their paths, and what its source kept beyond the schema (attributes, member
datasets, groups, links). The two descriptions must be equal, and so must the
violations of the two reads. Skips when ../shared is absent, or without the
extra ``remote``.

External links too: a local read follows a relative external link into the
file beside it, a remote read into the URL beside its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tempfile
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support.paths import SHARED
from tests.support.range_server import RangeServer

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

DATA = SHARED / "data"
FILES = sorted(DATA.rglob("*.nwb")) if DATA.is_dir() else []
IDS = [str(p.relative_to(DATA)) for p in FILES] or None

#: leading rows of each array compared
SAMPLE = 3
#: differences listed in a failure, at most
SHOWN = 20


@pytest.fixture(scope="module")
def server():
    if not FILES:
        pytest.skip(f"{DATA} is absent (../shared is not beside this checkout)")
    with RangeServer(DATA) as srv:
        yield srv


@pytest.fixture(scope="module")
def models_cache() -> Path:
    """The model cache test_differential and test_package_identity use (keyed by
    nwbgen's own source): extensions' models compile once across runs."""
    import nwbgen

    package = Path(nwbgen.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] == "generated" or path.suffix not in {".py", ".j2"}:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return Path(tempfile.gettempdir()) / "nwbgen-test-models" / digest.hexdigest()[:16]


# --- describing a model tree ----------------------------------------------------------


def _is_model(value: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(value, BaseModel)


def _class(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _path(model: Any) -> str | None:
    from nwbgen.runtime.source import source_of

    source = source_of(model)
    return source.path if source is not None else None


def _value(value: Any) -> Any:
    """A comparable description of a field's value: plain Python, models by class
    and path, arrays by shape, dtype and their first ``SAMPLE`` rows."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return ("bytes", value)
    if _is_model(value):
        return ("model", _class(value), _path(value))
    if type(value).__name__ == "LazyArray":
        shape = tuple(value.shape)
        sample = value[()] if shape == () else value[:SAMPLE]
        return ("array", shape, str(value.dtype), _value(sample))
    if isinstance(value, np.ndarray):
        head = value if value.ndim == 0 else value[:SAMPLE]
        return ("ndarray", value.shape, str(value.dtype), _value(head.tolist()))
    if isinstance(value, np.void):
        return tuple(_value(value[name]) for name in value.dtype.names or ())
    if isinstance(value, np.generic):
        return _value(value.item())
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = (
            sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        )
        return (type(value).__name__, [_value(v) for v in items])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _value(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare
        }
        return (type(value).__name__, fields)
    if hasattr(value, "_asdict"):  # a named tuple
        return (type(value).__name__, _value(dict(value._asdict())))
    if type(value).__module__.startswith("h5py"):
        return (type(value).__name__, getattr(value, "name", None))
    return (type(value).__name__, repr(value))


def _models_in(value: Any) -> list[Any]:
    """The models a field's value holds: itself, or in its dicts, lists, tuples."""
    if _is_model(value):
        return [value]
    if isinstance(value, dict):
        return [m for v in value.values() for m in _models_in(v)]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _models_in(v)]
    return []


def snapshot(root: Any) -> dict[str, dict]:
    """Every model reachable from ``root``, described; keyed by HDF5 path (by
    where it was reached for a model of no path), in the order a depth-first walk
    meets them."""
    from nwbgen.runtime.source import source_of

    out: dict[str, dict] = {}
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("/", root)]
    while stack:
        where, model = stack.pop()
        if id(model) in seen:
            continue
        seen.add(id(model))
        key = _path(model) or where
        while key in out:  # two models of one HDF5 object (a nested member class)
            key += "'"
        entry: dict[str, Any] = {"class": _class(model), "fields": {}}
        members: list[tuple[str, Any]] = []
        for name in type(model).model_fields:
            value = getattr(model, name, None)
            entry["fields"][name] = _value(value)
            members += [(f"{key.rstrip('/')}/{name}", m) for m in _models_in(value)]
        source = source_of(model)
        if source is not None:
            entry["object_id"] = source.object_id
            unknown = source.unknown
            entry["unknown"] = {
                "attributes": _value(unknown.attributes),
                "datasets": _value(unknown.datasets),
                "groups": sorted(unknown.groups),
                "links": _value(unknown.links),
            }
            entry["links"] = _value(source.links)
            entry["member_attributes"] = _value(source.member_attributes)
            entry["dtypes"] = {k: str(v) for k, v in source.dtypes.items()}
            entry["extra_children"] = _value(source.extra_children)
            members += [
                (f"{key.rstrip('/')}/{name}", m)
                for name, m in source.extra_children.items()
                if _is_model(m)
            ]
        out[key] = entry
        stack.extend(reversed(members))
    return out


def differences(local: dict, remote: dict) -> list[tuple[str, str]]:
    """(model key, what differs) for every difference of two snapshots."""
    found = [(k, f"{k}: only in the local read") for k in local if k not in remote]
    found += [(k, f"{k}: only in the remote read") for k in remote if k not in local]
    for key, entry in local.items():
        other = remote.get(key)
        if other is None or other == entry:
            continue
        for part in sorted(set(entry) | set(other)):
            a, b = entry.get(part), other.get(part)
            if a == b:
                continue
            if isinstance(a, dict) and isinstance(b, dict):
                for name in sorted(set(a) | set(b)):
                    if a.get(name) != b.get(name):
                        found.append(
                            (
                                key,
                                f"{key} {part}.{name}: local {a.get(name)!r:.200} "
                                f"remote {b.get(name)!r:.200}",
                            )
                        )
            else:
                text = f"{key} {part}: local {a!r:.200} remote {b!r:.200}"
                found.append((key, text))
    return found


def read(source: Any, cache: Path) -> tuple[dict, list[str], dict[str, int]]:
    """(the snapshot of the file's tree, its read's violations, a census).
    Remote reads run with the collector on: RemoteFile keeps it from running on
    fsspec's IO thread while HDF5 waits (a deadlock this test once found)."""
    from nwbgen import HDF5IO

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with HDF5IO(source, cache=cache, timeout=30) as io:
            tree = snapshot(io.read())
            violations = [str(v) for v in io.violations]
    arrays = sum(
        1
        for entry in tree.values()
        for value in entry["fields"].values()
        if isinstance(value, tuple) and value[:1] == ("array",)
    )
    return tree, violations, {"models": len(tree), "arrays": arrays}


# --- the test -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_remote_read_equals_local_read(path: Path, server, models_cache) -> None:
    local, local_violations, census = read(path, models_cache)
    start = server.requests
    remote, remote_violations, _ = read(
        server.url(path.relative_to(DATA).as_posix()), models_cache
    )
    assert server.requests > start  # read through the server, not from disk
    assert census["models"] > 1
    found = [text for _, text in differences(local, remote)]
    shown = "\n".join(found[:SHOWN])
    more = f"\n... and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    assert not found, f"{len(found)} difference(s):\n{shown}{more}"
    assert remote_violations == local_violations
