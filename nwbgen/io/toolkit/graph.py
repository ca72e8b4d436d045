"""The dependency graph of an HDF5 file: children, links and references between objects.

Nodes are the canonical HDF5 paths of groups and datasets (an object reached by
several hard links is one node), carrying the object's HDF5 attributes; an edge
``a → b`` says ``b`` is a child of ``a`` (``child``), a soft link in ``a`` resolves
to ``b`` (``link``), or ``a`` holds a reference to ``b`` (``reference``). External
links end at a node ``"<file>::<path>"`` marked ``h5_type="external"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
from h5py import h5a, h5l, h5o

from ...errors import DanglingReferenceError, LinkCycleError
from ...runtime.hdf5.files import damaged, is_hdf5_failure, opened, reading
from ...runtime.hdf5.links import resolve_path
from ...runtime.hdf5.objects import (
    ObjectMap,
    address,
    dereference,
    find_damage,
    object_key,
)
from ...runtime.hdf5.references import read_addresses, reference_sites, unique_targets

if TYPE_CHECKING:  # networkx costs ~0.15 s to import: only graph builders load it
    import networkx as nx

#: nodes that :func:`filter_dependency_graph` drops whatever their edges
SKIP_PATTERN = re.compile(r"^/specifications(?:/|$)|(?:^|/)\.specloc$")

#: when one pair of nodes is related several ways, the edge keeps the first label
EDGE_LABELS = ("child", "link", "external_link", "reference")


def hdf_dependency_graph(
    h5f: Any, progress: Callable[[int, int], None] | None = None
) -> nx.DiGraph:
    """Every group and dataset of a file (an h5py file or a path) and how they relate.

    Node attributes are the HDF5 attributes as plain Python values (references as
    the canonical path they point to) plus ``h5_type`` (``group``, ``dataset`` or
    ``external``) and, for datasets, ``h5_shape`` and ``h5_dtype``. Edge attributes:
    ``label``, and ``name`` (link name) or ``where`` (where a reference is held).
    ``progress(done, total)`` is called as objects are added.
    """
    import networkx as nx

    with opened(h5f) as f:
        objects = ObjectMap(f)
        graph = nx.DiGraph(file=f.filename)
        total = len(objects.info)
        for done, (path, info) in enumerate(objects.info.items(), 1):
            with reading(f.filename, path):
                _add_object(f, graph, objects, path, info)
            if progress is not None:
                progress(done, total)
        _add_link_edges(f, objects, graph)
        return graph


def _add_object(f: h5py.File, graph: nx.DiGraph, objects: ObjectMap, path, info):
    obj_id = (
        f.id if path == "/" else h5o.open(f.id, path.encode("utf-8", "surrogateescape"))
    )
    graph.add_node(path, **_node_attributes(obj_id, info, objects))
    for site, sid in reference_sites(obj_id):
        for addr in unique_targets(read_addresses(site, sid)):
            target = objects.resolve(int(addr), path, str(site))
            _add_edge(graph, path, target, "reference", where=str(site))


def _add_edge(graph: nx.DiGraph, source: str, target: str, label: str, **attrs) -> None:
    old = graph.get_edge_data(source, target)
    if old is None or EDGE_LABELS.index(label) < EDGE_LABELS.index(old["label"]):
        if old is not None:
            graph.remove_edge(source, target)
        graph.add_edge(source, target, label=label, **attrs)


def _add_link_edges(f: h5py.File, objects: ObjectMap, graph: nx.DiGraph) -> None:
    """Child, soft and external link edges, from one visit of every link."""
    group_addr: dict[str, int] = {"": objects.info["/"].addr}
    links: list[tuple[str, int]] = []

    def visit(name: bytes, info: Any) -> None:  # h5py reuses ``info``: copy it
        link = name.decode("utf-8", "surrogateescape")
        if info.type == h5l.TYPE_HARD:
            group_addr[link] = info.u
        links.append((link, info.type))

    try:
        f.id.links.visit(visit, info=True)
    except Exception as exc:
        if not is_hdf5_failure(exc):
            raise
        raise damaged(f.filename, find_damage(f) or "/", exc) from None
    for link, kind in links:
        parent_link, _, name = link.rpartition("/")
        parent = objects.path_of[group_addr[parent_link]]
        if kind == h5l.TYPE_HARD:
            _add_edge(graph, parent, objects.path_of[group_addr[link]], "child")
        elif kind == h5l.TYPE_SOFT:
            target = _soft_target(f, objects, "/" + link)
            _add_edge(graph, parent, target, "link", name=name)
        elif kind == h5l.TYPE_EXTERNAL:
            filename, path = f.id.links.get_val(link.encode("utf-8", "surrogateescape"))
            node = (
                f"{filename.decode('utf-8', 'replace')}::"
                f"{path.decode('utf-8', 'replace')}"
            )
            graph.add_node(node, h5_type="external")
            _add_edge(graph, parent, node, "external_link", name=name)


def _soft_target(f: h5py.File, objects: ObjectMap, link: str) -> str:
    value = f.get(link, getlink=True).path
    try:
        obj = resolve_path(f, link).obj
    except LinkCycleError as exc:
        chain = " -> ".join(getattr(exc, "chain", ()))
        raise LinkCycleError(
            f"{f.filename}:{link}: soft link to {value}: a cycle of soft links "
            f"({chain})"
        ) from None
    except (KeyError, ValueError, OSError, RuntimeError):
        obj = None
    if obj is None:
        raise DanglingReferenceError(
            f"{f.filename}:{link}: soft link to {value}, which does not exist"
        )
    path = objects.path_at(object_key(obj))
    if path is None:
        raise DanglingReferenceError(
            f"{f.filename}:{link}: soft link to {value}, which is outside the file"
        )
    return path


def _node_attributes(obj_id: Any, info: Any, objects: ObjectMap) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for index in range(info.num_attrs):
        aid = h5a.open(obj_id, index=index)
        attrs[aid.name.decode("utf-8", "surrogateescape")] = _attribute_value(
            aid, objects
        )
    if info.type == h5o.TYPE_DATASET:
        attrs["h5_type"] = "dataset"
        attrs["h5_shape"] = list(obj_id.shape) if obj_id.shape is not None else None
        attrs["h5_dtype"] = str(obj_id.dtype)
    else:
        attrs["h5_type"] = "group"
    return attrs


def _attribute_value(aid: Any, objects: ObjectMap) -> Any:
    if aid.get_space().get_simple_extent_type() == h5py.h5s.NULL:
        return None
    value = np.zeros(aid.shape, dtype=aid.dtype)
    aid.read(value)
    name = aid.name.decode("utf-8", "surrogateescape")

    def ref_path(ref: Any) -> str | None:
        if not ref:
            return None
        target = dereference(ref, aid)
        addr = address(target) if target is not None else -1
        return objects.resolve(addr, "", f"attribute {name!r}")

    return plain(value, ref_path)


def plain(value: Any, ref_path: Callable[[Any], Any] = str) -> Any:
    """An HDF5 value as plain Python: str for bytes, lists for arrays, dicts for
    compound records; references become ``ref_path(reference)``."""
    if isinstance(value, h5py.Reference):
        return ref_path(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSUV":
            return plain(value[()] if not value.shape else list(value), ref_path)
        return value.tolist()
    if isinstance(value, np.void) and value.dtype.names:
        return {name: plain(value[name], ref_path) for name in value.dtype.names}
    if isinstance(value, (list, tuple)):
        return [plain(v, ref_path) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def filter_dependency_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy without nodes that have no neurodata type and no outbound edge, nor
    nodes matching :data:`SKIP_PATTERN` (the cached ``/specifications``)."""
    drop = [
        node
        for node, data in graph.nodes(data=True)
        if SKIP_PATTERN.search(node)
        or (data.get("neurodata_type") is None and graph.out_degree(node) == 0)
    ]
    out = graph.copy()
    out.remove_nodes_from(drop)
    return out


# --- serialisation -------------------------------------------------------------


def graph_to_json(graph: nx.DiGraph) -> str:
    """Node-link JSON (``networkx.node_link_graph`` reads it back)."""
    import networkx as nx

    try:
        data = nx.node_link_data(graph, edges="edges")
    except TypeError:  # networkx < 3.4
        data = nx.node_link_data(graph)
    return json.dumps(data, indent=1, default=str, sort_keys=True)


def graph_to_graphml(graph: nx.DiGraph) -> str:
    """GraphML with every attribute as a string (lists as JSON)."""
    import networkx as nx

    flat = nx.DiGraph(**{k: _text(v) for k, v in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        flat.add_node(node, **{k: _text(v) for k, v in data.items() if v is not None})
    for u, v, data in graph.edges(data=True):
        flat.add_edge(u, v, **{k: _text(x) for k, x in data.items() if x is not None})
    return "\n".join(nx.generate_graphml(flat))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


_EDGE_STYLE = {"link": "dotted", "external_link": "dotted", "reference": "dashed"}


def graph_to_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT: one box per node (name and neurodata type), labelled edges."""
    lines = [f"digraph {_quote(str(graph.graph.get('file', 'hdf5')))} {{"]
    lines.append("  node [shape=box, fontsize=10];")
    for node, data in graph.nodes(data=True):
        name = node.rsplit("/", 1)[-1] or "/"
        ndtype = data.get("neurodata_type")
        label = f"{name}\n{ndtype}" if ndtype else name
        shape = ", shape=ellipse" if data.get("h5_type") == "dataset" else ""
        lines.append(f"  {_quote(node)} [label={_quote(label)}{shape}];")
    for u, v, data in graph.edges(data=True):
        label = data["label"]
        style = f", style={_EDGE_STYLE[label]}" if label in _EDGE_STYLE else ""
        lines.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
