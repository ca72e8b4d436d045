"""Public HDF5 entry points of nwbgen."""

from __future__ import annotations

from ..spec.sources import read_specs_as_dicts

__all__ = ["read_specs_as_dicts"]
