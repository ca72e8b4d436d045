"""Compare what nwbgen reads from an NWB file with what pynwb reads from it.

Objects are matched on ``object_id``, which both sides know. For each pair the
schema drives the comparison: pynwb's object mapper says which container attribute
holds each schema member (attribute, dataset, group, link), and nwbgen names its
fields after the same schema members, so every member is compared value for value.
Containment (which typed objects each object holds, links excluded) is compared as
sets of object ids, every ``DynamicTable`` column row by row, every ``VectorIndex``
row by row.

Where pynwb does not give what the file holds (it fills in defaults for members the
file lacks, rewrites some stored values, reads old types as their newer
replacements), hdmf's builder, its raw read of the same HDF5 object, decides: when
nwbgen equals the file, the difference is noted as pynwb's, not counted as a
mismatch. Members pynwb keeps no attribute for are compared with the builder too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import h5py
import numpy as np
from hdmf.build import Builder, ReferenceBuilder
from hdmf.common import DynamicTable, DynamicTableRegion, VectorIndex
from hdmf.container import AbstractContainer, Data
from hdmf.spec import AttributeSpec, DatasetSpec, GroupSpec, LinkSpec
from pydantic import BaseModel

from nwbgen.runtime.source import source_of

#: attributes both sides keep out of the model (the type and the object id)
TYPE_ATTRIBUTES = frozenset({"neurodata_type", "data_type", "namespace", "object_id"})

#: mismatches listed in a summary, at most
SHOWN = 100

#: the value of a member the file does not have
ABSENT = None


@dataclass(frozen=True)
class Ref:
    """A typed object, by its object id (comparable across the two sides)."""

    object_id: str | None
    path: str = field(default="", compare=False)

    def __repr__(self) -> str:
        return f"<{self.path or '?'} {self.object_id}>"


@dataclass
class Mismatch:
    path: str
    member: str
    pynwb: Any
    nwbgen: Any
    why: str = ""

    def __str__(self) -> str:
        why = f"  ({self.why})" if self.why else ""
        return (
            f"{self.path} :: {self.member}{why}\n"
            f"    pynwb : {_short(self.pynwb)}\n"
            f"    nwbgen: {_short(self.nwbgen)}"
        )


@dataclass
class Report:
    """What one file's comparison looked at, what differed, and where pynwb departs
    from the file (with nwbgen agreeing with the file)."""

    counts: Counter = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[Mismatch] = field(default_factory=list)

    def mismatch(self, path: str, member: str, pynwb: Any, nwbgen: Any) -> None:
        self.mismatches.append(Mismatch(path, member, pynwb, nwbgen))

    def note(self, path: str, member: str, pynwb: Any, nwbgen: Any, why: str) -> None:
        self.counts["pynwb_departs_from_file"] += 1
        self.notes.append(Mismatch(path, member, pynwb, nwbgen, why))

    def summary(self, notes: bool = False) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        lines = [f"compared: {counts}", f"{len(self.mismatches)} mismatch(es):"]
        lines += [str(m) for m in self.mismatches[:SHOWN]]
        if len(self.mismatches) > SHOWN:
            lines.append(f"... and {len(self.mismatches) - SHOWN} more")
        if notes:
            lines.append(
                f"{len(self.notes)} place(s) where pynwb departs from the file:"
            )
            lines += [str(m) for m in self.notes]
        return "\n".join(lines)


# --- the nwbgen side -----------------------------------------------------------
# Models of namespaces compiled into the user cache vendor their own copy of the
# runtime, so models, lazy arrays and links are recognised by shape, not by class.


def is_model(value: Any) -> bool:
    return isinstance(value, BaseModel) and hasattr(type(value), "__nwb_type__")


def is_dataset_model(value: Any) -> bool:
    return is_model(value) and "value" in type(value).model_fields


def is_group_model(value: Any) -> bool:
    return is_model(value) and "value" not in type(value).model_fields


def type_of_model(model: Any) -> str | None:
    """The neurodata type of a typed model; ``None`` for nested member classes."""
    nwb_type = getattr(type(model), "__nwb_type__", None)
    return nwb_type[1] if nwb_type else None


def _object_id(model: Any) -> str | None:
    source = source_of(model)
    return source.object_id if source is not None else None


def _links_of(model: Any) -> dict[str, Any]:
    source = source_of(model)
    return source.links if source is not None else {}


def model_members(model: Any, extra: bool = True) -> list[Any]:
    """Every value a model holds in a field (children dicts and lists flattened),
    plus (``extra``) the typed members the schema had no place for."""
    out: list[Any] = []
    for name in type(model).model_fields:
        value = model.__dict__.get(name)
        if isinstance(value, dict):
            out.extend(value.values())
        elif isinstance(value, (list, tuple)):
            out.extend(value)
        elif value is not None:
            out.append(value)
    source = source_of(model)
    if extra and source is not None:
        out.extend(source.extra_children.values())
    return out


def index_models(root: Any, extra: bool = True) -> dict[str, Any]:
    """object_id -> model, for every model reachable from ``root`` through fields."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        model = stack.pop()
        if id(model) in seen or not is_model(model):
            continue
        seen.add(id(model))
        object_id = _object_id(model)
        if object_id is not None:
            found.setdefault(object_id, model)
        stack.extend(model_members(model, extra))
    return found


def field_for(model: Any, schema_name: str) -> str | None:
    """The model field of a schema member: the compiler's naming rule (see
    ``nwbgen.generator.naming.field_name``: python-safe, ``_`` appended to reserved
    words); ``None`` when the model has no such field."""
    fields = type(model).model_fields
    out = re.sub(r"\W", "_", schema_name)
    if not out or out[0].isdigit():
        out = "_" + out
    if out.startswith("_"):
        out = "f" + out
    for candidate in (out, out + "_", out + "__"):
        if candidate in fields:
            return candidate
    return None


# --- values -----------------------------------------------------------------------


def _container_path(container: AbstractContainer) -> str:
    names = []
    while container is not None:
        names.append(container.name)
        container = container.parent
    return "/".join(reversed(names[:-1])) or "/"


def _ref_of(obj: Any) -> Ref:
    if isinstance(obj, AbstractContainer):
        return Ref(obj.object_id, _container_path(obj))
    source = source_of(obj)
    return Ref(source.object_id if source else None, source.path if source else "")


def _builder_ref(builder: Any) -> Ref:
    target = getattr(builder, "builder", builder)  # Link/ReferenceBuilder -> target
    return Ref(target.attributes.get("object_id"), target.path)


def materialize(value: Any) -> Any:
    """A lazy value (h5py dataset, hdmf wrapper, nwbgen LazyArray) read into memory."""
    if type(value).__name__ == "LazyArray":
        return np.asarray(value) if value.shape != () else value[()]
    if isinstance(value, h5py.Dataset):
        return value[()]
    cls_name = type(value).__name__
    if cls_name == "StrDataset":
        return value[()] if value.shape == () else value[:]
    if "H5ReferenceDataset" in cls_name or "H5TableDataset" in cls_name:
        return value[:] if len(value) else []
    return value


def canon(value: Any) -> Any:
    """A comparable form: typed objects become :class:`Ref`, text ``str``, numeric
    arrays ndarrays, anything else nested lists/tuples of canonical values."""
    value = materialize(value)
    if value is None:
        return None
    if isinstance(value, AbstractContainer):
        return _ref_of(value)
    if is_model(value):
        if type_of_model(value) is None and is_dataset_model(value):
            return canon(value.value)  # an untyped dataset standing for its values
        return _ref_of(value)
    if isinstance(value, (Builder, ReferenceBuilder)):
        return _builder_ref(value)
    if type(value).__name__ == "ExternalLink":
        return ("external link", value.filename, value.path)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (str, bool, int, float, datetime, date)):
        return value
    if isinstance(value, np.void):
        return tuple(canon(value[name]) for name in value.dtype.names)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            return value
        if value.ndim == 0:
            return canon(value[()])
        return [canon(v) for v in value]
    if isinstance(value, (list, tuple)):
        items = [canon(v) for v in value]
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return tuple(items)  # a namedtuple row: a compound element
        if items and all(isinstance(v, np.ndarray) for v in items):
            if len({(v.shape, v.dtype.kind) for v in items}) == 1:
                return np.stack(items)
        if items and all(_is_number(v) for v in items):
            return np.asarray(items)
        return items
    if hasattr(value, "__array__") and not isinstance(value, BaseModel):
        return canon(np.asarray(value))
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equal(a: Any, b: Any) -> bool:
    """NaN-safe, datetime-aware equality of canonical values (a naive datetime
    equals an aware one with the same wall-clock time)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            a_arr, b_arr = _array(a), _array(b)
        except ValueError:
            return False
        if a_arr.shape != b_arr.shape:
            return False
        if a_arr.dtype.kind in "biufc" and b_arr.dtype.kind in "biufc":
            nan = a_arr.dtype.kind in "fc" or b_arr.dtype.kind in "fc"
            return bool(np.array_equal(a_arr, b_arr, equal_nan=nan))
        return all(equal(x, y) for x, y in zip(a_arr.ravel(), b_arr.ravel()))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, datetime) and isinstance(b, datetime):
        if (a.tzinfo is None) != (b.tzinfo is None):
            return a.replace(tzinfo=None) == b.replace(tzinfo=None)
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _array(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    out = np.empty(len(value), dtype=object) if isinstance(value, list) else None
    if out is not None and any(isinstance(v, (list, tuple, np.ndarray)) for v in value):
        return np.asarray(value)  # nested: let numpy find the shape (or fail)
    if out is not None:
        out[:] = value
        return out
    return np.asarray(value)


def _datetimes(value: Any) -> Any:
    """ISO 8601 text (hdmf's builders keep isodatetime as text) as ``datetime``."""
    from dateutil.parser import isoparse

    if isinstance(value, str):
        try:
            return isoparse(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return [_datetimes(v) for v in value]
    return value


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, Ref):
        return "references"
    if isinstance(value, list) and value and isinstance(value[0], Ref):
        return "references"
    if isinstance(value, (np.ndarray, list)):
        return "arrays"
    return "fields"


# --- hdmf builders (the file as hdmf read it) ------------------------------------


def _builder_member(builder: Any, name: str) -> Any:
    """A named member of a group builder (links followed), ``None`` if absent."""
    if builder is None or not hasattr(builder, "groups"):
        return None
    for members in (builder.groups, builder.datasets, builder.links):
        if name in members:
            member = members[name]
            return getattr(member, "builder", member)  # a LinkBuilder's target
    return None


def _schema_name(fname: str) -> str:
    """The schema name a field was named after (the inverse of ``field_for``)."""
    name = fname.rstrip("_") if fname.rstrip("_") else fname
    return name[1:] if name.startswith("f_") else name


def _builder_any(builder: Any, name: str) -> Any:
    """Attribute or member ``name`` of a builder (a dataset's data), else ABSENT."""
    if builder is None:
        return ABSENT
    if name in builder.attributes:
        return builder.attributes[name]
    member = _builder_member(builder, name)
    if member is None:
        return ABSENT
    if hasattr(member, "data") and not member.attributes.get("object_id"):
        return member.data
    return member


def _file_value(spec: Any, builder: Any) -> Any:
    """What the file holds for a schema member, as hdmf read it; ``ABSENT`` if
    nothing."""
    if builder is None:
        return ABSENT
    if isinstance(spec, AttributeSpec):
        return builder.attributes.get(spec.name, ABSENT)
    member = _builder_member(builder, spec.name)
    if member is None:
        return ABSENT
    if isinstance(spec, DatasetSpec) and spec.data_type is None:
        return member.data
    return member


# --- the comparison -----------------------------------------------------------------


@dataclass
class _Site:
    """Where a walk is: the nwbgen model (of the object, or of an untyped subgroup or
    dataset of it), hdmf's builder of the same HDF5 object, and its path."""

    model: Any
    builder: Any
    path: str


class Comparison:
    """One file read by both sides: pynwb's ``NWBHDF5IO`` and what it read, nwbgen's
    ``NWBFile`` model, and the file open in h5py (for the types as stored)."""

    def __init__(
        self, pynwb_io: Any, pynwb_file: Any, nwbgen_file: Any, h5file: h5py.File
    ) -> None:
        self.h5file = h5file
        self.manager = pynwb_io.manager
        self.type_map = self.manager.type_map
        self.pfile = pynwb_file
        self.nfile = nwbgen_file
        self.models = index_models(nwbgen_file)
        #: typed objects nwbgen reads where the schema has no place for them
        placed = index_models(nwbgen_file, extra=False)
        self.extra = {oid for oid in self.models if oid not in placed}
        self.report = Report()

    def run(self) -> Report:
        containers = {c.object_id: c for c in self.pfile.objects.values()}
        report = self.report
        for oid, container in containers.items():
            path = _container_path(container)
            model = self.models.get(oid)
            if model is None:
                report.mismatch(path, "<object>", _ref_of(container), None)
                continue
            report.counts["objects"] += 1
            self.compare_object(container, model, path)
        for oid, model in self.models.items():
            if oid in containers or type_of_model(model) is None:
                continue
            if oid in self.extra:
                report.counts["nwbgen_only_unplaced"] += 1  # pynwb drops these
            else:
                report.mismatch(source_of(model).path, "<object>", None, _ref_of(model))
        return report

    # -- one object ----------------------------------------------------------------
    def compare_object(self, container: Any, model: Any, path: str) -> None:
        report = self.report
        builder = self.manager.get_builder(container)
        _, ptype = self.type_map.get_container_ns_dt(container)
        ntype = type_of_model(model)
        report.counts["types"] += 1
        if ptype != ntype:
            if ntype == self._stored_type(model):
                report.note(path, "<neurodata_type>", ptype, ntype, "pynwb retypes")
            else:
                report.mismatch(path, "<neurodata_type>", ptype, ntype)
        if container.name != model.name:
            report.mismatch(path, "<name>", container.name, model.name)
        mapper = self.type_map.get_map(container)
        # the object being compared, for walk and compare_member
        self._mapper, self._container = mapper, container
        self._held: set[str] = set()
        self._visited: dict[int, tuple[Any, Any, str, set[str]]] = {}
        self.walk(mapper.spec, _Site(model, builder, path), top=True)
        held = self._held
        self.compare_unvisited()
        # containment: the typed objects each side holds inside this one (its
        # members and its untyped subgroups' members; links excluded)
        pchildren = {c.object_id for c in container.children}
        report.counts["members"] += len(pchildren)
        if pchildren != held:
            linked = self._linked(model)
            only_pynwb = pchildren - held
            if only_pynwb <= linked and held <= pchildren:
                # pynwb adopts objects read through external links as children
                report.note(path, "<contains>", sorted(only_pynwb), [], "linked")
            else:
                report.mismatch(
                    path, "<contains>", sorted(only_pynwb), sorted(held - pchildren)
                )
        if isinstance(container, DynamicTable):
            self.compare_table(container, model, path)
        if isinstance(container, VectorIndex):
            self.compare_index(container, model, path)

    def compare_unvisited(self) -> None:
        """Model fields the schema walk did not reach (members of the file's own
        schema version that pynwb's newer one lacks, say): compared with the file,
        or, when the file has no such member, with the field's default."""
        for model, builder, path, visited in self._visited.values():
            fields = type(model).model_fields
            for fname, info in fields.items():
                if fname in visited or fname == "value":
                    continue
                nvalue = model.__dict__.get(fname)
                if nvalue is None:
                    continue
                self.report.counts["outside_pynwb_spec"] += 1
                stored = _builder_any(builder, _schema_name(fname))
                if stored is ABSENT:
                    default = info.get_default(call_default_factory=True)
                    if not equal(canon(default), canon(nvalue)):
                        self.report.mismatch(
                            path, fname, "<not in file>", canon(nvalue)
                        )
                    continue
                self.compare_values(path, fname, stored, nvalue)

    def _stored_type(self, model: Any) -> str | None:
        """The type attribute as stored (pynwb's builders hold the retyped one)."""
        attrs = self.h5file[source_of(model).path].attrs
        value = attrs.get("neurodata_type", attrs.get("data_type"))
        return value.decode() if isinstance(value, bytes) else value

    def _linked(self, model: Any) -> set[str]:
        """Object ids of what ``model`` (and its untyped subgroups) hold as links."""
        out: set[str] = set()
        stack = [model]
        while stack:
            holder = stack.pop()
            links = _links_of(holder)
            for fname in type(holder).model_fields:
                value = holder.__dict__.get(fname)
                values = value.items() if isinstance(value, dict) else [(None, value)]
                for key, member in values:
                    if not is_model(member):
                        continue
                    if type_of_model(member) is None:
                        stack.append(member)
                    elif (key or member.name) in links:
                        out.add(_object_id(member))
        return out

    def walk(self, spec: Any, site: _Site, top: bool = False) -> None:
        """Compare every member ``spec`` declares on the model of the object being
        compared (or of an untyped subgroup/dataset of it: ``site`` follows
        ``spec``). The object ids of the typed objects the model holds (not as
        links) are added to ``self._held``."""
        model, builder, path = site.model, site.builder, site.path
        container, held = self._container, self._held
        if model is not None and id(model) not in self._visited:
            self._visited[id(model)] = (model, builder, path, {"name", "children"})
        if is_group_model(model):
            links = _links_of(model)
            children = model.__dict__.get("children") or {}
            held.update(
                _object_id(child)
                for key, child in children.items()
                if key not in links and is_model(child)
            )
        for attr in spec.attributes:
            if attr.name not in TYPE_ATTRIBUTES:
                self.compare_member(attr, site)
        if isinstance(spec, DatasetSpec):
            if top and isinstance(container, Data):
                self.compare_values(
                    path,
                    "<value>",
                    container.data,
                    getattr(model, "value", model),
                    dtype=spec.dtype,
                    stored=builder.data if builder is not None else ABSENT,
                )
            return
        for sub in [*spec.datasets, *spec.groups, *spec.links]:
            if sub.name is not None:  # members by type: compared as containment
                self.compare_member(sub, site)

    def pynwb_value(self, spec: Any, builder: Any) -> Any:
        """What pynwb holds for a schema member: the container attribute the mapper
        maps it to, else (no such attribute, or ``None``) what hdmf read."""
        attr_name = self._mapper.get_attribute(spec)
        value = getattr(self._container, attr_name, None) if attr_name else None
        if value is not None:
            if isinstance(spec, DatasetSpec) and spec.data_type is None:
                value = _owned_dataset(value, attr_name)
            return value
        value = _file_value(spec, builder)
        if value is not ABSENT:
            self.report.counts["via_builder"] += 1
        return value

    def compare_member(self, spec: Any, site: _Site) -> None:
        report = self.report
        model, builder, path = site.model, site.builder, site.path
        where = spec.name
        untyped_group = isinstance(spec, GroupSpec) and spec.data_type is None
        fname = field_for(model, spec.name) if model is not None else None
        if model is not None and fname is None:
            # pynwb maps with its own (newest) core; an older file's models lack the
            # members added since: fine when the file does not have them either
            stored = _file_value(spec, builder)
            if stored is ABSENT:
                report.counts["not_in_file_version"] += 1
            else:
                report.mismatch(path, where, canon(stored), "<no model field>")
            return
        if model is not None:
            self._visited[id(model)][3].add(fname)
        nvalue = getattr(model, fname) if model is not None else None
        if untyped_group:
            sub_builder = _builder_member(builder, spec.name)
            if nvalue is not None or sub_builder is not None:
                self.walk(spec, _Site(nvalue, sub_builder, f"{path}/{spec.name}"))
            return
        pvalue = self.pynwb_value(spec, builder)
        stored = _file_value(spec, builder)
        default = getattr(spec, "default_value", None)
        if isinstance(spec, LinkSpec) or (
            not isinstance(spec, AttributeSpec) and spec.data_type is not None
        ):
            # a named typed member or a link: the same object on both sides
            if isinstance(pvalue, (list, tuple)) and len(pvalue) == 1:
                pvalue = pvalue[0]
            if (
                not isinstance(spec, LinkSpec)
                and is_model(nvalue)
                and spec.name not in _links_of(model)
            ):
                self._held.add(_object_id(nvalue))
            self.compare_values(
                path, where, pvalue, nvalue, kind="references", stored=stored
            )
            return
        if isinstance(spec, DatasetSpec):
            values = nvalue.value if is_dataset_model(nvalue) else nvalue
            self.compare_values(
                path,
                where,
                pvalue,
                values,
                dtype=spec.dtype,
                stored=stored,
                default=default,
            )
            if spec.attributes:
                nested = nvalue if is_dataset_model(nvalue) else None
                member = _builder_member(builder, spec.name)
                self.walk(spec, _Site(nested, member, f"{path}/{spec.name}"))
            return
        self.compare_values(
            path,
            where,
            pvalue,
            nvalue,
            dtype=spec.dtype,
            stored=stored,
            default=default,
        )

    def compare_values(
        self,
        path: str,
        where: str,
        pvalue: Any,
        nvalue: Any,
        kind: str | None = None,
        dtype: Any = None,
        stored: Any = ABSENT,
        default: Any = None,
    ) -> None:
        """Count and compare one value; on a difference, the file decides whether it
        is nwbgen's (a mismatch) or pynwb's (a note)."""
        p, n = canon(pvalue), canon(nvalue)
        if dtype == "isodatetime":
            p = _datetimes(p)
        self.report.counts[kind or _kind(p if p is not None else n)] += 1
        if equal(p, n):
            return
        if stored is ABSENT:
            if n is None:
                why = "absent from the file: pynwb fills in a default"
                self.report.note(path, where, p, n, why)
                return
            if default is not None and equal(canon(default), n):
                why = "absent from the file: nwbgen gives the schema default"
                self.report.note(path, where, p, n, why)
                return
        else:
            s = canon(stored)
            if dtype == "isodatetime":
                s = _datetimes(s)
            if equal(s, n):
                self.report.note(path, where, p, n, "pynwb changes the stored value")
                return
        self.report.mismatch(path, where, p, n)

    # -- tables --------------------------------------------------------------------
    def compare_table(self, table: Any, model: Any, path: str) -> None:
        report = self.report
        report.counts["tables"] += 1
        nrows = len(model)
        if len(table) != nrows:
            report.mismatch(path, "<rows>", len(table), nrows)
            return
        colnames = list(table.colnames)
        for colname in colnames:
            report.counts["columns"] += 1
            column = table[colname]
            while isinstance(column, VectorIndex):
                column = column.target
            try:
                found = _ref_of(model.column(colname))
            except Exception as exc:  # noqa: BLE001 - a mismatch, reported
                found = repr(exc)
            if found != _ref_of(column):
                report.mismatch(path, f"column({colname!r})", _ref_of(column), found)
            prows = pynwb_column_rows(table, colname)
            try:
                nvalues = list(model.values(colname))
            except Exception as exc:  # noqa: BLE001 - a mismatch, reported
                report.mismatch(path, f"values({colname!r})", "<rows>", repr(exc))
                continue
            if len(prows) != len(nvalues):
                report.mismatch(
                    path, f"len(values({colname!r}))", len(prows), len(nvalues)
                )
                continue
            for i, (p, n) in enumerate(zip(prows, nvalues)):
                report.counts["rows"] += 1
                pc, nc = canon(p), canon(n)
                if not equal(pc, nc):
                    report.mismatch(path, f"values({colname!r})[{i}]", pc, nc)
        # rows as dicts, first and last
        for i in sorted({0, nrows - 1}) if nrows else ():
            try:
                nrow = model.row(i)
            except Exception as exc:  # noqa: BLE001 - a mismatch, reported
                report.mismatch(path, f"row({i})", "<row>", repr(exc))
                continue
            report.counts["table_rows"] += 1
            if list(nrow)[: len(colnames)] != colnames:
                report.mismatch(path, f"row({i}) keys", colnames, list(nrow))
                continue
            for colname in colnames:
                p, n = canon(pynwb_column_rows(table, colname, [i])[0]), canon(
                    nrow[colname]
                )
                if not equal(p, n):
                    report.mismatch(path, f"row({i})[{colname!r}]", p, n)
        if not hasattr(table, "category_tables"):
            self.compare_dataframe(table, model, path)
        if hasattr(table, "category_tables"):  # AlignedDynamicTable
            for name, sub in table.category_tables.items():
                report.counts["categories"] += 1
                try:
                    found = _ref_of(model.category(name))
                except Exception as exc:  # noqa: BLE001 - a mismatch, reported
                    found = repr(exc)
                if found != _ref_of(sub):
                    report.mismatch(path, f"category({name!r})", _ref_of(sub), found)

    def compare_dataframe(self, table: Any, model: Any, path: str) -> None:
        """``to_dataframe()``: the same ids and columns as pynwb's."""
        try:
            pframe = table.to_dataframe(index=True)
        except Exception:  # noqa: BLE001 - pynwb cannot: nothing to compare
            self.report.counts["dataframes_pynwb_failed"] += 1
            return
        try:
            nframe = model.to_dataframe()
        except Exception as exc:  # noqa: BLE001 - a mismatch, reported
            self.report.mismatch(path, "to_dataframe()", "<frame>", repr(exc))
            return
        self.report.counts["dataframes"] += 1
        pshape = (list(pframe.index), list(pframe.columns))
        nshape = (list(nframe.index), list(nframe.columns))
        if pshape == nshape:
            return
        builder = self.manager.get_builder(table)
        stored = canon(builder.attributes.get("colnames")) if builder else None
        stored = list(stored) if stored is not None else []
        if nshape == (pshape[0], stored):
            why = "pynwb's columns are not the stored colnames"
            self.report.note(path, "to_dataframe() columns", pshape[1], stored, why)
        else:
            self.report.mismatch(path, "to_dataframe() ids, columns", pshape, nshape)

    def compare_index(self, index: Any, model: Any, path: str) -> None:
        """``index[i]`` (row ``i`` of the target) for every row."""
        report = self.report
        n = len(index)
        if len(model) != n:
            report.mismatch(path, "len(index)", n, len(model))
            return
        for i, p in enumerate(_pynwb_index_rows(index, range(n))):
            report.counts["index_rows"] += 1
            try:
                got = model[i]
            except Exception as exc:  # noqa: BLE001 - a mismatch, reported
                report.mismatch(path, f"index[{i}]", canon(p), repr(exc))
                continue
            pc, nc = canon(p), canon(got)
            if not equal(pc, nc):
                report.mismatch(path, f"index[{i}]", pc, nc)


def _owned_dataset(pvalue: Any, attr_name: str) -> Any:
    """pynwb keeps a linked dataset as the object that owns it (``TimeSeries.data``
    or ``.timestamps`` linking another TimeSeries): its values are the owner's."""
    while isinstance(pvalue, AbstractContainer) and not isinstance(pvalue, Data):
        inner = getattr(pvalue, attr_name, None)
        if inner is None:
            break
        pvalue = inner
    return pvalue


# --- pynwb's rows -------------------------------------------------------------------


def pynwb_column_rows(table: Any, colname: str, rows: Any = None) -> list[Any]:
    """Rows of a column as pynwb gives them: a ragged row as the list of its values
    (nested lists for a doubly ragged column), a region cell as row indices, a
    reference cell as the container."""
    column = table[colname]
    rows = range(len(table)) if rows is None else rows
    if isinstance(column, VectorIndex):
        return _pynwb_index_rows(column, rows)
    data = materialize(column.data)
    return [data[i] for i in rows]


def _pynwb_index_rows(index: Any, rows: Any) -> list[Any]:
    target = index.target
    while isinstance(target, VectorIndex):
        target = target.target
    if isinstance(target, DynamicTableRegion):
        return [index.get(i, index=True) for i in rows]  # indices, not DataFrames
    return [index[i] for i in rows]


__all__ = [
    "Comparison",
    "Mismatch",
    "Ref",
    "Report",
    "canon",
    "equal",
    "index_models",
]
