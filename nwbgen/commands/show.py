"""``nwbgen show FILE [PATH]``: the typed tree of a file, metadata only."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ._errors import one_line_errors
from ._params import SOURCE
from ._progress import progress_bar


@click.command()
@click.argument("file", type=SOURCE)
@click.argument("path", default="/")
@click.option("--depth", type=int, default=None, help="Show this many levels only.")
@click.option("--no-attrs", is_flag=True, help="Leave out scalar attributes.")
@click.option("--strict", is_flag=True, help="Fail on schema violations.")
@one_line_errors
def show(
    file: Path | str, path: str, depth: int | None, no_attrs: bool, strict: bool
) -> None:
    """The typed tree of FILE (or of the object at PATH): type, name, shape, dtype
    and key attributes of every object. Reads metadata only."""
    from ..io.entry.hdf5io import HDF5IO, SchemaWarning
    from ..io.entry.tree import tree_lines

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        try:
            with HDF5IO(file, strict=strict, lazy=False) as io:
                with progress_bar("reading") as bar:  # on stderr: stdout is the tree
                    model = io.read(path, progress=bar)
                for line in tree_lines(model, depth=depth, attributes=not no_attrs):
                    click.echo(line)
                violations = io.violations
        except KeyError as exc:  # no object at PATH
            raise click.ClickException(str(exc.args[0])) from None
    if violations:
        click.echo(
            f"{len(violations)} schema violation(s); see HDF5IO(...).violations, "
            "or --strict to list them",
            err=True,
        )
