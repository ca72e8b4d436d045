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


class HDF5PathError(NWBGenError):
    """A path that names no object in an HDF5 file."""


class DanglingReferenceError(HDF5PathError):
    """A reference or soft link that points to no object."""


class TruncateError(NWBGenError):
    """A file that cannot be truncated as asked (bad target, bad row count)."""
