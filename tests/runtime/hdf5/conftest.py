"""Small HDF5 files built per test."""

from __future__ import annotations

from pathlib import Path

import h5py
import pytest


@pytest.fixture
def h5(tmp_path: Path):
    """A fresh HDF5 file open for writing; closed after the test."""
    h5f = h5py.File(tmp_path / "fixture.h5", "w")
    yield h5f
    h5f.close()
