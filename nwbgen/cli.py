"""The ``nwbgen`` command line."""

from __future__ import annotations

import click

from . import __version__


@click.group()
@click.version_option(__version__, prog_name="nwbgen")
def main() -> None:
    """Compile NWB schemas into typed Python packages, and work with NWB/HDF5 files."""


def _register() -> None:
    # one module per command; each imports what it runs only when it runs
    from .commands import compile, copy, graph, inspect, refs, show, truncate

    for command in (
        compile.compile_cmd,
        copy.copy,
        graph.graph,
        inspect.inspect_cmd,
        refs.refs,
        show.show,
        truncate.truncate,
    ):
        main.add_command(command)


_register()


if __name__ == "__main__":  # python -m nwbgen.cli
    main()
