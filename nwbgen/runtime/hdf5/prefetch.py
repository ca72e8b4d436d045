"""Fetching the metadata a remote read is about to need, many ranges at once.

HDF5 reads an object's header only when the object is opened, so a walk of a
remote file makes one request after another, each paying the link's latency. In
a file written the usual way (pynwb, h5py, HDF5's default file space strategy)
an object's header sits beside the metadata allocated just before and after it:
its members' headers, its attributes, the previous object's last attributes;
its raw data comes after. On a pynwb-written 337 MB file of 320 series, every
byte a full walk reads lies within 4 KiB before or 16 KiB after the address of
some object, in 325 places about a megabyte apart (measured: 3,339 of 3,355
reads; benchmarks/bench_remote.py).

So when a read is about to open many members of one group (a lazy mapping
listed, counted or read whole; a small group read as a frame), the members'
addresses are taken from the group's links, which opens none of them, and the
bytes around each are fetched first, in parallel requests. Then, read from
those bytes (:mod:`.layout`), what lies elsewhere: the blocks the headers
continue in, the values of small datasets and the heaps of strings (kept with
raw data: a megabyte away when a file keeps its metadata together), and the
member lists of the small groups among the members, whose members are fetched
the same way, one level further. Each of these pieces is fetched with the
window around it, as the members were (:func:`around`): beside a B-tree node, a
heap or a small value lie the headers of the objects allocated with it, which
the next round would otherwise ask for in requests of their own (on the 337 MB
file, 583 requests for a walk without this, 329 with it: one a place). Ranges
close together are merged into one request, up to :data:`MAX_SPAN` bytes.
HDF5 then reads these bytes from memory (:class:`Spans`); what falls outside is
read as before, a block at a time.

Only for files opened from a URL (:mod:`.remote`); nothing here runs for a
local file.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable
from typing import Any

from h5py import h5l  # type: ignore[import-untyped]

from ..errors import NWBGenError
from .layout import (
    COLLECTION_MIN,
    btree_node,
    collection_size,
    continuations,
    first_chunk,
    heap_header_size,
    heap_ids,
    heap_segment,
    stored,
    symbol_node,
    symbol_table,
    vlen_heaps,
)

#: bytes fetched before an object's address (the previous object's metadata
#: that the allocator put just before this one's header)
WINDOW_BEFORE = 4 * 1024
#: bytes fetched from an object's address (its header, its members' headers)
WINDOW_AFTER = 16 * 1024
#: an object whose first bytes this long are held needs no window of its own
HELD = 4 * 1024
#: ranges this close are fetched as one: a gap costs its bytes, a request a wait
#: and a request (the 8x benchmark file: 676 requests unmerged, 43 at this gap,
#: and the 1 MiB-apart headers of the big one stay apart)
MERGE_GAP = 512 * 1024
#: the longest range one request asks for (longer runs are split, to go in parallel)
MAX_SPAN = 4 << 20
#: requests in flight at once
CONCURRENCY = 64
#: rounds of header continuation blocks followed
MAX_ROUNDS = 8
#: a dataset's values this small are fetched with its header (scalars, short text)
SMALL_DATA = 4096
#: a member group with at most this many members is looked into, one level down
SMALL_GROUP = 32


class Spans:
    """Bytes of a file held in memory: sorted, disjoint ``[start, end)`` ranges."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._data: list[bytes] = []
        #: bytes held
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._starts)

    def get(self, start: int, size: int) -> bytes | None:
        """Bytes ``[start, start + size)`` if held (in one range or in ranges that
        follow one another), else ``None``."""
        i = bisect.bisect_right(self._starts, start) - 1
        if i < 0 or start >= self._ends[i]:
            return None
        end = start + size
        if end <= self._ends[i]:
            offset = start - self._starts[i]
            return self._data[i][offset : offset + size]
        parts = [self._data[i][start - self._starts[i] :]]
        while self._ends[i] < end:
            i += 1
            if i == len(self._starts) or self._starts[i] != self._ends[i - 1]:
                return None
            parts.append(self._data[i][: end - self._starts[i]])
        return b"".join(parts)

    def missing(self, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of ``[start, end)`` no range holds."""
        out: list[tuple[int, int]] = []
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        at = start
        while at < end and i < len(self._starts):
            s, e = self._starts[i], self._ends[i]
            if e <= at:
                i += 1
                continue
            if s >= end:
                break
            if s > at:
                out.append((at, s))
            at = max(at, e)
            i += 1
        if at < end:
            out.append((at, end))
        return out

    def add(self, start: int, data: bytes) -> None:
        """Bytes read at ``start``; the parts held already are dropped (a merged
        request also fetches the gaps between its windows)."""
        for lo, hi in self.missing(start, start + len(data)):
            i = bisect.bisect_left(self._starts, lo)
            self._starts.insert(i, lo)
            self._ends.insert(i, hi)
            self._data.insert(i, data[lo - start : hi - start])
            self.nbytes += hi - lo


def windows(offsets: Iterable[int], size: int, spans: Spans) -> list[tuple[int, int]]:
    """The ranges around objects at file ``offsets`` whose first bytes
    (:data:`HELD`) ``spans`` do not hold yet (overlapping ones joined): what an
    earlier window fetched of a nearby object's metadata is not asked again for
    the few bytes its own window would add."""
    out: list[tuple[int, int]] = []
    for offset in sorted(set(offsets)):
        if not spans.missing(offset, min(offset + HELD, size)):
            continue
        start, end = window(offset, offset)
        end = min(end, size)
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        elif start < end:
            out.append((start, end))
    return out


def window(start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to the window around its start: from
    :data:`WINDOW_BEFORE` bytes before it to at least :data:`WINDOW_AFTER` after."""
    return max(start - WINDOW_BEFORE, 0), max(end, start + WINDOW_AFTER)


def around(ranges: Iterable[tuple[int, int]], spans: Spans) -> list[tuple[int, int]]:
    """``ranges`` of metadata, each not held yet widened to the window around
    its start (:func:`window`): what lies beside a piece of metadata is mostly
    more of it, which a later round would ask for in a request of its own."""
    return [window(s, e) if spans.missing(s, e) else (s, e) for s, e in ranges]


def plan(
    ranges: Iterable[tuple[int, int]], size: int, spans: Spans, merge: bool = True
) -> list[tuple[int, int]]:
    """The requests that fetch ``ranges`` of a file of ``size`` bytes: less what
    ``spans`` hold, merged across gaps up to :data:`MERGE_GAP` (if ``merge``:
    else only the parts that touch), cut at :data:`MAX_SPAN`."""
    gap = MERGE_GAP if merge else 0
    parts = sorted(
        part
        for start, end in ranges
        for part in spans.missing(max(start, 0), min(end, size))
    )
    merged: list[tuple[int, int]] = []
    for start, end in parts:
        if merged and start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out: list[tuple[int, int]] = []
    for start, end in merged:
        while end - start > MAX_SPAN:
            out.append((start, start + MAX_SPAN))
            start += MAX_SPAN
        out.append((start, end))
    return out


def member_addresses(gid: Any, names: Iterable[str]) -> list[int]:
    """HDF5 address of each hard-linked member ``names`` of the group ``gid`` (an
    h5py ``GroupID``), from its links: none is opened."""
    out: list[int] = []
    links = gid.links
    for name in names:
        try:
            info = links.get_info(name.encode("utf-8", "surrogateescape"))
        except (KeyError, RuntimeError, OSError, ValueError):
            continue  # gone, or not a name HDF5 knows: the read will say
        if info.type == h5l.TYPE_HARD:
            out.append(info.u)
    return out


def _advisory(fetch: Callable[..., Any]) -> Callable[..., Any]:
    """``fetch``, for which bytes that are not what they seem (a damaged file)
    mean nothing fetched ahead: HDF5's own reads then say what is wrong. A
    failure of the link itself is raised (the read could not go on either)."""

    @functools.wraps(fetch)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fetch(*args, **kwargs)
        except NWBGenError:
            raise
        except Exception:  # noqa: BLE001 - see above
            return None

    return run


@_advisory
def prefetch_members(handle: Any, addresses: list[int], depth: int = 2) -> None:
    """Fetch, in parallel, the bytes around the objects at HDF5 ``addresses``
    (the members of a group, see :func:`member_addresses`) of the remote file
    ``handle`` reads (:class:`~.remote.RemoteFile`), then, ``depth`` levels in
    all, the member lists of the small groups among them and the bytes around
    their members. Nothing is opened: the lists are read from the bytes
    (:mod:`.layout`), so that no header is read before the bytes around it are
    here."""
    for step in range(depth):
        if not addresses:
            return
        handle.prefetch(addresses)
        fetch_headers(handle, addresses)
        if step + 1 < depth:
            listed = _fetch_listings(handle, addresses, small_only=True)
            addresses = [a for members in listed.values() for a in members]


def fetch_headers(handle: Any, headers: list[int]) -> None:
    """Fetch, in parallel, what opening and reading the objects whose headers
    are at ``headers`` (HDF5 addresses) reads beyond the header's first bytes:
    the blocks the headers continue in, a round a level of continuation (a
    group's header is often a few bytes that point to its messages elsewhere:
    h5py's groups, 24 bytes and a block of attributes and member list a
    megabyte on); the values of small datasets (:data:`SMALL_DATA` bytes at
    most: a ``starting_time``, a short text), which HDF5 keeps with raw data,
    apart from the metadata; and the global heap collections the text among
    them and the text attributes keep their strings in."""
    sizes = handle.sizes
    if sizes is None:
        return
    done = handle.done_headers
    headers = [h for h in headers if h not in done]
    done.update(headers)
    pending: list[tuple[int, tuple[int, int]]] = []  # (header, block)
    for header in headers:
        chunk = first_chunk(handle.peek, header)
        if chunk is not None and chunk[1] <= MAX_SPAN:
            pending.append((header, chunk))
    blocks: dict[int, list[bytes]] = {}
    for _ in range(MAX_ROUNDS):
        found: list[tuple[int, tuple[int, int]]] = []
        for header, block in pending:
            data = handle.peek(*block)
            blocks.setdefault(header, []).append(data)
            found.extend(
                (header, c)
                for c in continuations(data, sizes)
                if c[1] <= MAX_SPAN  # a longer one is no header's: left to HDF5
            )
        if not found:
            break
        handle.fetch([(a, a + n) for _, (a, n) in found])
        pending = found
    heaps = {
        a for parts in blocks.values() for b in parts for a in vlen_heaps(b, sizes)
    }
    values = [kept for parts in blocks.values() if (kept := stored(parts, sizes))]
    small = [
        (v, v.contiguous)
        for v in values
        if v.contiguous is not None and v.contiguous[1] <= SMALL_DATA
    ]
    handle.fetch([(a, a + n) for _, (a, n) in small])
    for value in values:
        if value.vlen and value.compact is not None:
            heaps.update(heap_ids(value.compact, value.count, sizes))
    for value, (address, size) in small:
        if value.vlen:
            heaps.update(heap_ids(handle.peek(address, size), value.count, sizes))
    if heaps:
        handle.fetch([(a, a + COLLECTION_MIN) for a in heaps])
        bigger = [
            (a, a + n)
            for a in heaps
            if (n := collection_size(handle.peek(a, 16), sizes) or 0) > COLLECTION_MIN
            and n <= MAX_SPAN
        ]
        handle.fetch(bigger)


@_advisory
def fetch_listings(
    handle: Any, headers: list[int], small_only: bool = False
) -> dict[int, list[int]] | None:
    """See :func:`_fetch_listings` (``None``: nothing could be fetched ahead)."""
    return _fetch_listings(handle, headers, small_only)


def _fetch_listings(
    handle: Any, headers: list[int], small_only: bool = False
) -> dict[int, list[int]]:
    """Fetch, in parallel, what HDF5 reads to list the members of the old-style
    groups whose object headers are at ``headers`` (HDF5 addresses; other
    objects are passed over), level by level of their B-trees (:mod:`.layout`);
    ``small_only``: only of the groups of at most :data:`SMALL_GROUP` members.
    Returns the header addresses of the members of each group listed."""
    sizes = handle.sizes
    if sizes is None:
        return {}
    tables: list[tuple[int, int, int]] = []
    for header in headers:
        if header in handle.done_lists:
            continue  # fetched, and its members' windows with it
        found = symbol_table(handle.peek, header, sizes)
        if found is not None:
            tables.append((header, *found))
    if not tables:
        return {}
    node, heap = sizes.node_size, heap_header_size(sizes)
    handle.fetch(
        [(b, b + node) for _, b, _ in tables] + [(h, h + heap) for *_, h in tables]
    )
    out: dict[int, list[int]] = {}
    wanted: list[tuple[int, int]] = []  # name heaps and symbol nodes
    frontier: list[tuple[int, int]] = []  # (group, inner node)
    leaves: list[tuple[int, int]] = []  # (group, symbol node)
    for header, btree, heap_at in tables:
        parsed = btree_node(handle.peek(btree, node), sizes)
        if parsed is None:
            continue
        level, children = parsed
        if small_only and (level > 0 or len(children) * 2 * sizes.leaf_k > SMALL_GROUP):
            continue  # a big group: listed when it is read
        out[header] = []
        segment = heap_segment(handle.peek(heap_at, heap), sizes)
        if segment is not None and segment[1] <= MAX_SPAN:
            wanted.append((segment[0], segment[0] + segment[1]))
        (frontier if level > 0 else leaves).extend((header, c) for c in children)
    while frontier:  # the inner nodes of deep trees, a level at a time
        handle.fetch([(c, c + node) for _, c in frontier])
        nodes, frontier = frontier, []
        for header, at in nodes:
            parsed = btree_node(handle.peek(at, node), sizes)
            if parsed is not None:
                level, children = parsed
                (frontier if level > 0 else leaves).extend(
                    (header, c) for c in children
                )
    handle.fetch(wanted + [(c, c + sizes.snod_size) for _, c in leaves])
    handle.done_lists.update(out)
    for header, at in leaves:
        out[header].extend(symbol_node(handle.peek(at, sizes.snod_size), sizes))
    return out
