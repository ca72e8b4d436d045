"""``nwbgen show FILE [PATH]`` (the typed tree of a file, metadata only) and
``nwbgen copy SRC DST`` (read, then write: the round trip)."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ._errors import one_line_errors


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path", default="/")
@click.option("--depth", type=int, default=None, help="Show this many levels only.")
@click.option("--no-attrs", is_flag=True, help="Leave out scalar attributes.")
@click.option("--strict", is_flag=True, help="Fail on schema violations.")
@one_line_errors
def show(
    file: Path, path: str, depth: int | None, no_attrs: bool, strict: bool
) -> None:
    """The typed tree of FILE (or of the object at PATH): type, name, shape, dtype
    and key attributes of every object. Reads metadata only."""
    from ..io.hdf5io import HDF5IO, SchemaWarning
    from ..io.tree import tree_lines

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        try:
            with HDF5IO(file, strict=strict) as io:
                model = io.read(path)
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


@click.command()
@click.argument("src", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace DST if it exists.")
@one_line_errors
def copy(src: Path, dst: Path, overwrite: bool) -> None:
    """Read SRC and write it to DST through the generated reader and writer: a
    round trip that keeps every object, attribute, link and reference (data is
    copied chunk by chunk; also a way to repack a file)."""
    from ..io.hdf5io import HDF5IO, SchemaWarning

    if src.resolve() == dst.resolve():
        raise click.ClickException(f"{dst}: the same file as the source")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        try:
            with HDF5IO(src) as reader, HDF5IO(dst, "w", overwrite=overwrite) as out:
                out.write(reader.read())
                violations = reader.violations
        except FileExistsError:
            raise click.ClickException(f"{dst} exists; use --overwrite") from None
        except ValueError as exc:  # HDF5WriteError: a value that cannot be written
            raise click.ClickException(str(exc)) from None
    note = (
        f" ({len(violations)} schema violation(s) kept as read)" if violations else ""
    )
    click.echo(f"wrote {dst}{note}", err=True)


COMMANDS = (show, copy)
