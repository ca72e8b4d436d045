"""Public HDF5 entry points of nwbgen."""

from __future__ import annotations

from ..runtime.hdf5.objects import resolve_hardlink
from ..spec.sources import read_specs_as_dicts
from .entry.hdf5io import HDF5IO, SchemaWarning
from .entry.provider import ModelProvider, cache_dir, make_provider
from .toolkit.graph import SKIP_PATTERN, filter_dependency_graph, hdf_dependency_graph
from .toolkit.references import ReferenceIndex, find_references, get_references
from .toolkit.truncate import truncate_file

__all__ = [
    "HDF5IO",
    "SKIP_PATTERN",
    "ModelProvider",
    "ReferenceIndex",
    "SchemaWarning",
    "cache_dir",
    "filter_dependency_graph",
    "find_references",
    "get_references",
    "hdf_dependency_graph",
    "make_provider",
    "read_specs_as_dicts",
    "resolve_hardlink",
    "truncate_file",
]
