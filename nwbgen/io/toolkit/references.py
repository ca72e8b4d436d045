"""Object and region references between the objects of an HDF5 file.

What an object refers to (:func:`get_references`), who refers to an object
(:func:`find_references`, or :class:`ReferenceIndex` for many questions). The
primitives (reference sites, raw addresses, canonical paths) are the runtime's
HDF5 layer, :mod:`nwbgen.runtime.hdf5`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import h5py
import numpy as np
from h5py import h5o

from ...errors import DanglingReferenceError
from ...runtime.hdf5.files import opened, reading
from ...runtime.hdf5.objects import (
    ObjectMap,
    dereference,
    get_object,
    resolve_hardlink,
    visit_objects,
)
from ...runtime.hdf5.references import (
    ReferenceSite,
    read_addresses,
    read_reference_values,
    reference_sites,
    unique_targets,
)


def get_references(obj: Any, objects: ObjectMap | None = None) -> list[str]:
    """Every path ``obj`` refers to: attributes, scalar, column and compound datasets.

    Paths are canonical (see :func:`resolve_hardlink`), each listed once, in the
    order first met. A reference to no object raises :class:`DanglingReferenceError`.
    """
    out: dict[str, None] = {}
    holder = obj.name or "<anonymous>"
    for site, sid in reference_sites(obj.id):
        addresses = read_addresses(site, sid)
        targets = unique_targets(addresses)
        if not len(targets):
            continue
        if objects is not None:
            for addr in targets:
                out[objects.resolve(int(addr), holder, str(site))] = None
            continue
        values = read_reference_values(site, sid)
        for addr in targets:
            first = int(np.flatnonzero(addresses == addr)[0])
            out[_dereference(obj, values[first], holder, site)] = None
    return list(out)


def _dereference(obj: Any, ref: Any, holder: str, site: ReferenceSite) -> str:
    target = dereference(ref, obj)
    if target is None or not target.name:
        raise DanglingReferenceError(
            f"{obj.file.filename}:{holder}: {site} refers to an object "
            "that no path in the file reaches (dangling reference)"
        )
    return resolve_hardlink(target)


def find_references(h5f: Any, path: str, *, first: bool = False) -> list[str]:
    """The canonical paths of every object holding a reference to ``path``.

    One pass over the file; only reference-typed attributes and datasets are read,
    raw, and compared by address, so nothing is dereferenced. With ``first`` the
    pass stops at the first referrer. A reference to any hard link of the object
    counts. For many queries on one file, build a :class:`ReferenceIndex` once.
    """
    with opened(h5f) as f:
        info = h5o.get_info(get_object(f, path).id)
        if info.fileno != h5o.get_info(f.id).fileno:
            return []  # behind an external link: no reference leaves its file
        target = info.addr
        found: list[str] = []

        def check(obj_id: Any, holder: str) -> bool:
            for site, sid in reference_sites(obj_id):
                if np.any(read_addresses(site, sid) == target):
                    found.append(holder)
                    return first
            return False

        if check(f.id, "/"):
            return found

        def visit(name: bytes, info: Any) -> bool | None:
            if info.num_attrs == 0 and info.type != h5o.TYPE_DATASET:
                return None
            holder = "/" + name.decode("utf-8", "surrogateescape")
            with reading(f.filename, holder):
                return True if check(h5o.open(f.id, name), holder) else None

        visit_objects(f, visit)
        return found


class ReferenceIndex:
    """Every reference of a file, from one pass: answers many queries cheaply.

    ``referrers(path)`` is who refers to ``path``; ``references(path)`` what ``path``
    refers to. Both take any path to an object (hard or soft link) and answer with
    canonical paths.
    """

    def __init__(self, h5f: h5py.File, objects: ObjectMap | None = None) -> None:
        self.file = h5f
        self.objects = objects or ObjectMap(h5f)
        self._targets: dict[str, dict[str, str]] = {}
        self._referrers: dict[str, dict[str, str]] = {}
        for holder in self.objects.info:
            with reading(h5f.filename, holder):
                self._scan(holder)

    def _scan(self, holder: str) -> None:
        info = self.objects.info[holder]
        if info.num_attrs == 0 and info.type != h5o.TYPE_DATASET:
            return
        obj_id = self.file.id if holder == "/" else h5o.open(self.file.id, _b(holder))
        for site, sid in reference_sites(obj_id):
            for addr in unique_targets(read_addresses(site, sid)):
                target = self.objects.resolve(int(addr), holder, str(site))
                self._targets.setdefault(holder, {}).setdefault(target, str(site))
                self._referrers.setdefault(target, {}).setdefault(holder, str(site))

    def _canonical(self, path: str) -> str:
        """'' for an object behind an external link: no reference reaches it."""
        info = h5o.get_info(get_object(self.file, path).id)
        if info.fileno != self.objects.info["/"].fileno:
            return ""
        return self.objects.path_of.get(info.addr, "")

    def referrers(self, path: str) -> list[str]:
        """Canonical paths of the objects holding a reference to ``path``, sorted."""
        return sorted(self._referrers.get(self._canonical(path), ()))

    def references(self, path: str) -> list[str]:
        """Canonical paths ``path`` refers to, sorted."""
        return sorted(self._targets.get(self._canonical(path), ()))

    def edges(self) -> Iterator[tuple[str, str, str]]:
        """``(holder, target, where)`` for every distinct holder → target reference."""
        for holder, targets in self._targets.items():
            for target, where in targets.items():
                yield holder, target, where


def _b(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")
