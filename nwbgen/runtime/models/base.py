"""Base classes of every generated model."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from ..errors import BuildError
from ..lazy_children import LazyChildren
from .fields import built, model_classes


def is_model(value: Any) -> bool:
    """A generated model: of the bundle, or of a compiled package with its own copy
    of this runtime (so not an instance of *this* :class:`NWBModel`)."""
    return isinstance(value, BaseModel) and hasattr(type(value), "__nwb_type__")


class _InheritedNames(Mapping[str, Any]):
    """Names a subclass's inherited annotations may use, read live from the modules
    of its bases, minus those its own module defines.

    pydantic evaluates an inherited field it could not resolve when the base was
    created (a type imported late to break a module cycle) in the *subclass's*
    module; this mapping, installed as the parent namespace, lets it find the name
    where the base found it.
    """

    def __init__(self, cls: type) -> None:
        self._module = cls.__module__
        self._bases = [
            b.__module__ for b in cls.__mro__[1:] if b.__module__ != cls.__module__
        ]
        self._cache: dict[str, Any] | None = None

    def _names(self) -> dict[str, Any]:
        own = vars(sys.modules[self._module]) if self._module in sys.modules else {}
        out: dict[str, Any] = {}
        for module_name in reversed(dict.fromkeys(self._bases)):
            module = sys.modules.get(module_name)
            if module is not None:
                out.update(vars(module))
        return {k: v for k, v in out.items() if k not in own and not k.startswith("__")}

    def __getitem__(self, key: str) -> Any:
        # pydantic asks name by name while building a schema: collect once, and
        # again only for a name not seen yet (a module still being imported)
        if self._cache is None or key not in self._cache:
            self._cache = self._names()
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


_MODEL_CONFIG = ConfigDict(
    defer_build=True,
    arbitrary_types_allowed=True,
    extra="forbid",
    protected_namespaces=(),
    validate_default=False,
)


class NWBModel(BaseModel):
    """An object of an NWB file: a group or a dataset with its HDF5 name."""

    # By name, not a literal ``ConfigDict(...)``: the pydantic mypy plugin then
    # gives ``__init__`` a ``**kwargs`` for pynwb's flat keywords (``rate=``,
    # ``lab=``, routed by ``_member_values``); at run time extra="forbid" still
    # makes any other keyword an error.
    model_config = _MODEL_CONFIG

    #: (namespace, neurodata_type) for typed classes; None for nested member classes
    __nwb_type__: ClassVar[tuple[str, str] | None] = None

    name: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.__pydantic_parent_namespace__ = _InheritedNames(cls)  # type: ignore[assignment]

    @model_serializer(mode="wrap")
    def _members_read_first(self, handler: SerializerFunctionWrapHandler) -> Any:
        """``model_dump()`` and friends: the members a lazy read left for later
        are read first (pydantic sees a mapping's entries as stored)."""
        for value in self.__dict__.values():
            if isinstance(value, LazyChildren):
                value.resolve_all()
        return handler(self)

    def _repr_html_(self) -> str:
        """A collapsible tree of this object and its members (type, name, shape,
        dtype, attributes), as Jupyter shows it; metadata only."""
        from .tree import tree_html

        return tree_html(self)

    @model_validator(mode="before")
    @classmethod
    def _member_values(cls, data: Any) -> Any:
        """A dataset member given its values (``data=np.zeros(...)``) means the
        dataset's class holding them, its attributes at their defaults; a member
        given as its typed base (the generic ``DynamicTableRegion`` that
        ``create_electrode_table_region`` makes, where ``ElectricalSeries``
        declares its own refinement) is made of the declared class. The class
        then checks them as strictly as ever."""
        if not isinstance(data, dict):
            return data
        members = _single_members(cls)
        owners = _attribute_owners(cls)
        routed = [k for k in data if k in owners and k not in cls.__pydantic_fields__]
        given = members.keys() & data.keys()
        if not given and not routed:
            return data
        out = dict(data)
        for key in routed:  # pynwb's flat keywords: rate=, unit=, conversion=
            member = owners[key]
            value = out.get(member)
            if value is None:
                out[member] = {key: out.pop(key)}
                if _starts_at_zero(members[member]):
                    # pynwb's TimeSeries(rate=...) starts at 0.0
                    out[member]["value"] = 0.0
            elif isinstance(value, dict):
                out[member] = {**value, key: out.pop(key)}
            elif not isinstance(value, BaseModel):
                out[member] = {"value": value, key: out.pop(key)}
        for name in given:
            value, klass = out[name], members[name]
            if value is None or isinstance(value, (dict, klass)):
                continue
            if isinstance(value, BaseModel):
                if isinstance(klass, type) and type(value) in klass.__mro__[1:]:
                    out[name] = klass(**value.__dict__)
            elif issubclass(klass, DatasetModel):
                out[name] = {"value": value}
        return out


_SINGLE_MEMBERS: dict[type, dict[str, type]] = {}


def _starts_at_zero(klass: type) -> bool:
    """A scalar float dataset (``starting_time``): given only its attributes, its
    value is 0.0."""
    info = built(klass).__pydantic_fields__.get("value")
    return info is not None and info.annotation is float


_ATTRIBUTE_OWNERS: dict[type, dict[str, str]] = {}


def _attribute_owners(cls: type) -> dict[str, str]:
    """Attribute name -> the dataset member of ``cls`` that has it (the first
    declared, so ``unit`` is ``data``'s, not ``timestamps``'): where pynwb's
    flat keywords (``TimeSeries(rate=...)``) go."""
    found = _ATTRIBUTE_OWNERS.get(cls)
    if found is None:
        found = {}
        for member, klass in _single_members(cls).items():
            if issubclass(klass, DatasetModel):
                for attr in built(klass).__pydantic_fields__:
                    if attr not in ("name", "value"):
                        found.setdefault(attr, member)
        _ATTRIBUTE_OWNERS[cls] = found
    return found


def _single_members(cls: type) -> dict[str, type]:
    """Field -> class, for the fields of ``cls`` that hold one model class."""
    found = _SINGLE_MEMBERS.get(cls)
    if found is None:
        found = {}
        for name, info in built(cls).__pydantic_fields__.items():
            if name == "children":
                continue
            classes = model_classes(info.annotation)
            if len(classes) == 1:
                found[name] = classes[0]
        _SINGLE_MEMBERS[cls] = found
    return found


class GroupModel(NWBModel):
    """An HDF5 group. Members the schema names by type are in ``children``, by HDF5 name."""

    @field_validator("children", mode="before", check_fields=False)
    @classmethod
    def _children_by_name(cls, value: Any) -> Any:
        # accept a list of models as well as a {name: model} dict
        if isinstance(value, (list, tuple)):
            return {child.name: child for child in value}
        return value

    def __getitem__(self, name: str) -> Any:
        children = getattr(self, "children", None)
        if children is None:
            raise KeyError(
                f"{type(self).__name__} {self.name!r} holds no members by name"
            )
        return children[name]

    def __contains__(self, name: object) -> bool:
        children = getattr(self, "children", None) or {}
        return name in children

    def add(self, *models: Any) -> Any:
        """Put ``models`` among this group's members by type, by their names; a
        name already taken, or a model of a type the group does not hold (or of
        another namespace version), is a :class:`BuildError`. Returns the last."""
        fields = built(type(self)).__pydantic_fields__
        if "children" not in fields:
            raise BuildError(
                f"{type(self).__name__} {self.name!r} holds no members by type"
            )
        allowed = tuple(model_classes(fields["children"].annotation))
        children = self.__dict__.get("children")
        if children is None:
            children = self.__dict__["children"] = {}
        for model in models:
            if not isinstance(model, allowed):
                names = ", ".join(f"{c.__module__}.{c.__name__}" for c in allowed)
                raise BuildError(
                    f"{type(self).__name__} {self.name!r} cannot hold "
                    f"{type(model).__module__}.{type(model).__name__} "
                    f"{getattr(model, 'name', '?')!r}: it holds {names}"
                )
            child: Any = model  # an isinstance-narrowed object to mypy
            name: str = child.name
            if name in children:
                raise BuildError(
                    f"{type(self).__name__} {self.name!r} already holds {name!r}"
                )
            children[name] = model
        self.__pydantic_fields_set__.add("children")
        return models[-1] if models else None


class DatasetModel(NWBModel):
    """An HDF5 dataset with attributes; its values are in ``value``."""

    value: Any = None

    def __getitem__(self, key: Any) -> Any:
        return self.value[key]

    def __len__(self) -> int:
        return len(self.value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))
