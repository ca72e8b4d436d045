"""Opening HDF5 sources: one place that turns what a user hands over into an open
``h5py.File``, or a :class:`~nwbgen.errors.SourceError` naming it and why.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import h5py  # type: ignore[import-untyped]

from ..errors import DamagedFileError, LinkCycleError, SourceError


def open_file(source: Any) -> h5py.File:
    """An open, read-only ``h5py.File`` for ``source``: a path, or an h5py file or
    group (its file, as it is). A missing file or one that is not HDF5 is a
    :class:`SourceError` naming it."""
    if isinstance(source, h5py.Group):
        return source.file
    path = os.fspath(source)
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SourceError(f"{path}: is a directory, not an HDF5 file")
    try:
        return h5py.File(path, "r")
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except (OSError, RuntimeError) as exc:
        reason = _reason(exc)
        if _has_signature(path):  # HDF5, but its superblock or root cannot be read
            raise SourceError(
                f"{path}: damaged file: cannot open it ({reason})"
            ) from None
        raise SourceError(f"{path}: not an HDF5 file ({reason})") from None


def _has_signature(path: str) -> bool:
    """The file starts with the HDF5 signature (at 0; HDF5 also looks at 512, 1024...
    for a user block, which nwbgen's files do not have)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


@contextlib.contextmanager
def opened(source: Any) -> Iterator[h5py.File]:
    """:func:`open_file` as a context: a file opened here is closed after; one
    handed over open stays open."""
    h5f = open_file(source)
    try:
        yield h5f
    finally:
        if not isinstance(source, h5py.Group) and h5f.id.valid:
            h5f.close()


def _reason(exc: BaseException) -> str:
    """HDF5's reason without its error-stack decoration: ``(file signature not
    found)`` from ``Unable to open file (file signature not found)``."""
    text = " ".join(str(exc.args[0] if exc.args else exc).split())
    if "(" in text and text.endswith(")"):
        return text[text.index("(") + 1 : -1]
    return text


hdf5_reason = _reason


# --- HDF5's own failures ---------------------------------------------------------


def is_hdf5_failure(exc: BaseException) -> bool:
    """An ``OSError`` or ``RuntimeError`` raised by HDF5 through h5py (the innermost
    frame is h5py's): what a corrupted, truncated or cyclic file gives. Python's own
    errors (a full disk, a missing cache directory, deep recursion) are not."""
    if isinstance(exc, RecursionError) or not isinstance(exc, (OSError, RuntimeError)):
        return False
    tb, last = exc.__traceback__, ""
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    last = last.replace("\\", "/")
    return last.startswith("h5py/") or "/h5py/" in last


def damaged(filename: str, path: str, exc: BaseException) -> DamagedFileError:
    """The error for HDF5's failure ``exc`` to read ``path`` of ``filename``: a
    :class:`LinkCycleError` when soft links went round in circles, else a
    :class:`DamagedFileError`."""
    reason = _reason(exc)
    if "too many links" in reason:
        return LinkCycleError(
            f"{filename}:{path}: soft links that lead back to themselves ({reason})"
        )
    return DamagedFileError(f"{filename}: damaged file: cannot read {path} ({reason})")


@contextlib.contextmanager
def reading(filename: str, path: str) -> Iterator[None]:
    """HDF5's failures inside (see :func:`is_hdf5_failure`) raised as one
    :class:`DamagedFileError` naming ``filename`` and the HDF5 ``path`` being read.
    An inner ``reading`` names the innermost path; other errors pass unchanged."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        if not is_hdf5_failure(exc):
            raise
        raise damaged(filename, path, exc) from None


#: files opened for external links, by real path, kept open until closed together
_OPEN_FILES: dict[str, h5py.File] = {}


def open_read_only(path: str) -> h5py.File:
    """The file at ``path`` opened read-only once for external links, then shared."""
    key = os.path.realpath(path)
    h5f = _OPEN_FILES.get(key)
    if h5f is None or not h5f.id.valid:
        h5f = _OPEN_FILES[key] = h5py.File(key, "r")
    return h5f


def close_external_files() -> None:
    """Close every file :meth:`ExternalLink.resolve` opened."""
    while _OPEN_FILES:
        _, h5f = _OPEN_FILES.popitem()
        if h5f.id.valid:
            h5f.close()
