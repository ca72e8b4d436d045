"""The classes of one compile, indexed: where each lands in Python, its bases, the
type it is stored as. Every view builder (models, readers, writers) asks this index;
none reads another's private state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from linkml_runtime.linkml_model.meta import (
    ClassDefinition,
    SchemaDefinition,
    SlotDefinition,
)

from .naming import package_name, version_package


def ann(
    element: ClassDefinition | SlotDefinition | SchemaDefinition,
    key: str,
    default: Any = None,
) -> Any:
    """The value of a LinkML annotation the IR builder set (``default`` if absent)."""
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
    #: its version package: ``core.v2_11_0`` below the package root, or absolute
    #: (``nwbgen.generated.core.v2_11_0``) for a namespace compiled elsewhere
    package: str
    external: bool = False

    @property
    def module_path(self) -> str:
        return f"{self.package}.{self.module}"

    def import_from(self, namespace: str) -> str:
        """Where a module of ``namespace`` imports this class from: its own
        namespace's module, a sibling version package, or (compiled elsewhere)
        the version package that re-exports it."""
        if self.namespace == namespace:
            return f".{self.module}"
        if self.external:
            return self.package
        return f"...{self.module_path}"


class ClassIndex:
    """Every class of the schemas of one compile, with what Python needs of it."""

    def __init__(
        self,
        schemas: dict[str, SchemaDefinition],
        runtime_import: str,
        version: str,
        *,
        packages: dict[str, str] | None = None,
        external: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """``packages``: namespace -> its version package (default
        ``<namespace>.v<X_Y_Z>``); ``external``: the namespaces whose package is
        an absolute module compiled elsewhere."""
        self.schemas = schemas
        #: the module generated code takes the runtime's names from
        self.runtime_import = runtime_import
        #: the nwbgen version named in generated headers
        self.nwbgen_version = version
        self.info: dict[str, ClassInfo] = {}
        self.classes: dict[str, ClassDefinition] = {}
        #: namespace -> its version package
        self.packages: dict[str, str] = {}
        for schema in schemas.values():
            self.classes.update(schema.classes)
            ns = ann(schema, "namespace")
            version = str(schema.version)
            package = (packages or {}).get(ns) or (
                f"{package_name(ns)}.{version_package(version)}"
            )
            self.packages[ns] = package
            for name, cls in schema.classes.items():
                self.info[name] = ClassInfo(
                    name,
                    ann(cls, "python_name"),
                    ns,
                    version,
                    ann(cls, "module"),
                    package,
                    ns in external,
                )

    def base(self, cls: ClassDefinition) -> ClassDefinition | None:
        return self.classes.get(str(cls.is_a)) if cls.is_a else None

    def lineage(self, cls: ClassDefinition) -> list[ClassDefinition]:
        """``cls``, its base, its base's base, ... to the root."""
        chain = []
        current: ClassDefinition | None = cls
        while current is not None:
            chain.append(current)
            current = self.base(current)
        return chain

    def is_subclass(self, child: str, parent: str) -> bool:
        """Whether LinkML class ``child`` is ``parent`` or derives from it."""
        while child:
            if child == parent:
                return True
            child = self.classes[child].is_a if child in self.classes else ""
        return False

    def slots(self, cls: ClassDefinition) -> list[SlotDefinition]:
        """The class's slots with its bases', a subclass's slot replacing its
        base's; members by type (``children``) last, as they take what the named
        members left."""
        slots: dict[str, SlotDefinition] = {}
        for ancestor in reversed(self.lineage(cls)):
            for name, slot in ancestor.attributes.items():
                slots[str(name)] = slot
        children = slots.pop("children", None)
        return [*slots.values(), *([children] if children is not None else [])]

    def nwb_type_of(self, cls: ClassDefinition) -> tuple[str, str] | None:
        """(namespace, type) a class's objects are stored as: its own type, or for
        a member class refining a type in place, the nearest typed base's."""
        for current in self.lineage(cls):
            if ann(current, "neurodata_type"):
                return (ann(current, "namespace"), ann(current, "neurodata_type"))
        return None

    def header(self, ns_name: str) -> str:
        """The comment heading every generated module of ``ns_name``."""
        schema = self.schemas[ns_name]
        included = [
            f"{ann(self.schemas[inc], 'namespace')} {self.schemas[inc].version}"
            for inc in json.loads(ann(schema, "includes"))
            if inc in self.schemas
        ]
        source = f"{ns_name} {schema.version}" + (
            f" (with {', '.join(included)})" if included else ""
        )
        return f"# Generated by nwbgen {self.nwbgen_version} from {source}.\n# Do not edit: recompile with `nwbgen compile`."
