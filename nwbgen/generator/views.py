"""LinkML -> view models: frozen values with every string a template prints prepared.

This is where Python decisions live (type hints, defaults, imports, class order);
the templates only loop over what is built here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from linkml_runtime.linkml_model.meta import (
    ClassDefinition,
    SchemaDefinition,
    SlotDefinition,
)

from ..errors import CompileError
from .naming import package_name, version_package

PY_SCALARS = {
    "float32": "float",
    "float64": "float",
    "numeric": "float",
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint8": "int",
    "uint16": "int",
    "uint32": "int",
    "uint64": "int",
    "bool": "bool",
    "text": "str",
    "ascii": "str",
    "isodatetime": "datetime",
}
NP_SCALARS = {
    "float32": "np.float32",
    "float64": "np.float64",
    "numeric": "np.number",
    "int8": "np.int8",
    "int16": "np.int16",
    "int32": "np.int32",
    "int64": "np.int64",
    "uint8": "np.uint8",
    "uint16": "np.uint16",
    "uint32": "np.uint32",
    "uint64": "np.uint64",
    "bool": "np.bool_",
    "text": "np.str_",
    "ascii": "np.str_",
    "isodatetime": "np.object_",
}


#: behaviour mixed into the hdmf table types (``nwbgen.runtime.tables``), by type
TABLE_MIXINS = {
    "DynamicTable": "DynamicTableMixin",
    "AlignedDynamicTable": "AlignedDynamicTableMixin",
    "VectorIndex": "VectorIndexMixin",
    "DynamicTableRegion": "DynamicTableRegionMixin",
}
#: namespaces that define those types (core did, before hdmf-common existed)
TABLE_NAMESPACES = frozenset({"hdmf-common", "core"})


def table_mixin(cls: ClassDefinition) -> str | None:
    """The runtime mixin of a generated hdmf table class, if it is one."""
    if _ann(cls, "namespace") not in TABLE_NAMESPACES:
        return None
    return TABLE_MIXINS.get(_ann(cls, "neurodata_type") or "")


NUMERIC_SCALARS = frozenset(
    v
    for k, v in NP_SCALARS.items()
    if k not in ("bool", "text", "ascii", "isodatetime")
)


@dataclass(frozen=True, order=True)
class ImportView:
    """``from {module} import {name} as {alias}``; sorted and grouped before rendering."""

    module: str
    name: str
    alias: str = ""

    @property
    def clause(self) -> str:
        return (
            f"{self.name} as {self.alias}"
            if self.alias and self.alias != self.name
            else self.name
        )


@dataclass(frozen=True)
class ImportLine:
    """One import statement, ready to print."""

    module: str
    names: tuple[str, ...]  # empty: ``import module as alias``
    alias: str = ""
    blank_before: bool = False  # first of an isort section

    @property
    def statement(self) -> str:
        if not self.names:
            return (
                f"import {self.module} as {self.alias}"
                if self.alias
                else f"import {self.module}"
            )
        return f"from {self.module} import {', '.join(self.names)}"


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
            default = _pystr(default[1:-1]) if '"' not in default else default
        if default.startswith("default_factory="):
            args.append(default)
        elif default != "...":
            args.append(f"default={default}")
        if self.description:
            args.append(f"description={_pystr(self.description)}")
        return ", ".join(args)


@dataclass(frozen=True)
class ClassView:
    name: str
    bases: str
    docstring: str
    nwb_type: str  # repr of (namespace, type) or ""
    fields: tuple[FieldView, ...]


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
    namespace: str
    version: str
    sha256: str
    imports: tuple[ImportLine, ...]
    exported: tuple[str, ...]
    types: tuple[tuple[str, str], ...]  # (neurodata_type, python name)
    modules: tuple[ModuleView, ...]

    @property
    def package(self) -> str:
        return f"{package_name(self.namespace)}/{version_package(self.version)}"


def _pystr(text: str) -> str:
    """A double-quoted Python literal (JSON escapes are Python escapes)."""
    return json.dumps(text, ensure_ascii=False)


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


def _ann(
    element: ClassDefinition | SlotDefinition | SchemaDefinition,
    key: str,
    default: Any = None,
) -> Any:
    found = element.annotations.get(key)
    return default if found is None else found.value


@dataclass(frozen=True)
class ClassInfo:
    """Where a LinkML class lands in Python."""

    linkml_name: str
    python_name: str
    namespace: str
    version: str
    module: str

    @property
    def module_path(self) -> str:
        return f"{package_name(self.namespace)}.{version_package(self.version)}.{self.module}"


class ViewBuilder:
    """Builds the module views of every namespace schema; one instance per compile."""

    def __init__(
        self,
        schemas: dict[str, SchemaDefinition],
        runtime_import: str,
        nwbgen_version: str,
    ):
        self.schemas = schemas
        self.runtime_import = runtime_import
        self.nwbgen_version = nwbgen_version
        self.info: dict[str, ClassInfo] = {}
        self._classes: dict[str, ClassDefinition] = {}
        self._hint_cache: dict[str, dict[str, str]] = {}
        for schema in schemas.values():
            self._classes.update(schema.classes)
            ns = _ann(schema, "namespace")
            for name, cls in schema.classes.items():
                self.info[name] = ClassInfo(
                    name,
                    _ann(cls, "python_name"),
                    ns,
                    str(schema.version),
                    _ann(cls, "module"),
                )

    # -- packages -------------------------------------------------------------------
    def package(self, ns_name: str) -> VersionPackageView:
        schema = self.schemas[ns_name]
        version = str(schema.version)
        by_module: dict[str, list[ClassDefinition]] = {}
        for module in json.loads(_ann(schema, "modules")):
            by_module[module] = []
        for cls in schema.classes.values():
            by_module.setdefault(_ann(cls, "module"), []).append(cls)
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
        header = self.header(ns_name)
        exported = []
        imports = []
        types = []
        for module in sorted(modules, key=lambda m: m.name):
            names = tuple(sorted((c.name for c in module.classes), key=import_sort_key))
            imports.append(ImportLine(f".{module.name}", names))
            exported.extend(names)
        for cls in schema.classes.values():
            if _ann(cls, "neurodata_type"):
                types.append((_ann(cls, "neurodata_type"), _ann(cls, "python_name")))
        return VersionPackageView(
            header=header,
            docstring=docstring(
                f"{schema.title or ns_name} {version}: {schema.description or ''}"
            ),
            namespace=ns_name,
            version=version,
            sha256=_ann(schema, "spec_sha256"),
            imports=tuple(imports),
            exported=tuple(sorted(exported, key=sort_key)),
            types=tuple(sorted(types)),
            modules=modules,
        )

    def header(self, ns_name: str) -> str:
        schema = self.schemas[ns_name]
        included = [
            f"{_ann(self.schemas[inc], 'namespace')} {self.schemas[inc].version}"
            for inc in json.loads(_ann(schema, "includes"))
            if inc in self.schemas
        ]
        source = f"{ns_name} {schema.version}" + (
            f" (with {', '.join(included)})" if included else ""
        )
        return f"# Generated by nwbgen {self.nwbgen_version} from {source}.\n# Do not edit: recompile with `nwbgen compile`."

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
                hard.add(self.info[cls.is_a])
            else:
                base = (
                    "DatasetModel"
                    if _ann(cls, "h5_kind") == "dataset"
                    else "GroupModel"
                )
                other.add(ImportView(self.runtime_import, base))
            mixin = table_mixin(cls)
            if mixin is not None:
                other.add(ImportView(f"{self.runtime_import}.tables", mixin))
            for slot in cls.attributes.values():
                _, refs, needs = self._hint(slot)
                soft.update(self.info[r] for r in refs)
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
        local_names = {_ann(c, "python_name") for c in classes}
        used = set(local_names)
        aliases: dict[str, str] = {}  # linkml name -> name in this module
        for c in classes:
            aliases[c.name] = _ann(c, "python_name")
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
            if info.namespace == ns_name:
                source = f".{info.module}"
            else:
                source = f"...{info.module_path}"
            view = ImportView(source, info.python_name, alias)
            (
                bottom
                if (module, info.module) in late and info.namespace == ns_name
                else top
            ).add(view)
        class_views = tuple(self._class(c, aliases) for c in self._ordered(classes))
        return ModuleView(
            name=module,
            header=self.header(ns_name),
            docstring=docstring(
                f"Models of {ns_name} {schema.version}, schema source {module}."
            ),
            imports=_group_imports(top),
            late_imports=_group_imports(bottom),
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
                for ref in self._hint(slot)[1]:
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
            bases = (
                "DatasetModel" if _ann(cls, "h5_kind") == "dataset" else "GroupModel"
            )
        mixin = table_mixin(cls)
        if mixin is not None:
            bases = f"{mixin}, {bases}"
        nwb_type = ""
        if _ann(cls, "neurodata_type"):
            nwb_type = f"({_pystr(_ann(cls, 'namespace'))}, {_pystr(_ann(cls, 'neurodata_type'))})"
        inherited = self._field_hints(cls.is_a) if cls.is_a else {}
        fields = tuple(
            self._field(slot, aliases, inherited.get(str(slot.name)))
            for slot in cls.attributes.values()
        )
        return ClassView(
            name=_ann(cls, "python_name"),
            bases=bases,
            docstring=docstring(str(cls.description or "")),
            nwb_type=nwb_type,
            fields=fields,
        )

    def _field_hints(self, linkml_name: str) -> dict[str, str]:
        """Field name -> hint (in LinkML names) of a class, inherited fields included."""
        if linkml_name in self._hint_cache:
            return self._hint_cache[linkml_name]
        cls = self._classes[linkml_name]
        out = dict(self._field_hints(cls.is_a)) if cls.is_a else {}
        for slot in cls.attributes.values():
            out[str(slot.name)] = self._full_hint(slot)
        self._hint_cache[linkml_name] = out
        return out

    def _full_hint(self, slot: SlotDefinition) -> str:
        hint = self._hint(slot)[0]
        if (
            self._default(slot) is None
            and not slot.required
            and _ann(slot, "role") != "children"
        ):
            hint += " | None"
        return hint

    def _simplified(self, union: str) -> set[str]:
        members = set(union.split(" | "))
        return {
            m
            for m in members
            if not any(o != m and self._is_subclass(m, o) for o in members)
        }

    def _is_subclass(self, child: str, parent: str) -> bool:
        while child:
            if child == parent:
                return True
            child = self._classes[child].is_a if child in self._classes else ""
        return False

    def _compatible(self, hint: str, inherited: str) -> bool:
        """Whether mypy accepts ``hint`` overriding ``inherited`` (narrowing only)."""
        optional = " | None"
        if hint.endswith(optional):
            if not inherited.endswith(optional):
                return False  # a subtype making a required member optional widens it
            hint = hint[: -len(optional)]
        if inherited.endswith(optional):
            inherited = inherited[: -len(optional)]
        hint, inherited = _array_core(hint), _array_core(inherited)
        if hint == inherited or (hint.startswith("Literal[") and inherited == "str"):
            return True
        if inherited == "Any" or (
            hint.startswith("Array[") and inherited == "Array[Any]"
        ):
            return True
        if inherited == "Array[np.number]" and hint[6:-1] in NUMERIC_SCALARS:
            return True  # Array is covariant and np.float32 is an np.number
        prefix = "dict[str, "
        if hint.startswith(prefix) and inherited.startswith(prefix):
            # dict is invariant: the value unions must be the same once members that
            # subclass another member are dropped (A | SubA is A)
            return self._simplified(hint[len(prefix) : -1]) == self._simplified(
                inherited[len(prefix) : -1]
            )
        return (
            hint in self._classes
            and inherited in self._classes
            and self._is_subclass(hint, inherited)
        )

    def _field(
        self,
        slot: SlotDefinition,
        aliases: dict[str, str],
        inherited: str | None = None,
    ) -> FieldView:
        hint, _, _ = self._hint(slot, aliases)
        comment = ""
        if inherited is not None and not self._compatible(
            self._full_hint(slot), inherited
        ):
            comment = "# type: ignore[assignment]"
        role = _ann(slot, "role")
        default = self._default(slot)
        if default is None:
            if slot.required:
                default = "..."
            elif role == "children":
                default = "default_factory=dict"
            else:
                hint = _optional(hint)
                default = "None"
        return FieldView(
            name=str(slot.name),
            type_hint=hint,
            default_repr=default,
            description=(
                "" if role in ("name", "value") else str(slot.description or "")
            ),
            h5_name=_ann(slot, "h5_name", str(slot.name)),
            role=role,
            comment=comment,
        )

    def _default(self, slot: SlotDefinition) -> str | None:
        if slot.ifabsent:
            text = str(slot.ifabsent)
            if text.startswith("string(") and text.endswith(")"):
                return _pystr(text[len("string(") : -1])
        for key in ("value", "default"):
            found = _ann(slot, key)
            if found is not None:
                value = json.loads(found)
                if slot.multivalued:
                    return f"default_factory=lambda: np.asarray({value!r})"
                return repr(value)
        return None

    def _hint(
        self, slot: SlotDefinition, aliases: dict[str, str] | None = None
    ) -> tuple[str, set[str], set[ImportView]]:
        """(type hint, LinkML classes it names, imports it needs)."""
        role = _ann(slot, "role")
        needs: set[ImportView] = set()
        refs: set[str] = set()

        def cls_name(linkml_name: str) -> str:
            refs.add(linkml_name)
            return aliases[linkml_name] if aliases is not None else linkml_name

        if role == "children":
            ranges = (
                [str(a.range) for a in slot.any_of]
                if slot.any_of
                else [str(slot.range)]
            )
            names = [cls_name(r) for r in ranges]
            return f"dict[str, {' | '.join(names)}]", refs, needs
        slot_range = str(slot.range)
        if role == "name":
            return "str", refs, needs
        if slot_range in self.info:
            name = cls_name(slot_range)
            if slot.multivalued:
                return f"list[{name}]", refs, needs
            return name, refs, needs
        fixed = _ann(slot, "value")
        compound = _ann(slot, "compound")
        if slot.multivalued:
            needs |= {
                ImportView("typing", "Annotated"),
                ImportView("numpy", "", "np"),
                ImportView(self.runtime_import, "Array"),
                ImportView(self.runtime_import, "ArraySpec"),
            }
            if compound:
                fields = json.loads(compound)
                dtype_repr = _tuples(
                    [[f["name"], _dtype_label(f["dtype"])] for f in fields]
                )
                scalar = "np.void"
            else:
                dtype = json.loads(_ann(slot, "dtype", "null"))
                dtype_repr = _literal(_dtype_label(dtype))
                scalar = (
                    NP_SCALARS.get(dtype, "np.object_")
                    if isinstance(dtype, str)
                    else "Any"
                )
                if scalar == "Any":
                    needs.add(ImportView("typing", "Any"))
            shape = _ann(slot, "shape")
            spec_args = [f"dtype={dtype_repr}"]
            if shape is not None:
                spec_args.append(f"shape={_tuples(json.loads(shape))}")
                spec_args.append(f"dims={_tuples(json.loads(_ann(slot, 'dims')))}")
            return (
                f"Annotated[Array[{scalar}], ArraySpec({', '.join(spec_args)})]",
                refs,
                needs,
            )
        if compound:
            needs.add(ImportView("typing", "Any"))
            return "Any", refs, needs
        scalar = PY_SCALARS.get(slot_range)
        if scalar is None:
            needs.add(ImportView("typing", "Any"))
            return "Any", refs, needs
        if scalar == "datetime":
            needs.add(ImportView("datetime", "datetime"))
        if fixed is not None and scalar == "str":
            needs.add(ImportView("typing", "Literal"))
            return f"Literal[{_pystr(json.loads(fixed))}]", refs, needs
        return scalar, refs, needs


def _optional(hint: str) -> str:
    """``X | None``; for an annotated array the None goes inside ``Annotated[...]``,
    which IDEs (jedi) follow where they give up on ``Annotated[...] | None``."""
    marker = ", ArraySpec("
    if hint.startswith("Annotated[") and marker in hint:
        return hint.replace(marker, " | None" + marker, 1)
    return f"{hint} | None"


def _array_core(hint: str) -> str:
    """``Annotated[Array[np.float32], ArraySpec(...)]`` -> ``Array[np.float32]``."""
    if hint.startswith("Annotated[Array[") and hint.endswith(")]"):
        return hint[len("Annotated[") : hint.index("]") + 1]
    return hint


def _dtype_label(dtype: Any) -> Any:
    if isinstance(dtype, dict):
        return f"{dtype.get('reftype', 'object')}:{dtype.get('target_type', '')}"
    return dtype


def _literal(value: Any) -> str:
    """A Python literal as black prints it (double quotes)."""
    if isinstance(value, str):
        return _pystr(value)
    return repr(value)


def _tuples(value: Any) -> str:
    """JSON lists as a tuple literal: [[null, 3]] -> ((None, 3),)."""
    if isinstance(value, list):
        inner = ", ".join(_tuples(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _literal(value)


def _kind(name: str) -> int:
    return 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2


def import_sort_key(name: str) -> tuple:
    """isort's order-by-type within an import: CONSTANTS, Classes, the rest; case-blind."""
    return (_kind(name), name.lower(), name)


def sort_key(name: str) -> tuple:
    """The order ruff wants in ``__all__``: by type, then case-sensitive."""
    return (_kind(name), name)


def _group_imports(views: set[ImportView]) -> tuple[ImportLine, ...]:
    """Import statements in isort's sections (future, stdlib, third party, nwbgen, local)."""
    by_module: dict[str, set[str]] = {}
    plain: list[ImportLine] = []
    for view in views:
        if view.name:
            by_module.setdefault(view.module, set()).add(view.clause)
        else:
            plain.append(ImportLine(view.module, (), view.alias))

    def rank(line: ImportLine) -> tuple:
        module = line.module
        if module == "__future__":
            section = 0
        elif module in ("datetime", "typing"):
            section = 1
        elif module.startswith("nwbgen"):
            section = 3
        elif module.startswith("."):
            # furthest first, then by module name
            return (4, -len(module) + len(module.lstrip(".")), module.lstrip("."))
        else:
            section = 2
        return (section, 0 if not line.names else 1, module)

    lines = plain + [
        ImportLine(m, tuple(sorted(n, key=import_sort_key)))
        for m, n in by_module.items()
    ]
    ordered = sorted(lines, key=rank)
    out = []
    previous = None
    for line in ordered:
        section = rank(line)[0]
        out.append(
            replace(line, blank_before=previous is not None and section != previous)
        )
        previous = section
    return tuple(out)
