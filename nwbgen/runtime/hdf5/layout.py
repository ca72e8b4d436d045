"""Where an old-style group keeps its member list, read from the file's bytes.

A group written by HDF5's default (earliest) format -- every pynwb and h5py file
unless told otherwise -- lists its members in a *symbol table*: a version 1
B-tree whose leaves are symbol nodes (``SNOD``), each naming a few members, and a
local heap of their names. HDF5 reads these one node at a time, as it walks the
tree; in a group that grew over a long write (the 320 series of
``/acquisition``) the nodes lie scattered through the file, so over HTTP listing
it costs one request a node (79 there). This module reads the tree's structure
itself (the object header's Symbol Table message, the B-tree nodes, the heap's
header: a few hundred bytes each), so that :mod:`.prefetch` can fetch every
node in parallel before HDF5 asks for them.

It also finds, in an object header's messages, what HDF5 keeps apart from the
header: the blocks it continues in, where a dataset's values are (its layout
message: the range of a contiguous dataset, the bytes of a compact one), and the
global heap collections that hold the strings of text attributes and datasets.

Only what that needs of the HDF5 file format (version 0-3 superblock, version 1
object header, version 1 B-tree of group nodes, local heap, attribute message
versions 1-3, layout message versions 3-4); anything else (a version 2 object
header, a new-style group, a chunked dataset) is "not found" and HDF5 reads it
as it always does. Every function takes ``read(address, size) -> bytes``, HDF5
addresses (relative to the base address), and returns ``None`` rather than
guess when the bytes are not what it expects.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

Read = Callable[[int, int], bytes]

_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: object header message types
_CONTINUATION = 0x0010
_SYMBOL_TABLE = 0x0011
_ATTRIBUTE = 0x000C
_DATASPACE = 0x0001
_DATATYPE = 0x0003
_LAYOUT = 0x0008
#: datatype class of variable-length data (strings among it)
_VLEN = 9
#: bytes HDF5 first reads of a global heap collection (its smallest size)
COLLECTION_MIN = 4096
#: elements of one attribute whose heap addresses are looked at, at most
_MAX_ELEMENTS = 64
#: continuation blocks followed from one object header, at most
_MAX_CONTINUATIONS = 16
#: bytes of a header chunk, at most (HDF5 writes chunks of a few hundred)
_MAX_BLOCK = 1 << 20


@dataclass(frozen=True)
class Sizes:
    """What a file's superblock says the structures below are made of."""

    offsets: int = 8  # bytes of an address
    lengths: int = 8  # bytes of a length
    leaf_k: int = 4  # a symbol node holds up to 2K members
    internal_k: int = 16  # a B-tree node has up to 2K children

    def address(self, data: bytes, at: int) -> int:
        return int.from_bytes(data[at : at + self.offsets], "little")

    def length(self, data: bytes, at: int) -> int:
        return int.from_bytes(data[at : at + self.lengths], "little")

    @property
    def snod_size(self) -> int:
        """Bytes of a symbol node: its prefix and 2K entries."""
        return 8 + 2 * self.leaf_k * (2 * self.offsets + 24)

    @property
    def node_size(self) -> int:
        """Bytes of a full B-tree node of group keys."""
        k2 = 2 * self.internal_k
        return 8 + 2 * self.offsets + k2 * self.offsets + (k2 + 1) * self.lengths


def superblock_sizes(head: bytes) -> Sizes | None:
    """The sizes a superblock (the file's first bytes at its base) gives."""
    if not head.startswith(_SIGNATURE) or len(head) < 24:
        return None
    version = head[8]
    if version in (0, 1):
        leaf_k, internal_k = struct.unpack_from("<HH", head, 16)
        if not leaf_k or not internal_k:
            return None
        return Sizes(head[13], head[14], leaf_k, internal_k)
    if version in (2, 3):
        return Sizes(head[9], head[10])
    return None


def first_chunk(read: Read, header: int) -> tuple[int, int] | None:
    """``(address, size)`` of the messages of the version 1 object header at
    ``header``; ``None`` for any other header (version 2 starts with "OHDR")."""
    prefix = read(header, 16)
    if len(prefix) < 16 or prefix[0] != 1:
        return None
    (size,) = struct.unpack_from("<I", prefix, 8)
    return header + 16, size


def messages(data: bytes) -> list[tuple[int, bytes]]:
    """``(type, body)`` of each message of a version 1 header chunk."""
    out = []
    at = 0
    while at + 8 <= len(data):
        kind, length = struct.unpack_from("<HH", data, at)
        out.append((kind, data[at + 8 : at + 8 + length]))
        at += 8 + length
    return out


def continuations(data: bytes, sizes: Sizes) -> list[tuple[int, int]]:
    """``(address, size)`` of the blocks a header chunk continues in."""
    end = sizes.offsets + sizes.lengths
    return [
        (sizes.address(body, 0), sizes.length(body, sizes.offsets))
        for kind, body in messages(data)
        if kind == _CONTINUATION and len(body) >= end
    ]


@dataclass(frozen=True)
class Stored:
    """Where a dataset keeps its values, from its header's messages: the
    ``contiguous`` range ``(address, size)``, or the ``compact`` bytes in the
    header itself; ``vlen``: the values are heap addresses (strings)."""

    contiguous: tuple[int, int] | None
    compact: bytes | None
    vlen: bool
    count: int


def stored(blocks: list[bytes], sizes: Sizes) -> Stored | None:
    """Where the dataset whose header blocks are ``blocks`` keeps its values
    (``None``: not a dataset, or a layout not read here: chunked, virtual, an
    old version of the layout message)."""
    layout = datatype = space = None
    for block in blocks:
        for kind, body in messages(block):
            if kind == _LAYOUT:
                layout = body
            elif kind == _DATATYPE:
                datatype = body
            elif kind == _DATASPACE:
                space = body
    if layout is None or len(layout) < 2 or layout[0] not in (3, 4):
        return None
    vlen = datatype is not None and len(datatype) >= 8 and datatype[0] & 0x0F == _VLEN
    count = _elements(space, sizes) if space is not None else 0
    if layout[1] == 0 and len(layout) >= 4:  # compact: the values are here
        (size,) = struct.unpack_from("<H", layout, 2)
        return Stored(None, layout[4 : 4 + size], vlen, count)
    if layout[1] == 1 and len(layout) >= 2 + sizes.offsets + sizes.lengths:
        address = sizes.address(layout, 2)
        size = sizes.length(layout, 2 + sizes.offsets)
        if address == (1 << (8 * sizes.offsets)) - 1:
            return None  # never written
        return Stored((address, size), None, vlen, count)
    return None


def heap_ids(data: bytes, count: int, sizes: Sizes) -> list[int]:
    """The global heap collections ``count`` variable-length values (as stored:
    length, collection address, index) point into."""
    step = 4 + sizes.offsets + 4
    count = min(count, _MAX_ELEMENTS, len(data) // step)
    undefined = (1 << (8 * sizes.offsets)) - 1
    found = (sizes.address(data, i * step + 4) for i in range(count))
    return [a for a in found if a and a != undefined]


def vlen_heaps(block: bytes, sizes: Sizes) -> list[int]:
    """The global heap collections the variable-length attributes (strings,
    mostly) of a header block keep their values in: a string attribute's value
    is a heap address, and the heap lies wherever HDF5 put small raw data
    (next to an object's array data, in some layouts: a request of its own)."""
    out: list[int] = []
    for kind, body in messages(block):
        if kind == _ATTRIBUTE:
            out.extend(_attribute_heaps(body, sizes))
    return out


def _attribute_heaps(body: bytes, sizes: Sizes) -> list[int]:
    if len(body) < 8:
        return []
    version, flags = body[0], body[1]
    name_size, type_size, space_size = struct.unpack_from("<HHH", body, 2)
    if version == 1:

        def pad(n: int) -> int:
            return (n + 7) & ~7

        at = 8
        name_end = at + pad(name_size)
        type_end = name_end + pad(type_size)
        space_end = type_end + pad(space_size)
    elif version in (2, 3):
        if flags & 0x03:  # a shared datatype or dataspace: not read here
            return []
        at = 8 if version == 2 else 9
        name_end = at + name_size
        type_end = name_end + type_size
        space_end = type_end + space_size
    else:
        return []
    datatype = body[name_end:type_end]
    if len(datatype) < 8 or datatype[0] & 0x0F != _VLEN:
        return []
    return heap_ids(body[space_end:], _elements(body[type_end:space_end], sizes), sizes)


def _elements(space: bytes, sizes: Sizes) -> int:
    """Elements of a dataspace message (a scalar: one; a null one: none)."""
    if len(space) < 4:
        return 0
    version, rank = space[0], space[1]
    if version == 1:
        dims_at = 8
    elif version == 2:
        if space[3] == 2:  # null
            return 0
        dims_at = 4
    else:
        return 0
    count = 1
    for i in range(rank):
        count *= sizes.length(space, dims_at + i * sizes.lengths)
    return count


def collection_size(head: bytes, sizes: Sizes) -> int | None:
    """Bytes of the global heap collection whose first bytes are ``head``."""
    if head[:4] != b"GCOL" or len(head) < 8 + sizes.lengths:
        return None
    return sizes.length(head, 8)


def symbol_table(read: Read, header: int, sizes: Sizes) -> tuple[int, int] | None:
    """``(B-tree address, local heap address)`` of the old-style group whose
    object header is at ``header``; ``None`` for anything else."""
    chunk = first_chunk(read, header)
    blocks = [chunk] if chunk is not None else []
    followed = 0
    while blocks:
        start, size = blocks.pop(0)
        if size > _MAX_BLOCK:
            return None  # no header chunk is this long: not what it seems
        data = read(start, size)
        for kind, body in messages(data):
            if kind == _SYMBOL_TABLE and len(body) >= 2 * sizes.offsets:
                return sizes.address(body, 0), sizes.address(body, sizes.offsets)
        more = continuations(data, sizes)[: _MAX_CONTINUATIONS - followed]
        followed += len(more)
        blocks.extend(more)
    return None


def btree_node(data: bytes, sizes: Sizes) -> tuple[int, list[int]] | None:
    """``(level, child addresses)`` of a version 1 B-tree node of group keys
    (level 0: the children are symbol nodes)."""
    if data[:4] != b"TREE" or len(data) < 8 or data[4] != 0:
        return None
    level = data[5]
    (entries,) = struct.unpack_from("<H", data, 6)
    at = 8 + 2 * sizes.offsets + sizes.lengths  # past the siblings and key 0
    step = sizes.offsets + sizes.lengths
    if len(data) < at + entries * step - sizes.lengths:
        return None
    return level, [sizes.address(data, at + i * step) for i in range(entries)]


def symbol_node(data: bytes, sizes: Sizes) -> list[int]:
    """The object header addresses of the members a symbol node lists."""
    if data[:4] != b"SNOD" or len(data) < 8:
        return []
    (count,) = struct.unpack_from("<H", data, 6)
    step = 2 * sizes.offsets + 24  # name offset, header address, cache, scratch
    count = min(count, (len(data) - 8) // step)
    undefined = (1 << (8 * sizes.offsets)) - 1  # a soft link's entry: no object
    found = (sizes.address(data, 8 + i * step + sizes.offsets) for i in range(count))
    return [address for address in found if address != undefined]


def heap_segment(data: bytes, sizes: Sizes) -> tuple[int, int] | None:
    """``(address, size)`` of the names of a local heap whose header is ``data``."""
    if data[:4] != b"HEAP" or len(data) < 8 + 2 * sizes.lengths + sizes.offsets:
        return None
    size = sizes.length(data, 8)
    return sizes.address(data, 8 + 2 * sizes.lengths), size


def heap_header_size(sizes: Sizes) -> int:
    return 8 + 2 * sizes.lengths + sizes.offsets
