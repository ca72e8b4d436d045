"""Orders of small graphs the spec layer needs on every open of a file.

The catalog of a file's namespaces is built before anything is read, so it avoids
networkx (about 0.2 s to import): a topological sort taking the smallest key
first, and a cycle finder, over plain edge lists. The compiler's module graphs,
built only when compiling, keep networkx.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

N = TypeVar("N", bound=Hashable)


def smallest_first(
    nodes: Sequence[N],
    edges: Iterable[tuple[N, N]],
    key: Callable[[N], Any] = lambda node: node,
) -> list[N] | None:
    """``nodes`` with every edge's source before its target; among the nodes ready
    at a step, the one of smallest ``key`` (then the earliest given) comes first.
    ``None`` when the edges hold a cycle."""
    position = {node: i for i, node in enumerate(nodes)}
    children: dict[N, list[N]] = {node: [] for node in nodes}
    waiting = dict.fromkeys(nodes, 0)
    for source, target in edges:
        children[source].append(target)
        waiting[target] += 1
    ready = [(key(n), position[n], n) for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    out: list[N] = []
    while ready:
        _, _, node = heapq.heappop(ready)
        out.append(node)
        for child in children[node]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, (key(child), position[child], child))
    return out if len(out) == len(nodes) else None


def find_cycle(edges: Iterable[tuple[N, N]]) -> list[N] | None:
    """The nodes of one cycle of the directed graph ``edges``, in order, or ``None``."""
    children: dict[N, list[N]] = {}
    for source, target in edges:
        children.setdefault(source, []).append(target)
        children.setdefault(target, [])
    done: set[N] = set()
    for start in children:
        if start in done:
            continue
        path: list[N] = [start]
        index = {start: 0}  # node -> its place on the current path
        stack = [iter(children[start])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                node = path.pop()
                del index[node]
                done.add(node)
            elif child in index:
                return path[index[child] :]
            elif child not in done:
                index[child] = len(path)
                path.append(child)
                stack.append(iter(children[child]))
    return None
