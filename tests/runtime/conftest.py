"""Small HDF5 files built per test, and where ../shared is."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture
def h5(tmp_path: Path):
    """A fresh HDF5 file open for writing; closed after the test."""
    h5f = h5py.File(tmp_path / "fixture.h5", "w")
    yield h5f
    h5f.close()


def shared_file(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared is not beside this checkout)")
    return path
