"""The ``nwbgen`` command line."""

from __future__ import annotations

import click

from . import __version__


@click.group()
@click.version_option(__version__, prog_name="nwbgen")
def main() -> None:
    """Compile NWB schemas into typed Python packages, and work with NWB/HDF5 files."""


def _register() -> None:
    from .commands import compile as compile_cmd
    from .commands import show, toolkit

    for module in (compile_cmd, show, toolkit):
        for command in module.COMMANDS:
            main.add_command(command)


_register()


if __name__ == "__main__":  # python -m nwbgen.cli
    main()
