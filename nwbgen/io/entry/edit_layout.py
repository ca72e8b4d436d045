"""What a generated writer writes, as data: the members of each model class.

An edit compares each model read from a file with what the file holds, member by
member, and must know for each field whether it is an attribute, a dataset, a
subgroup, a link or the typed children, its HDF5 name and its schema dtype. The
generated ``_writer`` function of a class says exactly that, as a sequence of
frame calls; running it against a recorder (which writes nothing) turns the
sequence into a :class:`Layout`, once per class. So an edit and a fresh write
read one table, the generated one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...runtime.write import package_of

__all__ = ["Layout", "Role", "layout_of", "writer_of"]


@dataclass(frozen=True)
class Role:
    """One member of a class as its writer writes it."""

    #: "attribute" | "dataset" (an untyped member dataset, its value in the field)
    #: | "member" (a subgroup or dataset model) | "link" | "children"
    role: str
    field: str
    h5_name: str = ""
    kind: Any = None
    scalar: bool = False


@dataclass(frozen=True)
class Layout:
    """A class's HDF5 object: group or dataset (with its value's schema dtype),
    its type attributes, and its members in the order the writer writes them."""

    is_dataset: bool
    nwb_type: tuple[str, str] | None
    kind: Any
    scalar: bool
    roles: tuple[Role, ...]


_LAYOUTS: dict[type, Layout] = {}


def writer_of(cls: type) -> Any:
    """The generated writer of model class ``cls``, or ``None``."""
    package = package_of(cls)
    if package is None or not hasattr(package, "writers"):
        return None
    return package.writers().get(cls)


def layout_of(cls: type) -> Layout | None:
    """The :class:`Layout` of a generated model class (``None`` for a class with
    no generated writer)."""
    found = _LAYOUTS.get(cls)
    if found is None:
        writer = writer_of(cls)
        if writer is None:
            return None
        recorder = _Recorder()
        writer(recorder, None, "x", None)
        found = _LAYOUTS[cls] = recorder.layout()
    return found


class _Recorder:
    """Stands for a :class:`~nwbgen.runtime.write.WriteContext`: records the
    frame the writer opens and every member it asks for."""

    def __init__(self) -> None:
        self.head: tuple[bool, Any, Any, bool] = (False, None, None, False)
        self.roles: list[Role] = []

    def group(self, parent: Any, name: str, model: Any, nwb_type: Any) -> _Frame:
        self.head = (False, nwb_type, None, False)
        return _Frame(self.roles)

    def dataset(
        self, parent: Any, name: str, model: Any, nwb_type: Any, kind: Any, scalar: bool
    ) -> _Frame:
        self.head = (True, nwb_type, kind, scalar)
        return _Frame(self.roles)

    def layout(self) -> Layout:
        is_dataset, nwb_type, kind, scalar = self.head
        return Layout(is_dataset, nwb_type, kind, scalar, tuple(self.roles))


class _Frame:
    __slots__ = ("roles",)

    def __init__(self, roles: list[Role]) -> None:
        self.roles = roles

    def attribute(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        self.roles.append(Role("attribute", field, h5_name, kind, scalar))

    def dataset(self, field: str, h5_name: str, kind: Any, scalar: bool) -> None:
        self.roles.append(Role("dataset", field, h5_name, kind, scalar))

    def member(self, field: str, h5_name: str) -> None:
        self.roles.append(Role("member", field, h5_name))

    def link(self, field: str, h5_name: str) -> None:
        self.roles.append(Role("link", field, h5_name))

    def children(self, field: str) -> None:
        self.roles.append(Role("children", field))

    def end(self) -> None:
        return None
