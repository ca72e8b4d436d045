"""Import statements of generated modules: views, isort's order, names of classes.

Every emitter (models, readers, writers) computes the names it needs as
:class:`ImportView` values; :func:`group_imports` orders them as isort and ruff
want, and :class:`ClassNames` gives each class the name it has in one module
(aliased where two namespaces use one name).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .classes import ClassIndex
from .naming import package_name


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


def _kind(name: str) -> int:
    return 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2


def import_sort_key(name: str) -> tuple:
    """isort's order-by-type within an import: CONSTANTS, Classes, the rest; case-blind."""
    return (_kind(name), name.lower(), name)


def sort_key(name: str) -> tuple:
    """The order ruff wants in ``__all__``: by type, then case-sensitive."""
    return (_kind(name), name)


def group_imports(views: set[ImportView]) -> tuple[ImportLine, ...]:
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
        elif module in ("collections.abc", "datetime", "typing"):
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


class ClassNames:
    """The name each model class has in one generated reader or writer module
    (aliased where two namespaces name a class alike)."""

    def __init__(self, index: ClassIndex, ns_name: str) -> None:
        self.index = index
        self.ns_name = ns_name
        self._aliases: dict[str, str] = {}
        self._used: set[str] = set()
        # this namespace's classes first: they keep their plain names
        for name in index.schemas[ns_name].classes:
            self.of(str(name))

    def of(self, linkml_name: str) -> str:
        if linkml_name in self._aliases:
            return self._aliases[linkml_name]
        info = self.index.info[linkml_name]
        alias = info.python_name
        if alias in self._used or alias.startswith("read_"):
            alias = f"{package_name(info.namespace)}_{info.python_name}"
        self._used.add(alias)
        self._aliases[linkml_name] = alias
        return alias

    def imports(self) -> set[ImportView]:
        out = set()
        for linkml_name, alias in self._aliases.items():
            info = self.index.info[linkml_name]
            source = info.import_from(self.ns_name)
            out.add(ImportView(source, info.python_name, alias))
        return out
