"""nwbgen: compile NWB schemas into static, typed pydantic packages.

Importing ``nwbgen`` is light: the compiler (linkml, jinja2, black, networkx) loads
only when something must be compiled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .io.entry.hdf5io import HDF5IO


def __getattr__(name: str) -> Any:
    # HDF5IO is imported on first use so that ``import nwbgen`` stays light
    if name == "HDF5IO":
        from .io.entry.hdf5io import HDF5IO

        return HDF5IO
    raise AttributeError(f"module 'nwbgen' has no attribute {name!r}")


__all__ = ["HDF5IO", "__version__"]
