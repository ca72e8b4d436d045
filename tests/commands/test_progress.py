"""Progress bars: on standard error when it is a terminal, nothing otherwise; what
a command prints on standard output is the same either way."""

from __future__ import annotations

import io
import shutil
import sys

import pytest
from click.testing import CliRunner

from nwbgen.cli import main
from nwbgen.commands import _progress
from tests.support.paths import FIXTURES, REPO

EXAMPLE = REPO / "examples" / "ecephys.nwb"
TINY = FIXTURES / "tiny" / "tiny.namespace.yaml"


class _Terminal(io.TextIOBase):
    """Standard error (the runner's, at the time of the call), as a terminal."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@pytest.fixture
def example(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "ecephys.nwb")
    return tmp_path / "ecephys.nwb"


def run(monkeypatch, tty: bool, *args):
    if tty:
        monkeypatch.setattr(_progress, "terminal", lambda: _Terminal(sys.stderr))
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def commands(example, tmp_path, tag):
    return {
        "show": ["show", example],
        "graph": ["graph", example, "--format", "dot"],
        "copy": ["copy", example, tmp_path / f"copy_{tag}.nwb"],
        "truncate": ["truncate", example, tmp_path / f"small_{tag}.nwb", "-n", "3"],
        "compile": ["compile", TINY, "-o", tmp_path / f"models_{tag}"],
    }


@pytest.mark.parametrize("command", ["show", "graph", "copy", "truncate", "compile"])
def test_a_bar_on_a_terminal_only(monkeypatch, example, tmp_path, command):
    plain = run(monkeypatch, False, *commands(example, tmp_path, "plain")[command])
    bar = run(monkeypatch, True, *commands(example, tmp_path, "tty")[command])
    assert "%" not in plain.stderr and "\r" not in plain.stderr
    # the bar ends complete, on standard error, and standard output is unchanged
    assert "100%" in bar.stderr
    label = {"copy": "writing", "truncate": "copying", "compile": "compiling"}
    assert label.get(command, "reading") in bar.stderr
    assert bar.stdout == plain.stdout.replace("plain", "tty")
    assert bar.stderr.replace(_bar_lines(bar.stderr), "") == plain.stderr.replace(
        "plain", "tty"
    )


def _bar_lines(stderr: str) -> str:
    """What the bars wrote: everything up to the last line they ended."""
    end = stderr.rfind("%")
    return stderr[: stderr.index("\n", end) + 1] if end >= 0 else ""


def test_count_and_rate_are_shown(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(_progress, "terminal", lambda: _Terminal(stream))
    monkeypatch.setattr(_progress, "REDRAW_SECONDS", 0.0)
    with _progress.progress_bar("reading") as bar:
        assert bar is not None
        for done in range(1, 51):
            bar(done, 100)
    text = stream.getvalue()
    assert "reading" in text and " 49%  49/100 objects, " in text and "/s" in text
    # completed: 100%, and the count done (the total was a guess); click adds the
    # time left once a second has gone
    assert text.endswith("\n") and "100%  50 objects, " in text.splitlines()[-1]


def test_no_terminal_no_callback(monkeypatch):
    monkeypatch.setattr(_progress, "terminal", lambda: None)
    with _progress.progress_bar("reading") as bar:
        assert bar is None
