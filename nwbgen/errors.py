"""The errors nwbgen raises on bad input; each names where and why."""

from __future__ import annotations


class NWBGenError(Exception):
    """Base class: a one-line message naming the file, path or schema element."""


class SpecError(NWBGenError):
    """A schema or namespace that cannot be understood."""


class CompileError(NWBGenError):
    """A schema that cannot be compiled (missing type, cycle, name clash)."""


class SourceError(NWBGenError):
    """A file that is not HDF5, or whose /specifications cannot be read."""
