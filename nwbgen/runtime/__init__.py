"""What generated packages run on: the one runtime of models, reads and writes.

Three layers, each importing only those below it:

- :mod:`.models` — the base classes and array annotations generated models are
  built from, and the table behaviour mixed into hdmf's table types;
- :mod:`.read`, :mod:`.write` — the contexts and frames a generated ``_reader`` /
  ``_writer`` module calls, one per HDF5 object, and :mod:`.source` (what a read
  keeps on each model);
- :mod:`.hdf5` — the HDF5 primitives: opening a source, attributes, links,
  references, object identity and paths, values, lazy arrays, writing;

and :mod:`.errors`, the error family all of them raise.

The runtime imports only the standard library, numpy, h5py and pydantic, because
a compiled package vendors a copy of it (``<out>/_runtime``) and must import with
nothing else installed; it never imports generated code. Generated code imports
only the names below, so that the runtime's modules can move without changing it.
The read and write halves import h5py, and load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models.arrays import Array, ArraySpec
from .models.base import DatasetModel, GroupModel, NWBModel
from .models.file import NWBFileMixin, created_now
from .models.tables import (
    AlignedDynamicTableMixin,
    DynamicTableMixin,
    DynamicTableRegionMixin,
    TableRow,
    VectorIndexMixin,
    no_columns,
)

if TYPE_CHECKING:
    from .read import ReadContext, Reader
    from .write import WriteContext, Writer

_LAZY = {
    "ReadContext": "read",
    "Reader": "read",
    "WriteContext": "write",
    "Writer": "write",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)


__all__ = [
    "AlignedDynamicTableMixin",
    "Array",
    "ArraySpec",
    "DatasetModel",
    "DynamicTableMixin",
    "DynamicTableRegionMixin",
    "GroupModel",
    "NWBFileMixin",
    "NWBModel",
    "ReadContext",
    "Reader",
    "TableRow",
    "VectorIndexMixin",
    "WriteContext",
    "Writer",
    "created_now",
    "no_columns",
]
