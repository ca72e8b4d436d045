"""A file is read, and copied, with the models of its own namespace versions
(issue 9).

A compiled namespace package is identified by (name, version, spec hash), but
one hdmf-experimental version (0.6.0) is included by two hdmf-common versions
(1.9.0 under core 2.10.0, 1.10.0 under core 2.11.0). Read with the bundled
``hdmf_experimental/v0_6_0`` (compiled over 1.9.0), a core 2.11.0 file's
``EnumData`` is no ``VectorData`` of the file's hdmf-common 1.10.0, and a copy
then caches hdmf-common 1.9.0 beside 1.10.0.

- (i) the fixture files (``hdmf_experimental_fixtures``: EnumData columns; an
  ndx-events 0.4.0 table beside core 2.11.0) read without a type mismatch;
- (ii) ``nwbgen copy`` of them validates with pynwb, and the copy's
  /specifications hold exactly the namespace versions of the source (that part
  also on every file of ../shared/data with /specifications);
- (iii) every model reachable from ``io.read()`` (and every generated base class
  of it), per namespace, comes from one version package, the one of the version
  the file caches: on the fixtures and every file of ../shared/data with
  /specifications.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import traceback
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import h5py
import pytest

from tests.support.hdmf_experimental_fixtures import (
    DEFAULT_DIRECTORY,
    WRITERS,
    FixtureUnavailable,
    cached,
)
from tests.support.paths import SHARED

DATA = SHARED / "data"


def _specifications(path: Path) -> dict[str, list[str]]:
    """namespace -> the versions cached in the file's /specifications."""
    with h5py.File(path, "r") as h5f:
        group = h5f.get("specifications")
        if group is None:
            return {}
        return {name: sorted(group[name]) for name in group}


def _corpus() -> tuple[list[Path], list[Path]]:
    """(files with /specifications, files without) under ../shared/data."""
    if not DATA.is_dir():
        return [], []
    with_specs, without = [], []
    for path in sorted(DATA.rglob("*.nwb")):
        (with_specs if _specifications(path) else without).append(path)
    return with_specs, without


CORPUS, CORPUS_WITHOUT_SPECS = _corpus()
FIXTURES = list(WRITERS)
#: ("fixture", name) or ("corpus", path): every file the consistency check reads
TARGETS = [("fixture", name) for name in FIXTURES] + [("corpus", p) for p in CORPUS]


def _target_id(target: tuple[str, Any]) -> str:
    kind, what = target
    return f"fixture:{what}" if kind == "fixture" else str(what.relative_to(DATA))


TARGET_IDS = [_target_id(t) for t in TARGETS]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def models_cache() -> Path:
    """A model cache keyed by nwbgen's own source (as test_differential keys it, so
    the two share compiled models): compiled once across runs."""
    import nwbgen

    package = Path(nwbgen.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] == "generated" or path.suffix not in {".py", ".j2"}:
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return Path(tempfile.gettempdir()) / "nwbgen-test-models" / digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def fixture_file():
    """``fixture_file(name)``: the path of a fixture file (written once per content
    key); skips when the installed packages cannot write it."""

    def get(name: str) -> Path:
        try:
            return cached(DEFAULT_DIRECTORY, name)
        except FixtureUnavailable as exc:
            pytest.skip(f"fixture {name}: {exc}")

    return get


def _path(target: tuple[str, Any], fixture_file) -> Path:
    kind, what = target
    if kind == "fixture":
        return fixture_file(what)
    if not DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return what


# --- walking the models ---------------------------------------------------------------


def _package_of(cls: type) -> Any | None:
    """The version package of a generated class (with NAMESPACE and VERSION), or
    None for anything else (pydantic, the runtime's mixins)."""
    package = sys.modules.get(cls.__module__.rsplit(".", 1)[0])
    if package is None or not hasattr(package, "NAMESPACE"):
        return None
    if not hasattr(package, "VERSION"):
        return None
    return package


def reachable_models(root: Any) -> list[Any]:
    """Every pydantic model reachable from ``root``: model fields, dict / list /
    tuple values (``children`` included), the members a read kept outside the
    schema; each object once (cycles and shared objects guarded by id)."""
    from pydantic import BaseModel

    found: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if obj is None or isinstance(obj, (str, bytes, int, float, complex)):
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, BaseModel):
            found.append(obj)
            stack.extend(getattr(obj, name, None) for name in type(obj).model_fields)
            stack.extend((obj.__pydantic_extra__ or {}).values())
            for private in (getattr(obj, "__pydantic_private__", None) or {}).values():
                extra = getattr(private, "extra_children", None)
                if isinstance(extra, dict):
                    stack.extend(extra.values())
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
    return found


def packages_by_namespace(models: list[Any]) -> dict[str, dict[str, set[str]]]:
    """namespace -> {version package -> class names}, over the models' classes and
    every generated class in their MROs (a subclass compiled against another
    version of its base's namespace brings that version's base along)."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for cls in {type(m) for m in models}:
        for klass in cls.__mro__:
            package = _package_of(klass)
            if package is not None:
                out[package.NAMESPACE][package.__name__].add(klass.__qualname__)
    return {ns: dict(packages) for ns, packages in out.items()}


#: per file read: (namespace -> {package: classes}, package -> VERSION, violations)
_READS: dict[Path, tuple[dict[str, dict[str, set[str]]], dict[str, str], list[str]]] = (
    {}
)


def _read(path: Path, cache: Path):
    if path not in _READS:
        from nwbgen import HDF5IO

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with HDF5IO(path, cache=cache) as io:
                models = reachable_models(io.read())
                found = packages_by_namespace(models)
                versions = {
                    name: sys.modules[name].VERSION
                    for packages in found.values()
                    for name in packages
                }
                _READS[path] = (found, versions, [str(v) for v in io.violations])
    return _READS[path]


def _describe(packages: dict[str, set[str]], limit: int = 6) -> str:
    parts = []
    for name, classes in sorted(packages.items()):
        shown = ", ".join(sorted(classes)[:limit])
        more = f", ... ({len(classes)} in all)" if len(classes) > limit else ""
        parts.append(f"{name}: {shown}{more}")
    return "; ".join(parts)


# --- (i) the fixtures read without a type mismatch ------------------------------------

MISMATCH = ("EnumData", "where the schema expects")


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_reads_without_type_mismatch(
    name: str, fixture_file, models_cache
) -> None:
    _, _, violations = _read(fixture_file(name), models_cache)
    bad = [v for v in violations if any(word in v for word in MISMATCH)]
    assert not bad, "\n".join(bad)


def test_enum_data_is_a_vector_data_of_the_files_hdmf_common(
    fixture_file, models_cache
) -> None:
    """The EnumData read is a subclass of the VectorData of the version the file
    caches (hdmf-common 1.10.0 with pynwb 4.x), not of another one."""
    from nwbgen import HDF5IO

    path = fixture_file("enum")
    cached_version = _specifications(path)["hdmf-common"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with HDF5IO(path, cache=models_cache) as io:
            colour = io.read("/processing/behavior/stimuli/colour")
            outcome = io.read("/intervals/trials/outcome")
    for model in (colour, outcome):
        assert type(model).__name__ == "EnumData"
        bases = {
            (_package_of(k).NAMESPACE, _package_of(k).VERSION)
            for k in type(model).__mro__
            if k.__name__ == "VectorData" and _package_of(k) is not None
        }
        assert bases == {("hdmf-common", v) for v in cached_version}, (
            f"{type(model).__module__}.EnumData is a VectorData of {sorted(bases)}; "
            f"the file caches hdmf-common {cached_version}"
        )


# --- (ii) nwbgen copy: valid, and the same namespace versions ------------------------


def _copy(source: Path, target: Path, cache: Path) -> None:
    from click.testing import CliRunner

    from nwbgen.cli import main

    result = CliRunner().invoke(
        main, ["copy", str(source), str(target)], env={"NWBGEN_CACHE_DIR": str(cache)}
    )
    if result.exit_code != 0:
        crash = result.exception
        detail = (
            "".join(traceback.format_exception(crash))
            if crash is not None and not isinstance(crash, SystemExit)
            else ""
        )
        pytest.fail(f"nwbgen copy {source.name} failed:\n{result.output}{detail}")


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, models_cache: Path):
    """``copies(path)``: the ``nwbgen copy`` of a file (made once per module)."""
    directory = tmp_path_factory.mktemp("nwbgen-copies")
    made: dict[Path, Path] = {}

    def get(source: Path) -> Path:
        if source not in made:
            target = directory / f"{len(made):03d}_{source.name}"
            _copy(source, target, models_cache)
            made[source] = target
        return made[source]

    return get


@pytest.mark.parametrize("name", FIXTURES)
def test_copy_validates(name: str, fixture_file, copies) -> None:
    import pynwb

    source = fixture_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pynwb.validate(path=str(source)) == [], "the source itself is invalid"
        errors = pynwb.validate(path=str(copies(source)))
    assert errors == [], "\n".join(map(str, errors))


@pytest.mark.parametrize(
    "target",
    [t for t in TARGETS if t[0] == "fixture"]
    + [
        pytest.param(t, marks=[pytest.mark.corpus, pytest.mark.slow])
        for t in TARGETS
        if t[0] == "corpus"
    ],
    ids=TARGET_IDS,
)
def test_copy_keeps_namespace_versions(target, fixture_file, copies) -> None:
    source = _path(target, fixture_file)
    assert _specifications(copies(source)) == _specifications(source)


# --- (iii) one version package per namespace ------------------------------------------


def _mark(target):
    if target[0] == "corpus":
        return pytest.param(target, marks=[pytest.mark.corpus, pytest.mark.slow])
    return target


@pytest.mark.parametrize("target", [_mark(t) for t in TARGETS], ids=TARGET_IDS)
def test_one_version_package_per_namespace(target, fixture_file, models_cache) -> None:
    found, _, _ = _read(_path(target, fixture_file), models_cache)
    assert found, "no generated model reached"
    mixed = {ns: packages for ns, packages in found.items() if len(packages) > 1}
    assert not mixed, "\n".join(
        f"{ns} from {len(packages)} packages: {_describe(packages)}"
        for ns, packages in sorted(mixed.items())
    )


@pytest.mark.parametrize("target", [_mark(t) for t in TARGETS], ids=TARGET_IDS)
def test_packages_are_the_cached_versions(target, fixture_file, models_cache) -> None:
    path = _path(target, fixture_file)
    found, versions, _ = _read(path, models_cache)
    cached_versions = _specifications(path)
    wrong = {
        ns: sorted({versions[name] for name in packages})
        for ns, packages in found.items()
        if {versions[name] for name in packages} != set(cached_versions.get(ns, []))
    }
    assert not wrong, "; ".join(
        f"{ns}: models of {got}, the file caches {cached_versions.get(ns, [])}"
        for ns, got in sorted(wrong.items())
    )


def test_corpus_files_without_specifications_are_known() -> None:
    """The consistency check skips files without /specifications: name them (the
    data README says only pynwb 1.0.2's files lack them)."""
    if not DATA.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    names = sorted(str(p.relative_to(DATA)) for p in CORPUS_WITHOUT_SPECS)
    assert all(Path(n).name.startswith("pynwb-1.0.2_") for n in names), names
