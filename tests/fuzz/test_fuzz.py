"""Malformed inputs against every command and HDF5IO, seeded (issue 14).

Each mutant is a seed file (or the tiny namespace YAML) with one mutation of its
bytes, attributes, links, references or spec text; each of ``show``, ``copy``,
``truncate``, ``inspect`` (and ``compile`` for spec mutants) and an HDF5IO read +
write must end, within a time bound, in success or one line ``Error: ...`` naming
the file: never a traceback, "internal error", a hang, a half-written output or a
temporary left behind (see :mod:`tests.fuzz.harness`).

The fast test tries a few dozen mutants; ``-m fuzz_long`` (or
``NWBGEN_FUZZ_LONG=1``) a thousand. ``NWBGEN_FUZZ_MUTANTS``, ``NWBGEN_FUZZ_SEED``
and ``NWBGEN_FUZZ_FIRST`` set how many, the seed and the first mutant number, to
reproduce a finding: mutant ``n`` of seed ``s`` is the same file every time.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.fuzz.harness import fuzz

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the worker is supervised with POSIX calls"
)

SEED = int(os.environ.get("NWBGEN_FUZZ_SEED", "14"))
FIRST = int(os.environ.get("NWBGEN_FUZZ_FIRST", "0"))
FAST_MUTANTS = 20
LONG_MUTANTS = 1000


def _check(tmp_path, mutants: int) -> None:
    report = fuzz(tmp_path, mutants, seed=SEED, first=FIRST)
    print(f"\nfuzz (seed {SEED}): {report.summary()}")
    assert report.mutants == mutants
    assert not report.findings, "\n".join(str(f) for f in report.findings)


def test_fuzz(tmp_path):
    _check(tmp_path, int(os.environ.get("NWBGEN_FUZZ_MUTANTS", FAST_MUTANTS)))


@pytest.mark.fuzz_long
def test_fuzz_long(tmp_path, request):
    selected = "fuzz_long" in (request.config.getoption("-m") or "")
    if not (selected or os.environ.get("NWBGEN_FUZZ_LONG")):
        pytest.skip("the long fuzz runs with -m fuzz_long or NWBGEN_FUZZ_LONG=1")
    _check(tmp_path, int(os.environ.get("NWBGEN_FUZZ_MUTANTS", LONG_MUTANTS)))
