"""``nwbgen refs FILE PATH``: who refers to an object, and what it refers to."""

from __future__ import annotations

from pathlib import Path

import click

from ._errors import one_line_errors
from ._params import SOURCE


@click.command()
@click.argument("file", type=SOURCE)
@click.argument("path")
@one_line_errors
def refs(file: Path | str, path: str) -> None:
    """Who refers to PATH in FILE, and what PATH refers to."""
    from ..io.toolkit.references import find_references, get_references
    from ..runtime.hdf5.files import opened
    from ..runtime.hdf5.objects import get_object

    with opened(file) as h5f:
        obj = get_object(h5f, path)
        referrers = find_references(h5f, path)
        targets = get_references(obj)
    click.echo(f"{path} is referred to by {len(referrers)}:")
    for item in referrers:
        click.echo(f"  {item}")
    click.echo(f"{path} refers to {len(targets)}:")
    for item in targets:
        click.echo(f"  {item}")
