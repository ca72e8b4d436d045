"""The model provider: the compiled models that match a file's namespaces.

Each namespace is keyed by its identity: name, version, sha256 of its spec, and the
identities of what it includes (:mod:`nwbgen.spec.identity`). In order:

1. the bundled :mod:`nwbgen.generated` builds, for every namespace one serves
   (:mod:`.bundled`);
2. for the others (an extension, a release the bundle lacks), the user cache
   (``$NWBGEN_CACHE_DIR``, else the platform cache directory), where an earlier
   call compiled them;
3. else compile only those into the cache, over the bundled builds of what they
   include, then import. The compile writes a temporary directory and renames it
   into place, so processes opening new files at once never see a half-written
   package: the first rename wins and the others use its result.

Only step 3 imports the compiler (linkml, jinja2, black, networkx).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ... import __version__
from ...errors import SourceError
from ...runtime.hdf5.files import opened
from ...spec.catalog import newest_by_name
from ...spec.identity import spec_hash
from ...spec.model import Namespace, version_key
from ...spec.sources import (
    bundled_manifest,
    is_hdf5,
    namespaces_from_dicts,
    read_specs_as_dicts,
)
from .bundled import BUNDLE_ROOT, bundle_plan, bundled_namespace, module_of

CACHE_ENV = "NWBGEN_CACHE_DIR"
#: what cache packages import their base classes from: the runtime the bundle uses,
#: so that compiled extensions subclass bundled models
RUNTIME = "nwbgen.runtime"


def cache_dir() -> Path:
    """Where compiled models are cached: ``$NWBGEN_CACHE_DIR`` or the platform's."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "nwbgen" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nwbgen"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nwbgen"


@dataclass
class ModelProvider:
    """Compiled models for one set of namespaces, imported and ready."""

    #: namespace name -> its version package (``TYPES``, ``NAMESPACE``, classes)
    packages: dict[str, ModuleType]
    #: "bundled", "cache" or "compiled"
    origin: str
    #: the package root (``nwbgen.generated`` or a cache entry)
    root: ModuleType
    keys: list[tuple[str, str, str]] = field(default_factory=list)
    #: the namespaces compiled for this file, into the cache (the rest are bundled)
    compiled: list[str] = field(default_factory=list)
    #: seconds this call spent compiling ``compiled`` (0 when found compiled)
    compile_s: float = 0.0

    def types(self, namespace: str) -> dict[str, type]:
        """neurodata_type -> model class of one namespace."""
        try:
            return dict(self.packages[namespace].TYPES)
        except KeyError:
            known = ", ".join(sorted(self.packages))
            raise LookupError(
                f"no namespace {namespace!r} here (have {known})"
            ) from None

    def model(self, namespace: str, neurodata_type: str) -> type:
        """The model class of ``neurodata_type`` in ``namespace``."""
        types = self.types(namespace)
        if neurodata_type not in types:
            raise LookupError(
                f"namespace {namespace} {self.packages[namespace].VERSION} "
                f"defines no type {neurodata_type!r}"
            )
        return types[neurodata_type]


def make_provider(
    source: Any, *, cache: str | Path | None = None, compile: bool = True
) -> ModelProvider:
    """The models for an NWB file (a path or an open ``h5py.File``) or namespaces.

    ``compile=False`` only looks (bundle, cache) and raises if nothing matches.
    """
    if isinstance(source, (str, os.PathLike)) and is_hdf5(Path(source)):
        with opened(source) as h5f:  # opened once for the key and the specs
            return make_provider(h5f, cache=cache, compile=compile)
    root_dir = Path(cache) if cache is not None else cache_dir()
    raw_key = _raw_specs_key(source)
    known = _remembered(root_dir, raw_key) if raw_key else None
    if known is not None:
        found = _provider_from_memo(root_dir, known)
        if found is not None:
            return found
    namespaces = _namespaces_of(source)
    chosen = newest_by_name(namespaces)
    keys = sorted((ns.name, ns.version, spec_hash(ns)) for ns in chosen.values())
    plan = bundle_plan(list(chosen.values()))
    bundled = {name: module_of(entry) for name, entry in plan.items() if entry}
    missing = sorted(name for name, entry in plan.items() if entry is None)
    if not missing:
        if raw_key:
            _remember(
                root_dir,
                raw_key,
                {"origin": "bundled", "keys": keys, "bundled": bundled},
            )
        return _provider(keys, bundled, None, [], "bundled")
    try:
        provider, digest = _from_cache(
            root_dir, keys, chosen, missing, bundled, compile
        )
    except ImportError:
        if not bundled:
            raise
        # a compile over this file's specs names a class of an included namespace
        # otherwise than its bundled package does (a type of the file named like
        # one of the bundle's): the bundle cannot serve it, everything compiles
        bundled, missing = {}, sorted(chosen)
        provider, digest = _from_cache(
            root_dir, keys, chosen, missing, bundled, compile
        )
    if raw_key:
        _remember(
            root_dir,
            raw_key,
            {
                "origin": "cache",
                "keys": keys,
                "digest": digest,
                "bundled": bundled,
                "compiled": missing,
            },
        )
    return provider


def _from_cache(
    root_dir: Path,
    keys: list[tuple[str, str, str]],
    chosen: dict[str, Namespace],
    missing: list[str],
    bundled: dict[str, str],
    compile: bool,
) -> tuple[ModelProvider, str]:
    """The cache entry of ``missing`` compiled over ``bundled`` (compiled into the
    cache first if it is not there), imported; and its digest."""
    digest = hashlib.sha256(
        json.dumps(
            [__version__, generator_fingerprint(), keys, sorted(bundled.items())]
        ).encode()
    ).hexdigest()[:20]
    entry = root_dir / f"models-{digest}"
    origin = "cache"
    compile_s = 0.0
    if not (entry / "manifest.json").is_file():
        if not compile:
            raise LookupError(f"no compiled models for {_describe(keys)} in {root_dir}")
        started = time.perf_counter()
        _compile_into(entry, list(chosen.values()), missing, bundled)
        compile_s = time.perf_counter() - started
        origin = "compiled"
    provider = _provider(
        keys, bundled, _import_root(entry, f"nwbgen_models_{digest}"), missing, origin
    )
    if bundled and origin == "compiled":
        # what the new reader and writer import from the bundle, checked now
        for name in missing:
            provider.packages[name].readers()
            provider.packages[name].writers()
    provider.compile_s = compile_s
    return provider, digest


# --- remembering which models a file's specs need ------------------------------
#
# Matching a file's specs to models means parsing them and, for the bundle, hashing
# their meaning: a few hundred milliseconds per file. Files written by one tool share
# their specs byte for byte, so the answer is remembered by a hash of the stored
# bytes (in this process, and in the cache directory for the next ones).

_MEMO: dict[str, dict] = {}
MEMO_FILE = "provider-memo.json"


def _raw_specs_key(source: Any) -> str | None:
    """A hash of the bytes of a file's /specifications (and of this nwbgen build);
    ``None`` for other sources or a file without specs."""
    import h5py

    return _specs_bytes_key(source) if isinstance(source, h5py.File) else None


def _specs_bytes_key(h5f: Any) -> str | None:
    group = h5f.get("specifications")
    if group is None or not len(group):
        return None
    digest = hashlib.sha256(f"{__version__} {generator_fingerprint()}".encode())

    def visit(name: str, obj: Any) -> None:
        if hasattr(obj, "dtype"):
            digest.update(name.encode())
            value = obj[()]
            digest.update(value if isinstance(value, bytes) else str(value).encode())

    try:
        group.visititems(visit)
    except (OSError, TypeError, ValueError):
        return None
    return digest.hexdigest()


def _remembered(root_dir: Path, key: str) -> dict | None:
    if key in _MEMO:
        return _MEMO[key]
    try:
        memo = json.loads((root_dir / MEMO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = memo.get(key) if isinstance(memo, dict) else None
    if isinstance(found, dict):
        _MEMO[key] = found
    return found


def _remember(root_dir: Path, key: str, answer: dict) -> None:
    answer = {**answer, "keys": [list(k) for k in answer["keys"]]}
    _MEMO[key] = answer
    path = root_dir / MEMO_FILE
    try:
        try:
            memo = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            memo = {}
        memo[key] = answer
        root_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{MEMO_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(tmp, path)  # a lost concurrent update only costs a recompute
    except OSError:
        pass  # a read-only cache: remember in this process only


def _provider_from_memo(root_dir: Path, known: dict) -> ModelProvider | None:
    keys = [tuple(k) for k in known.get("keys", [])]
    bundled = known.get("bundled")
    if not isinstance(bundled, dict):
        return None  # remembered by an older nwbgen
    if known.get("origin") == "bundled":
        return _provider(keys, bundled, None, [], "bundled")
    digest = known.get("digest")
    entry = root_dir / f"models-{digest}"
    if not digest or not (entry / "manifest.json").is_file():
        return None
    root = _import_root(entry, f"nwbgen_models_{digest}")
    return _provider(keys, bundled, root, list(known.get("compiled", [])), "cache")


@functools.lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """A hash of the compiler's own sources (generator, templates, runtime): cache
    entries compiled by another build of nwbgen are never reused, even at one
    version number. Reads the files; imports nothing."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder in ("generator", "templates", "runtime", "spec"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".j2"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _namespaces_of(source: Any) -> list[Namespace]:
    if isinstance(source, (list, tuple)) and all(
        isinstance(n, Namespace) for n in source
    ):
        return list(source)
    with opened(source) as h5f:
        return _namespaces_of_file(h5f, h5f.filename)


def _namespaces_of_file(h5f: Any, filename: str) -> list[Namespace]:
    group = h5f.get("specifications")
    if group is not None and len(group):
        return namespaces_from_dicts(
            read_specs_as_dicts(group), f"{filename}:/specifications"
        )
    return _bundled_for_version(h5f.attrs.get("nwb_version"), filename)


def _bundled_for_version(raw_version: Any, filename: str) -> list[Namespace]:
    """A file without /specifications (pynwb 1.0.x wrote core "2.0b" so): the
    bundled core its ``nwb_version`` names, else the closest bundled release, with a
    warning naming the version used."""
    if isinstance(raw_version, bytes):
        raw_version = raw_version.decode("utf-8", "replace")
    version = str(raw_version) if raw_version is not None else None
    manifest = bundled_manifest()
    cores = {
        e["version"]: e for e in manifest.get("namespaces", []) if e["name"] == "core"
    }
    if version is None or not cores:
        raise SourceError(
            f"{filename}: has no /specifications and no nwb_version attribute: "
            "not an NWB file nwbgen can read"
        )
    used = version if version in cores else _closest(version, list(cores))
    note = "" if used == version else f" (nwb_version {version!r} is not bundled)"
    warnings.warn(
        f"{filename}: has no /specifications; using the bundled core {used}{note}",
        stacklevel=3,
    )
    from ...spec.sources import bundled_namespaces

    core = cores[used]
    wanted = {("core", used)} | {(i["name"], i["version"]) for i in core["includes"]}
    return [ns for ns in bundled_namespaces() if ns.key in wanted]


def _closest(version: str, versions: list[str]) -> str:
    """The first release at or after ``version`` ("2.0b" -> 2.0.1), else the last."""

    def numbers(v: str) -> tuple[int, ...]:
        parts = tuple(p[1] for p in version_key(v)[0] if p[0] == 1)
        return (parts + (0, 0, 0))[:3]

    ordered = sorted(versions, key=version_key)
    return next((v for v in ordered if numbers(v) >= numbers(version)), ordered[-1])


def _describe(keys: list[tuple[str, str, str]]) -> str:
    return ", ".join(f"{name} {version}" for name, version, _ in keys)


def _provider(
    keys: list[tuple[str, str, str]],
    bundled: dict[str, str],
    root: ModuleType | None,
    compiled: list[str],
    origin: str,
) -> ModelProvider:
    """Bundled packages by module, the others from the cache entry ``root``."""
    packages = {
        name: importlib.import_module(module) for name, module in bundled.items()
    }
    versions = {name: version for name, version, _ in keys}
    for name in compiled:
        assert root is not None
        packages[name] = root.load(name, versions[name])
    return ModelProvider(
        packages=packages,
        origin=origin,
        root=root or importlib.import_module(BUNDLE_ROOT),
        keys=keys,
        compiled=compiled,
    )


def _compile_into(
    entry: Path,
    namespaces: list[Namespace],
    missing: list[str],
    bundled: dict[str, str],
) -> None:
    """Compile the ``missing`` namespaces into a new cache entry, importing the
    ``bundled`` ones; when a concurrent process wins the rename, its (identical)
    package is kept."""
    from ...generator.compile import compile_namespaces
    from ...generator.emit import write_package

    # the bundled namespaces as the bundle compiled them: a file may spell one
    # otherwise (hdmf copies inherited members into subtypes), and a compile over
    # that spelling could name member classes the bundled package does not have
    namespaces = [
        bundled_namespace(bundled[ns.name]) if ns.name in bundled else ns
        for ns in namespaces
    ]
    # not formatted: a cache entry is read by the interpreter, not vendored (black
    # would be about a third of the compile); `nwbgen compile` formats
    files = compile_namespaces(
        namespaces, only=missing, external=bundled, runtime_import=RUNTIME, format=False
    ).files
    try:
        write_package(files, entry)  # built beside the entry, then renamed into place
    except OSError:
        if not (entry / "manifest.json").is_file():
            raise


def _import_root(entry: Path, name: str) -> ModuleType:
    """Import a cache entry as a package of its own name (nothing on sys.path)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, entry / "__init__.py", submodule_search_locations=[str(entry)]
    )
    if spec is None or spec.loader is None:
        raise SourceError(f"{entry}: not an importable package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
