"""Reopening a dataset in another process: what a pickled :class:`~.lazy.LazyArray`
(and a dask graph of one, see :mod:`.dask`) carries is where its file is — a path
or a URL — and its HDF5 path, never an open handle.

Each process opens a source once and keeps it open (:func:`dataset_at`), so that
the tasks of a dask worker share one file handle and one read-ahead cache instead
of reopening the file per block; :func:`close_reopened` closes them.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import h5py  # type: ignore[import-untyped]

from ..errors import ClosedFileError, HDF5PathError, SourceError

#: files opened here by source (an absolute path, a URL), in the process ``_PID``
_FILES: dict[str, h5py.File] = {}
_DATASETS: dict[tuple[str, str], h5py.Dataset] = {}
_LOCK = threading.Lock()
_PID = os.getpid()


def source_of(h5f: h5py.File) -> str | None:
    """Where another process can reopen the open file ``h5f``: its absolute path,
    the URL of a remote file, ``None`` for a file read through a file object."""
    name = h5f.filename
    if h5f.driver == "fileobj":
        from .remote import url_of

        return url_of(name)
    return os.path.abspath(name)


def source_and_path(lazy: Any) -> tuple[str, str]:
    """``(source, path)`` that reopen the :class:`~.lazy.LazyArray` ``lazy`` in
    another process. A closed file is found again by its path; a file read
    through a Python file object (or a closed remote one) cannot be: a
    :class:`SourceError`, or a :class:`ClosedFileError`."""
    from .remote import url_scheme

    where = f"{lazy.filename}:{lazy.name}"
    if lazy.closed:
        if url_scheme(lazy.filename) is None and os.path.isfile(lazy.filename):
            return os.path.abspath(lazy.filename), lazy.name
        raise ClosedFileError(
            f"{where}: the file was closed and cannot be found again by its name; "
            "reopen it to read this dataset"
        )
    dataset = lazy.dataset
    h5f = dataset.file
    source = source_of(h5f)
    if source is None:
        raise SourceError(
            f"{where}: the file was opened on a Python file object, which another "
            "process cannot reopen; open it by its path or URL to read it in "
            "worker processes"
        )
    # through an external link the dataset is in another file than the reader's
    same = h5f.filename == lazy.filename and lazy.name.startswith("/")
    return source, lazy.name if same else dataset.name


def dataset_at(source: str, path: str) -> h5py.Dataset:
    """The dataset at ``path`` of ``source``, opened once per process (read-only,
    by :func:`~.files.open_file`) and kept open."""
    global _PID
    with _LOCK:
        if _PID != os.getpid():  # a forked child: its parent's handles are not its
            _FILES.clear()
            _DATASETS.clear()
            _PID = os.getpid()
        dataset = _DATASETS.get((source, path))
        if dataset is not None and dataset.id.valid:
            return dataset
        h5f = _FILES.get(source)
        if h5f is None or not h5f.id.valid:
            from .files import open_file

            h5f = _FILES[source] = open_file(source)
        try:
            found = h5f[path]
        except KeyError:
            raise HDF5PathError(f"{source}: no dataset at {path}") from None
        if not isinstance(found, h5py.Dataset):
            raise HDF5PathError(f"{source}:{path}: not a dataset")
        _DATASETS[(source, path)] = found
        return found


def reopen_lazy(source: str, path: str, kind: Any) -> Any:
    """A :class:`~.lazy.LazyArray` of ``path`` in ``source``, reopened: what a
    pickled one becomes."""
    from .lazy import LazyArray

    return LazyArray(dataset_at(source, path), kind, name=path, filename=source)


def close_reopened() -> None:
    """Close every file this process reopened."""
    with _LOCK:
        _DATASETS.clear()
        while _FILES:
            _, h5f = _FILES.popitem()
            if h5f.id.valid:
                h5f.close()


def stamp(lazy: Any) -> tuple[Any, ...]:
    """What names the data of ``lazy`` in a dask token, read without reading data:
    its source (with the modification time and size of a local file) and HDF5
    path; for one that cannot be reopened, the object itself."""
    from .remote import url_scheme

    try:
        source, path = source_and_path(lazy)
    except (SourceError, ClosedFileError):
        return (lazy.filename, lazy.name, id(lazy))
    if url_scheme(source) is not None:
        return (source, path)
    try:
        status = os.stat(source)
    except OSError:
        return (source, path, id(lazy))
    return (source, path, status.st_mtime_ns, status.st_size)
