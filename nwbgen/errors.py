"""The errors nwbgen raises on bad input; each names where and why.

One family rooted in :class:`NWBGenError`. The classes live in
:mod:`nwbgen.runtime.errors` so that compiled packages, which vendor the runtime,
raise the very same ones; this module is their public name.
"""

from __future__ import annotations

from .runtime.errors import *  # noqa: F403 (the family, by its __all__)
from .runtime.errors import __all__ as __all__
