"""The NWB/hdmf schema language as frozen values.

Everything the compiler knows about a schema passes through these classes. They are
built by :mod:`nwbgen.spec.parse` from the dicts found in YAML files or in a file's
``/specifications`` group, and never mutated afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: canonical primitive dtypes; aliases are folded onto these by the parser
PRIMITIVE_DTYPES = (
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
    "text",
    "ascii",
    "isodatetime",
    "numeric",
)

DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "long": "int64",
    "int": "int32",
    "short": "int16",
    "uint": "uint32",
    "utf": "text",
    "utf8": "text",
    "utf-8": "text",
    "str": "ascii",
    "bytes": "ascii",
    "bool_": "bool",
    "datetime": "isodatetime",
}


@dataclass(frozen=True)
class RefDtype:
    """A reference dtype: ``{target_type: X, reftype: object|region}``."""

    target_type: str
    reftype: str = "object"


@dataclass(frozen=True)
class CompoundField:
    name: str
    doc: str
    dtype: str | RefDtype


#: ``None`` means "any dtype" (the schema left it open)
Dtype = str | RefDtype | tuple[CompoundField, ...] | None

#: one shape alternative: a size per axis, ``None`` for "any size"
ShapeAlt = tuple[int | None, ...]


@dataclass(frozen=True)
class Quantity:
    """How often a member may appear: ``min`` to ``max`` times (``max=None``: unbounded)."""

    min: int
    max: int | None

    @property
    def optional(self) -> bool:
        return self.min == 0

    def __str__(self) -> str:
        table = {(1, 1): "1", (0, 1): "?", (0, None): "*", (1, None): "+"}
        return table.get((self.min, self.max), str(self.min))


ONE = Quantity(1, 1)


@dataclass(frozen=True)
class Attribute:
    name: str
    doc: str
    dtype: Dtype
    shape: tuple[ShapeAlt, ...] | None = None
    dims: tuple[tuple[str, ...], ...] | None = None
    required: bool = True
    value: Any = None
    default_value: Any = None


@dataclass(frozen=True)
class Link:
    name: str | None
    doc: str
    target_type: str
    quantity: Quantity = ONE


@dataclass(frozen=True)
class _Node:
    """What datasets and groups both have: a name or a type, and a quantity."""

    name: str | None
    doc: str
    def_type: str | None = None
    inc_type: str | None = None
    default_name: str | None = None
    quantity: Quantity = ONE


@dataclass(frozen=True)
class Dataset(_Node):
    dtype: Dtype = None
    shape: tuple[ShapeAlt, ...] | None = None
    dims: tuple[tuple[str, ...], ...] | None = None
    attributes: tuple[Attribute, ...] = ()
    value: Any = None
    default_value: Any = None
    linkable: bool = False
    #: keys the schema set explicitly on this node (used to merge overrides)
    given: frozenset[str] = field(default=frozenset(), compare=False)

    kind = "dataset"


@dataclass(frozen=True)
class Group(_Node):
    attributes: tuple[Attribute, ...] = ()
    datasets: tuple[Dataset, ...] = ()
    groups: tuple[Group, ...] = ()
    links: tuple[Link, ...] = ()
    linkable: bool = False
    given: frozenset[str] = field(default=frozenset(), compare=False)

    kind = "group"


Spec = Group | Dataset


@dataclass(frozen=True)
class SchemaFile:
    """One schema source of a namespace (``nwb.base.yaml`` or its cached twin)."""

    source: str
    types: tuple[Spec, ...]

    @property
    def module_name(self) -> str:
        return source_stem(self.source)


@dataclass(frozen=True)
class Include:
    """A namespace a namespace includes, optionally restricted to some of its types."""

    namespace: str
    types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Namespace:
    name: str
    version: str
    doc: str
    full_name: str
    includes: tuple[Include, ...]
    schemas: tuple[SchemaFile, ...]
    #: the exact source dicts, {"namespace": ..., "<source stem>": ...}, for embedding
    raw: Any = field(compare=False, hash=False, repr=False, default=None)
    #: where it came from (file path, or "file.nwb:/specifications/core/2.7.0")
    origin: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.version)


def source_stem(source: str) -> str:
    """``nwb.base.yaml`` -> ``nwb.base``: how caches name a schema source."""
    for suffix in (".yaml", ".yml", ".json"):
        if source.endswith(suffix):
            return source[: -len(suffix)]
    return source


def version_key(version: str) -> tuple:
    """Sort key comparing versions numerically: 2.10.0 > 2.9.0 > 2.6.0-alpha."""
    parts: list[tuple[int, Any]] = []
    main, _, pre = version.partition("-")
    for piece in main.replace("_", ".").split("."):
        if piece.isdigit():
            parts.append((1, int(piece)))
        else:
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append((1, int(digits)) if digits else (0, piece))
    # a release sorts after its own pre-releases
    return (tuple(parts), 1 if not pre else 0, pre)
