"""LinkML -> writer views: one write function per class, the inverse of its reader.

Each function writes exactly its class's members (its own and its bases'), each as
one call on the runtime :class:`~nwbgen.runtime.writer.WFrame` with the member's
HDF5 name and schema dtype spelled out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from linkml_runtime.linkml_model.meta import ClassDefinition, SlotDefinition

from .readers import _all_slots, _Names, runtime_kind
from .views import ImportLine, ImportView, ViewBuilder, _ann, _group_imports


@dataclass(frozen=True)
class WriterFunctionView:
    name: str  # write_<Class>
    cls: str  # the class as imported in the writer module
    begin: str  # the frame the function opens
    steps: tuple[str, ...]


@dataclass(frozen=True)
class WriterModuleView:
    header: str
    docstring: str
    imports: tuple[ImportLine, ...]
    functions: tuple[WriterFunctionView, ...]


def nwb_type_of(builder: ViewBuilder, cls: ClassDefinition) -> tuple[str, str] | None:
    """(namespace, type) a class's objects are stored as: its own type, or for a
    member class refining a type in place, the nearest typed base's."""
    current: ClassDefinition | None = cls
    while current is not None:
        if _ann(current, "neurodata_type"):
            return (_ann(current, "namespace"), _ann(current, "neurodata_type"))
        current = builder._classes.get(str(current.is_a)) if current.is_a else None
    return None


def build_writer_module(builder: ViewBuilder, ns_name: str) -> WriterModuleView:
    schema = builder.schemas[ns_name]
    names = _Names(builder, ns_name)
    functions = []
    for cls in schema.classes.values():
        alias = names.of(str(cls.name))
        slots = _all_slots(builder, cls)
        nwb_type = nwb_type_of(builder, cls)
        if _ann(cls, "h5_kind") == "dataset":
            value = next((s for s in slots if _ann(s, "role") == "value"), None)
            kind = (
                runtime_kind(json.loads(_ann(value, "dtype", "null")))
                if value is not None
                else None
            )
            scalar = value is not None and not value.multivalued
            begin = (
                f"ctx.dataset(parent, name, model, {nwb_type!r}, {kind!r}, {scalar})"
            )
        else:
            begin = f"ctx.group(parent, name, model, {nwb_type!r})"
        steps = tuple(
            step for slot in slots if (step := _step(slot, builder)) is not None
        )
        functions.append(
            WriterFunctionView(
                name=f"write_{_ann(cls, 'python_name')}",
                cls=alias,
                begin=begin,
                steps=steps,
            )
        )
    runtime = builder.runtime_import
    imports = {
        ImportView("__future__", "annotations"),
        ImportView("typing", "Any"),
        ImportView(f"{runtime}.writer", "WriteContext"),
        ImportView(f"{runtime}.writer", "Writer"),
        *names.imports(),
    }
    return WriterModuleView(
        header=builder.header(ns_name),
        docstring=(
            f"Writers of {ns_name} {schema.version}: one function per class, "
            "writing exactly its members."
        ),
        imports=_group_imports(imports),
        functions=tuple(functions),
    )


def _step(slot: SlotDefinition, builder: ViewBuilder) -> str | None:
    role = _ann(slot, "role")
    field = str(slot.name)
    h5_name = _ann(slot, "h5_name", field)
    kind = runtime_kind(json.loads(_ann(slot, "dtype", "null")))
    scalar = not slot.multivalued
    if role in ("name", "value"):
        return None
    if role == "attribute":
        return f"w.attribute({field!r}, {h5_name!r}, {kind!r}, {scalar})"
    if role == "link":
        return f"w.link({field!r}, {h5_name!r})"
    if role == "children":
        return f"w.children({field!r})"
    if role in ("dataset", "group"):
        if str(slot.range) in builder.info:
            return f"w.member({field!r}, {h5_name!r})"
        return f"w.dataset({field!r}, {h5_name!r}, {kind!r}, {scalar})"
    raise ValueError(f"slot {field!r}: unknown role {role!r}")
