"""The spec layer's graph orders agree with networkx, which they replace on the
read path (networkx costs about 0.2 s to import on every first open)."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from nwbgen.spec.order import find_cycle, smallest_first


def _random_dag(rng: random.Random, n: int) -> tuple[list[str], list[tuple[str, str]]]:
    nodes = [f"n{i:02d}" for i in range(n)]
    rng.shuffle(nodes)
    rank = {node: i for i, node in enumerate(sorted(nodes))}
    edges = [
        (a, b)
        for a in nodes
        for b in nodes
        if rank[a] < rank[b] and rng.random() < 0.15
    ]
    return nodes, edges


@pytest.mark.parametrize("seed", range(30))
def test_smallest_first_is_networkx_lexicographical_order(seed: int):
    rng = random.Random(seed)
    nodes, edges = _random_dag(rng, rng.randint(1, 25))
    weight = {node: rng.randint(0, 5) for node in nodes}  # ties: the given order
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    expected = list(nx.lexicographical_topological_sort(graph, key=weight.__getitem__))
    assert smallest_first(nodes, edges, key=weight.__getitem__) == expected
    assert find_cycle(edges) is None


@pytest.mark.parametrize("seed", range(30))
def test_a_cycle_is_found_and_refused(seed: int):
    rng = random.Random(seed)
    nodes, edges = _random_dag(rng, rng.randint(2, 25))
    a, b = rng.sample(nodes, 2)
    edges = [*edges, (a, b), (b, a)]
    assert smallest_first(nodes, edges) is None
    cycle = find_cycle(edges)
    assert cycle is not None
    closed = list(zip(cycle, [*cycle[1:], cycle[0]]))
    assert set(closed) <= set(edges)


def test_a_self_loop_is_a_cycle():
    assert find_cycle([("a", "b"), ("b", "b")]) == ["b"]
