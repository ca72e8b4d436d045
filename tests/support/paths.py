"""Where things are: the checkout, ../shared beside it, the test fixtures and golden
files; and importing a compiled package fresh."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"


def shared_file(*parts: str) -> Path:
    """A file of ../shared; the test skips when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared is not beside this checkout)")
    return path


def core_sources(shared: Path, core: str, hdmf: str) -> list[Path]:
    return [
        shared / "schemas" / "core" / core / "nwb.namespace.yaml",
        shared / "schemas" / "hdmf-common" / hdmf / "namespace.yaml",
    ]


def import_package(root: Path, name: str):
    """Import a compiled package that lives at ``root / name``, fresh."""
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]
    sys.path.insert(0, str(root))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(root))
