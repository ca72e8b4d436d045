"""LinkML -> reader views: one read function per class, inherited members included.

Each function lists exactly the members its class has (its own and its bases'),
each as one call on the runtime :class:`~nwbgen.runtime.reader.Frame` with the
member's HDF5 name and dtype spelled out, so that reading walks no schema at run
time. The templates only print what is built here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from linkml_runtime.linkml_model.meta import ClassDefinition, SlotDefinition

from .naming import package_name
from .views import ImportLine, ImportView, ViewBuilder, _ann, _group_imports


@dataclass(frozen=True)
class ReaderFunctionView:
    name: str  # read_<Class>
    cls: str  # the class as imported in the reader module
    steps: tuple[str, ...]  # Frame calls, in member order


@dataclass(frozen=True)
class ReaderModuleView:
    header: str
    docstring: str
    imports: tuple[ImportLine, ...]
    functions: tuple[ReaderFunctionView, ...]


def runtime_kind(dtype: Any) -> Any:
    """A schema dtype (as the LinkML annotations carry it) as the runtime decoder
    names it: ``"float32"``, ``"object"``/``"region"``, or a tuple of
    ``(field, kind)`` for a compound."""
    if isinstance(dtype, dict):
        return "region" if dtype.get("reftype") == "region" else "object"
    if isinstance(dtype, list):
        return tuple((f["name"], runtime_kind(f["dtype"])) for f in dtype)
    return dtype


def build_reader_module(builder: ViewBuilder, ns_name: str) -> ReaderModuleView:
    schema = builder.schemas[ns_name]
    classes = list(schema.classes.values())
    names = _Names(builder, ns_name)
    functions = []
    for cls in classes:
        alias = names.of(str(cls.name))
        steps = tuple(
            step
            for slot in _all_slots(builder, cls)
            if (step := _step(slot, builder, names)) is not None
        )
        functions.append(
            ReaderFunctionView(
                name=f"read_{_ann(cls, 'python_name')}", cls=alias, steps=steps
            )
        )
    runtime = builder.runtime_import
    imports = {
        ImportView("__future__", "annotations"),
        ImportView("typing", "Any"),
        ImportView(f"{runtime}.reader", "ReadContext"),
        ImportView(f"{runtime}.reader", "Reader"),
        *names.imports(),
    }
    return ReaderModuleView(
        header=builder.header(ns_name),
        docstring=(
            f"Readers of {ns_name} {schema.version}: one function per class, "
            "reading exactly its members."
        ),
        imports=_group_imports(imports),
        functions=tuple(functions),
    )


class _Names:
    """The name each model class has in the reader module (aliased on clashes)."""

    def __init__(self, builder: ViewBuilder, ns_name: str) -> None:
        self.builder = builder
        self.ns_name = ns_name
        self._aliases: dict[str, str] = {}
        self._used: set[str] = set()
        # this namespace's classes first: they keep their plain names
        for name in builder.schemas[ns_name].classes:
            self.of(str(name))

    def of(self, linkml_name: str) -> str:
        if linkml_name in self._aliases:
            return self._aliases[linkml_name]
        info = self.builder.info[linkml_name]
        alias = info.python_name
        if alias in self._used or alias.startswith("read_"):
            alias = f"{package_name(info.namespace)}_{info.python_name}"
        self._used.add(alias)
        self._aliases[linkml_name] = alias
        return alias

    def imports(self) -> set[ImportView]:
        out = set()
        for linkml_name, alias in self._aliases.items():
            info = self.builder.info[linkml_name]
            source = (
                f".{info.module}"
                if info.namespace == self.ns_name
                else f"...{info.module_path}"
            )
            out.add(ImportView(source, info.python_name, alias))
        return out


def _all_slots(builder: ViewBuilder, cls: ClassDefinition) -> list[SlotDefinition]:
    """The class's slots with its bases', a subclass's slot replacing its base's."""
    chain = []
    current: ClassDefinition | None = cls
    while current is not None:
        chain.append(current)
        current = builder._classes.get(str(current.is_a)) if current.is_a else None
    slots: dict[str, SlotDefinition] = {}
    for ancestor in reversed(chain):
        for name, slot in ancestor.attributes.items():
            slots[str(name)] = slot
    # members by type take what the named members left, so they come last
    children = slots.pop("children", None)
    return [*slots.values(), *([children] if children is not None else [])]


def _step(slot: SlotDefinition, builder: ViewBuilder, names: _Names) -> str | None:
    role = _ann(slot, "role")
    field = str(slot.name)
    h5_name = _ann(slot, "h5_name", field)
    scalar = not slot.multivalued
    kind = runtime_kind(json.loads(_ann(slot, "dtype", "null")))
    if role == "name":
        return None
    if role == "value":
        return f"f.value({kind!r}, {scalar})"
    if role == "attribute":
        return f"f.attribute({field!r}, {h5_name!r}, {kind!r}, {scalar})"
    if role == "link":
        return f"f.link({field!r}, {h5_name!r}, {names.of(str(slot.range))})"
    if role == "children":
        ranges = (
            [str(a.range) for a in slot.any_of] if slot.any_of else [str(slot.range)]
        )
        allowed = ", ".join(names.of(r) for r in ranges)
        return f"f.children({field!r}, ({allowed},))"
    if role in ("dataset", "group"):
        if str(slot.range) in builder.info:
            return f"f.member({field!r}, {h5_name!r}, {names.of(str(slot.range))})"
        return f"f.dataset({field!r}, {h5_name!r}, {kind!r}, {scalar})"
    raise ValueError(f"slot {field!r}: unknown role {role!r}")
