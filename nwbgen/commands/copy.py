"""``nwbgen copy SRC DST``: read, then write (the round trip; also a repack)."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ._errors import one_line_errors
from ._params import SOURCE
from ._progress import progress_bar


@click.command()
@click.argument("src", type=SOURCE)
@click.argument("dst", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace DST if it exists.")
@one_line_errors
def copy(src: Path | str, dst: Path, overwrite: bool) -> None:
    """Read SRC and write it to DST through the generated reader and writer: a
    round trip that keeps every object, attribute, link and reference (data is
    copied chunk by chunk; also a way to repack a file)."""
    from ..io.entry.hdf5io import HDF5IO, SchemaWarning

    if isinstance(src, Path) and src.resolve() == dst.resolve():
        raise click.ClickException(f"{dst}: the same file as the source")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaWarning)
        try:
            with (
                HDF5IO(src, lazy=False) as reader,
                HDF5IO(dst, "w", overwrite=overwrite) as out,
            ):
                with progress_bar("reading") as bar:
                    model = reader.read(progress=bar)
                read = bar.done if bar is not None else None
                with progress_bar("writing", total=read) as bar:
                    out.write(model, progress=bar)
                violations = reader.violations
        except FileExistsError:
            raise click.ClickException(f"{dst} exists; use --overwrite") from None
    note = (
        f" ({len(violations)} schema violation(s) kept as read)" if violations else ""
    )
    click.echo(f"wrote {dst}{note}", err=True)
