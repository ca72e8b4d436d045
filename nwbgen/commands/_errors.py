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
        except NWBGenError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            if _names_its_place(exc):
                raise click.ClickException(str(exc)) from None
            if os.environ.get("NWBGEN_DEBUG"):
                raise
            message = str(exc).splitlines()[0] if str(exc) else ""
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {message}); set NWBGEN_DEBUG=1 for the traceback"
            ) from None

    return wrapper


def _names_its_place(exc: Exception) -> bool:
    """A read error of the runtime (it names file, path and reason, like
    :class:`NWBGenError`). Checked without importing the runtime: if it is not
    imported, the error is not one of its own."""
    lazy = sys.modules.get("nwbgen.runtime.lazy")
    return lazy is not None and isinstance(exc, lazy.HDF5ReadError)
