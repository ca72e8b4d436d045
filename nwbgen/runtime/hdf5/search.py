"""Finding the path of an object reached by reference, small groups first.

A reference gives an object, not a path. HDF5 finds a path (h5py's ``name``) by
searching every link of the file: 50-400 ms at 24,000 objects, whatever the
target. NWB files keep what references point to (electrodes tables, units, the
groups of ``/general``) in small groups near the root, and their bulk (thousands of
series) in a few large ones. :class:`SmallFirstSearch` looks at the members of
the smallest unvisited group first, by address and without opening datasets
(hard links only: a soft link's path is an alias, not where its target lives),
within a budget of members looked at; past it the caller falls back on HDF5's own
search. What it has seen stays known: a later search goes on where it stopped.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from h5py import h5l, h5o  # type: ignore[import-untyped]

from .links import member_links

#: members looked at, over all searches of one file, before giving up
BUDGET = 3000


def hard_members(group: Any, group_path: str) -> Iterator[tuple[str, Any]]:
    """``(path, H5O info)`` of each member of ``group`` (at ``group_path``) by
    hard link, where those objects live, found by name without opening them;
    the info is ``None`` for a dangling link or a name that is not UTF-8 (h5py
    lists it as ``bytes``: no path to give)."""
    prefix = group_path.rstrip("/")
    for name, kind in member_links(group).items():
        if kind != h5l.TYPE_HARD:
            continue  # an alias: a soft link's path is not its target's
        info = None
        if isinstance(name, str):
            try:
                info = h5o.get_info(group.id, name.encode("utf-8", "surrogateescape"))
            except (KeyError, RuntimeError, OSError, ValueError):
                pass  # a dangling link
        yield f"{prefix}/{name}", info


class SmallFirstSearch:
    """Paths of the objects of one file, found small groups first (see module)."""

    def __init__(self, h5file: Any, paths: dict[tuple[int, int], str]) -> None:
        #: object key (file number, address) -> path; shared with the caller
        self.paths = paths
        self.spent = 0
        self._file = h5file
        self._seen: set[int] = set()  # addresses of groups pushed
        self._frontier: list[tuple[int, str]] = []  # (member count, group path)
        root = h5file["/"]
        info = h5o.get_info(root.id)
        self._fileno = info.fileno
        self._push(root, "/", info.addr)

    def _push(self, group: Any, path: str, addr: int) -> None:
        if addr not in self._seen:
            self._seen.add(addr)
            heapq.heappush(self._frontier, (len(group), path))

    def find(self, key: tuple[int, int]) -> str | None:
        """The path of object ``key``, or ``None`` when the budget ran out first."""
        found = self.paths.get(key)
        while found is None and self._frontier and self.spent < BUDGET:
            _, group_path = heapq.heappop(self._frontier)
            group = self._file.get(group_path)
            if group is None:
                continue
            for path, info in hard_members(group, group_path):
                self.spent += 1
                if info is None:
                    continue
                self.paths.setdefault((info.fileno, info.addr), path)
                if info.type == h5o.TYPE_GROUP and info.fileno == self._fileno:
                    member = self._file.get(path)
                    if member is not None:
                        self._push(member, path, info.addr)
            found = self.paths.get(key)
        return found
