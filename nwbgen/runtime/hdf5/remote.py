"""Remote and file-like HDF5 sources: URLs read by byte ranges, through fsspec.

``http(s)://`` URLs (DANDI's S3 objects are served so), ``s3://`` (with s3fs) and
any other fsspec URL are opened as a seekable file object that h5py reads through
its file-object driver: each HDF5 read is one ranged request, blocks are kept in a
read-ahead cache, and every request has a timeout, so a dead or stalled server
is a clear error, never a hang. fsspec (and aiohttp for HTTP) are the optional
extra ``remote``: ``pip install "nwbgen[remote]"``.

fsspec and aiohttp are imported only when a URL is opened.
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
from .layout import Sizes, superblock_sizes
from .prefetch import CONCURRENCY, Spans, around, plan, windows

#: seconds a request may take before the read fails (``NWBGEN_REMOTE_TIMEOUT``)
DEFAULT_TIMEOUT = 30.0
#: bytes a read HDF5 makes of what is not held fetches (aligned blocks, kept):
#: without fetching ahead, on a pynwb-written 337 MB file an h5py walk took 325
#: requests / 85 MB at 256 KiB, where fsspec's default (5 MiB "bytes" blocks)
#: moved 1.5 GB (benchmarks/bench_remote.py)
BLOCK_SIZE = 1 << 18
#: a read this long (array data) is fetched as asked and not kept
LARGE_READ = 1 << 20
#: bytes kept at most; past it what is held is let go (HDF5 keeps its own cache
#: of the metadata it read, so a walk goes on as before)
HELD_LIMIT = 256 << 20

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def url_scheme(source: Any) -> str | None:
    """The scheme of a URL source (``https``), ``None`` for a local path."""
    if not isinstance(source, str):
        return None
    found = _SCHEME.match(source)
    if found is None or found.group(1).lower() == "file":
        return None
    return found.group(1).lower()


def url_path(url: str) -> str:
    """The path part of a URL, without query or fragment (its last part names
    the file: ``https://host/a/b.nwb?x=1`` -> ``/a/b.nwb``)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path


def url_size(url: str, *, timeout: float | None = None) -> int:
    """The size in bytes of the file at ``url`` (one request)."""
    fsspec = _fsspec(url)
    options = _fs_options(url, timeout)
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
        return int(fs.size(path))
    except Exception as exc:  # noqa: BLE001 - any failure of the remote is the URL's
        raise SourceError(f"{url}: cannot open ({reason_of(exc)})") from None


def _fsspec(url: str) -> Any:
    """The fsspec module, or the error naming the extra that brings it."""
    try:
        import fsspec  # type: ignore[import, unused-ignore]
    except ImportError:
        raise SourceError(
            f"{url}: reading URLs needs the optional extra 'remote' "
            '(pip install "nwbgen[remote]")'
        ) from None
    return fsspec


def _fs_options(url: str, timeout: float | None) -> dict[str, Any]:
    """fsspec's options for ``url``: a timeout on every HTTP request."""
    if url_scheme(url) not in ("http", "https"):
        return {}
    seconds = timeout_of(timeout)
    try:
        import aiohttp  # type: ignore[import, unused-ignore]
    except ImportError:
        raise SourceError(
            f"{url}: reading http(s) URLs needs aiohttp, part of the optional "
            "extra 'remote' (pip install \"nwbgen[remote]\")"
        ) from None
    timeouts = aiohttp.ClientTimeout(total=seconds, sock_connect=seconds)
    return {"client_kwargs": {"timeout": timeouts}}


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
    :class:`SourceError` naming the URL and the reason.

    Every byte fetched is kept in :attr:`spans` (reads of at least
    :data:`LARGE_READ` bytes, array data, excepted): a read HDF5 makes is served
    from there, or fetches the :data:`BLOCK_SIZE` blocks it falls in; what the
    reader knows it will need next is fetched ahead, many ranges in parallel
    (:meth:`prefetch`, :meth:`fetch`; see :mod:`.prefetch`)."""

    def __init__(self, url: str, raw: Any) -> None:
        self.url = url
        self._raw = raw
        #: why the last read failed, in words
        self.error: str | None = None
        #: the bytes fetched so far
        self.spans = Spans()
        #: where HDF5 address 0 is in the file (the user block's size)
        self.base = 0
        self.size = int(getattr(raw, "size", 0) or 0)
        #: what the superblock says HDF5's structures are made of (see .layout)
        self.sizes: Sizes | None = None
        #: ranged requests made, and in how many rounds (one round: one wait
        #: for the link, however many requests go in parallel)
        self.requests = 0
        self.rounds = 0
        #: object headers (HDF5 addresses) whose blocks, small values and
        #: strings were fetched, and groups whose member lists were
        self.done_headers: set[int] = set()
        self.done_lists: set[int] = set()
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        at = self._at
        if size < 0:
            size = self.size - at
        size = max(min(size, self.size - at), 0)
        data = self.spans.get(at, size) if size else b""
        if data is None:
            if size >= LARGE_READ:  # array data: read once, not kept
                data = self._fetch([(at, at + size)], keep=False)[0]
            else:
                lo = at - at % BLOCK_SIZE
                hi = min(-(-(at + size) // BLOCK_SIZE) * BLOCK_SIZE, self.size)
                self._fetch(plan([(lo, hi)], self.size, self.spans, merge=False))
                data = self.spans.get(at, size)
                if data is None:
                    raise SourceError(f"{self.url}: cannot read (short answer)")
        self._at = at + len(data)
        return data

    def fetch_ends(self) -> None:
        """The first and the last block of the file, in one round: HDF5 opens
        with the superblock, and pynwb writes ``/specifications`` last."""
        ends = [(0, BLOCK_SIZE), (self.size - BLOCK_SIZE, self.size)]
        self._fetch(plan(ends, self.size, self.spans, merge=False))

    def prefetch(self, addresses: list[int]) -> None:
        """Fetch the bytes around the objects at HDF5 ``addresses`` (see
        :mod:`.prefetch`) in parallel requests, for HDF5 to read from memory."""
        offsets = (self.base + a for a in addresses)
        self._fetch(
            plan(windows(offsets, self.size, self.spans), self.size, self.spans)
        )

    def fetch(self, ranges: list[tuple[int, int]]) -> None:
        """Fetch the ``[start, end)`` ranges of HDF5 addresses that are not held
        yet, in parallel requests."""
        base = self.base
        wanted = around(((s + base, e + base) for s, e in ranges), self.spans)
        self._fetch(plan(wanted, self.size, self.spans))

    def peek(self, address: int, size: int) -> bytes:
        """``size`` bytes at HDF5 ``address`` (fetched now if not held)."""
        at = self.base + address
        held = self.spans.get(at, size)
        if held is not None:
            return held
        where = self._at
        try:
            self._at = at
            return self.read(size)
        finally:
            self._at = where

    def _fetch(self, ranges: list[tuple[int, int]], keep: bool = True) -> list[bytes]:
        """The bytes of file ``ranges``, in parallel requests (kept in
        :attr:`spans` if ``keep``)."""
        if not ranges:
            return []
        # HDF5 calls read() holding h5py's global lock while fsspec's IO thread
        # does the request; were the collector to run in that thread and free an
        # h5py object (which takes the same lock), both would wait forever: no
        # collection until the bytes are here
        collecting = gc.isenabled()
        gc.disable()
        fs = self._raw.fs
        # an async filesystem (http, s3) sends the requests together; another
        # one reads them in turn
        together = (
            {"batch_size": CONCURRENCY} if getattr(fs, "async_impl", False) else {}
        )
        try:
            found = fs.cat_ranges(
                [self._raw.path] * len(ranges),
                [start for start, _ in ranges],
                [end for _, end in ranges],
                on_error="raise",
                **together,
            )
        except Exception as exc:  # noqa: BLE001 - whatever the transport raised
            # only the words are kept: the exception's traceback holds h5py's
            # frames, and so the file access property list that holds this
            # object, a cycle through C that the collector cannot see; left to
            # HDF5's exit handler, it calls into a finalized Python and crashes
            self.error = reason_of(exc)
        else:
            self.requests += len(ranges)
            self.rounds += 1
            for (start, end), data in zip(ranges, found):
                if len(data) != end - start:
                    self.error = (
                        f"asked for bytes {start}-{end - 1}, got {len(data)} bytes"
                    )
                    break
                if keep:
                    if self.spans.nbytes > HELD_LIMIT:  # bounded: start afresh
                        self.spans = Spans()
                        self.done_headers.clear()
                        self.done_lists.clear()
                    self.spans.add(start, data)
            else:
                return found
        finally:
            if collecting:
                gc.enable()
        # raised outside the handler, so that it carries no context either; h5py
        # hands it back to its caller once the HDF5 call returns
        raise SourceError(f"{self.url}: cannot read ({self.error})")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._at
        elif whence == 2:
            offset += self.size
        self._at = max(offset, 0)
        return self._at

    def tell(self) -> int:
        return self._at

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.spans = Spans()
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
    fsspec = _fsspec(url)
    scheme = url_scheme(url)
    options = _fs_options(url, timeout)
    try:
        # no cache of fsspec's: RemoteFile keeps what it fetched
        raw = fsspec.open(url, "rb", cache_type="none", **options).open()
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
        handle.fetch_ends()
        h5f = h5py.File(handle, "r")
    except Exception as exc:  # noqa: BLE001
        handle.close()
        reason = str(exc)
    else:
        handle.base = h5f.userblock_size
        handle.sizes = superblock_sizes(handle.peek(0, 24))
        _OPEN_URLS[h5f.filename] = handle
        return close_at_exit(h5f)
    if handle.error is not None:
        raise SourceError(f"{url}: cannot read ({handle.error})")
    raise SourceError(f"{url}: not an HDF5 file ({reason})")


#: the remote files open now, by the name h5py gives their ``h5py.File`` (the
#: ``repr`` of the :class:`RemoteFile` it reads through)
_OPEN_URLS: weakref.WeakValueDictionary[str, RemoteFile] = weakref.WeakValueDictionary()


def remote_of(filename: str) -> RemoteFile | None:
    """The :class:`RemoteFile` the open ``h5py.File`` named ``filename`` reads
    through, ``None`` for any other file."""
    return _OPEN_URLS.get(filename)


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
