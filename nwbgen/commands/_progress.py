"""Progress bars of long commands, on standard error and only on a terminal.

A command wraps its long part in :func:`progress_bar` and hands the callback it
yields to the function doing the work, which calls it as ``progress(done,
total)`` (``total`` ``None`` when it does not know: the bar's own total stands).
When standard error is not a terminal the callback is ``None``: the work runs as
it would without a bar and nothing more is printed, so standard output (what
``show`` and ``graph`` print) is never touched.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

import click

#: seconds between two redraws of a bar
REDRAW_SECONDS = 0.1


def terminal() -> TextIO | None:
    """Where bars go: standard error when it is a terminal, else ``None``."""
    stream = sys.stderr
    try:
        return stream if stream is not None and stream.isatty() else None
    except (AttributeError, ValueError):  # closed, or not a real stream
        return None


class Progress:
    """A ``click.progressbar`` drawn once a total is known and redrawn at most
    every :data:`REDRAW_SECONDS`: done of total, rate (or the step being done),
    percentage and time left."""

    def __init__(self, label: str, stream: TextIO, unit: str, total: int | None):
        self.label, self.stream, self.unit, self.total = label, stream, unit, total
        self.done = 0
        self.message = ""  # the step being done, for bars counted in steps
        self._steps = 0
        self._bar: Any = None
        self._started = self._drawn = time.monotonic()

    def __call__(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done = done
        if self.total is None:
            return
        now = time.monotonic()
        if self._bar is not None and now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        self._draw()

    def step(self, message: str) -> None:
        """The next step of a bar counted in steps begins: the ones before it are
        done; ``message`` says what this one does."""
        self.message = message
        self.done = self._steps
        self._steps += 1
        self._draw()

    def _draw(self, completed: bool = False) -> None:
        if self.total is None:
            return
        info = self._info(completed)
        if self._bar is None:
            self._bar = click.progressbar(
                length=max(self.total, 1),
                label=self.label,
                file=self.stream,
                show_eta=True,
                show_percent=True,
                item_show_func=lambda info: info,
            )
            self._bar.current_item = info
            self._bar.__enter__()
        bar = self._bar
        bar.length = max(self.total, self.done, 1)
        steps = (bar.length if completed else self.done) - bar.pos
        if steps > 0:
            bar.update(steps, info)
        else:  # the same count, new words
            bar.current_item = info
            bar.render_progress()

    def _info(self, completed: bool = False) -> str:
        rate = self.done / max(time.monotonic() - self._started, 1e-3)
        if completed and self._steps:
            return "done"
        if completed:  # what was done, however good a guess the total was
            return f"{self.done} {self.unit}, {rate:,.0f}/s"
        if self.message:
            return f"{self.done}/{self.total} {self.unit}: {self.message}"
        return f"{self.done}/{self.total} {self.unit}, {rate:,.0f}/s"

    def close(self, completed: bool) -> None:
        """End the bar's line; at 100% when the work ``completed``."""
        if self._bar is None:
            return
        if completed:
            self._draw(completed=True)
        self._bar.__exit__(None, None, None)


@contextlib.contextmanager
def progress_bar(
    label: str, *, unit: str = "objects", total: int | None = None
) -> Iterator[Progress | None]:
    """A :class:`Progress` callback drawing a bar on standard error, or ``None``
    when that is not a terminal. An error leaves the bar as it stands, its line
    ended, so that the error's line is a line of its own."""
    stream = terminal()
    if stream is None:
        yield None
        return
    bar = Progress(label, stream, unit, total)
    try:
        yield bar
    except BaseException:
        bar.close(completed=False)
        raise
    bar.close(completed=True)
