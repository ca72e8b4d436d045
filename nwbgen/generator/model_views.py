"""LinkML -> view models: frozen values with every string a template prints prepared.

This is where Python decisions live (type hints, defaults, imports, class order);
the templates only loop over what is built here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from linkml_runtime.linkml_model.meta import (
    ClassDefinition,
    SlotDefinition,
)

from ..errors import CompileError
from .classes import ClassIndex, ClassInfo, ann
from .hints import compatible, optional, pystr, slot_hint
from .imports import ImportLine, ImportView, group_imports, import_sort_key, sort_key
from .members import Role, role_of
from .naming import package_name
from .row_views import RowView, row_view

#: behaviour mixed into the hdmf table types (``nwbgen.runtime.models.tables``)
TABLE_MIXINS = {
    "DynamicTable": "DynamicTableMixin",
    "AlignedDynamicTable": "AlignedDynamicTableMixin",
    "VectorIndex": "VectorIndexMixin",
    "DynamicTableRegion": "DynamicTableRegionMixin",
}
#: namespaces that define those types (core did, before hdmf-common existed)
TABLE_NAMESPACES = frozenset({"hdmf-common", "core"})


def table_mixin(cls: ClassDefinition) -> str | None:
    """The runtime mixin of a generated class: hdmf's table types, and core's
    NWBFile (pynwb's builders, ``nwbgen.runtime.models.file``)."""
    if ann(cls, "namespace") == "core" and ann(cls, "neurodata_type") == "NWBFile":
        return "NWBFileMixin"
    if ann(cls, "namespace") not in TABLE_NAMESPACES:
        return None
    return TABLE_MIXINS.get(ann(cls, "neurodata_type") or "")


@dataclass(frozen=True)
class FieldView:
    name: str
    type_hint: str
    default_repr: str  # "..." for required
    description: str
    h5_name: str
    role: str
    comment: str = (
        ""  # e.g. a type: ignore where a subclass narrows a field mypy can't follow
    )

    @property
    def trailer(self) -> str:
        return f"  {self.comment}" if self.comment else ""

    @property
    def field_args(self) -> str:
        """``Field(...)`` arguments: the default by keyword (``default=``,
        ``default_factory=``), so that type checkers without the pydantic plugin
        (dataclass_transform) see which fields are optional; none when required."""
        args = []
        default = self.default_repr
        if default.startswith("'"):
            default = pystr(default[1:-1]) if '"' not in default else default
        if default.startswith("default_factory="):
            args.append(default)
        elif default != "...":
            args.append(f"default={default}")
        if self.description:
            args.append(f"description={pystr(self.description)}")
        return ", ".join(args)


@dataclass(frozen=True)
class ClassView:
    name: str
    bases: str
    docstring: str
    nwb_type: str  # repr of (namespace, type) or ""
    fields: tuple[FieldView, ...]
    #: a table's typed row model (``row_views``), defined just before it
    row: RowView | None = None


def _row_name(cls: ClassView) -> tuple[str, ...]:
    return (cls.row.name,) if cls.row is not None else ()


@dataclass(frozen=True)
class ModuleView:
    name: str  # module file stem
    header: str
    docstring: str
    imports: tuple[ImportLine, ...]
    late_imports: tuple[ImportLine, ...]
    classes: tuple[ClassView, ...]


@dataclass(frozen=True)
class VersionPackageView:
    """``<out>/<ns>/v<X_Y_Z>/__init__.py``: re-exports, identity, type registry."""

    header: str
    docstring: str
    imports: tuple[ImportLine, ...]
    namespace: str
    version: str
    sha256: str
    exported: tuple[str, ...]
    types: tuple[tuple[str, str], ...]  # (neurodata_type, python name)
    modules: tuple[ModuleView, ...]

    #: its folder below the package root: ``core/v2_11_0``
    package: str = ""


def docstring(text: str) -> str:
    """Text made safe and tidy inside triple quotes."""
    lines = [
        line.rstrip()
        for line in text.replace("\\", "\\\\")
        .replace('"""', '\\"\\"\\"')
        .strip()
        .splitlines()
    ]
    out = "\n".join(lines).strip()
    if out.endswith('"'):
        out += " "
    return out or "No documentation in the schema."


class ModelViewBuilder:
    """Builds the model module views of every namespace of one compile."""

    def __init__(self, index: ClassIndex) -> None:
        self.index = index
        self.schemas = index.schemas
        self._hint_cache: dict[str, dict[str, str]] = {}

    # -- packages -------------------------------------------------------------------
    def package(self, ns_name: str) -> VersionPackageView:
        schema = self.schemas[ns_name]
        version = str(schema.version)
        by_module: dict[str, list[ClassDefinition]] = {}
        for module in json.loads(ann(schema, "modules")):
            by_module[module] = []
        for cls in schema.classes.values():
            by_module.setdefault(ann(cls, "module"), []).append(cls)
        module_imports = {
            m: self._module_imports(ns_name, m, classes)
            for m, classes in by_module.items()
        }
        late = self._late_edges(ns_name, module_imports)
        modules = tuple(
            self._module(ns_name, m, classes, module_imports[m], late)
            for m, classes in by_module.items()
            if classes
        )
        header = self.index.header(ns_name)
        exported = []
        imports = []
        types = []
        for module in sorted(modules, key=lambda m: m.name):
            names = tuple(
                sorted(
                    (n for c in module.classes for n in (c.name, *_row_name(c))),
                    key=import_sort_key,
                )
            )
            imports.append(ImportLine(f".{module.name}", names))
            exported.extend(names)
        for cls in schema.classes.values():
            if ann(cls, "neurodata_type"):
                types.append((ann(cls, "neurodata_type"), ann(cls, "python_name")))
        return VersionPackageView(
            header=header,
            docstring=docstring(
                f"{schema.title or ns_name} {version}: {schema.description or ''}"
            ),
            namespace=ns_name,
            version=version,
            sha256=ann(schema, "spec_sha256"),
            imports=tuple(imports),
            exported=tuple(sorted(exported, key=sort_key)),
            types=tuple(sorted(types)),
            modules=modules,
            package=self.index.packages[ns_name].replace(".", "/"),
        )

    # -- imports ----------------------------------------------------------------------
    def _module_imports(
        self, ns_name: str, module: str, classes: list[ClassDefinition]
    ) -> dict[str, Any]:
        """Names a module needs: {"hard": {ClassInfo}, "soft": {ClassInfo}, "other": {ImportView}}."""
        hard: set[ClassInfo] = set()
        soft: set[ClassInfo] = set()
        other: set[ImportView] = {
            ImportView("__future__", "annotations"),
            ImportView("pydantic", "Field"),
        }
        for cls in classes:
            if cls.is_a:
                hard.add(self.index.info[cls.is_a])
            else:
                base = (
                    "DatasetModel" if ann(cls, "h5_kind") == "dataset" else "GroupModel"
                )
                other.add(ImportView(self.index.runtime_import, base))
            mixin = table_mixin(cls)
            if mixin is not None:
                other.add(ImportView(self.index.runtime_import, mixin))
                if "colnames" in cls.attributes and mixin.startswith(
                    ("DynamicTable", "AlignedDynamicTable")
                ):
                    other.add(ImportView(self.index.runtime_import, "no_columns"))
                if mixin == "NWBFileMixin" and "file_create_date" in cls.attributes:
                    other.add(ImportView(self.index.runtime_import, "created_now"))
            row = self._row(cls)
            if row is not None and row.base_of is not None:
                base_info = self.index.info[row.base_of]
                if not (base_info.namespace == ns_name and base_info.module == module):
                    other.add(ImportView(base_info.import_from(ns_name), row.base))
            if row is not None:
                other.add(ImportView("collections.abc", "Iterator"))
                if row.base == "TableRow":
                    other.add(ImportView(self.index.runtime_import, "TableRow"))
                hints = " ".join(f.type_hint for f in row.fields)
                if "Any" in hints:
                    other.add(ImportView("typing", "Any"))
                if "np." in hints:
                    other.add(ImportView("numpy", "", "np"))
            for slot in cls.attributes.values():
                _, refs, needs = slot_hint(self.index, slot)
                soft.update(self.index.info[r] for r in refs)
                other.update(needs)
        local = {
            info
            for info in hard | soft
            if info.namespace == ns_name and info.module == module
        }
        return {"hard": hard - local, "soft": soft - hard - local, "other": other}

    def _late_edges(
        self, ns_name: str, imports: dict[str, dict[str, Any]]
    ) -> set[tuple[str, str]]:
        """Annotation-only imports that would close a module cycle go to the module's end."""
        import networkx as nx

        graph = nx.DiGraph()
        for module, needed in imports.items():
            graph.add_node(module)
            for info in needed["hard"] | needed["soft"]:
                if info.namespace == ns_name:
                    graph.add_edge(module, info.module, hard=info in needed["hard"])
        hard_graph = nx.DiGraph(
            [(a, b) for a, b, d in graph.edges(data=True) if d["hard"]]
        )
        if not nx.is_directed_acyclic_graph(hard_graph):
            cycle = nx.find_cycle(hard_graph)
            raise CompileError(
                f"namespace {ns_name}: modules inherit from each other in a cycle: {cycle}"
            )
        late = set()
        for a, b, d in sorted(graph.edges(data=True)):
            if not d["hard"] and nx.has_path(graph, b, a):
                late.add((a, b))
        return late

    def _module(
        self,
        ns_name: str,
        module: str,
        classes: list[ClassDefinition],
        needed: dict[str, Any],
        late: set[tuple[str, str]],
    ) -> ModuleView:
        schema = self.schemas[ns_name]
        local_names = {ann(c, "python_name") for c in classes}
        used = set(local_names)
        aliases: dict[str, str] = {}  # linkml name -> name in this module
        for c in classes:
            aliases[c.name] = ann(c, "python_name")
        top: set[ImportView] = set(needed["other"])
        bottom: set[ImportView] = set()
        for info in sorted(
            needed["hard"] | needed["soft"],
            key=lambda i: (i.module_path, i.python_name),
        ):
            alias = info.python_name
            if alias in used:
                alias = f"{package_name(info.namespace)}_{info.python_name}"
            used.add(alias)
            aliases[info.linkml_name] = alias
            view = ImportView(info.import_from(ns_name), info.python_name, alias)
            (
                bottom
                if (module, info.module) in late and info.namespace == ns_name
                else top
            ).add(view)
        class_views = tuple(self._class(c, aliases) for c in self._ordered(classes))
        return ModuleView(
            name=module,
            header=self.index.header(ns_name),
            docstring=docstring(
                f"Models of {ns_name} {schema.version}, schema source {module}."
            ),
            imports=group_imports(top),
            late_imports=group_imports(bottom),
            classes=class_views,
        )

    def _ordered(self, classes: list[ClassDefinition]) -> list[ClassDefinition]:
        """Bases and field types before the classes that use them, so that pydantic
        finds every annotation defined when it creates a class; schema order otherwise.
        Field references that form a cycle keep schema order (bases always first)."""
        import networkx as nx

        by_name = {c.name: c for c in classes}
        position = {c.name: i for i, c in enumerate(classes)}
        graph = nx.DiGraph()
        graph.add_nodes_from(by_name)
        for cls in classes:
            if cls.is_a in by_name:
                graph.add_edge(cls.is_a, cls.name, base=True)
            for slot in cls.attributes.values():
                for ref in slot_hint(self.index, slot)[1]:
                    if (
                        ref in by_name
                        and ref != cls.name
                        and not graph.has_edge(ref, cls.name)
                    ):
                        graph.add_edge(ref, cls.name, base=False)
        condensed = nx.condensation(graph)
        members = condensed.graph["mapping"]
        components: dict[int, list[str]] = {}
        for name, component in members.items():
            components.setdefault(component, []).append(name)
        first = {c: min(position[n] for n in names) for c, names in components.items()}
        order: list[str] = []
        for component in nx.lexicographical_topological_sort(
            condensed, key=lambda c: f"{first[c]:06d}"
        ):
            names = components[component]
            inner = nx.DiGraph()
            inner.add_nodes_from(names)
            inner.add_edges_from(
                (a, b)
                for a, b, d in graph.subgraph(names).edges(data=True)
                if d["base"]
            )
            order.extend(
                nx.lexicographical_topological_sort(
                    inner, key=lambda n: f"{position[n]:06d}"
                )
            )
        return [by_name[n] for n in order]

    # -- classes and fields ---------------------------------------------------------
    def _class(self, cls: ClassDefinition, aliases: dict[str, str]) -> ClassView:
        if cls.is_a:
            bases = aliases[cls.is_a]
        else:
            bases = "DatasetModel" if ann(cls, "h5_kind") == "dataset" else "GroupModel"
        mixin = table_mixin(cls)
        if mixin is not None:
            bases = f"{mixin}, {bases}"
        nwb_type = ""
        if ann(cls, "neurodata_type"):
            nwb_type = (
                f"({pystr(ann(cls, 'namespace'))}, {pystr(ann(cls, 'neurodata_type'))})"
            )
        inherited = self._field_hints(cls.is_a) if cls.is_a else {}
        fields = tuple(
            self._field(slot, aliases, inherited.get(str(slot.name)), owner=cls)
            for slot in cls.attributes.values()
        )
        return ClassView(
            name=ann(cls, "python_name"),
            bases=bases,
            docstring=docstring(str(cls.description or "")),
            nwb_type=nwb_type,
            fields=fields,
            row=self._row(cls),
        )

    def _row(self, cls: ClassDefinition) -> RowView | None:
        row = row_view(self.index, cls, ann(cls, "python_name"))
        taken = row is not None and any(
            info.python_name == row.name for info in self.index.info.values()
        )
        return None if taken else row

    def _field_hints(self, linkml_name: str) -> dict[str, str]:
        """Field name -> hint (in LinkML names) of a class, inherited fields included."""
        if linkml_name in self._hint_cache:
            return self._hint_cache[linkml_name]
        cls = self.index.classes[linkml_name]
        out = dict(self._field_hints(cls.is_a)) if cls.is_a else {}
        for slot in cls.attributes.values():
            out[str(slot.name)] = self._full_hint(slot)
        self._hint_cache[linkml_name] = out
        return out

    def _full_hint(self, slot: SlotDefinition) -> str:
        hint = slot_hint(self.index, slot)[0]
        if (
            self._default(slot) is None
            and not slot.required
            and role_of(slot, self.index) != Role.CHILDREN
        ):
            hint += " | None"
        return hint

    def _field(
        self,
        slot: SlotDefinition,
        aliases: dict[str, str],
        inherited: str | None = None,
        owner: ClassDefinition | None = None,
    ) -> FieldView:
        hint, _, _ = slot_hint(self.index, slot, aliases)
        comment = ""
        if inherited is not None and not compatible(
            self.index, self._full_hint(slot), inherited
        ):
            comment = "# type: ignore[assignment]"
        role = role_of(slot, self.index)
        default = (
            self._default(slot)
            or self._builder_default(owner, slot, aliases)
            or self._empty_group(slot, aliases)
        )
        if default is None:
            if slot.required:
                default = "..."
            elif role == Role.CHILDREN:
                default = "default_factory=dict"
            else:
                hint = optional(hint)
                default = "None"
        elif default == "None" and not hint.endswith("| None"):
            hint = optional(hint)  # filled by a builder, absent in a file that lacks it
        return FieldView(
            name=str(slot.name),
            type_hint=hint,
            default_repr=default,
            description=(
                "" if role in (Role.NAME, Role.VALUE) else str(slot.description or "")
            ),
            h5_name=ann(slot, "h5_name", str(slot.name)),
            role=role,
            comment=comment,
        )

    def _builder_default(
        self,
        owner: ClassDefinition | None,
        slot: SlotDefinition,
        aliases: dict[str, str],
    ) -> str | None:
        """Defaults for the builders' classes: a table starts with no columns
        and no rows (``add_column`` and ``add_row`` keep ``colnames`` and ``id``
        right from there); an NWBFile is created now."""
        if owner is not None and table_mixin(owner) == "NWBFileMixin":
            # pynwb's: created now; time zero is the session start (filled by
            # NWBFileMixin from session_start_time)
            if slot.name == "file_create_date":
                return "default_factory=created_now"
            if slot.name == "timestamps_reference_time":
                return "None"
            return None
        if owner is None or table_mixin(owner) not in (
            "DynamicTableMixin",
            "AlignedDynamicTableMixin",
        ):
            return None
        if slot.name == "colnames":
            return "default_factory=no_columns"
        if slot.name == "id" and str(slot.range or "") in aliases:
            return f'default_factory=lambda: {aliases[str(slot.range)]}(name="id", value=[])'
        return None

    def _empty_group(self, slot: SlotDefinition, aliases: dict[str, str]) -> str | None:
        """The ``default_factory`` of a required member that is an untyped group
        needing no arguments (``NWBFile.acquisition``): pynwb creates those, so
        a user need not. A reader leaves the member absent when the file lacks it
        (``read._construct_into``), so a read model still writes what it had."""
        range_name = str(slot.range or "")
        if (
            not slot.required
            or range_name not in aliases
            or role_of(slot, self.index) != Role.MEMBER
            or not self._constructible(range_name)
        ):
            return None
        return f"default_factory=lambda: {aliases[range_name]}()"

    def _constructible(
        self, linkml_name: str, seen: frozenset[str] = frozenset()
    ) -> bool:
        """An untyped group class whose every member has a default or is itself
        such a group."""
        cls = self.index.classes.get(linkml_name)
        if (
            cls is None
            or linkml_name in seen
            or ann(cls, "h5_kind") == "dataset"
            or self.index.nwb_type_of(cls) is not None
        ):
            return False
        for slot in self.index.slots(cls):
            if not slot.required or self._default(slot) is not None:
                continue
            role = role_of(slot, self.index)
            if role != Role.MEMBER or not self._constructible(
                str(slot.range or ""), seen | {linkml_name}
            ):
                return False
        return True

    def _default(self, slot: SlotDefinition) -> str | None:
        if slot.ifabsent:
            text = str(slot.ifabsent)
            if text.startswith("string(") and text.endswith(")"):
                return pystr(text[len("string(") : -1])
        for key in ("value", "default"):
            found = ann(slot, key)
            if found is not None:
                value = json.loads(found)
                if slot.multivalued:
                    return f"default_factory=lambda: np.asarray({value!r})"
                return repr(value)
        return None
