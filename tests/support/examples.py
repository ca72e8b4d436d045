"""The scripts under examples/, imported as modules for the tests that check them."""

from __future__ import annotations

import importlib.util
from typing import Any

from tests.support.paths import REPO

SCRIPT = REPO / "examples" / "write_from_scratch.py"


def _import_script() -> Any:
    spec = importlib.util.spec_from_file_location("write_from_scratch", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _import_script()
