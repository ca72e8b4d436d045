"""Remote and file-like HDF5 sources: URLs read by byte ranges, through fsspec.

``http(s)://`` URLs (DANDI's S3 objects are served so), ``s3://`` (with s3fs) and
any other fsspec URL are opened as a seekable file object that h5py reads through
its file-object driver: each HDF5 read is one ranged request, blocks are kept in a
read-ahead cache, and every request has a timeout, so a dead or stalled server
is a clear error, never a hang. fsspec (and aiohttp for HTTP) are the optional
extra ``remote``: ``pip install "nwbgen[remote]"``.

Imported only when a URL is opened.
"""

from __future__ import annotations

import gc
import os
import re
import weakref
from typing import Any

import h5py  # type: ignore[import-untyped]

from ..errors import SourceError
from .files import close_at_exit

#: seconds a request may take before the read fails (``NWBGEN_REMOTE_TIMEOUT``)
DEFAULT_TIMEOUT = 30.0
#: bytes per ranged request, kept in fsspec's "mmap" cache (everything fetched
#: stays): on a pynwb-written 337 MB file its h5py walk took 325 requests / 85 MB
#: at 256 KiB, where fsspec's default (5 MiB "bytes" blocks) moved 1.5 GB
#: (benchmarks/bench_remote.py)
BLOCK_SIZE = 1 << 18

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def url_scheme(source: Any) -> str | None:
    """The scheme of a URL source (``https``), ``None`` for a local path."""
    if not isinstance(source, str):
        return None
    found = _SCHEME.match(source)
    if found is None or found.group(1).lower() == "file":
        return None
    return found.group(1).lower()


def is_file_like(source: Any) -> bool:
    return all(hasattr(source, name) for name in ("read", "seek", "tell"))


def timeout_of(timeout: float | None) -> float:
    if timeout is not None:
        return float(timeout)
    try:
        return float(os.environ.get("NWBGEN_REMOTE_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


class RemoteFile:
    """A remote file as h5py wants a file object; a failed read is a
    :class:`SourceError` naming the URL and the reason."""

    def __init__(self, url: str, raw: Any) -> None:
        self.url = url
        self._raw = raw
        #: why the last read failed, in words
        self.error: str | None = None

    def read(self, size: int = -1) -> bytes:
        # HDF5 calls this holding h5py's global lock while fsspec's IO thread does
        # the request; were the collector to run in that thread and free an h5py
        # object (which takes the same lock), both would wait forever: no
        # collection until the bytes are here
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._raw.read(size)
        except Exception as exc:  # noqa: BLE001 - whatever the transport raised
            # only the words are kept: the exception's traceback holds h5py's
            # frames, and so the file access property list that holds this
            # object, a cycle through C that the collector cannot see; left to
            # HDF5's exit handler, it calls into a finalized Python and crashes
            self.error = reason_of(exc)
        finally:
            if collecting:
                gc.enable()
        # raised outside the handler, so that it carries no context either; h5py
        # hands it back to its caller once the HDF5 call returns
        raise SourceError(f"{self.url}: cannot read ({self.error})")

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()

    @property
    def closed(self) -> bool:
        return bool(getattr(self._raw, "closed", False))


def reason_of(exc: BaseException) -> str:
    """A remote failure in words: a status, a refused or reset connection, a
    timeout. fsspec wraps what went wrong (a HEAD that timed out reads as "file
    not found"): the innermost cause says it best."""
    chain = [exc]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        inner = chain[-1].__cause__ or chain[-1].__context__
        if inner is None or inner in chain or len(chain) > 8:
            break
        chain.append(inner)
    for item in reversed(chain):
        found = _words(item)
        if found:
            return found
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _words(exc: BaseException) -> str | None:
    import asyncio

    name = type(exc).__name__
    text = " ".join(str(exc).split()).lower()
    status = getattr(exc, "status", None)
    if (
        isinstance(exc, (asyncio.TimeoutError, TimeoutError))
        or "timeout" in name.lower()
    ):
        return "timed out"
    if isinstance(exc, asyncio.CancelledError):
        return None
    if (
        isinstance(exc, ConnectionRefusedError)
        or "connection refused" in text
        or ("cannot connect" in text)
    ):
        return "connection refused"
    if (
        isinstance(exc, ConnectionResetError)
        or "reset" in text
        or ("disconnected" in name.lower() or "payload" in name.lower())
    ):
        return "connection reset by the server"
    if isinstance(status, int) and status >= 400:
        return "404 not found" if status == 404 else f"HTTP {status}"
    return None


def open_url(url: str, *, timeout: float | None = None) -> h5py.File:
    """The HDF5 file at ``url``, read by ranges; a :class:`SourceError` naming the
    URL and the reason when it cannot be."""
    try:
        import fsspec  # type: ignore[import, unused-ignore]
    except ImportError:
        raise SourceError(
            f"{url}: reading URLs needs the optional extra 'remote' "
            '(pip install "nwbgen[remote]")'
        ) from None
    seconds = timeout_of(timeout)
    scheme = url_scheme(url)
    options: dict[str, Any] = {}
    if scheme in ("http", "https"):
        try:
            import aiohttp  # type: ignore[import, unused-ignore]
        except ImportError:
            raise SourceError(
                f"{url}: reading http(s) URLs needs aiohttp, part of the optional "
                "extra 'remote' (pip install \"nwbgen[remote]\")"
            ) from None
        options["client_kwargs"] = {
            "timeout": aiohttp.ClientTimeout(total=seconds, sock_connect=seconds)
        }
    try:
        raw = fsspec.open(
            url, "rb", block_size=BLOCK_SIZE, cache_type="mmap", **options
        ).open()
    except ImportError as exc:  # an fsspec protocol whose package is missing
        raise SourceError(f"{url}: {exc}") from None
    except FileNotFoundError as exc:
        reason = reason_of(exc)
        if reason.startswith("FileNotFoundError"):  # fsspec's word for a 404
            reason = "404 not found"
        raise SourceError(f"{url}: cannot open ({reason})") from None
    except Exception as exc:  # noqa: BLE001 - any failure of the remote is the URL's
        raise SourceError(f"{url}: cannot open ({reason_of(exc)})") from None
    if scheme in ("http", "https") and not _ranges_work(raw):
        raw.close()
        raise SourceError(
            f"{url}: the server does not answer byte-range requests, which reading "
            "a remote HDF5 file needs"
        )
    handle = RemoteFile(url, raw)
    try:
        h5f = h5py.File(handle, "r")
    except Exception as exc:  # noqa: BLE001
        handle.close()
        reason = str(exc)
    else:
        _OPEN_URLS[h5f.filename] = handle
        return close_at_exit(h5f)
    if handle.error is not None:
        raise SourceError(f"{url}: cannot read ({handle.error})")
    raise SourceError(f"{url}: not an HDF5 file ({reason})")


#: the remote files open now, by the name h5py gives their ``h5py.File`` (the
#: ``repr`` of the :class:`RemoteFile` it reads through)
_OPEN_URLS: weakref.WeakValueDictionary[str, RemoteFile] = weakref.WeakValueDictionary()


def url_of(filename: str) -> str | None:
    """The URL of the open remote file h5py names ``filename`` (an ``h5py.File``'s
    ``filename``), ``None`` for any other: what lets a lazy array tell another
    process where to reopen it."""
    handle = _OPEN_URLS.get(filename)
    return None if handle is None else handle.url


def _ranges_work(raw: Any) -> bool:
    """fsspec reads a server without range support in full, in silence: read a
    small range and check that the file has a known size."""
    details = getattr(raw, "details", None) or {}
    return details.get("size") is not None
