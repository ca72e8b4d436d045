"""``nwbgen compile`` and ``nwbgen inspect``."""

from __future__ import annotations

COMMANDS: list = []
