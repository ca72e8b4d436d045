"""Shared fixtures: ../shared (skipping when absent) and the golden-file update flag.

Regenerate golden files with ``pytest tests/generator --update-golden``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SHARED


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
