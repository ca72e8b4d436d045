"""What a read keeps on each model: where it came from and what the schema does
not name, so that writing it back loses nothing; and the violations a read finds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import h5py  # type: ignore[import-untyped]

from .hdf5.attributes import read_attribute
from .hdf5.lazy import LazyArray, read_dataset
from .hdf5.links import ExternalLinkInfo, SoftLinkInfo, member_link
from .hdf5.references import Dereferencer


class Violation(NamedTuple):
    """One way an object breaks its schema, at one HDF5 path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class UnknownMembers:
    """What an object holds beyond its schema, kept so that nothing is lost."""

    attributes: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, LazyArray] = field(default_factory=dict)
    groups: dict[str, h5py.Group] = field(default_factory=dict)
    #: soft and external links, not followed (possibly dangling)
    links: dict[str, SoftLinkInfo | ExternalLinkInfo] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.attributes or self.datasets or self.groups or self.links)


@dataclass
class Source:
    """Where a model was read from, and what its object held beyond the schema.

    Kept on the model (see :func:`source_of`) so that a later write can put every
    attribute, member and link back as it was.
    """

    filename: str
    path: str
    object_id: str | None = None
    #: attributes, datasets, groups and links the schema does not name
    unknown: UnknownMembers = field(default_factory=UnknownMembers)
    #: typed members the schema has no place for, read as models
    extra_children: dict[str, Any] = field(default_factory=dict)
    #: members stored as soft or external links: HDF5 name -> the link as stored
    links: dict[str, SoftLinkInfo | ExternalLinkInfo] = field(default_factory=dict)
    #: attributes of untyped member datasets the schema gives no class: name -> attrs
    member_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: stored numeric dtypes of values decoded to Python numbers, by attribute or
    #: member name ("" for a dataset's own value), so a write keeps them
    dtypes: dict[str, Any] = field(default_factory=dict)
    #: the attribute naming the type: "neurodata_type" (NWB) or "data_type" (hdmf)
    type_attribute: str = "neurodata_type"
    #: (namespace, type) as stored, when the object names its type: a type the
    #: model's class is not (unknown, read as the class the schema expects) is
    #: written back as stored
    stored_type: tuple[str | None, str] | None = None
    #: fields whose values break the schema, kept as read: a write puts them back
    #: as stored when the schema's dtype cannot hold them
    as_read: frozenset[str] = frozenset()  # made anew when one is added (rare)
    #: stored as a group though its type is a dataset type: a write puts it back
    #: as a group (its attributes and members), as read
    stored_as_group: bool = False
    #: the values of a dataset whose type is a group type: a write puts the
    #: dataset back, as read
    stored_dataset: LazyArray | None = None
    #: attributes the schema names whose stored value reads as none: no value
    #: (a null dataspace, kept as its ``h5py.Empty``) or a reference to an object
    #: no class fits (kept as that HDF5 object); written back as stored unless
    #: the field was given a value. HDF5 name -> (field, what is kept)
    stored_attributes: dict[str, tuple[str | None, Any]] = field(default_factory=dict)


def source_of(model: Any) -> Source | None:
    """The :class:`Source` of a model read from a file; ``None`` for one built in
    Python."""
    private = getattr(model, "__pydantic_private__", None) or {}
    return private.get("_h5")


def unknown_members(
    obj: Any,
    known_attrs: Iterable[str] = (),
    known_members: Iterable[str] = (),
    *,
    resolver: Dereferencer | None = None,
) -> UnknownMembers:
    """The attributes, datasets, groups and links of ``obj`` not in the known names.

    Attributes are decoded with no schema dtype (numpy scalars keep their dtype);
    datasets come back as :class:`LazyArray`, groups as h5py groups for the
    dispatcher, soft and external links as their link info.
    """
    out = UnknownMembers()
    known_attrs = frozenset(known_attrs)
    for name in obj.attrs:
        if name not in known_attrs:
            out.attributes[name] = read_attribute(obj, name, resolver=resolver)
    if not isinstance(obj, h5py.Group):
        return out
    known_members = frozenset(known_members)
    for name in obj:
        if name in known_members:
            continue
        link = member_link(obj, name)
        if link is not None:
            out.links[name] = link
            continue
        member = obj[name]
        if isinstance(member, h5py.Dataset):
            out.datasets[name] = read_dataset(member, resolver=resolver)
        elif isinstance(member, h5py.Group):
            out.groups[name] = member
    return out
