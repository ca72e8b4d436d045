"""Schema-language dicts (from YAML or cached JSON) into :mod:`nwbgen.spec.model` values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from .model import (
    DTYPE_ALIASES,
    ONE,
    PRIMITIVE_DTYPES,
    Attribute,
    CompoundField,
    Dataset,
    Dtype,
    Group,
    Include,
    Link,
    Namespace,
    Quantity,
    RefDtype,
    SchemaFile,
    ShapeAlt,
    source_stem,
)

_QUANTITY_WORDS = {
    "?": Quantity(0, 1),
    "zero_or_one": Quantity(0, 1),
    "*": Quantity(0, None),
    "zero_or_many": Quantity(0, None),
    "+": Quantity(1, None),
    "one_or_many": Quantity(1, None),
}
_REFTYPES = {
    "object": "object",
    "ref": "object",
    "reference": "object",
    "region": "region",
}


def _members(node: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """``node[key]``, a list of schema nodes (absent: none); anything else a
    :class:`SpecError` saying so."""
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpecError(f"{where}: {key!r} must be a list, not {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise SpecError(
                f"{where}: {key!r} item {i} must be a mapping, not {type(item).__name__}"
            )
    return value


def _pick(node: Mapping[str, Any], key: str) -> Any:
    """hdmf spells NWB's ``neurodata_type_*`` keys as ``data_type_*``."""
    if f"neurodata_type_{key}" in node:
        return node[f"neurodata_type_{key}"]
    return node.get(f"data_type_{key}")


def parse_quantity(value: Any, where: str) -> Quantity:
    if value is None:
        return ONE
    if isinstance(value, bool):
        raise SpecError(f"{where}: quantity {value!r} is not a count")
    if isinstance(value, int):
        if value < 1:
            raise SpecError(f"{where}: quantity {value} must be at least 1")
        return Quantity(value, value)
    if isinstance(value, str):
        if value.isdigit():
            return parse_quantity(int(value), where)
        if value in _QUANTITY_WORDS:
            return _QUANTITY_WORDS[value]
    raise SpecError(f"{where}: unknown quantity {value!r}")


def _primitive(value: str, where: str) -> str:
    name = DTYPE_ALIASES.get(value, value)
    if name not in PRIMITIVE_DTYPES:
        raise SpecError(f"{where}: unknown dtype {value!r}")
    return name


def parse_dtype(value: Any, where: str) -> Dtype:
    if value is None:
        return None
    if isinstance(value, str):
        if value in _REFTYPES:  # a bare "object" without target type
            return RefDtype("", "object")
        return _primitive(value, where)
    if isinstance(value, Mapping):
        target = value.get("target_type")
        reftype = _REFTYPES.get(str(value.get("reftype", "object")))
        if not target or reftype is None:
            raise SpecError(
                f"{where}: reference dtype needs target_type and reftype, got {dict(value)!r}"
            )
        return RefDtype(str(target), reftype)
    if isinstance(value, list):
        fields = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping) or "name" not in item:
                raise SpecError(f"{where}: compound dtype field {i} has no name")
            inner = parse_dtype(item.get("dtype"), f"{where}.{item['name']}")
            if inner is None or isinstance(inner, tuple):
                raise SpecError(
                    f"{where}.{item['name']}: compound fields need a primitive or reference dtype"
                )
            fields.append(
                CompoundField(str(item["name"]), str(item.get("doc", "")), inner)
            )
        return tuple(fields)
    raise SpecError(f"{where}: cannot read dtype {value!r}")


def parse_shape(value: Any, where: str) -> tuple[ShapeAlt, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise SpecError(f"{where}: shape must be a list, got {value!r}")
    alternatives = (
        value if value and all(isinstance(v, list) for v in value) else [value]
    )
    out = []
    for alt in alternatives:
        if not isinstance(alt, list):
            raise SpecError(f"{where}: shape mixes sizes and alternatives: {value!r}")
        sizes: list[int | None] = []
        for size in alt:
            if size is None or (isinstance(size, int) and not isinstance(size, bool)):
                sizes.append(size)
            elif isinstance(size, str) and size.isdigit():
                sizes.append(int(size))
            else:
                raise SpecError(
                    f"{where}: shape size {size!r} is not an integer or null"
                )
        out.append(tuple(sizes))
    return tuple(out)


def parse_dims(
    value: Any, shape: tuple[ShapeAlt, ...] | None, where: str
) -> tuple[tuple[str, ...], ...] | None:
    """Dimension names per shape alternative.

    Old schemas sometimes give one name per alternative for 1-D alternatives
    (core 2.2 ``field_of_view``: shape ``[[2], [3]]``, dims ``[a, b]``); names that
    fit no alternative fall back to ``dim_<i>`` rather than failing a real file.
    """

    def generic(alt: ShapeAlt) -> tuple[str, ...]:
        return tuple(f"dim_{i}" for i in range(len(alt)))

    if value is None:
        return None if shape is None else tuple(generic(alt) for alt in shape)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise SpecError(f"{where}: dims must be a list, got {value!r}")
    alternatives = (
        value if value and all(isinstance(v, list) for v in value) else [value]
    )
    dims = tuple(tuple(str(d) for d in alt) for alt in alternatives)
    if shape is None or [len(a) for a in dims] == [len(a) for a in shape]:
        return dims
    flat = (
        [str(d) for d in value] if all(not isinstance(v, list) for v in value) else []
    )
    if len(flat) == len(shape) and all(len(alt) == 1 for alt in shape):
        return tuple((d,) for d in flat)
    return tuple(generic(alt) for alt in shape)


def _name_of(node: Mapping[str, Any], where: str) -> str:
    return str(node.get("name") or _pick(node, "def") or _pick(node, "inc") or where)


def parse_attribute(node: Mapping[str, Any], where: str) -> Attribute:
    if not isinstance(node, Mapping):
        raise SpecError(f"{where}: expected a mapping, got {type(node).__name__}")
    if "name" not in node:
        raise SpecError(f"{where}: attribute without a name")
    here = f"{where}/@{node['name']}"
    shape = parse_shape(node.get("shape"), here)
    return Attribute(
        name=str(node["name"]),
        doc=str(node.get("doc", "")),
        dtype=parse_dtype(node.get("dtype"), here),
        shape=shape,
        dims=parse_dims(node.get("dims"), shape, here),
        required=bool(node.get("required", True)),
        value=node.get("value"),
        default_value=node.get("default_value"),
    )


def parse_link(node: Mapping[str, Any], where: str) -> Link:
    if not isinstance(node, Mapping):
        raise SpecError(f"{where}: expected a mapping, got {type(node).__name__}")
    here = f"{where}/{node.get('name', '<link>')}"
    if "target_type" not in node:
        raise SpecError(f"{here}: link without target_type")
    return Link(
        name=node.get("name"),
        doc=str(node.get("doc", "")),
        target_type=str(node["target_type"]),
        quantity=parse_quantity(node.get("quantity"), here),
    )


def _common(node: Mapping[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(node, Mapping):
        raise SpecError(f"{where}: expected a mapping, got {type(node).__name__}")
    name = node.get("name")
    def_type, inc_type = _pick(node, "def"), _pick(node, "inc")
    if name is None and def_type is None and inc_type is None:
        raise SpecError(f"{where}: a member needs a name or a type")
    for key, type_name in (("def", def_type), ("inc", inc_type)):
        if type_name is not None and not (
            isinstance(type_name, str) and type_name.isidentifier()
        ):
            raise SpecError(
                f"{where}: neurodata_type_{key} {type_name!r} is not a type name"
            )
    return dict(
        name=None if name is None else str(name),
        doc=str(node.get("doc", "")),
        def_type=None if def_type is None else str(def_type),
        inc_type=None if inc_type is None else str(inc_type),
        default_name=node.get("default_name"),
        quantity=parse_quantity(node.get("quantity"), f"{where}/{_name_of(node, '?')}"),
        linkable=bool(node.get("linkable", False)),
        given=frozenset(node.keys()),
    )


def parse_dataset(node: Mapping[str, Any], where: str) -> Dataset:
    common = _common(node, where)
    here = f"{where}/{_name_of(node, '<dataset>')}"
    shape = parse_shape(node.get("shape"), here)
    return Dataset(
        **common,
        dtype=parse_dtype(node.get("dtype"), here),
        shape=shape,
        dims=parse_dims(node.get("dims"), shape, here),
        attributes=tuple(
            parse_attribute(a, here) for a in _members(node, "attributes", here)
        ),
        value=node.get("value"),
        default_value=node.get("default_value"),
    )


def parse_group(node: Mapping[str, Any], where: str) -> Group:
    common = _common(node, where)
    here = f"{where}/{_name_of(node, '<group>')}"
    return Group(
        **common,
        attributes=tuple(
            parse_attribute(a, here) for a in _members(node, "attributes", here)
        ),
        datasets=tuple(
            parse_dataset(d, here) for d in _members(node, "datasets", here)
        ),
        groups=tuple(parse_group(g, here) for g in _members(node, "groups", here)),
        links=tuple(parse_link(lk, here) for lk in _members(node, "links", here)),
    )


def parse_schema_file(
    source: str, content: Mapping[str, Any], where: str
) -> SchemaFile:
    if not isinstance(content, Mapping):
        raise SpecError(f"{where}: schema source {source!r} is not a mapping")
    types: list[Group | Dataset] = []
    for node in _members(content, "groups", where):
        types.append(parse_group(node, where))
    for node in _members(content, "datasets", where):
        types.append(parse_dataset(node, where))
    for spec in types:
        if spec.def_type is None:
            raise SpecError(
                f"{where}: top-level {spec.kind} {spec.name or spec.inc_type!r} defines no type"
            )
    return SchemaFile(source=source, types=tuple(types))


def namespace_entries(document: Any, where: str) -> list[Mapping[str, Any]]:
    """The namespace dicts of a namespace document (``{"namespaces": [...]}``)."""
    if isinstance(document, Mapping) and (
        "groups" in document or "datasets" in document
    ):
        raise SpecError(
            f"{where}: is a schema source, not a namespace file; give the namespace YAML that names it"
        )
    if not isinstance(document, Mapping) or not isinstance(
        document.get("namespaces"), list
    ):
        raise SpecError(f"{where}: not a namespace document (no 'namespaces' list)")
    for entry in document["namespaces"]:
        if not isinstance(entry, Mapping) or "name" not in entry:
            raise SpecError(f"{where}: namespace entry without a name")
    return document["namespaces"]


def parse_namespace(
    entry: Mapping[str, Any],
    sources: Mapping[str, Mapping[str, Any]],
    where: str,
    raw: Any = None,
) -> Namespace:
    """One namespace dict plus its schema sources (keyed by the ``source`` string)."""
    name = str(entry["name"])
    version = str(entry.get("version") or "unversioned")
    includes: list[Include] = []
    schemas: list[SchemaFile] = []
    for item in _members(entry, "schema", where):
        if "namespace" in item:
            types = item.get("neurodata_types", item.get("data_types"))
            if types is not None and not isinstance(types, list):
                raise SpecError(
                    f"{where}: the types included from {item['namespace']!r} must be "
                    f"a list, not {type(types).__name__}"
                )
            includes.append(
                Include(
                    str(item["namespace"]),
                    None if types is None else tuple(map(str, types)),
                )
            )
        elif "source" in item:
            source = str(item["source"])
            content = _lookup_source(sources, source)
            if content is None:
                raise SpecError(
                    f"{where}: namespace {name} {version} names source {source!r}, which is missing"
                )
            schemas.append(parse_schema_file(source, content, f"{where} [{source}]"))
        else:
            raise SpecError(
                f"{where}: schema entry {dict(item)!r} names neither a namespace nor a source"
            )
    return Namespace(
        name=name,
        version=version,
        doc=str(entry.get("doc", "")),
        full_name=str(entry.get("full_name", name)),
        includes=tuple(includes),
        schemas=tuple(schemas),
        raw=raw,
        origin=where,
    )


def _lookup_source(sources: Mapping[str, Any], source: str) -> Any:
    """Sources are cached without their extension (``nwb.base``) but named with it."""
    if source in sources:
        return sources[source]
    return sources.get(source_stem(source))
