"""Errors on the command line: one line naming what and why, never a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import NWBGenError


def one_line_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head`: stop quietly
            sys.stderr.close()
            return None
        except NWBGenError as exc:  # bad input: the message names where and why
            raise click.ClickException(str(exc)) from None
        except Exception as exc:  # nwbgen's own bug
            if os.environ.get("NWBGEN_DEBUG"):
                raise
            message = str(exc).splitlines()[0] if str(exc) else ""
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {message}); set NWBGEN_DEBUG=1 for the traceback"
            ) from None

    return wrapper
