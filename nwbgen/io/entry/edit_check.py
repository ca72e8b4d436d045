"""Checking the new subtrees of an edit while nothing is written: each is walked by
its generated writer with a context that only checks (:class:`CheckContext`):
every value's encoding for its dtype, names, references and links to models that
will be in the file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from ...errors import EditError, HDF5WriteError
from ...runtime.hdf5.encode import encode_values, parse_kind
from ...runtime.hdf5.lazy import LazyArray
from ...runtime.hdf5.links import ExternalLink, ExternalLinkInfo, SoftLinkInfo
from ...runtime.hdf5.write import DataIO, smallest_uint
from ...runtime.models.base import is_model
from ...runtime.models.tables import DynamicTableMixin, VectorIndexMixin
from ...runtime.source import source_of
from ...runtime.write import package_of
from .edit_changes import ValueChange
from .edit_compare import (
    describe,
    from_elsewhere,
    is_reference_kind,
    join,
    models_in,
    under,
)
from .edit_layout import writer_of
from .specifications import with_includes

if TYPE_CHECKING:
    from .edit_plan import Planner


class Place:
    """Stands for a group in the check: its path."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class CheckContext:
    """Stands for the :class:`~nwbgen.runtime.write.WriteContext` of the apply:
    runs the very generated writers over the new models, in the same order,
    giving each model the home the write will give it, but writes nothing:
    every value is encoded (or, holding references, checked at the end when
    every home is known), every name claimed, every class's namespace version
    checked."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.h5f = planner.h5f
        #: id -> HDF5 path of the new models
        self.homes: dict[int, str] = {}
        self.new_models: list[tuple[Any, str]] = []
        self.new_tables: list[tuple[Any, str]] = []
        self.deferred: list[Any] = []
        self._checked: set[type] = set()

    def home(self, model: Any) -> str | None:
        found = self.homes.get(id(model))
        return found if found is not None else self.planner.session.home_of(model)

    def fail(self, path: str, reason: str) -> EditError:
        return self.planner.fail(path, reason)

    # -- what the writers call --------------------------------------------------------
    def write(self, parent: Place, name: str, model: Any) -> None:
        path = join(parent.name, name)
        if isinstance(model, ExternalLink):
            self.planner.claim(path)
            return
        if not is_model(model):
            raise self.fail(path, f"{model!r} is not a model")
        home = self.home(model)
        if home is not None:  # a soft link to it
            self.planner.claim(path)
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, path)
            return
        source = source_of(model)
        if source is not None and source.path not in ("", "/", path):
            # read from another file, elsewhere: linked once its home is known
            self.deferred.append(lambda: self._link_or_write(parent, name, model))
            return
        self.writer(model, path)(self, parent, name, model)

    def _link_or_write(self, parent: Place, name: str, model: Any) -> None:
        if self.home(model) is not None:
            self.planner.claim(join(parent.name, name))
        else:
            path = join(parent.name, name)
            self.writer(model, path)(self, parent, name, model)

    def link(self, parent: Place, name: str, model: Any) -> None:
        path = join(parent.name, name)
        self.planner.claim(path)
        self.expect_home(model, path, link=True)

    def expect_home(self, model: Any, where: str, *, link: bool = False) -> None:
        """``model`` must be in the file once every new model is placed."""

        def check() -> None:
            if self.home(model) is None:
                what = "links to" if link else "refers to"
                raise self.fail(
                    where,
                    f"{what} {describe(model)}, which is not in the file (add it "
                    "where it belongs, e.g. devices)",
                )
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, where)

        self.deferred.append(check)

    def group(
        self, parent: Place | None, name: str, model: Any, nwb_type: Any
    ) -> CheckFrame:
        path = join(parent.name, name) if parent is not None else "/"
        self._new(path, model)
        self.planner.new_groups.add(path)
        if isinstance(model, DynamicTableMixin):
            self.new_tables.append((model, path))
        return CheckFrame(self, Place(path), model)

    def dataset(
        self,
        parent: Place,
        name: str,
        model: Any,
        nwb_type: Any,
        kind: Any,
        scalar: bool,
    ) -> CheckFrame:
        path = join(parent.name, name)
        self._new(path, model)
        value = getattr(model, "value", None)
        source = source_of(model)
        stored = source.dtypes.get("") if source is not None else None
        if value is None:
            raise self.fail(path, "dataset has no value")
        if stored is not None and not isinstance(value, LazyArray):
            kind = stored
        elif isinstance(model, VectorIndexMixin) and not from_elsewhere(value):
            top = np.asarray(value)
            if top.size and top.dtype.kind not in "iu":
                raise self.fail(path, "a VectorIndex holds row bounds (integers)")
            kind = smallest_uint(int(np.max(top)) if top.size else 0)
        self.check_value(value, kind, path)
        return CheckFrame(self, Place(path), model)

    def _new(self, path: str, model: Any) -> None:
        self.planner.claim(path)
        self.homes[id(model)] = path
        self.new_models.append((model, path))

    def writer(self, model: Any, path: str) -> Any:
        """The generated writer of a new model, once its class is checked: a
        generated class of the file's namespace versions (or of an extension
        built over them, whose namespace the write adds to /specifications)."""
        cls = type(model)
        writer = writer_of(cls)
        if writer is None:
            raise self.fail(
                path,
                f"no writer for {cls.__module__}.{cls.__name__} (not a generated "
                "model class)",
            )
        if cls not in self._checked:
            self._check_package(cls, path)
            self._checked.add(cls)
        return writer

    def _check_package(self, cls: type, path: str) -> None:
        package = package_of(cls)
        mine = self.planner.provider.packages
        needs = with_includes({package})
        for needed in [package, *(p for p in needs if p is not package)]:
            name = needed.NAMESPACE
            have = mine.get(name)
            if have is None:
                self.planner.plan.packages.add(needed)
                continue
            if have is needed or (
                have.VERSION == needed.VERSION
                and getattr(have, "SPEC_SHA256", None)
                == getattr(needed, "SPEC_SHA256", None)
            ):
                continue
            raise self.fail(
                path,
                f"{cls.__name__} is a model of {package.NAMESPACE} {package.VERSION} "
                f"({cls.__module__})"
                + (
                    f", built over {name} {needed.VERSION}"
                    if needed is not package
                    else ""
                )
                + f"; this file is {name} {have.VERSION}: build new objects with the "
                "file's own models (io.models.<Type>, or io.provider.model(namespace, "
                "type))",
            )

    # -- values ----------------------------------------------------------------------
    def check_value(self, value: Any, kind: Any, where: str) -> None:
        """``value`` encodes for ``kind`` (now, or at the end when it refers to
        models)."""
        if isinstance(value, DataIO):
            value = value.data
        if value is None or isinstance(value, h5py.Empty):
            return
        if isinstance(value, LazyArray):
            try:
                value.dataset  # noqa: B018 - raises for a closed file
            except Exception as exc:  # noqa: BLE001 - named in our words
                raise self.fail(where, str(exc)) from None
            return
        if from_elsewhere(value):
            return  # an iterator or array-like: encoded as it is written
        if hasattr(value, "to_numpy"):
            value = value.to_numpy()
        refs = is_reference_kind(kind) if kind is not None else False
        if refs or any(True for _ in models_in(value)):
            self.deferred.append(lambda: self._check_refs(value, kind, where))
            return
        self.encode(value, kind, where)

    def encode(self, value: Any, kind: Any, where: str) -> np.ndarray | None:
        """``value`` encoded as a write encodes it; ``None`` when it refers to
        models (checked at the end)."""
        if (kind is not None and is_reference_kind(kind)) or any(
            True for _ in models_in(value)
        ):
            self.deferred.append(lambda: self._check_refs(value, kind, where))
            return None
        try:
            return encode_values(value, parse_kind(kind), self.h5f)
        except (KeyError, TypeError, ValueError, OverflowError, HDF5WriteError) as exc:
            raise self.fail(where, f"{exc}") from None

    def _check_refs(self, value: Any, kind: Any, where: str) -> None:
        for model in models_in(value):
            if self.home(model) is None:
                raise self.fail(
                    where,
                    f"refers to {describe(model)}, which is not in the file",
                )
            if self.planner.session.home_of(model) is not None:
                self.planner.enqueue(model, where)
                root = under(
                    self.planner.session.home_of(model), self.planner.plan.removed
                )
                if root is not None:
                    raise self.fail(
                        where, f"refers to {describe(model)}, which this edit removes"
                    )
        parsed = parse_kind(kind)
        if parsed.tag == "compound":
            try:
                encode_values(value, parsed, self.h5f, self.null_target)
            except (
                KeyError,
                TypeError,
                ValueError,
                OverflowError,
                HDF5WriteError,
            ) as exc:
                raise self.fail(where, f"{exc}") from None

    def null_target(self, model: Any) -> Any:
        """A reference's target when checking: it must be in the file; the
        reference made is a null one (nothing is created in the file)."""
        if is_model(model) and self.home(model) is None:
            raise HDF5WriteError(
                f"a reference to {describe(model)}, which is not in the file"
            )
        return h5py.Reference()

    def check_rows_refs(
        self, rows: Any, dtype: np.dtype, path: str, start: int
    ) -> None:
        self.deferred.append(lambda: self._check_refs(rows, dtype, path))

    def mark_late(self, change: ValueChange, value: Any) -> None:
        """``change`` is applied after the new objects if it refers to one."""

        def mark() -> None:
            if any(self.planner.session.home_of(m) is None for m in models_in(value)):
                change.late = True

        self.deferred.append(mark)


class CheckFrame:
    """Stands for a :class:`~nwbgen.runtime.write.WriteFrame`."""

    __slots__ = ("ctx", "h5obj", "model", "source")

    def __init__(self, ctx: CheckContext, place: Place, model: Any) -> None:
        self.ctx = ctx
        self.h5obj = place
        self.model = model
        self.source = source_of(model)

    def _get(self, field_name: str) -> Any:
        if self.source is not None and field_name not in self.model.model_fields_set:
            return None
        return getattr(self.model, field_name, None)

    def _where(self, name: str) -> str:
        return join(self.h5obj.name, name)

    def attribute(self, field_name: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field_name)
        if value is None:
            return
        if self.source is not None and h5_name in self.source.dtypes:
            kind = self.source.dtypes[h5_name]
        self.ctx.check_value(value, kind, f"{self.h5obj.name}@{h5_name}")

    def member(self, field_name: str, h5_name: str) -> None:
        value = self._get(field_name)
        if value is not None:
            self._place(h5_name, value)

    def _place(self, h5_name: str, value: Any) -> None:
        if self._external(h5_name, value):
            return
        stored = self.source.links.get(h5_name) if self.source is not None else None
        if isinstance(stored, SoftLinkInfo) and is_model(value):
            self.ctx.link(self.h5obj, h5_name, value)
        else:
            self.ctx.write(self.h5obj, h5_name, value)

    def _external(self, h5_name: str, value: Any) -> bool:
        stored = self.source.links.get(h5_name) if self.source is not None else None
        if isinstance(stored, ExternalLinkInfo) or isinstance(value, ExternalLink):
            self.ctx.planner.claim(self._where(h5_name))
            return True
        return False

    def dataset(self, field_name: str, h5_name: str, kind: Any, scalar: bool) -> None:
        value = self._get(field_name)
        if value is None or self._external(h5_name, value):
            return
        if self.source is not None and h5_name in self.source.dtypes:
            kind = self.source.dtypes[h5_name]
        self.ctx.planner.claim(self._where(h5_name))
        if isinstance(value, (LazyArray, h5py.Dataset)):
            kind = None
        self.ctx.check_value(value, kind, self._where(h5_name))

    def link(self, field_name: str, h5_name: str) -> None:
        value = self._get(field_name)
        if value is not None and not self._external(h5_name, value):
            self.ctx.link(self.h5obj, h5_name, value)

    def children(self, field_name: str) -> None:
        for h5_name, child in (getattr(self.model, field_name, None) or {}).items():
            self._place(h5_name, child)

    def end(self) -> None:
        if self.source is None:
            return
        unknown = self.source.unknown
        for name in [*unknown.datasets, *unknown.groups, *unknown.links]:
            self.ctx.planner.claim(self._where(name))
        for name, child in self.source.extra_children.items():
            self.ctx.write(self.h5obj, name, child)
