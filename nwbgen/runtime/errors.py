"""The errors nwbgen raises on bad input: one family, each message one line naming
the file, the HDF5 path or the schema element, and the reason.

Defined here, in the runtime, because compiled packages vendor the runtime and must
raise the same errors without nwbgen installed; :mod:`nwbgen.errors` re-exports
them. Imports nothing but the standard library.
"""

from __future__ import annotations

from typing import Any


class NWBGenError(Exception):
    """Base class: a one-line message naming the file, path or schema element."""


# --- schemas ------------------------------------------------------------------


class SpecError(NWBGenError):
    """A schema or namespace that cannot be understood."""


class CompileError(NWBGenError):
    """A schema that cannot be compiled (missing type, cycle, name clash)."""


# --- files and paths ----------------------------------------------------------


class MissingExtraError(NWBGenError, ImportError):
    """An optional extra of nwbgen that is not installed (the message names it
    and the ``pip install`` that brings it)."""


class SourceError(NWBGenError):
    """A file that is not HDF5, or whose /specifications cannot be read."""


class HDF5PathError(NWBGenError):
    """A path that names no object in an HDF5 file."""


class HDF5ReadError(NWBGenError):
    """A read that cannot go on: the message names file and HDF5 path."""


class ClosedFileError(HDF5ReadError):
    """Data asked of an HDF5 object whose file has been closed."""


class DamagedFileError(HDF5ReadError):
    """HDF5 cannot read an object of the file: a corrupted or truncated block. The
    message names the file, the HDF5 path being read and HDF5's reason."""


class DanglingReferenceError(HDF5PathError, HDF5ReadError):
    """An object or region reference to no object."""


class DanglingLinkError(HDF5PathError, HDF5ReadError):
    """A soft or external link whose target does not exist."""


class LinkCycleError(DanglingLinkError):
    """Soft links that lead back to themselves: no object at their end."""


class ReferenceCycleError(HDF5ReadError):
    """An object reached again while it is being built, with no placeholder."""


class UnknownTypeError(HDF5ReadError):
    """An object names a neurodata type no loaded namespace defines."""


class SchemaViolationError(HDF5ReadError):
    """A strict read found objects that break their schema; lists every one."""

    def __init__(self, filename: str, violations: list[Any]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations)
        super().__init__(f"{filename}: {len(violations)} schema violation(s):\n{lines}")


# --- writing ------------------------------------------------------------------


class HDF5WriteError(NWBGenError):
    """A model that cannot be written as its schema says (the message names the
    HDF5 path and the member)."""


class EditError(NWBGenError):
    """An edit of a file opened with ``mode="a"`` that cannot be made (a wrong
    dtype, a name taken, a reference to an object not in the file or removed, a
    model of another namespace version, a file locked by another process): the
    message names the file, the HDF5 path and the reason. Raised while the edit
    is planned, before anything is written (the file is left byte for byte as
    it was), unless the message says the write itself failed."""


class BuildError(NWBGenError, ValueError):
    """A model built wrongly through a builder (``add_row``, ``add_column``,
    ``add``, ``create_device``...): the message names the table or group, the
    column or member, the row, and the reason. Raised at the call, before
    anything changed."""


class TruncateError(NWBGenError):
    """A file that cannot be truncated as asked (bad target, bad row count)."""


__all__ = [
    "BuildError",
    "ClosedFileError",
    "CompileError",
    "DamagedFileError",
    "DanglingLinkError",
    "DanglingReferenceError",
    "EditError",
    "HDF5PathError",
    "HDF5ReadError",
    "HDF5WriteError",
    "LinkCycleError",
    "MissingExtraError",
    "NWBGenError",
    "ReferenceCycleError",
    "SchemaViolationError",
    "SourceError",
    "SpecError",
    "TruncateError",
    "UnknownTypeError",
]
