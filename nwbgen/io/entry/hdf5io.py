"""``HDF5IO``: open an NWB file, find its models, read it through generated readers."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py

from ...errors import HDF5ReadError, HDF5WriteError, LinkCycleError, NWBGenError
from ...runtime.hdf5.attributes import has_type
from ...runtime.hdf5.files import (
    remote_of,
    close_external_files,
    damaged,
    is_hdf5_failure,
    open_file,
    open_for_edit,
    reading,
    source_name,
)
from ...runtime.hdf5.links import resolve_path
from ...runtime.read import ReadContext, merge_registries
from ...runtime.source import Violation, source_of
from .file_models import FileModels
from .provider import ModelProvider, make_provider

#: violations listed in a lenient read's warning (all are in ``HDF5IO.violations``)
WARN_LIMIT = 10

#: ``progress(done, total)``: told how far a read or write is (``total`` ``None``
#: when unknown)
Progress = Callable[[int, int | None], None]


class SchemaWarning(UserWarning):
    """A lenient read found objects that break their schema."""


class HDF5IO:
    """An NWB file opened for reading with the models of its own specifications.

    ``read()`` returns the typed ``NWBFile``; ``read("/acquisition/x")`` the model at
    one HDF5 path (a dict of models for an untyped group, the values for an untyped
    dataset), reading only that subtree and what it refers to. Arrays stay in the
    file until used, so the file must stay open while they are: use ``with``.

    Lenient by default: an object that breaks its schema is read anyway, each
    violation is kept in :attr:`violations` and summarised in one warning;
    ``strict=True`` raises :class:`~nwbgen.errors.SchemaViolationError`
    listing them all instead.

    ``mode="a"`` (or ``"r+"``) edits the file in place: ``read()``, change the
    models (new ones built of :attr:`models`), ``write(nwbfile)`` writes only the
    differences (see :mod:`nwbgen.io.entry.edit`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | Any,
        mode: str = "r",
        *,
        strict: bool = False,
        cache: str | Path | None = None,
        provider: ModelProvider | None = None,
        overwrite: bool = False,
        timeout: float | None = None,
        lazy: bool = True,
    ) -> None:
        """``path``: a local path; for reading also an ``http(s)://``, ``s3://`` or
        other fsspec URL (extra ``remote``; ``timeout`` seconds per request,
        default ``$NWBGEN_REMOTE_TIMEOUT`` or 30), a binary file object, or an
        open ``h5py.File`` (left open by :meth:`close`).

        ``lazy`` (the default): a group's members by type (the series of
        ``/acquisition``, the modules of ``/processing``, ...) are read when first
        asked for, so a read costs what is touched; their violations are
        collected then. :meth:`validate` reads the rest; ``strict=True`` and
        ``lazy=False`` read everything at once."""
        if mode not in ("r", "w", "w-", "x", "a", "r+"):
            raise ValueError(
                f"HDF5IO mode {mode!r}: 'r' reads; 'w' writes a new file ('w-' and "
                "'x' too; pass overwrite=True to replace an existing one); 'a' "
                "(or 'r+') edits a file in place"
            )
        self.path = source_name(path)
        self.mode = mode
        self.strict = strict
        self.lazy = lazy
        self.overwrite = overwrite
        self.violations: list[Violation] = []
        self._ctx: ReadContext | None = None
        self._edit: Any = None  # mode "a": the edit session (see .edit)
        if mode not in ("r", "a", "r+"):
            if os.path.exists(self.path) and not overwrite:
                raise FileExistsError(
                    f"{self.path} exists; pass overwrite=True to replace it"
                )
            self._file = None
            self._owned = True
            self.provider = provider
            return
        self._owned = not isinstance(path, h5py.Group)
        if mode == "r":
            self._file = open_file(path, timeout=timeout)
        else:  # read-write, and locked until closed
            self._file = open_for_edit(path)
        try:
            # the provider reads /specifications (and the root's nwb_version)
            with reading(self.path, "/specifications"):
                self.provider = provider or make_provider(self._file, cache=cache)
        except NWBGenError as exc:
            self._file.close()
            raise _naming(exc, self.path) from None
        except BaseException:
            self._file.close()
            raise
        self._types, self._readers = merge_registries(self.provider.packages.values())
        if mode != "r":
            from .edit import EditSession

            self._edit = EditSession(self)

    # -- context manager -----------------------------------------------------------
    def __enter__(self) -> HDF5IO:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (and files external links opened); lazy arrays read from
        it raise :class:`~nwbgen.errors.ClosedFileError` from now on."""
        if self._file is not None and self._owned and self._file.id.valid:
            self._file.close()
            if self._ctx is not None:  # (a file the caller opened reads on)
                self._ctx.release()
        close_external_files()

    @property
    def file(self) -> h5py.File:
        if self._file is None:
            raise ValueError(f"{self.path}: opened for writing; no file to read")
        return self._file

    @property
    def models(self) -> FileModels:
        """The model classes of the file's own namespace versions, by name:
        ``io.models.TimeSeries`` (as ``io.provider.model("core", "TimeSeries")``).
        Build new objects for a file opened with ``mode="a"`` of these: a model of
        another version of a namespace is refused."""
        if self.provider is None:
            raise ValueError(f"{self.path}: opened to write a new file; no models")
        return FileModels(self.provider.packages)

    # -- writing ---------------------------------------------------------------------
    def write(self, nwbfile: Any, *, progress: Progress | None = None) -> None:
        """Write ``nwbfile`` (a generated ``NWBFile`` model, read or built) as the
        file: beside the target first, renamed onto it when complete, so that on
        any error nothing is left behind and an existing file is untouched.

        Arrays read from another file that is still open are copied chunk by
        chunk; iterators are written block by block. ``progress(done, None)`` is
        called as each model is written.

        With ``mode="a"`` (or ``"r+"``), ``nwbfile`` is the NWBFile :meth:`read`
        returned, changed: only the differences from the file are written, in
        place (see :mod:`nwbgen.io.entry.edit`), once the whole change is planned
        and checked; an :class:`~nwbgen.errors.EditError` while planning leaves
        the file byte for byte as it was.
        """
        if self.mode == "r":
            raise ValueError(
                f"{self.path}: opened for reading; use mode='w' to write a new file, "
                "mode='a' to edit this one"
            )
        if self._edit is not None:
            if not self.file.id.valid:
                raise HDF5WriteError(f"{self.path}: the file is closed")
            self._edit.write(nwbfile, progress)
            return
        from ...runtime.hdf5.write import atomic_h5_file
        from ...runtime.write import WriteContext, package_of
        from .specifications import with_includes, write_specifications

        temporary = ""
        try:
            with atomic_h5_file(self.path, overwrite=self.overwrite) as h5f:
                temporary = h5f.filename
                ctx = WriteContext(h5f, {}, progress=progress)
                ctx.write_root(nwbfile)
                if _had_specifications(nwbfile):
                    packages = {package_of(cls) for cls in ctx.classes_written}
                    write_specifications(h5f, with_includes(packages))
        except HDF5WriteError as exc:
            # name the file the user asked for, not the removed temporary one
            message = str(exc).replace(temporary, self.path) if temporary else str(exc)
            raise HDF5WriteError(message) from None

    # -- reading ---------------------------------------------------------------------
    def read(self, path: str = "/", *, progress: Progress | None = None) -> Any:
        """The model of the object at ``path`` (the root ``NWBFile`` by default).

        Models are shared between reads of one ``HDF5IO``: reading a path twice, or
        a path inside something already read, gives the same Python object.
        ``progress(done, total)`` is called as each model is built (``total``:
        the objects under ``path`` but ``/specifications``, one walk of the file).
        """
        h5file = self.file
        if not h5file.id.valid:
            raise HDF5ReadError(f"{self.path}: the file is closed")
        obj = self._object_at(path)
        ctx = self._context()
        before = len(ctx.violations)
        with reading(self.path, path), self._counting(ctx, path, progress):
            if isinstance(obj, h5py.Group) and not has_type(obj):
                model: Any = {}
                for name in obj:
                    member = self._object_at(f"{path.rstrip('/')}/{name}", ctx)
                    if member is not None and has_type(member):
                        model[name] = ctx.read(member)
            elif isinstance(obj, h5py.Dataset) and not has_type(obj):
                from ...runtime.hdf5.lazy import read_dataset

                model = read_dataset(obj)
            else:
                model = ctx.read(obj)
        found = ctx.violations[before:]
        if found:
            if self.strict:
                ctx.check(self.path)
            _warn(self.path, found)
        return model

    def validate(self) -> list[Violation]:
        """Read whatever a lazy :meth:`read` left unread and return every
        violation of the file (strict: raise them as one error)."""
        root = self.read()
        ctx = self._context()
        before = len(ctx.violations)
        with reading(self.path, "/"):
            ctx.read_all(root)
        found = ctx.violations[before:]
        if found:
            if self.strict:
                ctx.check(self.path)
            _warn(self.path, found)
        return list(self.violations)

    @contextlib.contextmanager
    def _counting(
        self, ctx: ReadContext, path: str, progress: Progress | None
    ) -> Iterator[None]:
        """``progress`` told of each model a read of ``path`` builds: the reader
        of every type wrapped for the time of the read."""
        if progress is None:
            yield
            return
        from ...runtime.hdf5.objects import ObjectMap

        inside = path.rstrip("/") + "/"
        total = sum(
            1
            for p in ObjectMap(self.file).info
            if (inside == "/" or p == path or p.startswith(inside))
            and not p.startswith("/specifications")
        )
        done = 0

        def counted(reader: Any) -> Any:
            def read(*args: Any, **kwargs: Any) -> Any:
                nonlocal done
                done += 1
                progress(done, total)
                return reader(*args, **kwargs)

            return read

        readers = ctx.readers
        ctx.readers = {cls: counted(reader) for cls, reader in readers.items()}
        try:
            yield
        finally:
            ctx.readers = readers

    def _object_at(self, path: str, ctx: ReadContext | None = None) -> Any:
        """The object at ``path``: ``KeyError`` if there is none; soft links that
        lead back to themselves a :class:`~nwbgen.errors.LinkCycleError` (with
        ``ctx``, a member of a group read: a violation, and ``None``)."""
        try:
            found = resolve_path(self.file, path)
        except LinkCycleError as exc:
            if ctx is None:
                raise
            chain = " -> ".join(getattr(exc, "chain", ()))
            ctx.violation(path, f"a cycle of soft links ({chain})")
            return None
        except Exception as exc:
            if not is_hdf5_failure(exc):
                raise
            raise damaged(self.path, path, exc) from None
        if found.obj is None:
            if ctx is not None:
                return None
            raise KeyError(f"{self.path}: no object at {path!r}")
        return found.obj

    def _context(self) -> ReadContext:
        if self._ctx is None:
            self._ctx = ReadContext(
                self._types, self._readers, strict=self.strict, lazy=self.lazy
            )
            # one list: members a lazy read reads later add theirs to io.violations
            self._ctx.violations = self.violations
            self._ctx.filename = self.file.filename
            self._ctx.readonly = self.file.mode == "r"
            self._ctx.remote = remote_of(self.file)
            if self._edit is not None:
                self._edit.watch(self._ctx)
        return self._ctx


def _naming(exc: NWBGenError, path: str) -> NWBGenError:
    """``exc``, its message naming the file ``path`` (a schema error of the file's
    specifications names the namespace and type only)."""
    message = str(exc)
    if path in message or os.path.basename(path) in message:
        return exc
    try:
        return type(exc)(f"{path}: {message}")
    except TypeError:  # an error class with arguments of its own
        return exc


def _had_specifications(nwbfile: Any) -> bool:
    """False only for a model read from a file that had no /specifications (core
    2.0b): its copy is written as it was read, without them."""
    source = source_of(nwbfile)
    return source is None or "specifications" in source.unknown.groups


def _warn(path: str, violations: list[Violation]) -> None:
    shown = "\n".join(f"  {v}" for v in violations[:WARN_LIMIT])
    more = len(violations) - WARN_LIMIT
    tail = f"\n  ... and {more} more (see HDF5IO.violations)" if more > 0 else ""
    warnings.warn(
        f"{path}: {len(violations)} schema violation(s), read anyway:\n{shown}{tail}",
        SchemaWarning,
        stacklevel=3,
    )


__all__ = ["HDF5IO", "SchemaWarning"]
