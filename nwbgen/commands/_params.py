"""Argument types shared by the commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


class Source(click.ParamType):
    """An HDF5 source to read: a local path (a :class:`Path`) or a URL (``str``,
    read remotely: extra ``remote``)."""

    name = "file-or-url"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        if (
            isinstance(value, str)
            and _URL.match(value)
            and not value.startswith("file://")
        ):
            return value
        path = Path(
            value[len("file://") :] if str(value).startswith("file://") else value
        )
        if path.is_dir():
            self.fail(f"{path}: is a directory, not an HDF5 file", param, ctx)
        return path


SOURCE = Source()
