"""Shared fixtures: where ../shared is, and the golden-file update flag.

Regenerate golden files with ``pytest tests/generator --update-golden``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden from the compiler's current output",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared beside the checkout; tests that need it skip when it is absent."""
    if not (SHARED / "schemas").is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


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
