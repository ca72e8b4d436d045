"""Names: schema names to Python identifiers, module and package names."""

from __future__ import annotations

import keyword
import re

# names a pydantic model field must not take (BaseModel attributes and our own)
_RESERVED = frozenset(
    {
        "children",
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
        "value",
        "name",
        "extras",
        "load",
        "shape",
        "dtype",
    }
)


def identifier(name: str) -> str:
    """A valid Python identifier for a schema name (``starting-time`` -> ``starting_time``)."""
    out = re.sub(r"\W", "_", name)
    if not out or out[0].isdigit():
        out = "_" + out
    if out.startswith("_"):
        out = "f" + out
    return out


def field_name(name: str, taken: set[str]) -> str:
    """A field name for a schema member, unique among ``taken`` and clear of reserved names."""
    out = identifier(name)
    if keyword.iskeyword(out) or out in _RESERVED or out.startswith("model_"):
        out += "_"
    while out in taken:
        out += "_"
    return out


def camel(name: str) -> str:
    """``starting_time`` -> ``StartingTime``; type names keep their own capitals."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def package_name(namespace: str) -> str:
    """``hdmf-common`` -> ``hdmf_common``."""
    return identifier(namespace.lower())


def version_package(version: str) -> str:
    """``2.6.0-alpha`` -> ``v2_6_0_alpha``."""
    return "v" + re.sub(r"\W", "_", version)


def module_name(source_stem: str) -> str:
    """``nwb.base`` -> ``nwb_base``; ``ndx-pose.extensions`` -> ``ndx_pose_extensions``."""
    out = identifier(source_stem.lower())
    if keyword.iskeyword(out) or out.startswith("_"):
        out = "m_" + out
    return out
