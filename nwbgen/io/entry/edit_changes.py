"""What an edit changes, as the planner (:mod:`.edit_plan`) finds it and the
applier (:mod:`.edit_apply`) writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ValueChange:
    """A dataset's values changed: written in place (``scalar``), rows appended
    (``append``: in place, or the dataset rewritten with its stored rows copied),
    or all values replaced (``rewrite``)."""

    path: str
    op: str
    #: the values as the model holds them (the new rows for an append)
    rows: Any
    #: the values encoded for the dataset (``None``: they hold references,
    #: encoded when written)
    data: Any = None
    #: the kind to encode ``rows`` with when they hold references
    kind: Any = None
    #: rows stored before (append)
    start: int = 0
    #: dtype of the dataset written (append: the stored one, or a wider one)
    dtype: Any = None
    in_place: bool = False
    refs: bool = False
    #: references to objects this edit writes: applied after they exist
    late: bool = False

    @property
    def rewrites(self) -> bool:
        return self.op == "rewrite" or (self.op == "append" and not self.in_place)


@dataclass
class AttrChange:
    path: str
    name: str
    value: Any
    kind: Any
    delete: bool = False


@dataclass
class NewDataset:
    """An untyped member dataset (no class of its own) a read group did not have."""

    parent: str
    name: str
    value: Any
    kind: Any


@dataclass
class Placement:
    """A member placed under a group of the file: ``write`` (a new model, or a
    link when it lives in the file already), ``link`` (a schema link) or
    ``external`` (an :class:`ExternalLink`)."""

    parent: str
    name: str
    model: Any
    how: str


@dataclass
class Referrer:
    """References to a dataset this edit rewrites: where they are (an attribute or
    a dataset's values, a compound field), at which flat positions, to what."""

    holder: str
    attribute: str | None
    field: str | None
    region: bool
    positions: list[int]
    targets: list[str]
    selections: list[Any] | None = None


@dataclass
class Plan:
    unlinks: list[str] = field(default_factory=list)
    #: the objects unlinked (hard links): they and all they hold leave the file
    removed: list[str] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    new_datasets: list[NewDataset] = field(default_factory=list)
    attributes: list[AttrChange] = field(default_factory=list)
    referrers: list[Referrer] = field(default_factory=list)
    #: the new models and where they will be written
    new_models: list[tuple[Any, str]] = field(default_factory=list)
    #: the models of the file compared
    visited: list[Any] = field(default_factory=list)
    #: models of the file whose members were unlinked or placed, and which
    relinked: list[tuple[Any, set[str]]] = field(default_factory=list)
    #: packages of the extensions a new model belongs to that the file lacks
    packages: set[Any] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (
            self.unlinks
            or self.values
            or self.placements
            or self.new_datasets
            or self.attributes
        )
