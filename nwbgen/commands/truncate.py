"""``nwbgen truncate SRC [DST]``: a small, valid copy of a big file."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ._errors import one_line_errors
from ._params import SOURCE
from ._progress import progress_bar


@click.command()
@click.argument("src", type=SOURCE)
@click.argument("dst", required=False, type=click.Path(path_type=Path))
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Items kept along the first axis of each dataset.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse a source with structural problems instead of copying them.",
)
@one_line_errors
def truncate(src: Path | str, dst: Path | None, n: int, strict: bool) -> None:
    """A small, valid copy of SRC, a file or a URL: datasets cut to N items
    (default DST: SRC_truncated.nwb beside SRC, here for a URL). What is broken in SRC (an index past its
    target, a region row out of range, a dangling reference or link) is copied as
    it is and counted."""
    from ..io.toolkit.truncate import TruncateWarning, truncate_file

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TruncateWarning)
        with progress_bar("copying") as bar:
            out = truncate_file(src, dst, n=n, strict=strict, progress=bar)
    problems = [
        p
        for w in caught
        if isinstance(w.message, TruncateWarning)
        for p in w.message.problems
    ]
    if isinstance(src, Path):
        before = src.stat().st_size
    else:
        from ..runtime.hdf5.remote import url_size

        before = url_size(src)
    after = out.stat().st_size
    note = f"; {len(problems)} structural problem(s) kept as read" if problems else ""
    click.echo(f"wrote {out} ({_size(before)} -> {_size(after)}{note})")


def _size(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
