"""Attributes: read in one low-level pass, decoded for a schema dtype, and the
attributes that name an object's type."""

from __future__ import annotations

from typing import Any

import h5py  # type: ignore[import-untyped]
import numpy as np
from h5py import h5, h5a, h5t

from .references import Dereferencer
from .values import decode_attribute, memory_type

#: attributes every typed object carries; the writer writes them again
TYPE_ATTRIBUTES = frozenset({"neurodata_type", "data_type", "namespace", "object_id"})


def read_attributes(h5obj: Any) -> dict[str, Any]:
    """Every attribute of an object, as stored, in one pass.

    What ``h5obj.attrs[name]`` does, through h5py's low-level calls: about a third
    faster, which matters when reading is mostly reading attributes. Variable-length
    strings come back as ``bytes`` (the decoders make them ``str``); an attribute
    it cannot read this way is read the high-level way.
    """
    oid = h5obj.id
    names: list[bytes] = []
    h5a.iterate(oid, lambda name, *_: names.append(name), index_type=h5.INDEX_NAME)
    out: dict[str, Any] = {}
    for bname in names:
        name = bname.decode("utf-8", "surrogateescape")
        try:
            out[name] = _read_raw_attribute(h5a.open(oid, bname))
        except (TypeError, ValueError, OSError):
            out[name] = h5obj.attrs[name]
    return out


#: variable-length text by character set: the dtype h5py reads it as, and the
#: memory type it reads with
_VLEN_TEXT = {
    cset: (dtype, memory_type(dtype))
    for cset, dtype in (
        (h5t.CSET_UTF8, h5py.string_dtype("utf-8")),
        (h5t.CSET_ASCII, h5py.string_dtype("ascii")),
    )
}


def _read_raw_attribute(attr: Any) -> Any:
    tid = attr.get_type()
    shape = attr.shape
    vlen = None
    if tid.get_class() == h5t.STRING and tid.is_variable_str():
        # most attributes: variable-length text, known from three questions of
        # the type, not from its numpy dtype (which h5py builds anew each time)
        vlen = _VLEN_TEXT.get(tid.get_cset())
    if vlen is not None:
        dtype, mtype = vlen
        if shape is None:
            return h5py.Empty(dtype)
        values = np.zeros(shape, dtype=dtype)
        attr.read(values, mtype=mtype)
        if dtype is not _VLEN_TEXT[h5t.CSET_UTF8][0]:
            return values[()] if values.ndim == 0 else values
        return _text_of(values)
    dtype = tid.dtype
    if shape is None:
        return h5py.Empty(dtype)
    mtype = memory_type(dtype)
    string = h5py.check_string_dtype(dtype)
    if dtype.subdtype is not None:  # an array type: numpy has no such scalar
        dtype, inner = dtype.subdtype
        shape = shape + inner
    values = np.zeros(shape, dtype=dtype)
    attr.read(values, mtype=mtype)
    if string is not None and string.length is None and string.encoding == "utf-8":
        return _text_of(values)
    return values[()] if values.ndim == 0 else values


def _text_of(values: np.ndarray) -> Any:
    """Variable-length UTF-8 as read, as ``str`` (ASCII stays ``bytes``: written
    back alike)."""
    if values.ndim == 0:
        item = values[()]
        return item.decode("utf-8", "surrogateescape") if type(item) is bytes else item
    return _as_text(values)


def _as_text(values: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), out.reshape(-1)
    for i in range(flat_in.size):
        item = flat_in[i]
        flat_out[i] = (
            item.decode("utf-8", "surrogateescape") if isinstance(item, bytes) else item
        )
    return out


def has_type(obj: Any) -> bool:
    """The object names its type (``neurodata_type``, or hdmf's ``data_type``)."""
    return names_type(obj.attrs)


def names_type(attrs: Any) -> bool:
    """The attributes (as read, or h5py's ``attrs``) name a type."""
    return "neurodata_type" in attrs or "data_type" in attrs


def is_typed(group: h5py.Group, name: str) -> bool:
    bname = name.encode("utf-8", "surrogateescape")
    return bool(
        h5a.exists(group.id, b"neurodata_type", obj_name=bname)
        or h5a.exists(group.id, b"data_type", obj_name=bname)
    )


def type_text(value: Any) -> str | None:
    if value is None:
        return None
    out = decode_attribute(value, "text", scalar=True)
    return out if isinstance(out, str) else None


def read_attribute(
    obj: Any,
    name: str,
    kind: Any = None,
    *,
    scalar: bool | None = None,
    default: Any = None,
    resolver: Dereferencer | None = None,
) -> Any:
    """Attribute ``name`` of ``obj`` decoded (see :func:`decode_attribute`), or
    ``default`` when absent. References resolve through ``resolver`` if given."""
    try:
        value = obj.attrs[name]
    except KeyError:
        return default
    resolve = None
    if resolver is not None:
        where = f"attribute {name!r}"

        def resolve(ref: Any) -> Any:
            return resolver.deref(ref, obj, where=where)

    return decode_attribute(value, kind, scalar=scalar, resolve=resolve)


def neurodata_type_of(obj: Any) -> tuple[str | None, str] | None:
    """``(namespace, type)`` from the ``neurodata_type`` (NWB) or ``data_type``
    (hdmf) attribute and ``namespace``; ``None`` for an untyped object. A missing
    namespace reads as ``None`` for the dispatcher to settle."""
    attrs = obj.attrs
    for name in ("neurodata_type", "data_type"):
        if name in attrs:
            kind = decode_attribute(attrs[name], "text", scalar=True)
            namespace = read_attribute(obj, "namespace", "text", scalar=True)
            return namespace, kind
    return None
