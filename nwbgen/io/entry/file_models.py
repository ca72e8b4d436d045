"""``HDF5IO.models``: the model classes of an open file's own namespace versions,
by name (``io.models.TimeSeries``), to build new objects for that file with."""

from __future__ import annotations

from typing import Any

__all__ = ["FileModels"]


class FileModels:
    """The classes of a file's namespace packages by class name: every generated
    class (``TimeSeries``, ``TimeSeriesData``, ``VectorData``, an extension's
    types), looked up in core first, then in the other namespaces. A name that
    two namespaces define differently is ambiguous: ask
    ``io.provider.model(namespace, name)`` then. ``io.models.core`` is the core
    package itself (any namespace, by its name with ``_`` for ``-``)."""

    def __init__(self, packages: dict[str, Any]) -> None:
        ordered = sorted(packages.items(), key=lambda kv: (kv[0] != "core", kv[0]))
        self._packages = dict(ordered)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        by_namespace = {k.replace("-", "_"): v for k, v in self._packages.items()}
        if name in by_namespace:
            return by_namespace[name]
        found: dict[int, tuple[str, type]] = {}
        for namespace, package in self._packages.items():
            cls = getattr(package, name, None)
            if isinstance(cls, type) and hasattr(cls, "__nwb_type__"):
                found.setdefault(id(cls), (namespace, cls))
        if not found:
            known = ", ".join(f"{k} {v.VERSION}" for k, v in self._packages.items())
            raise AttributeError(
                f"no model class {name!r} in this file's namespaces ({known})"
            )
        if len(found) > 1:
            where = ", ".join(sorted(ns for ns, _ in found.values()))
            raise AttributeError(
                f"{name!r} is defined by several namespaces ({where}): use "
                f"io.provider.model(namespace, {name!r})"
            )
        return next(iter(found.values()))[1]

    def __dir__(self) -> list[str]:
        names: set[str] = {k.replace("-", "_") for k in self._packages}
        for package in self._packages.values():
            names.update(
                n
                for n, v in vars(package).items()
                if isinstance(v, type) and hasattr(v, "__nwb_type__")
            )
        return sorted(names)

    def __repr__(self) -> str:
        versions = ", ".join(f"{k} {v.VERSION}" for k, v in self._packages.items())
        return f"<models of {versions}>"
