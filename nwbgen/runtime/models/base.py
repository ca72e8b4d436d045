"""Base classes of every generated model."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator


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


class NWBModel(BaseModel):
    """An object of an NWB file: a group or a dataset with its HDF5 name."""

    model_config = ConfigDict(
        defer_build=True,
        arbitrary_types_allowed=True,
        extra="forbid",
        protected_namespaces=(),
        validate_default=False,
    )

    #: (namespace, neurodata_type) for typed classes; None for nested member classes
    __nwb_type__: ClassVar[tuple[str, str] | None] = None

    name: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.__pydantic_parent_namespace__ = _InheritedNames(cls)  # type: ignore[assignment]


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
