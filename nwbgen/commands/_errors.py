"""Errors on the command line: one line naming what and why, never a traceback.

A command that fails prints exactly one line, ``Error: ...``, and exits 1: an
error of nwbgen's family names the file, HDF5 path or schema element and the
reason; anything else is nwbgen's own bug ("internal error"). Warnings raised on
the way are printed one line each after a command that succeeds, and left out
after one that fails. Every command runs under the stall guard (see
:mod:`._stall`), so that a file HDF5 loops on ends in one line too.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import NWBGenError
from ._stall import stall_guard

#: the command arguments that name the files a command reads and writes
_INPUTS = ("file", "src", "sources")
_OUTPUTS = ("dst", "out", "output")


def one_line(text: str) -> str:
    """A message on one line: further lines joined to the first with ``; ``."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else text.strip()
    return f"{lines[0]} {'; '.join(lines[1:])}"


def _paths(kwargs: dict[str, Any], names: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for name in names:
        value = kwargs.get(name)
        values = value if isinstance(value, (tuple, list)) else [value]
        out.extend(Path(v) for v in values if isinstance(v, (str, os.PathLike)))
    return out


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        inputs, outputs = _paths(kwargs, _INPUTS), _paths(kwargs, _OUTPUTS)
        what = ", ".join(str(p) for p in inputs) or "nwbgen"
        folders = [str(p.parent) for p in [*inputs, *outputs]] + [
            str(p) for p in outputs
        ]
        with warnings.catch_warnings(record=True) as caught:
            with stall_guard(what, folders):
                result = _run(func, args, kwargs, inputs, outputs)
        shown: set[str] = set()
        for warning in caught if not sys.stderr.closed else ():
            text = one_line(str(warning.message))
            if text not in shown:
                shown.add(text)
                click.echo(f"Warning: {text}", err=True)
        return result

    return wrapper


def _run(
    func: Callable[..., Any],
    args: Any,
    kwargs: Any,
    inputs: list[Path],
    outputs: list[Path],
) -> Any:
    try:
        return func(*args, **kwargs)
    except click.ClickException as exc:
        exc.message = one_line(exc.message)
        raise
    except (click.exceptions.Exit, click.Abort):
        raise
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return None
    except NWBGenError as exc:  # bad input: the message names where and why
        message = one_line(str(exc))
        named = inputs or outputs
        if named and not any(p.name in message for p in [*inputs, *outputs]):
            # a schema error names the namespace and type: say which file too
            message = f"{', '.join(str(p) for p in named)}: {message}"
        raise click.ClickException(message) from None
    except Exception as exc:  # nwbgen's own bug
        if os.environ.get("NWBGEN_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        raise click.ClickException(
            f"internal error ({type(exc).__name__}: {message}); set NWBGEN_DEBUG=1 for the traceback"
        ) from None
