"""Catalog -> LinkML: the intermediate representation every emitter reads.

One ``SchemaDefinition`` per namespace version. NWB facts LinkML has no slot for
(HDF5 name, role, dtype precision, shape alternatives, quantity) travel as
annotations; :mod:`nwbgen.generator.members` reads them back. All schema logic (what
becomes a class, what a field, what overrides what) is decided here.
"""

from __future__ import annotations

import json
from typing import Any

from linkml_runtime.linkml_model.meta import (
    AnonymousSlotExpression,
    ClassDefinition,
    SchemaDefinition,
    SlotDefinition,
    TypeDefinition,
)

from ..errors import CompileError
from ..spec.catalog import NamespaceCatalog, TypeDef, TypeRef, member_key, merge_spec
from ..spec.model import (
    Attribute,
    Dataset,
    Dtype,
    Group,
    Link,
    RefDtype,
    Spec,
)
from ..spec.sources import spec_sha256
from .naming import camel, field_name, module_name, package_name, version_package

DTYPES_SCHEMA = "nwb_dtypes"

#: names generated modules bind at module level, besides the classes themselves
MODULE_NAMES = frozenset(
    {"Annotated", "Any", "Array", "ArraySpec", "DatasetModel", "Field", "GroupModel"}
    | {"Literal", "annotations", "datetime", "np"}
)

#: NWB primitive dtype -> (LinkML base type it specialises, Python base)
LINKML_DTYPES = {
    "float32": ("float", "float"),
    "float64": ("double", "float"),
    "int8": ("integer", "int"),
    "int16": ("integer", "int"),
    "int32": ("integer", "int"),
    "int64": ("integer", "int"),
    "uint8": ("integer", "int"),
    "uint16": ("integer", "int"),
    "uint32": ("integer", "int"),
    "uint64": ("integer", "int"),
    "bool": ("boolean", "Bool"),
    "text": ("string", "str"),
    "ascii": ("string", "str"),
    "isodatetime": ("datetime", "XSDDateTime"),
    "numeric": ("double", "float"),
    "any": ("string", "str"),
}


def dtypes_schema() -> SchemaDefinition:
    """The shared schema of NWB primitive dtypes every namespace schema imports."""
    types = {
        name: TypeDefinition(name=name, typeof=base, description=f"NWB dtype {name}")
        for name, (base, _) in LINKML_DTYPES.items()
    }
    return SchemaDefinition(
        id=f"https://w3id.org/nwbgen/{DTYPES_SCHEMA}",
        name=DTYPES_SCHEMA,
        imports=["linkml:types"],
        prefixes={
            "linkml": "https://w3id.org/linkml/",
            "nwbgen": "https://w3id.org/nwbgen/",
        },
        default_prefix="nwbgen",
        default_range="any",
        types=types,
    )


def schema_name(namespace: str, version: str) -> str:
    return f"{package_name(namespace)}.{version_package(version)}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _dtype_json(dtype: Dtype) -> Any:
    if dtype is None:
        return None
    if isinstance(dtype, RefDtype):
        return {"target_type": dtype.target_type, "reftype": dtype.reftype}
    if isinstance(dtype, tuple):
        return [
            {"name": f.name, "doc": f.doc, "dtype": _dtype_json(f.dtype)} for f in dtype
        ]
    return dtype


class LinkMLBuilder:
    """Builds the LinkML schemas of a catalog, namespace by namespace."""

    def __init__(self, catalog: NamespaceCatalog):
        self.catalog = catalog
        # namespace -> LinkML name -> class
        self.classes: dict[str, dict[str, ClassDefinition]] = {}
        # LinkML name -> class, every namespace
        self._all: dict[str, ClassDefinition] = {}
        #: typed class -> (the namespace using it, the fixed names it is used under)
        self._fixed_uses: dict[str, tuple[str, set[str]]] = {}
        # nested class -> its full (merged) spec
        self._member_specs: dict[str, Spec] = {}
        # LinkML names are unique across the catalog; a Python name two namespaces
        # share is prefixed with its namespace in every one of them
        self._clashing: set[str] = set()
        self._owner: dict[str, str] = {}  # python name -> first namespace using it
        for ref in catalog.types:
            if self._owner.setdefault(ref.name, ref.namespace) != ref.namespace:
                self._clashing.add(ref.name)
        # a field may not shadow a name its module's annotations use (pydantic would
        # evaluate ``ImageSegmentation | None`` against the field itself)
        self._shadowing = frozenset(ref.name for ref in catalog.types) | MODULE_NAMES
        self._taken: dict[str, set[str]] = {
            ns: {t.ref.name for t in catalog.types_of(ns)} for ns in catalog.namespaces
        }

    # -- names --------------------------------------------------------------------
    def class_name(self, ref: TypeRef) -> str:
        """LinkML name of a neurodata type (namespaced where two namespaces share a name)."""
        return self._linkml_name(ref.namespace, ref.name)

    def _linkml_name(self, namespace: str, python_name: str) -> str:
        if python_name in self._clashing:
            return f"{package_name(namespace)}__{python_name}"
        return python_name

    def _nested_name(self, namespace: str, owner_python: str, member: str) -> str:
        name = owner_python + camel(member)
        while name in self._taken[namespace]:
            name += "Field"
        self._taken[namespace].add(name)
        if self._owner.setdefault(name, namespace) != namespace:
            # a member class named like another namespace's type or member class
            self._clashing.add(name)
        return name

    # -- schemas -------------------------------------------------------------------
    def build(self) -> dict[str, SchemaDefinition]:
        return {
            ns_name: self._schema(ns_name) for ns_name in self.catalog.namespace_order()
        }

    def _name_fixed_uses(self, ns_name: str) -> None:
        """A typed class its own namespace places under one fixed name only
        (``Subject`` at ``/general/subject``) is named so by default, as pynwb
        names it: ``Subject(subject_id=...)`` needs no ``name=``."""
        for linkml_name, (used_in, names) in self._fixed_uses.items():
            cls = self.classes[ns_name].get(linkml_name)
            if (
                cls is None
                or used_in != ns_name
                or len(names) != 1
                or not self._name_required(cls)
            ):
                continue
            slot = self._name_slot(
                Group(doc="", name=None, default_name=next(iter(names)))
            )
            # in place: linkml turns a dict assigned to ``attributes`` into a JsonObj
            others = dict(cls.attributes)
            cls.attributes.clear()
            cls.attributes.update({"name": slot, **others})

    def _name_required(self, cls: ClassDefinition) -> bool:
        """Whether ``cls``'s own or inherited name has no default."""
        current: ClassDefinition | None = cls
        while current is not None:
            slot = current.attributes.get("name")
            if slot is not None:
                return bool(slot.required)
            current = self._all.get(str(current.is_a)) if current.is_a else None
        return True

    def _schema(self, ns_name: str) -> SchemaDefinition:
        ns = self.catalog.namespaces[ns_name]
        self.classes[ns_name] = {}
        for typedef in self.catalog.class_order(ns_name):
            self._type_class(typedef)
        self._name_fixed_uses(ns_name)
        imports = ["linkml:types", DTYPES_SCHEMA] + [
            schema_name(inc, self.catalog.namespaces[inc].version)
            for inc in self.catalog.includes[ns_name]
            if inc in self.catalog.namespaces
        ]
        raw_sources = ns.raw["sources"] if ns.raw else {}
        return SchemaDefinition(
            id=f"https://w3id.org/nwbgen/{package_name(ns.name)}/{ns.version}",
            name=schema_name(ns.name, ns.version),
            title=ns.full_name,
            description=ns.doc,
            version=ns.version,
            imports=imports,
            prefixes={
                "linkml": "https://w3id.org/linkml/",
                "nwbgen": "https://w3id.org/nwbgen/",
            },
            default_prefix="nwbgen",
            default_range="any",
            classes=self.classes[ns_name],
            annotations={
                "namespace": ns.name,
                "namespace_version": ns.version,
                "spec_sha256": spec_sha256(raw_sources),
                "modules": _json([module_name(s.module_name) for s in ns.schemas]),
                "sources": _json([s.module_name for s in ns.schemas]),
                "includes": _json(list(self.catalog.includes[ns_name])),
                "origin": ns.origin,
            },
        )

    # -- classes ---------------------------------------------------------------------
    def _type_class(self, typedef: TypeDef) -> None:
        ns_name = typedef.ref.namespace
        parent_spec = (
            self.catalog.rolled_down(typedef.parent) if typedef.parent else None
        )
        self._emit_class(
            ns_name,
            self.class_name(typedef.ref),
            typedef.ref.name,
            typedef.spec,
            parent_spec,
            self.class_name(typedef.parent) if typedef.parent else None,
            module_name(typedef.module),
            {"neurodata_type": typedef.ref.name},
        )

    def _inherited_member_classes(self, parent_name: str | None) -> dict[str, str]:
        if parent_name is None or parent_name not in self._all:
            return {}
        cls = self._all[parent_name]
        out = self._inherited_member_classes(cls.is_a)
        out.update(json.loads(cls.annotations["member_classes"].value))
        return out

    def _emit_class(
        self,
        ns_name: str,
        linkml_name: str,
        python_name: str,
        own: Spec,
        parent_spec: Spec | None,
        parent_name: str | None,
        module: str,
        extra: dict[str, str],
    ) -> None:
        where = f"{ns_name}:{python_name}"
        full = own if parent_spec is None else merge_spec(parent_spec, own)
        inherited_classes = self._inherited_member_classes(parent_name)
        slots: dict[str, SlotDefinition] = {}
        member_classes: dict[str, str] = {}
        taken: set[str] = {"name", "value", "children", *self._shadowing}
        if parent_spec is None or own.name is not None or own.default_name is not None:
            slots["name"] = self._name_slot(full)
        if isinstance(own, Dataset) and (
            parent_spec is None or {"dtype", "shape", "dims", "value"} & own.given
        ):
            assert isinstance(full, Dataset)
            slots["value"] = self._value_slot(full, ns_name, where)
        full_members = {_kinded_key(m): m for m in _members(full)}
        for attr in own.attributes:
            slot = self._attribute_slot(
                full_members[_kinded_key(attr)], ns_name, where, taken
            )
            slots[slot.name] = slot
        if isinstance(own, Group):
            parent_members = (
                {_kinded_key(m): m for m in _members(parent_spec)}
                if parent_spec
                else {}
            )
            for member in (*own.datasets, *own.groups):
                if member.name is None:
                    continue
                key = member_key(member)
                slot = self._member_slot(
                    member,
                    full_members[_kinded_key(member)],
                    parent_members.get(_kinded_key(member)),
                    inherited_classes.get(key),
                    ns_name,
                    linkml_name,
                    python_name,
                    module,
                    taken,
                )
                slots[slot.name] = slot
                if slot.annotations.get("member_class"):
                    member_classes[key] = str(slot.range)
            for link in own.links:
                if link.name is not None:
                    slot = self._link_slot(
                        full_members[_kinded_key(link)], ns_name, where, taken
                    )
                    slots[slot.name] = slot
            if any(m.name is None for m in (*own.datasets, *own.groups, *own.links)):
                assert isinstance(full, Group)
                slots["children"] = self._children_slot(full, ns_name, where)
        annotations = {
            "namespace": ns_name,
            "module": module,
            "python_name": python_name,
            "h5_kind": own.kind,
            "member_classes": _json(member_classes),
            **extra,
        }
        cls = ClassDefinition(
            name=linkml_name,
            description=own.doc or None,
            is_a=parent_name,
            attributes=slots,
            annotations=annotations,
        )
        self.classes[ns_name][linkml_name] = cls
        self._all[linkml_name] = cls

    # -- slots -------------------------------------------------------------------------
    def _name_slot(self, spec: Spec) -> SlotDefinition:
        fixed = spec.name
        annotations = {"role": "name"}
        if fixed is not None:
            annotations["fixed"] = "true"
        default = fixed or spec.default_name
        return SlotDefinition(
            name="name",
            range="text",
            required=default is None,
            ifabsent=None if default is None else f"string({default})",
            description="The name of this object in its parent group (its HDF5 name).",
            annotations=annotations,
        )

    def _range_of(self, dtype: Dtype, ns_name: str, where: str) -> str:
        if isinstance(dtype, RefDtype) and dtype.target_type:
            return self.class_name(
                self.catalog.resolve(dtype.target_type, ns_name, where).ref
            )
        if isinstance(dtype, str):
            return dtype
        return "any"

    def _array_annotations(
        self, node: Attribute | Dataset, ns_name: str, where: str
    ) -> dict[str, str]:
        annotations: dict[str, str] = {"dtype": _json(_dtype_json(node.dtype))}
        if isinstance(node.dtype, tuple):
            fields = []
            for f in node.dtype:
                entry = {"name": f.name, "doc": f.doc, "dtype": _dtype_json(f.dtype)}
                if isinstance(f.dtype, RefDtype):
                    entry["range"] = self._range_of(
                        f.dtype, ns_name, f"{where}.{f.name}"
                    )
                fields.append(entry)
            annotations["compound"] = _json(fields)
        if isinstance(node.dtype, RefDtype):
            annotations["reftype"] = node.dtype.reftype
        if node.shape is not None:
            annotations["shape"] = _json([list(alt) for alt in node.shape])
            annotations["dims"] = _json([list(alt) for alt in node.dims or ()])
        if node.value is not None:
            annotations["value"] = _json(node.value)
        if node.default_value is not None:
            annotations["default"] = _json(node.default_value)
        return annotations

    def _value_slot(self, spec: Dataset, ns_name: str, where: str) -> SlotDefinition:
        return SlotDefinition(
            name="value",
            range=self._range_of(spec.dtype, ns_name, where),
            required=spec.value is None and spec.default_value is None,
            multivalued=spec.shape is not None or None,
            description="The values of this dataset.",
            annotations={
                "role": "value",
                **self._array_annotations(spec, ns_name, where),
            },
        )

    def _attribute_slot(
        self, attr: Attribute, ns_name: str, where: str, taken: set[str]
    ) -> SlotDefinition:
        name = field_name(attr.name, taken)
        taken.add(name)
        here = f"{where}/@{attr.name}"
        return SlotDefinition(
            name=name,
            range=self._range_of(attr.dtype, ns_name, here),
            required=attr.required
            and attr.value is None
            and attr.default_value is None,
            multivalued=attr.shape is not None or None,
            description=attr.doc or None,
            annotations={
                "role": "attribute",
                "h5_name": attr.name,
                **self._array_annotations(attr, ns_name, here),
            },
        )

    def _link_slot(
        self, link: Link, ns_name: str, where: str, taken: set[str]
    ) -> SlotDefinition:
        assert link.name is not None
        name = field_name(link.name, taken)
        taken.add(name)
        target = self.catalog.resolve(link.target_type, ns_name, f"{where}/{link.name}")
        return SlotDefinition(
            name=name,
            range=self.class_name(target.ref),
            required=not link.quantity.optional,
            description=link.doc or None,
            annotations={
                "role": "link",
                "h5_name": link.name,
                "quantity": str(link.quantity),
            },
        )

    def _member_slot(
        self,
        own: Dataset | Group,
        full: Dataset | Group,
        parent_member: Dataset | Group | None,
        parent_class: str | None,
        ns_name: str,
        owner_linkml: str,
        owner_python: str,
        module: str,
        taken: set[str],
    ) -> SlotDefinition:
        assert full.name is not None
        name = field_name(full.name, taken)
        taken.add(name)
        here = f"{ns_name}:{owner_python}/{full.name}"
        annotations = {
            "role": full.kind,
            "h5_name": full.name,
            "quantity": str(full.quantity),
        }
        if full.linkable:
            annotations["linkable"] = "true"
        typed = None
        if full.def_type is not None:  # a type defined in place is that type here
            typed = self.catalog.resolve(full.def_type, ns_name, here).ref
        elif full.inc_type is not None:
            typed = self.catalog.resolve(full.inc_type, ns_name, here).ref
        multivalued = None
        base_spec = (
            self.catalog.rolled_down(typed)
            if typed is not None and full.def_type is None
            else None
        )
        if (parent_class is not None and full.def_type is None) or _needs_own_class(
            own, base_spec
        ):
            python_name = self._nested_name(ns_name, owner_python, full.name)
            linkml_name = self._linkml_name(ns_name, python_name)
            if parent_class is not None:
                base_name, base_spec, nested_own = (
                    parent_class,
                    self._member_specs[parent_class],
                    own,
                )
            elif typed is not None:
                base_name, base_spec, nested_own = (
                    self.class_name(typed),
                    self.catalog.rolled_down(typed),
                    own,
                )
            else:
                base_name, base_spec, nested_own = None, None, full
            self._member_specs[linkml_name] = full
            self._emit_class(
                ns_name,
                linkml_name,
                python_name,
                nested_own,
                base_spec,
                base_name,
                module,
                {"nested_in": owner_linkml, "h5_name": full.name},
            )
            annotations["member_class"] = "true"
            slot_range = linkml_name
        elif typed is not None:
            slot_range = self.class_name(typed)
            if full.def_type is None:
                uses = self._fixed_uses.setdefault(slot_range, (ns_name, set()))
                if uses[0] == ns_name:
                    uses[1].add(full.name)
        else:
            assert isinstance(full, Dataset)
            slot_range = self._range_of(full.dtype, ns_name, here)
            annotations.update(self._array_annotations(full, ns_name, here))
            multivalued = full.shape is not None or None
        has_default = isinstance(full, Dataset) and (
            full.value is not None or full.default_value is not None
        )
        return SlotDefinition(
            name=name,
            range=slot_range,
            required=not full.quantity.optional and not has_default,
            multivalued=multivalued,
            description=full.doc or None,
            annotations=annotations,
        )

    def _children_slot(self, full: Group, ns_name: str, where: str) -> SlotDefinition:
        ranges: list[str] = []
        quantities: list[dict[str, Any]] = []
        for member in (*full.datasets, *full.groups, *full.links):
            if member.name is not None:
                continue
            if isinstance(member, Link):
                type_name, kind = member.target_type, "link"
            else:
                type_name, kind = member.inc_type or member.def_type or "", member.kind
            ref = self.catalog.resolve(type_name, ns_name, f"{where}/<{type_name}>").ref
            ranges.append(self.class_name(ref))
            quantities.append(
                {
                    "type": self.class_name(ref),
                    "kind": kind,
                    "min": member.quantity.min,
                    "max": member.quantity.max,
                }
            )
        ranges = list(dict.fromkeys(ranges))
        return SlotDefinition(
            name="children",
            range=ranges[0] if len(ranges) == 1 else None,
            any_of=(
                [AnonymousSlotExpression(range=r) for r in ranges]
                if len(ranges) > 1
                else None
            ),
            multivalued=True,
            required=any(q["min"] > 0 for q in quantities),
            inlined=True,
            description="Members of this group that the schema names by type, not by name.",
            annotations={"role": "children", "children": _json(quantities)},
        )


def _kinded_key(member: Attribute | Dataset | Group | Link) -> tuple[str, str]:
    """Members of different kinds may share a name (an attribute and a link ``device``)."""
    return (type(member).__name__, member_key(member))


def _members(spec: Spec | None) -> tuple:
    if spec is None:
        return ()
    if isinstance(spec, Group):
        return (*spec.attributes, *spec.datasets, *spec.groups, *spec.links)
    return spec.attributes


def _needs_own_class(member: Dataset | Group, base: Spec | None = None) -> bool:
    """Named untyped groups, untyped datasets with attributes, typed members that
    refine their type (restating the type's own dtype or shape is no refinement)."""
    if member.def_type is not None:
        return False
    if member.inc_type is None:
        return isinstance(member, Group) or bool(member.attributes)
    if {"attributes", "datasets", "groups", "links", "value"} & member.given:
        return True
    if isinstance(member, Dataset) and isinstance(base, Dataset):
        return ("dtype" in member.given and member.dtype != base.dtype) or (
            "shape" in member.given and member.shape != base.shape
        )
    return False


def build_linkml(catalog: NamespaceCatalog) -> dict[str, SchemaDefinition]:
    """Every namespace of the catalog as a LinkML schema, includes before includers."""
    return LinkMLBuilder(catalog).build()


__all__ = ["CompileError", "build_linkml", "dtypes_schema", "schema_name"]
