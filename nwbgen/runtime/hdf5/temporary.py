"""Temporary files beside a target, and the ones killed writes leave behind.

A file is written to ``.{target}.{pid}@{host}.{random}.tmp`` beside its target and
renamed onto it when complete; on an error the writer removes it. A writer killed
outright (SIGKILL, a power cut) cannot, so the next write to the same target
removes what such writers left: the temporary of a process of this host that no
longer runs; one of another host, or of an older nwbgen (no pid in its name),
once nobody has written to it for :data:`STALE_AFTER` seconds. The temporary of
a live process is never touched.

Imports only the standard library and h5py.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py  # type: ignore[import-untyped]

#: seconds without a write after which a temporary whose writer cannot be asked
#: (another host, no pid in its name) is taken for abandoned
STALE_AFTER = 24 * 3600

#: what follows ``.{target}.`` in a temporary's name
_SUFFIX = re.compile(r"(?:(\d+)@([0-9a-f]{8})\.)?[0-9a-f]+\.tmp")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def temporary_path(target: str) -> str:
    """A new temporary name beside ``target`` (an absolute path), naming this
    process and host so that a later write can tell whether it is abandoned."""
    folder, base = os.path.split(target)
    tag = f"{os.getpid()}@{_host()}.{uuid.uuid4().hex[:12]}"
    return os.path.join(folder, f".{base}.{tag}.tmp")


def _running(pid: int) -> bool:
    """Whether process ``pid`` of this host runs (a zombie does not); ``True``
    when that cannot be known."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would end the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process, alive
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[-1].split()[0]
        return state != b"Z"
    except (OSError, IndexError):
        return True


def stale_temporaries(target: str) -> list[str]:
    """The temporaries beside ``target`` (an absolute path) whose writers are gone."""
    folder, base = os.path.split(target)
    prefix = f".{base}."
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return []
    here = _host()
    out = []
    for name in sorted(names):
        match = (
            _SUFFIX.fullmatch(name[len(prefix) :]) if name.startswith(prefix) else None
        )
        if match is None:
            continue
        path = os.path.join(folder, name)
        pid, host = match.groups()
        if pid is not None and host == here:
            if int(pid) != os.getpid() and not _running(int(pid)):
                out.append(path)
            continue
        try:
            idle = time.time() - os.stat(path).st_mtime
        except OSError:
            continue
        if idle > STALE_AFTER:
            out.append(path)
    return out


def remove_stale_temporaries(target: str) -> list[str]:
    """Remove :func:`stale_temporaries` of ``target``; return those removed (one
    another process removed first, or that cannot be removed, is left out)."""
    removed = []
    for path in stale_temporaries(target):
        try:
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed


@contextmanager
def atomic_h5_file(
    path: str | os.PathLike[str], overwrite: bool = False, **file_kwargs: Any
) -> Iterator[h5py.File]:
    """An HDF5 file written beside ``path`` and renamed onto it on success.

    Refuses (``FileExistsError``) when ``path`` exists and ``overwrite`` is false.
    On any error, or if the file cannot be closed, the temporary file is removed
    and an existing ``path`` is left as it was. The temporaries that earlier
    writes to ``path`` left when they were killed are removed first (see
    :mod:`.temporary`). ``file_kwargs`` go to ``h5py.File`` (``libver``,
    ``track_order``...).
    """
    target = os.path.abspath(os.fspath(path))
    remove_stale_temporaries(target)
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
    temporary = temporary_path(target)
    h5f = h5py.File(temporary, "w-", **file_kwargs)
    try:
        yield h5f
        h5f.close()
        _place(temporary, target, overwrite)
    except BaseException:
        if h5f.id.valid:
            h5f.close()
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def _place(temporary: str, target: str, overwrite: bool) -> None:
    if overwrite:
        os.replace(temporary, target)
        return
    try:  # a hard link fails if the target appeared meanwhile: no clobbering
        os.link(temporary, target)
    except FileExistsError:
        raise FileExistsError(
            f"{target} exists; pass overwrite=True to replace it"
        ) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(target):
            raise FileExistsError(
                f"{target} exists; pass overwrite=True to replace it"
            ) from None
        os.replace(temporary, target)
        return
    os.unlink(temporary)
