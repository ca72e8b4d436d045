"""Members by type, read when first touched: a lazy read's ``children``.

A group's typed members (the TimeSeries of ``/acquisition``, the modules of
``/processing``) are found when the group is read, and each is read as a model
the first time it is asked for: ``children["x"]``, ``children.values()``,
iterating ``items()``, comparing. Their names are known from the start, so
listing them reads nothing below. Each member is read once, through the read's
context, so identity holds (one Python object per HDF5 object) whichever way it
is reached first. Reading one after the file is closed is a
:class:`~nwbgen.errors.ClosedFileError`.

A plain ``dict`` to everything else: writers, builders (``group.add``) and
comparisons see models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

#: reads the member's model, given its name (or :data:`NOT_A_MEMBER`)
Read = Callable[[str], Any]


#: what a member's read returns when it turns out to be no member by type (an
#: object of an unknown type no class fits, kept as stored): the name goes
NOT_A_MEMBER = object()


#: whether a listed member (given its name) is one by type at all, opening it,
#: not reading it; ``False``: it is not, and the probe has kept it as stored
Probe = Callable[[str], bool]


class _Pending:
    # one small object a member, or one for all the members of a group listed
    # together (a group of thousands lists them all)
    __slots__ = ("probe", "read")

    def __init__(self, read: Read, probe: Probe | None) -> None:
        self.read = read
        self.probe = probe


def is_unread(value: Any) -> bool:
    """Whether ``value``, an entry of a :class:`LazyChildren` as stored
    (``dict.items``), is a member not read yet."""
    return type(value) is _Pending


def read_unread(name: str, value: Any) -> Any:
    """The model of entry ``name`` whose stored value ``value`` is unread (see
    :func:`is_unread`), read now (once: the read's context keeps identity);
    ``None`` when it turns out to be no member by type."""
    model = value.read(name)
    return None if model is NOT_A_MEMBER else model


class LazyChildren(dict[str, Any]):
    """``{HDF5 name: model}`` whose models are read on first access."""

    #: told the names of the members about to be opened together (listed,
    #: counted, read whole), once, before: a remote read fetches them ahead
    _ahead: Callable[[list[str]], None] | None = None
    #: the names probed (made on the first probe)
    _probed: set[str] | None = None

    def ahead(self, before_all: Callable[[list[str]], None]) -> None:
        """Call ``before_all(names)`` once, the first time the pending members
        are about to be opened together."""
        self._ahead = before_all

    def _all_next(self) -> None:
        if self._ahead is not None:
            before_all, self._ahead = self._ahead, None
            names = self.pending()
            if len(names) > 1:
                before_all(names)

    def defer(self, name: str, read: Read, probe: Probe | None = None) -> None:
        """Member ``name``, to be read by ``read(name)`` when first asked for.
        ``probe``: for a member listed without being opened, tells whether it is
        a member by type; names are probed before they are listed, counted or
        tested (``in``), so a listed name is always one ``[name]`` reads."""
        dict.__setitem__(self, name, _Pending(read, probe))

    def defer_all(self, names: list[str], read: Read, probe: Probe | None) -> None:
        """:meth:`defer` of each of ``names``, in order, in one step."""
        dict.update(self, dict.fromkeys(names, _Pending(read, probe)))

    def _unprobed(self, name: str, value: Any) -> Probe | None:
        """The probe still to run for entry ``name`` (stored as ``value``), if any."""
        if type(value) is not _Pending or value.probe is None:
            return None
        if self._probed is not None and name in self._probed:
            return None
        return value.probe

    def _probe(self, name: str) -> bool:
        probe = self._unprobed(name, dict.get(self, name))
        if probe is not None:
            if self._probed is None:
                self._probed = set()
            self._probed.add(name)
            if not probe(name):
                dict.pop(self, name, None)
                return False
        return dict.__contains__(self, name)

    def _probe_all(self) -> None:
        self._all_next()
        for name, value in list(dict.items(self)):
            if self._unprobed(name, value) is not None:
                self._probe(name)

    def _resolve(self, name: str, value: Any) -> Any:
        if type(value) is _Pending:
            value = value.read(name)
            if value is NOT_A_MEMBER:
                dict.pop(self, name, None)
                raise KeyError(name)
            dict.__setitem__(self, name, value)
        return value

    def _read(self, name: str) -> tuple[bool, Any]:
        try:
            return True, self[name]
        except KeyError:
            return False, None

    def pending(self) -> list[str]:
        """The members not read yet."""
        return [k for k, v in dict.items(self) if type(v) is _Pending]

    def resolve_all(self) -> None:
        self._all_next()
        for name in list(dict.keys(self)):
            self._read(name)

    # reading ------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        return self._resolve(name, dict.__getitem__(self, name))

    def get(self, name: str, default: Any = None) -> Any:
        if name in self:
            return self[name]
        return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._probe(name)

    def __len__(self) -> int:
        self._probe_all()
        return dict.__len__(self)

    def keys(self) -> list[str]:  # type: ignore[override]
        self._probe_all()
        return list(dict.keys(self))

    def __iter__(self) -> Iterator[str]:
        # not dict's own iterator: dict(self) and {**self} then go through
        # keys() and __getitem__, and so see models. The names are those of the
        # members found; one that turns out to be of an unknown type no class
        # fits leaves when it is read (rare: a file with a type nothing knows)
        return iter(self.keys())

    def values(self) -> list[Any]:  # type: ignore[override]
        return [value for _, value in self.items()]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        self._all_next()
        out = []
        for name in list(dict.keys(self)):
            found, value = self._read(name)
            if found:
                out.append((name, value))
        return out

    def pop(self, name: str, *default: Any) -> Any:
        if name in self:
            value = self[name]
            dict.pop(self, name)
            return value
        if default:
            return default[0]
        raise KeyError(name)

    def copy(self) -> dict[str, Any]:
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict):
            return NotImplemented
        return dict(self.items()) == (
            dict(other.items()) if isinstance(other, LazyChildren) else other
        )

    __hash__ = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k!r}: <not read yet>" if type(v) is _Pending else f"{k!r}: {v!r}"
            for k, v in dict.items(self)
        )
        return "{" + shown + "}"

    def __reduce__(self) -> Any:
        return (dict, (self.items(),))
