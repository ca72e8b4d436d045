"""nwbgen: compile NWB schemas into static, typed pydantic packages.

Importing ``nwbgen`` is light: the compiler (linkml, jinja2, black, networkx) loads
only when something must be compiled.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
