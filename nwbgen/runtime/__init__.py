"""What generated packages need at run time: base models and array annotations.

These modules import only pydantic, numpy and the standard library, because a
compiled package vendors a copy of them (``<out>/_runtime``) and must import with
nothing else installed. They never import generated code.
"""

from .arrays import Array, ArraySpec
from .base import DatasetModel, GroupModel, NWBModel

__all__ = ["Array", "ArraySpec", "DatasetModel", "GroupModel", "NWBModel"]
