"""Members by type, read when first touched: a lazy read's ``children``.

A group's typed members (the TimeSeries of ``/acquisition``, the modules of
``/processing``) are found when the group is read, and each is read as a model
the first time it is asked for: ``children["x"]``, ``children.values()``,
iterating ``items()``, comparing. Listing them reads nothing below; a local
read lists their names only when the mapping first is listed, counted, read
whole or changed (a member asked for by name is looked up alone), so that one
member of a group of thousands costs what one of a group of ten does. Each
member is read once, through the read's context, so identity holds (one Python
object per HDF5 object) whichever way it is reached first. Reading one after
the file is closed is a :class:`~nwbgen.errors.ClosedFileError`.

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

#: whether a name not listed yet is a member through a hard link (``True``), no
#: member (``False``) or one through another link (``None``: list them all)
LookUp = Callable[[str], bool | None]


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


def stored_items(children: dict[str, Any]) -> list[tuple[str, Any]]:
    """A children mapping's entries as stored (members not read yet left unread,
    see :func:`is_unread`), every member listed."""
    if isinstance(children, LazyChildren):
        children.list_now()
    return list(dict.items(children))


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
    #: the listing put off (see list_later): (list them, look one up, read, probe)
    _later: tuple[Callable[[], None], LookUp, Read, Probe] | None = None
    #: names found to be no member by type (kept as stored), before the listing
    _gone: set[str] | None = None

    def list_later(
        self, lister: Callable[[], None], look_up: LookUp, read: Read, probe: Probe
    ) -> None:
        """Members listed by ``lister()`` (through :meth:`defer` and friends) when
        the mapping is first listed, counted, read whole or changed; till then a
        name asked for (``[name]``, ``in``, ``get``) is looked up alone by
        ``look_up`` and, a hard-linked member, read by ``read`` (probed by
        ``probe``)."""
        self._later = (lister, look_up, read, probe)

    def list_now(self) -> None:
        """The listing :meth:`list_later` put off, now (once)."""
        later = self._later
        if later is not None:
            self._later = None
            try:
                later[0]()
            except BaseException:  # a closed or damaged file: said again next time
                self._later = later
                raise
            for name in self._gone or ():
                dict.pop(self, name, None)
            self._gone = None

    def _went(self, name: str) -> None:
        """``name`` is no member by type: gone from the mapping, and from the
        listing still to come."""
        dict.pop(self, name, None)
        if self._later is not None:
            if self._gone is None:
                self._gone = set()
            self._gone.add(name)

    def _look_up(self, name: object) -> None:
        later = self._later
        if later is None or not isinstance(name, str) or dict.__contains__(self, name):
            return
        if self._gone is not None and name in self._gone:
            return
        found = later[1](name)
        if found is None:
            self.list_now()
        elif found:
            dict.__setitem__(self, name, _Pending(later[2], later[3]))

    def ahead(self, before_all: Callable[[list[str]], None]) -> None:
        """Call ``before_all(names)`` once, the first time the pending members
        are about to be opened together."""
        self._ahead = before_all

    def _all_next(self) -> None:
        self.list_now()
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
                self._went(name)
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
                self._went(name)
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
        self.list_now()
        return [k for k, v in dict.items(self) if type(v) is _Pending]

    def resolve_all(self) -> None:
        self._all_next()
        for name in list(dict.keys(self)):
            self._read(name)

    # reading ------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        if self._later is not None:
            self._look_up(name)
        return self._resolve(name, dict.__getitem__(self, name))

    def get(self, name: str, default: Any = None) -> Any:
        if name in self:
            return self[name]
        return default

    def __contains__(self, name: object) -> bool:
        if self._later is not None:
            self._look_up(name)
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
        self.list_now()
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
        self.list_now()
        shown = ", ".join(
            f"{k!r}: <not read yet>" if type(v) is _Pending else f"{k!r}: {v!r}"
            for k, v in dict.items(self)
        )
        return "{" + shown + "}"

    def __reduce__(self) -> Any:
        return (dict, (self.items(),))

    # changing: every member listed first, so that none a change removed or
    # replaced comes back when they are (``|=`` only adds: what is set before
    # the listing is kept by it)
    def __setitem__(self, name: str, value: Any) -> None:
        self.list_now()
        dict.__setitem__(self, name, value)

    def __delitem__(self, name: str) -> None:
        self.list_now()
        dict.__delitem__(self, name)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.list_now()
        dict.update(self, *args, **kwargs)

    def setdefault(self, name: str, default: Any = None) -> Any:
        self.list_now()
        if name not in self:
            dict.__setitem__(self, name, default)
        return self[name]

    def popitem(self) -> tuple[str, Any]:
        self.list_now()
        name = next(reversed(dict.keys(self)))
        return name, self.pop(name)

    def clear(self) -> None:
        self.list_now()
        dict.clear(self)

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        return {**self.copy(), **other}

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        return {**other, **self.copy()}

    def __reversed__(self) -> Iterator[str]:
        return reversed(self.keys())

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal
