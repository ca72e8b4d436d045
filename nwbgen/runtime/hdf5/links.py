"""Links as stored: hard, soft and external, read without following them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

import h5py  # type: ignore[import-untyped]
from h5py import h5g, h5i, h5l, h5o

from ..errors import DanglingLinkError, LinkCycleError, SourceError
from .files import open_read_only, url_of_file, url_scheme
from .objects import high_level, location

#: soft links followed on one path before giving up (HDF5's own limit is 16)
MAX_SOFT_LINKS = 64


@dataclass(frozen=True)
class SoftLinkInfo:
    """A soft link as stored: the path it names in the same file."""

    path: str


@dataclass(frozen=True)
class ExternalLinkInfo:
    """An external link as stored: a file name (often relative) and a path in it."""

    filename: str
    path: str


def link_type(group: h5py.Group, name: str) -> int | None:
    """The type of the link ``name`` of ``group`` (``h5l.TYPE_HARD``, ...), or
    ``None`` when it has no member ``name``; the link only, never its target."""
    bname = name.encode("utf-8", "surrogateescape")
    links = group.id.links
    return links.get_info(bname).type if links.exists(bname) else None


def member_link(group: h5py.Group, name: str) -> SoftLinkInfo | ExternalLinkInfo | None:
    """How ``name`` is linked in ``group``: ``None`` for an ordinary (hard) member.

    Reads the link only, never its target, so it works on dangling links.
    Raises ``KeyError`` when ``group`` has no member ``name``.
    """
    bname = name.encode("utf-8", "surrogateescape")
    links = group.id.links
    kind = link_type(group, name)
    if kind is None:
        raise KeyError(f"{location(group)}: no member {name!r}")
    if kind == h5l.TYPE_HARD:
        return None
    if kind == h5l.TYPE_SOFT:
        return SoftLinkInfo(links.get_val(bname).decode("utf-8", "surrogateescape"))
    if kind == h5l.TYPE_EXTERNAL:
        filename, path = links.get_val(bname)
        return ExternalLinkInfo(
            filename.decode("utf-8", "surrogateescape"),
            path.decode("utf-8", "surrogateescape"),
        )
    raise ValueError(f"{location(group)}/{name}: user-defined link type {kind}")


def member_links(
    group: h5py.Group, addresses: list[int] | None = None
) -> dict[str, int]:
    """Member name -> link type (hard, soft, external), in one pass, opening none;
    ``addresses``, if given, gets the HDF5 address of each hard-linked member."""
    out: dict[str, int] = {}

    def visit(name: bytes, info: Any) -> None:
        out[name.decode("utf-8", "surrogateescape")] = info.type
        if addresses is not None and info.type == h5l.TYPE_HARD:
            addresses.append(info.u)

    group.id.links.iterate(visit, info=True)
    return out


@dataclass(frozen=True)
class Resolved:
    """Where a path through soft links ends: the object (``None``: nothing there)
    and the path of hard links to it (``""`` when an external link was crossed)."""

    obj: Any
    path: str


def resolve_path(
    h5f: h5py.File,
    path: str,
    start: h5py.Group | None = None,
    start_path: str | None = None,
) -> Resolved:
    """Follow ``path`` (absolute, or relative to ``start``) one link at a time.

    What ``h5f.get(path)`` does, except that soft links that lead back to
    themselves raise :class:`LinkCycleError` naming them, where HDF5 fails with
    "too many links" after 16; a missing member gives ``Resolved(None, ...)``.
    External links are left to HDF5.
    """
    root = h5g.open(h5f.id, b"/")
    parts = [p for p in path.split("/") if p and p != "."]
    if path.startswith("/") or start is None or isinstance(start, h5py.File):
        current, where = root, ""
    else:
        # the caller who knows where ``start`` is says so: h5py's ``name``
        # searches the file for a path
        where = start_path if start_path is not None else (start.name or "")
        current, where = start.id, where.rstrip("/")
    seen: list[str] = []
    while parts:
        name = parts.pop(0)
        bname = name.encode("utf-8", "surrogateescape")
        if h5i.get_type(current) != h5i.GROUP or not current.links.exists(bname):
            return Resolved(None, f"{where}/{name}")
        kind = current.links.get_info(bname).type
        if kind == h5l.TYPE_HARD:
            current, where = h5o.open(current, bname), f"{where}/{name}"
            continue
        if kind != h5l.TYPE_SOFT:  # external or user-defined: HDF5 follows it
            rest = "/".join([name, *parts])
            return Resolved(high_level(current).get(rest), "")
        link = f"{where}/{name}"
        if link in seen or len(seen) >= MAX_SOFT_LINKS:
            cycle = [*seen[seen.index(link) :], link] if link in seen else []
            chain = " -> ".join(cycle) or f"more than {MAX_SOFT_LINKS} soft links"
            error = LinkCycleError(
                f"{h5f.filename}:{seen[0]}: soft links that lead back to "
                f"themselves ({chain})"
            )
            error.chain = cycle or [*seen, link]  # type: ignore[attr-defined]
            raise error
        seen.append(link)
        value = current.links.get_val(bname).decode("utf-8", "surrogateescape")
        parts = [p for p in value.split("/") if p and p != "."] + parts
        if value.startswith("/"):
            current, where = root, ""
    return Resolved(high_level(current), where or "/")


def follow_link(group: h5py.Group, name: str) -> Any:
    """The object ``name`` reaches (links followed by HDF5), or a clear error."""
    target = resolve_path(group.file, name, group).obj
    if target is not None:
        return target
    link = member_link(group, name)  # KeyError if there is no such member
    holder = f"{location(group).rstrip('/')}/{name}"
    if isinstance(link, ExternalLinkInfo):
        raise DanglingLinkError(
            f"{holder}: external link to {link.path} in {link.filename}: "
            "no such file or object"
        )
    path = link.path if isinstance(link, SoftLinkInfo) else name
    raise DanglingLinkError(f"{holder}: soft link to {path}: no such object")


@dataclass(frozen=True)
class ExternalLink:
    """A link into another file, held by a model instead of the target's model.

    A value (frozen, compared by value), so a model can be read, compared and
    written back without the other file present. ``source`` is the file holding the
    link: a relative ``filename`` is looked up beside it first, as HDF5 does.
    """

    filename: str
    path: str
    source: str | None = field(default=None, compare=False)

    @classmethod
    def of(cls, group: h5py.Group, name: str) -> ExternalLink:
        """The external link ``name`` of ``group`` as a value."""
        link = member_link(group, name)
        if not isinstance(link, ExternalLinkInfo):
            raise TypeError(f"{location(group)}/{name} is not an external link")
        return cls(link.filename, link.path, group.file.filename)

    def candidates(self) -> list[str]:
        """Where the target file may be, in order: beside the file holding the
        link (for a remote file, beside its URL), then as named."""
        if os.path.isabs(self.filename) or not self.source:
            return [self.filename]
        url = url_of_file(self.source)
        if url is not None:  # a relative name from a URL: the URL beside it
            return [urljoin(url, quote(self.filename.replace(os.sep, "/")))]
        beside = os.path.join(
            os.path.dirname(os.path.abspath(self.source)), self.filename
        )
        return [beside, self.filename]

    def resolve(self) -> Any:
        """The target object, its file opened read-only once and kept open (see
        :func:`close_external_files`)."""
        for candidate in self.candidates():
            h5f = _open_target(candidate)
            if h5f is not None:
                target = h5f.get(self.path)
                if target is None:
                    raise DanglingLinkError(
                        f"{self.source_name}: external link to {self.path} in "
                        f"{candidate}: no such object"
                    )
                return target
        raise DanglingLinkError(
            f"{self.source_name}: external link to {self.path} in {self.filename}: "
            "no such file"
        )

    @property
    def source_name(self) -> str | None:
        """The file holding the link, as its user named it (a URL for a remote
        one)."""
        if self.source is None:
            return None
        return url_of_file(self.source) or self.source


def _open_target(candidate: str) -> h5py.File | None:
    """The file an external link may point to, opened read-only (shared), or
    ``None`` when there is none there."""
    if url_scheme(candidate) is not None:
        try:
            return open_read_only(candidate)
        except SourceError:  # 404, or not HDF5: not there
            return None
    if os.path.exists(candidate):
        return open_read_only(candidate)
    return None
