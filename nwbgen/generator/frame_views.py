"""LinkML -> views of the generated readers and writers (``_reader.py``,
``_writer.py``): one function per class, inherited members included.

Each function lists exactly the members its class has (its own and its bases'),
each as one call on a runtime frame (:class:`~nwbgen.runtime.read.ReadFrame`,
:class:`~nwbgen.runtime.write.WriteFrame`) with the member's HDF5 name and dtype
spelled out, so that reading and writing walk no schema at run time. The call is
chosen by the member's :class:`~.members.Role` from one table, the writer's being
the inverse of the reader's. The templates only print what is built here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from linkml_runtime.linkml_model.meta import ClassDefinition

from .classes import ClassIndex, ann
from .imports import ClassNames, ImportLine, ImportView, group_imports
from .members import Member, Role, members_of

#: per role, the frame call that reads a member (on frame ``f``) and the one that
#: writes it (on ``w``); a dataset's own value is written when its frame opens,
#: and a name is the key a member is stored under, not a member
CALLS: dict[Role, tuple[str, str | None]] = {
    Role.VALUE: ("f.value({kind!r}, {scalar})", None),
    Role.ATTRIBUTE: (
        "f.attribute({field!r}, {h5_name!r}, {kind!r}, {scalar})",
        "w.attribute({field!r}, {h5_name!r}, {kind!r}, {scalar})",
    ),
    Role.DATASET: (
        "f.dataset({field!r}, {h5_name!r}, {kind!r}, {scalar})",
        "w.dataset({field!r}, {h5_name!r}, {kind!r}, {scalar})",
    ),
    Role.MEMBER: (
        "f.member({field!r}, {h5_name!r}, {cls})",
        "w.member({field!r}, {h5_name!r})",
    ),
    Role.LINK: (
        "f.link({field!r}, {h5_name!r}, {cls})",
        "w.link({field!r}, {h5_name!r})",
    ),
    Role.CHILDREN: ("f.children({field!r}, ({classes},))", "w.children({field!r})"),
}
READ_CALLS = {role: read for role, (read, _) in CALLS.items()}
WRITE_CALLS = {role: write for role, (_, write) in CALLS.items() if write}


@dataclass(frozen=True)
class FunctionView:
    name: str  # read_<Class> / write_<Class>
    cls: str  # the class as imported in the module
    steps: tuple[str, ...]  # frame calls, in member order
    begin: str = ""  # the frame a writer opens (readers' frames open alike)


@dataclass(frozen=True)
class FunctionModuleView:
    """``_reader.py`` or ``_writer.py`` of one namespace version."""

    header: str
    docstring: str
    imports: tuple[ImportLine, ...]
    functions: tuple[FunctionView, ...]


def step(m: Member, names: ClassNames, calls: dict[Role, str]) -> str | None:
    """The frame call for member ``m`` from an emitter's table of calls (``None``
    for a role the emitter has no call for)."""
    call = calls.get(m.role)
    if call is None:
        return None
    # only the classes a call names are imported
    uses_classes = "{cls}" in call or "{classes}" in call
    classes = [names.of(c) for c in m.classes] if uses_classes else []
    return call.format(
        field=m.field,
        h5_name=m.h5_name,
        kind=m.kind,
        scalar=m.scalar,
        cls=classes[0] if classes else "",
        classes=", ".join(classes),
    )


@dataclass(frozen=True)
class Emitter:
    """What makes a generated module a reader or a writer."""

    prefix: str  # of the function names: read_<Class>
    calls: dict[Role, str]  # the frame call per member role
    runtime_names: tuple[str, str]  # the context and function types it imports
    does: tuple[str, str]  # its functions, and what they do: "Readers", "reading"
    #: the call that opens a function's frame, where it differs by class
    begin: Callable[[ClassIndex, ClassDefinition, list[Member]], str] | None = None


def function_module(
    index: ClassIndex, ns_name: str, emitter: Emitter
) -> FunctionModuleView:
    """One ``<prefix>_<Class>`` function per class of ``ns_name``, each a frame call
    per member."""
    begin = emitter.begin
    schema = index.schemas[ns_name]
    names = ClassNames(index, ns_name)
    functions = []
    for cls in schema.classes.values():
        members = members_of(index, cls)
        functions.append(
            FunctionView(
                name=f"{emitter.prefix}_{ann(cls, 'python_name')}",
                cls=names.of(str(cls.name)),
                begin=begin(index, cls, members) if begin is not None else "",
                steps=tuple(
                    s
                    for m in members
                    if (s := step(m, names, emitter.calls)) is not None
                ),
            )
        )
    imports = {
        ImportView("__future__", "annotations"),
        ImportView("typing", "Any"),
        *(ImportView(index.runtime_import, name) for name in emitter.runtime_names),
        *names.imports(),
    }
    return FunctionModuleView(
        header=index.header(ns_name),
        docstring=f"{emitter.does[0]} of {ns_name} {schema.version}: one function per "
        f"class, {emitter.does[1]} exactly its members.",
        imports=group_imports(imports),
        functions=tuple(functions),
    )


def _begin(index: ClassIndex, cls: ClassDefinition, members: list[Member]) -> str:
    """The context call that opens the object a writer function writes."""
    nwb_type = index.nwb_type_of(cls)
    if ann(cls, "h5_kind") != "dataset":
        return f"ctx.group(parent, name, model, {nwb_type!r})"
    value = next((m for m in members if m.role == Role.VALUE), None)
    kind = value.kind if value is not None else None
    scalar = value is not None and value.scalar
    return f"ctx.dataset(parent, name, model, {nwb_type!r}, {kind!r}, {scalar})"


READER = Emitter("read", READ_CALLS, ("ReadContext", "Reader"), ("Readers", "reading"))
WRITER = Emitter(
    "write", WRITE_CALLS, ("WriteContext", "Writer"), ("Writers", "writing"), _begin
)


def build_reader_module(index: ClassIndex, ns_name: str) -> FunctionModuleView:
    return function_module(index, ns_name, READER)


def build_writer_module(index: ClassIndex, ns_name: str) -> FunctionModuleView:
    return function_module(index, ns_name, WRITER)
