"""The first open of a file compiles only what the bundle lacks, and the models are
the ones a full compile of the file's namespaces gives, class by class."""

from __future__ import annotations

import re
import typing
import warnings
from pathlib import Path

import pytest

from nwbgen.generator.compile import compile_namespaces
from nwbgen.generator.emit import write_package
from nwbgen.io.entry.provider import _namespaces_of, make_provider
from nwbgen.spec.catalog import newest_by_name
from nwbgen.spec.identity import spec_hash
from nwbgen.spec.sources import bundled_namespaces
from tests.support.paths import SHARED, import_package

pytestmark = [pytest.mark.slow, pytest.mark.corpus]

BUNDLED_NAMES = {"core", "hdmf-common", "hdmf-experimental"}
DATA = SHARED / "data"


def _extension_files() -> list[Path]:
    if not DATA.is_dir():
        return []
    out = []
    for path in sorted(DATA.rglob("*.nwb")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # files without /specifications
                names = {ns.name for ns in _namespaces_of(path)}
        except Exception:  # noqa: BLE001 - a file nwbgen cannot read: not here
            continue
        if names - BUNDLED_NAMES:
            out.append(path)
    return out


FILES = _extension_files()


def _plain(text: str) -> str:
    """An annotation's text with module paths dropped: the two compiles live in
    different packages."""
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_]\w*)", "", text)


def describe(cls: type) -> dict:
    """What a model class is: its name, bases, type and fields (hint, default)."""
    fields = {}
    for name, info in cls.model_fields.items():
        hint = typing.get_type_hints(cls, include_extras=True).get(
            name, info.annotation
        )
        factory = info.default_factory
        if info.is_required():
            default = None
        elif factory is not None and factory.__name__ != "<lambda>":
            default = f"{factory.__name__}()"  # created_now(): a time, not a value
        else:
            default = repr(info.get_default(call_default_factory=True))
        fields[name] = (_plain(repr(hint)), _plain(str(default)), info.description)
    return {
        "name": cls.__name__,
        "bases": [b.__name__ for b in cls.__mro__[1:]],
        "type": getattr(cls, "__nwb_type__", None),
        "fields": fields,
    }


@pytest.mark.skipif(not FILES, reason="../shared is not beside this checkout")
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DATA)) for p in FILES])
def test_extension_only_compile_equals_a_full_compile(path: Path, tmp_path: Path):
    provider = make_provider(path, cache=tmp_path / "cache")
    chosen = newest_by_name(_namespaces_of(path))
    # only the extensions (and what the bundle cannot serve) were compiled
    assert set(provider.compiled) >= set(chosen) - BUNDLED_NAMES
    for name in set(chosen) - set(provider.compiled):
        assert provider.packages[name].__name__.startswith("nwbgen.generated.")
    # a full compile of the same inputs: the bundle's specs for what it served
    # (a file's respelled spec may name nested classes otherwise: hdmf copies
    # inherited members into the types that include them), the file's for the rest
    bundled = {(ns.name, ns.version, spec_hash(ns)): ns for ns in bundled_namespaces()}
    inputs = [
        (
            ns
            if name in provider.compiled
            else next(
                b
                for (n, v, sha), b in bundled.items()
                if (n, v) == (name, ns.version)
                and provider.packages[name].SPEC_SHA256 == sha
            )
        )
        for name, ns in chosen.items()
    ]
    full_root = tmp_path / "full"
    write_package(compile_namespaces(inputs, format=False).files, full_root / "p_full")
    full = import_package(full_root, "p_full")
    for name, ns in chosen.items():
        theirs = full.load(name, ns.version)
        ours = provider.packages[name]
        assert sorted(ours.TYPES) == sorted(theirs.TYPES), name
        for type_name, cls in ours.TYPES.items():
            assert describe(cls) == describe(
                theirs.TYPES[type_name]
            ), f"{name} {type_name}"
