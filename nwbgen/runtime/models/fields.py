"""The model classes a field of a generated model holds, read off its annotation.

Builders (``add_row``, ``create_device``, ...) make new members of the very
classes a model's fields declare, so that a table of core 2.7 gets core 2.7
columns and an NWBFile of 2.11 gets 2.11 devices, without naming a version.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def built(cls: type) -> Any:
    """``cls`` with its pydantic schema built (models defer it to first use), so
    that its field annotations are classes, not names."""
    if not getattr(cls, "__pydantic_complete__", True):
        cls.model_rebuild()  # type: ignore[attr-defined]
    return cls


def model_classes(annotation: Any) -> list[type]:
    """The pydantic model classes ``annotation`` admits: ``X``, ``X | None``,
    ``dict[str, X | Y]`` and ``Annotated[...]`` unwrapped, in order."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return model_classes(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[type] = []
        for arg in typing.get_args(annotation):
            out.extend(c for c in model_classes(arg) if c not in out)
        return out
    if origin in (dict, typing.Dict):  # noqa: UP006 - what get_origin may answer
        return model_classes(typing.get_args(annotation)[-1])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def field_classes(cls: type, name: str) -> list[type]:
    """The model classes field ``name`` of model class ``cls`` admits."""
    fields = built(cls).__pydantic_fields__
    if name not in fields:
        raise AttributeError(f"{cls.__name__} has no member {name!r}")
    return model_classes(fields[name].annotation)


def field_class(cls: type, name: str) -> Any:
    """The (first) model class field ``name`` of ``cls`` holds."""
    found = field_classes(cls, name)
    if not found:
        raise TypeError(f"{cls.__name__}.{name} holds no model")
    return found[0]


def child_class(cls: type, base_name: str) -> Any:
    """The class of ``cls``'s children that is, or derives from, the class named
    ``base_name`` (the most general such class)."""
    for candidate in field_classes(cls, "children"):
        for klass in candidate.__mro__:
            if klass.__name__ == base_name:
                return klass
    raise TypeError(f"{cls.__name__} holds no {base_name} by type")


def sibling_class(model_cls: type, name: str) -> Any:
    """Class ``name`` of the module that defines ``model_cls`` (or of one of its
    bases' modules): the generated module's own neighbours."""
    import sys

    for klass in model_cls.__mro__:
        module = sys.modules.get(klass.__module__)
        found = getattr(module, name, None) if module is not None else None
        if isinstance(found, type):
            return found
    raise TypeError(f"no class {name} beside {model_cls.__name__}")
