"""``nwbgen graph``, ``nwbgen refs`` and ``nwbgen truncate``: see and cut NWB files."""

from __future__ import annotations

from pathlib import Path

import click

from ._errors import one_line_errors

FORMATS = ("json", "dot", "graphml")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True
)
@click.option(
    "--filter",
    "filtered",
    is_flag=True,
    help="Drop /specifications and untyped leaves (filter_dependency_graph).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output.",
)
@one_line_errors
def graph(file: Path, fmt: str, filtered: bool, output: Path | None) -> None:
    """The dependency graph of FILE: children, soft links and references."""
    from ..io import graph as g

    dependency_graph = g.hdf_dependency_graph(file)
    if filtered:
        dependency_graph = g.filter_dependency_graph(dependency_graph)
    writer = {
        "json": g.graph_to_json,
        "dot": g.graph_to_dot,
        "graphml": g.graph_to_graphml,
    }
    text = writer[fmt](dependency_graph)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(
            f"wrote {output} ({dependency_graph.number_of_nodes()} nodes, "
            f"{dependency_graph.number_of_edges()} edges)",
            err=True,
        )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path")
@one_line_errors
def refs(file: Path, path: str) -> None:
    """Who refers to PATH in FILE, and what PATH refers to."""
    from ..io.references import find_references, get_object, get_references, open_h5

    with open_h5(file) as h5f:
        obj = get_object(h5f, path)
        referrers = find_references(h5f, path)
        targets = get_references(obj)
    click.echo(f"{path} is referred to by {len(referrers)}:")
    for item in referrers:
        click.echo(f"  {item}")
    click.echo(f"{path} refers to {len(targets)}:")
    for item in targets:
        click.echo(f"  {item}")


@click.command()
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dst", required=False, type=click.Path(path_type=Path))
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Items kept along the first axis of each dataset.",
)
@one_line_errors
def truncate(src: Path, dst: Path | None, n: int) -> None:
    """A small, valid copy of SRC: datasets cut to N items (default DST:
    SRC_truncated.nwb beside SRC)."""
    from ..io.truncate import truncate_file

    out = truncate_file(src, dst, n=n)
    before, after = src.stat().st_size, out.stat().st_size
    click.echo(f"wrote {out} ({_size(before)} -> {_size(after)})")


def _size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


COMMANDS = [graph, refs, truncate]
