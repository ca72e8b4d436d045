"""The catalog: every namespace version a compile needs, includes resolved, types ordered.

A :class:`NamespaceCatalog` answers three questions the generator asks:

* which namespace version does each include name (``core`` includes ``hdmf-common``)?
* which type definition does a type name mean, seen from a given namespace?
* in what order must the classes be defined (parents before children)?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..errors import CompileError
from .model import Attribute, Dataset, Group, Link, Namespace, Spec, version_key
from .order import find_cycle, smallest_first


@dataclass(frozen=True)
class TypeRef:
    """A neurodata type by its namespace and name; unique across a catalog."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}:{self.name}"


@dataclass(frozen=True)
class TypeDef:
    ref: TypeRef
    spec: Spec
    module: str  # schema source stem, e.g. "nwb.base"
    parent: TypeRef | None
    index: int  # position in its namespace, for stable ordering


class NamespaceCatalog:
    """Namespaces chosen for one compile, keyed by name (one version each)."""

    def __init__(
        self, namespaces: Iterable[Namespace], fallback: Iterable[Namespace] = ()
    ):
        given = newest_by_name(namespaces)
        self._fallback = {**newest_by_name(fallback), **given}
        self.namespaces: dict[str, Namespace] = {}
        for name in sorted(given):
            self._add(given[name], via=None)
        self.includes: dict[str, tuple[str, ...]] = {
            name: self._includes_of(ns) for name, ns in self.namespaces.items()
        }
        self.types: dict[TypeRef, TypeDef] = {}
        self._rolled: dict[TypeRef, Spec] = {}
        self._by_ns: dict[str, dict[str, TypeDef]] = {}
        for ns in self.namespaces.values():
            self._collect_types(ns)
        for name in self.namespaces:
            self._resolve_parents(name)
        self._check_inheritance_cycles()

    # -- namespaces -------------------------------------------------------------
    def _add(self, ns: Namespace, via: str | None) -> None:
        if ns.name in self.namespaces:
            return
        self.namespaces[ns.name] = ns
        for include in ns.includes:
            if include.namespace in self.namespaces:
                continue
            found = self._fallback.get(include.namespace)  # given ones win
            if found is None:
                raise CompileError(
                    f"namespace {ns.name} {ns.version} ({ns.origin}) includes namespace "
                    f"{include.namespace!r}, which is neither given nor bundled"
                )
            self._add(found, via=ns.name)

    def _includes_of(self, ns: Namespace) -> tuple[str, ...]:
        return includes_of(ns, self.namespaces)

    def include_closure(self, name: str) -> list[str]:
        """``name`` and everything it includes, depth-first, each once."""
        seen: list[str] = []
        stack = [name]
        while stack:
            current = stack.pop(0)
            if current in seen:
                continue
            seen.append(current)
            stack.extend(self.includes.get(current, ()))
        return seen

    # -- types --------------------------------------------------------------------
    def _collect_types(self, ns: Namespace) -> None:
        table: dict[str, TypeDef] = {}
        index = 0
        for schema in ns.schemas:
            for spec in _type_definitions(schema.types):
                assert spec.def_type is not None
                if spec.def_type in table:
                    raise CompileError(
                        f"namespace {ns.name} {ns.version}: type {spec.def_type} is defined twice "
                        f"({table[spec.def_type].module} and {schema.module_name})"
                    )
                ref = TypeRef(ns.name, spec.def_type)
                table[spec.def_type] = TypeDef(
                    ref, spec, schema.module_name, None, index
                )
                index += 1
        self._by_ns[ns.name] = table

    def resolve(self, name: str, from_namespace: str, where: str = "") -> TypeDef:
        """The type ``name`` as seen from ``from_namespace``: its own first, then includes."""
        for ns_name in self.include_closure(from_namespace):
            found = self._by_ns.get(ns_name, {}).get(name)
            if found is not None:
                return self.types.get(found.ref, found)
        ns = self.namespaces[from_namespace]
        raise CompileError(
            f"namespace {ns.name} {ns.version}{': ' + where if where else ''}: unknown type {name!r} "
            f"(not defined in {', '.join(self.include_closure(from_namespace))})"
        )

    def _resolve_parents(self, ns_name: str) -> None:
        for name, typedef in self._by_ns[ns_name].items():
            parent = None
            inc = typedef.spec.inc_type
            if inc is not None:
                if inc == name:
                    # an extension refining a type of the same name from an include
                    parent_def = self._resolve_in_includes(inc, ns_name, typedef)
                else:
                    parent_def = self.resolve(inc, ns_name, where=f"type {name}")
                parent = parent_def.ref
            full = replace(typedef, parent=parent)
            self._by_ns[ns_name][name] = full
            self.types[full.ref] = full

    def _resolve_in_includes(
        self, name: str, ns_name: str, typedef: TypeDef
    ) -> TypeDef:
        for other in self.include_closure(ns_name)[1:]:
            found = self._by_ns.get(other, {}).get(name)
            if found is not None:
                return found
        raise CompileError(f"namespace {ns_name}: type {name} extends itself")

    def _check_inheritance_cycles(self) -> None:
        cycle = find_cycle(
            (typedef.ref, typedef.parent)
            for typedef in self.types.values()
            if typedef.parent is not None
        )
        if cycle is not None:
            names = " -> ".join(str(ref) for ref in (*cycle, cycle[0]))
            raise CompileError(f"inheritance cycle: {names}")

    def types_of(self, ns_name: str) -> list[TypeDef]:
        return list(self._by_ns[ns_name].values())

    def class_order(self, ns_name: str) -> list[TypeDef]:
        """The types of a namespace, every parent before its children, schema order otherwise."""
        local = self._by_ns[ns_name]
        refs = [typedef.ref for typedef in local.values()]
        order = smallest_first(
            refs,
            (
                (typedef.parent, typedef.ref)
                for typedef in local.values()
                if typedef.parent is not None and typedef.parent.namespace == ns_name
            ),
            key=lambda ref: local[ref.name].index,
        )
        assert order is not None, "inheritance cycles are refused on construction"
        return [local[ref.name] for ref in order]

    def rolled_down(self, ref: TypeRef) -> Spec:
        """A type's spec with everything it inherits merged in (own keys win)."""
        rolled = self._rolled.get(ref)
        if rolled is None:
            typedef = self.types[ref]
            rolled = typedef.spec
            if typedef.parent is not None:
                rolled = merge_spec(self.rolled_down(typedef.parent), typedef.spec)
            self._rolled[ref] = rolled
        return rolled

    def namespace_order(self) -> list[str]:
        """Namespaces with every include before its includer."""
        edges = sorted(
            {
                (inc, name)
                for name, includes in self.includes.items()
                for inc in includes
                if inc in self.namespaces and inc != name
            }
        )
        order = smallest_first(list(self.includes), edges)
        if order is None:
            cycle = find_cycle(edges) or []
            raise CompileError(
                "namespace include cycle: " + " -> ".join((*cycle, *cycle[:1]))
            )
        return order


def _type_definitions(specs: Iterable[Spec]) -> Iterable[Spec]:
    """Every type definition, also those nested inside others (core 2.1 defines
    ``Device`` and ``Subject`` inside ``NWBFile``)."""
    for spec in specs:
        if spec.def_type is not None:
            yield spec
        if isinstance(spec, Group):
            yield from _type_definitions((*spec.datasets, *spec.groups))


def includes_of(ns: Namespace, present: Iterable[str]) -> tuple[str, ...]:
    """The names of the namespaces ``ns`` includes, among those ``present``."""
    names = [inc.namespace for inc in ns.includes]
    # core before 2.2 used hdmf-common types without including the namespace
    if ns.name == "core" and "hdmf-common" in present and "hdmf-common" not in names:
        names.append("hdmf-common")
    return tuple(dict.fromkeys(names))


def newest_by_name(namespaces: Iterable[Namespace]) -> dict[str, Namespace]:
    best: dict[str, Namespace] = {}
    for ns in namespaces:
        if ns.name not in best or version_key(ns.version) > version_key(
            best[ns.name].version
        ):
            best[ns.name] = ns
    return best


# -- merging overrides ------------------------------------------------------------


def member_key(member: Attribute | Dataset | Group | Link) -> str:
    if member.name is not None:
        return member.name
    if isinstance(member, Link):
        return f"<link {member.target_type}>"
    return f"<{member.inc_type or member.def_type}>"


def _merge_members(base: tuple, own: tuple, merge) -> tuple:
    by_key = {member_key(m): m for m in base}
    order = [member_key(m) for m in base]
    for member in own:
        key = member_key(member)
        if key in by_key:
            by_key[key] = merge(by_key[key], member)
        else:
            by_key[key] = member
            order.append(key)
    return tuple(by_key[key] for key in order)


def merge_attribute(base: Attribute, own: Attribute) -> Attribute:
    """An attribute refined by a subtype keeps what it does not restate (dtype, default)."""
    inherited = {}
    if own.dtype is None:
        inherited["dtype"] = base.dtype
    if own.default_value is None and own.value is None:
        inherited["default_value"] = base.default_value
    if own.shape is None and base.shape is not None:
        inherited["shape"], inherited["dims"] = base.shape, base.dims
    return replace(own, **inherited) if inherited else own


def _given(spec: Spec, key: str) -> bool:
    if key == "inc_type":
        return "neurodata_type_inc" in spec.given or "data_type_inc" in spec.given
    return key in spec.given


def merge_spec(base: Spec, own: Spec) -> Spec:
    """``own`` refining ``base``: keys ``own`` set win; members merge by name."""
    # quantity is not inherited: an override that omits it means the default, 1
    # (schema language; hdmf drops ``quantity: 1`` from cached specs for that reason)
    keys = ["name", "default_name", "inc_type", "linkable"]
    if isinstance(base, Dataset) and isinstance(own, Dataset):
        keys += ["dtype", "shape", "value", "default_value"]
        if not _given(own, "shape"):
            keys.append("dims")
    inherited = {key: getattr(base, key) for key in keys if not _given(own, key)}
    if own.def_type is not None:
        inherited.pop("inc_type", None)
    if isinstance(base, Group) and isinstance(own, Group):
        return replace(
            own,
            doc=own.doc or base.doc,
            attributes=_merge_members(base.attributes, own.attributes, merge_attribute),
            datasets=_merge_members(base.datasets, own.datasets, merge_spec),
            groups=_merge_members(base.groups, own.groups, merge_spec),
            links=_merge_members(base.links, own.links, lambda b, o: o),
            **inherited,
        )
    if isinstance(base, Dataset) and isinstance(own, Dataset):
        return replace(
            own,
            doc=own.doc or base.doc,
            attributes=_merge_members(base.attributes, own.attributes, merge_attribute),
            **inherited,
        )
    return own
