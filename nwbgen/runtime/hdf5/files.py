"""Opening HDF5 sources: one place that turns what a user hands over into an open
``h5py.File``, or a :class:`~nwbgen.errors.SourceError` naming it and why.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import weakref
from collections.abc import Iterator
from typing import Any

import h5py  # type: ignore[import-untyped]

from ..errors import (
    DamagedFileError,
    EditError,
    LinkCycleError,
    NWBGenError,
    SourceError,
)


def open_file(source: Any, *, timeout: float | None = None) -> h5py.File:
    """An open, read-only ``h5py.File`` for ``source``: a path, a URL (read by
    byte ranges, see :mod:`.remote`; ``timeout`` seconds per request), a binary
    file object, or an h5py file or group (its file, as it is). A missing file or
    one that is not HDF5 is a :class:`SourceError` naming it."""
    if isinstance(source, h5py.Group):
        return source.file
    from .remote import is_file_like, open_url, url_scheme

    if url_scheme(source) is not None:
        return open_url(source, timeout=timeout)
    if is_file_like(source):
        try:
            return close_at_exit(h5py.File(source, "r"))
        except (OSError, RuntimeError) as exc:
            reason = _reason(exc)
        raise SourceError(f"{source_name(source)}: not an HDF5 file ({reason})")
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
        if is_lock_failure(exc):
            raise SourceError(f"{path}: {LOCKED} ({reason})") from None
        if _has_signature(path):  # HDF5, but its superblock or root cannot be read
            raise SourceError(
                f"{path}: damaged file: cannot open it ({reason})"
            ) from None
        raise SourceError(f"{path}: not an HDF5 file ({reason})") from None


#: what a file another process holds open for writing is, in messages
LOCKED = "opened by another process (HDF5 file locking); close it there first"


def is_lock_failure(exc: BaseException) -> bool:
    """HDF5 refused to open a file because another process holds its lock."""
    return isinstance(exc, BlockingIOError) or "unable to lock file" in str(exc)


def open_for_edit(path: Any) -> h5py.File:
    """A local file opened read-write (``r+``), holding HDF5's lock on it until it
    is closed, so that no other process opens it meanwhile. A missing file, one
    that is not HDF5, one that may not be written, or one another process has
    open is an :class:`~nwbgen.errors.EditError` naming it and why."""
    if isinstance(path, h5py.Group) or not isinstance(path, (str, os.PathLike)):
        raise EditError(
            f"{source_name(path)}: only a local file can be edited (mode 'a'); "
            "open it by its path"
        )
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise EditError(f"{path}: no such file (mode 'w' writes a new one)")
    try:
        return h5py.File(path, "r+")
    except PermissionError:
        raise EditError(
            f"{path}: permission denied: cannot open it for writing"
        ) from None
    except (OSError, RuntimeError) as exc:
        reason = _reason(exc)
        if is_lock_failure(exc):
            raise EditError(f"{path}: {LOCKED} ({reason})") from None
        if not _has_signature(path):
            raise EditError(f"{path}: not an HDF5 file ({reason})") from None
        raise EditError(f"{path}: cannot open it for writing ({reason})") from None


#: files nwbgen opened on Python file objects (URLs, file-likes), still open
_ON_FILE_OBJECTS: weakref.WeakSet[h5py.File] = weakref.WeakSet()


def remote_of(h5f: h5py.File) -> Any:
    """The :class:`~.remote.RemoteFile` an ``h5py.File`` opened from a URL reads
    through; ``None`` for any other."""
    from .remote import remote_of as handle_of

    return handle_of(h5f.filename) if h5f.id.valid else None


def close_at_exit(h5f: h5py.File) -> h5py.File:
    """``h5f``, read through a Python file object, closed when the interpreter
    exits if it is still open then. Left to HDF5's own exit handler, which runs
    after Python has finalized, its driver calls into Python and crashes the
    process (h5py 3.16, HDF5 2.0)."""
    _ON_FILE_OBJECTS.add(h5f)
    return h5f


@atexit.register
def _close_file_object_files() -> None:
    for h5f in list(_ON_FILE_OBJECTS):
        with contextlib.suppress(Exception):
            h5f.close()


def _has_signature(path: str) -> bool:
    """The file starts with the HDF5 signature (at 0; HDF5 also looks at 512, 1024...
    for a user block, which nwbgen's files do not have)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def source_name(source: Any) -> str:
    """How messages name a source: its path or URL, a file object's name."""
    if isinstance(source, h5py.Group):
        return str(source.file.filename)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else f"<{type(source).__name__}>"


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
    """An error the HDF5 library raised through h5py (its innermost frame is one of
    h5py's compiled ``.pyx`` modules): what a corrupted, truncated or cyclic file
    gives, as ``OSError``, ``RuntimeError``, ``KeyError`` or worse. Python's own
    errors (a full disk, a missing cache directory, deep recursion) and a misuse
    of h5py's Python API (nwbgen's bug) are not."""
    if isinstance(exc, (RecursionError, MemoryError, NWBGenError)):
        return False
    if not isinstance(exc, Exception):
        return False
    tb, last = exc.__traceback__, ""
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    last = last.replace("\\", "/")
    return last.endswith(".pyx") and (last.startswith("h5py/") or "/h5py/" in last)


def damaged(
    filename: str, path: str, exc: BaseException
) -> DamagedFileError | LinkCycleError:
    """The error for HDF5's failure ``exc`` to read ``path`` of ``filename``: a
    :class:`LinkCycleError` when soft links went round in circles, else a
    :class:`DamagedFileError`."""
    reason = _reason(exc)
    if "too many links" in reason:
        return LinkCycleError(
            f"{filename}:{path}: soft links that lead back to themselves ({reason})"
        )
    return DamagedFileError(f"{filename}: damaged file: cannot read {path} ({reason})")


#: the HDF5 paths being read now, innermost last: what a message about a read
#: that never returns (HDF5 looping on a damaged file) names
READING: list[str] = []


def reading_now() -> str:
    """The innermost HDF5 path being read (``""``: none)."""
    return next((path for path in reversed(READING) if path), "")


class reading:  # used as a function: ``with reading(file, path):``
    """HDF5's failures inside (see :func:`is_hdf5_failure`) raised as one
    :class:`DamagedFileError` naming ``filename`` and the HDF5 ``path`` being read.
    An inner ``reading`` names the innermost path; other errors pass unchanged.

    A class, not a generator: a read enters one for every object it opens."""

    __slots__ = ("filename", "path")

    def __init__(self, filename: str, path: str) -> None:
        self.filename, self.path = filename, path

    def __enter__(self) -> None:
        READING.append(self.path)

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        READING.pop()
        if isinstance(exc, Exception) and is_hdf5_failure(exc):
            raise damaged(self.filename, self.path, exc) from None


#: files opened for external links, by real path, kept open until closed together
_OPEN_FILES: dict[str, h5py.File] = {}


def open_read_only(path: str) -> h5py.File:
    """The file at ``path`` (or a URL) opened read-only once for external links,
    then shared."""
    remote = url_scheme(path) is not None
    key = path if remote else os.path.realpath(path)
    h5f = _OPEN_FILES.get(key)
    if h5f is None or not h5f.id.valid:
        h5f = _OPEN_FILES[key] = open_file(path) if remote else h5py.File(key, "r")
    return h5f


def url_scheme(source: Any) -> str | None:
    """The scheme of a URL source (``https``), ``None`` for a local path."""
    from .remote import url_scheme as scheme

    return scheme(source)


def url_of_file(filename: str) -> str | None:
    """The URL of the open remote file h5py names ``filename``; ``None`` for any
    other file."""
    from .remote import url_of

    return url_of(filename)


def close_external_files() -> None:
    """Close every file :meth:`ExternalLink.resolve` opened."""
    while _OPEN_FILES:
        _, h5f = _OPEN_FILES.popitem()
        if h5f.id.valid:
            h5f.close()
