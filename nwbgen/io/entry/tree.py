"""The typed tree of read models as text: what ``nwbgen show`` prints (the walk
lives in the runtime, :mod:`nwbgen.runtime.models.tree`, which also renders the
models' HTML view)."""

from __future__ import annotations

from ...runtime.models.tree import format_tree, tree_lines

__all__ = ["format_tree", "tree_lines"]
