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
    close_external_files,
    damaged,
    is_hdf5_failure,
    open_file,
    reading,
    source_name,
)
from ...runtime.hdf5.links import resolve_path
from ...runtime.read import ReadContext, merge_registries
from ...runtime.source import Violation, source_of
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
    ) -> None:
        """``path``: a local path; for reading also an ``http(s)://``, ``s3://`` or
        other fsspec URL (extra ``remote``; ``timeout`` seconds per request,
        default ``$NWBGEN_REMOTE_TIMEOUT`` or 30), a binary file object, or an
        open ``h5py.File`` (left open by :meth:`close`)."""
        if mode not in ("r", "w", "w-", "x"):
            raise ValueError(
                f"HDF5IO mode {mode!r}: 'r' reads; 'w' writes a new file ('w-' and "
                "'x' too; pass overwrite=True to replace an existing one)"
            )
        self.path = source_name(path)
        self.mode = mode
        self.strict = strict
        self.overwrite = overwrite
        self.violations: list[Violation] = []
        self._ctx: ReadContext | None = None
        if mode != "r":
            if os.path.exists(self.path) and not overwrite:
                raise FileExistsError(
                    f"{self.path} exists; pass overwrite=True to replace it"
                )
            self._file = None
            self._owned = True
            self.provider = provider
            return
        self._owned = not isinstance(path, h5py.Group)
        self._file = open_file(path, timeout=timeout)
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
        close_external_files()

    @property
    def file(self) -> h5py.File:
        if self._file is None:
            raise ValueError(f"{self.path}: opened for writing; no file to read")
        return self._file

    # -- writing ---------------------------------------------------------------------
    def write(self, nwbfile: Any, *, progress: Progress | None = None) -> None:
        """Write ``nwbfile`` (a generated ``NWBFile`` model, read or built) as the
        file: beside the target first, renamed onto it when complete, so that on
        any error nothing is left behind and an existing file is untouched.

        Arrays read from another file that is still open are copied chunk by
        chunk; iterators are written block by block. ``progress(done, None)`` is
        called as each model is written.
        """
        if self.mode == "r":
            raise ValueError(f"{self.path}: opened for reading; use mode='w' to write")
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
        self.violations.extend(found)
        if found:
            if self.strict:
                ctx.check(self.path)
            _warn(self.path, found)
        return model

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
            self._ctx = ReadContext(self._types, self._readers, strict=self.strict)
            self._ctx.filename = self.file.filename
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
