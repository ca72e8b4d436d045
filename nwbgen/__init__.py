"""nwbgen: compile NWB schemas into static, typed pydantic packages.

Importing ``nwbgen`` is light: the compiler (linkml, jinja2, black, networkx) loads
only when something must be compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    pass


def __getattr__(name: str) -> Any:
    # public names that live in heavier modules, imported on first use
    if name == "HDF5IO":
        from .io.hdf5 import HDF5IO

        return HDF5IO
    raise AttributeError(f"module 'nwbgen' has no attribute {name!r}")
