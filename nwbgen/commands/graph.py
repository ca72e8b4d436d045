"""``nwbgen graph FILE``: the dependency graph of a file."""

from __future__ import annotations

from pathlib import Path

import click

from ._errors import one_line_errors
from ._params import SOURCE
from ._progress import progress_bar

FORMATS = ("json", "dot", "graphml")


@click.command()
@click.argument("file", type=SOURCE)
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
def graph(file: Path | str, fmt: str, filtered: bool, output: Path | None) -> None:
    """The dependency graph of FILE: children, soft links and references."""
    from ..io.toolkit import graph as g

    with progress_bar("reading") as bar:
        dependency_graph = g.hdf_dependency_graph(file, progress=bar)
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
