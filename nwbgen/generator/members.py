"""The members of a class as the emitters see them: one :class:`Member` per slot.

The LinkML IR says what each slot is (its ``role`` annotation, HDF5 name, dtype,
quantity); this module turns that into one value per member, with the role settled
once: every emitter (models, readers, writers) branches on :class:`Role` and on
nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from linkml_runtime.linkml_model.meta import ClassDefinition, SlotDefinition

from .classes import ClassIndex, ann


class Role(str, Enum):
    """What a member is in HDF5, and so which frame call reads and writes it."""

    #: the object's own name (not stored as a member)
    NAME = "name"
    #: a dataset class's own values
    VALUE = "value"
    #: an attribute
    ATTRIBUTE = "attribute"
    #: a named untyped dataset with no class of its own: its values
    DATASET = "dataset"
    #: a named subgroup or dataset with a class (typed, or a nested class)
    MEMBER = "member"
    #: a named link to a typed object
    LINK = "link"
    #: the members named only by type, by HDF5 name
    CHILDREN = "children"


@dataclass(frozen=True)
class Member:
    """One member of a class: its field, HDF5 name, role, dtype and classes."""

    field: str
    h5_name: str
    role: Role
    #: the schema dtype as the runtime's decoder and encoder name it
    kind: Any
    #: the schema says one value (an attribute, a scalar dataset)
    scalar: bool
    #: LinkML names of the classes a MEMBER, LINK or CHILDREN member holds
    classes: tuple[str, ...] = ()


def role_of(slot: SlotDefinition, index: ClassIndex) -> Role:
    """The role of a slot: the IR's annotation, with a dataset or group whose range
    is a generated class settled as a MEMBER."""
    role = ann(slot, "role")
    if role in ("dataset", "group"):
        return Role.MEMBER if str(slot.range) in index.info else Role.DATASET
    try:
        return Role(role)
    except ValueError:
        raise ValueError(f"slot {slot.name!r}: unknown role {role!r}") from None


def ranges(slot: SlotDefinition) -> list[str]:
    """The LinkML classes a slot may hold: its ``any_of`` ranges, or its range."""
    return [str(a.range) for a in slot.any_of] if slot.any_of else [str(slot.range)]


def member(slot: SlotDefinition, index: ClassIndex) -> Member:
    role = role_of(slot, index)
    field = str(slot.name)
    classes: tuple[str, ...] = ()
    if role == Role.CHILDREN:
        classes = tuple(ranges(slot))
    elif role in (Role.MEMBER, Role.LINK):
        classes = (str(slot.range),)
    return Member(
        field=field,
        h5_name=ann(slot, "h5_name", field),
        role=role,
        kind=runtime_kind(json.loads(ann(slot, "dtype", "null"))),
        scalar=not slot.multivalued,
        classes=classes,
    )


def members_of(index: ClassIndex, cls: ClassDefinition) -> list[Member]:
    """Every member of ``cls``, its bases' included (see :meth:`ClassIndex.slots`)."""
    return [member(slot, index) for slot in index.slots(cls)]


def runtime_kind(dtype: Any) -> Any:
    """A schema dtype (as the LinkML annotations carry it) as the runtime decoder
    names it: ``"float32"``, ``"object"``/``"region"``, or a tuple of
    ``(field, kind)`` for a compound."""
    if isinstance(dtype, dict):
        return "region" if dtype.get("reftype") == "region" else "object"
    if isinstance(dtype, list):
        return tuple((f["name"], runtime_kind(f["dtype"])) for f in dtype)
    return dtype
