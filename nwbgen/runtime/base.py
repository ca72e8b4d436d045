"""Base classes of every generated model."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, field_validator


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
            raise KeyError(f"{type(self).__name__} {self.name!r} holds no members by name")
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
