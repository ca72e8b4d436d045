"""The stall guard: a command stuck inside C code ends in one line, exit code 1,
its temporaries removed; one that waits, or computes in Python, is left alone."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import REPO

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the guard watches through /proc"
)

GUARDED = """
import os, sys
from nwbgen.commands._stall import stall_guard
from nwbgen.runtime.hdf5.temporary import temporary_path
folder = sys.argv[1]
with stall_guard("stuck.nwb", [folder]):
    open(temporary_path(os.path.join(folder, "out.nwb")), "w").close()
    {body}
print("done")
"""

#: C code that never returns in a test's lifetime: holding the GIL, and not
STUCK = {
    "holding the GIL": 'import re; re.match(r"(a+)+$", "a" * 64 + "b")',
    "without the GIL": "import hashlib; hashlib.pbkdf2_hmac('sha256', b'p', b's', 10**9)",
}


def guarded(body: str, folder: Path, seconds: float = 1.0, timeout: float = 60):
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", GUARDED.format(body=body), str(folder)],
        cwd=REPO,
        env={"NWBGEN_STALL_SECONDS": str(seconds), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, time.monotonic() - start


@pytest.mark.parametrize("how", sorted(STUCK))
def test_a_command_stuck_in_c_code_ends_in_one_line(tmp_path, how):
    proc, seconds = guarded(STUCK[how], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == (
        "Error: stuck.nwb: damaged file: HDF5 stopped responding "
        "(no progress for 1 s)\n"
    )
    assert "done" not in proc.stdout and seconds < 20
    assert [p.name for p in tmp_path.iterdir()] == []  # its temporary removed


def test_a_command_that_waits_or_computes_is_left_alone(tmp_path):
    body = (
        "import time; time.sleep(1.5)  # waiting: no CPU burnt\n"
        "    end = time.time() + 1.5\n"
        "    while time.time() < end: pass  # a tight loop of Python"
    )
    proc, _ = guarded(body, tmp_path)
    assert proc.returncode == 0 and proc.stdout == "done\n", proc.stderr
    assert proc.stderr == ""


def test_show_on_a_heap_hdf5_loops_on_ends_in_one_line(tmp_path):
    """HDF5 2.0 never returns from a global heap collection whose objects are
    zeroed behind an intact signature; the guard ends ``nwbgen show``."""
    src = tmp_path / "loops.nwb"
    shutil.copyfile(REPO / "examples" / "ecephys.nwb", src)
    data = bytearray(src.read_bytes())
    for match in re.finditer(b"GCOL", bytes(data)):
        start = match.start() + 16  # signature, version, size: kept
        data[start : start + 64] = bytes(64)
    src.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "nwbgen", "show", str(src)],
        cwd=REPO,
        env={
            "NWBGEN_STALL_SECONDS": "2",
            "NWBGEN_CACHE_DIR": str(tmp_path / "cache"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {src}: damaged file: ")
    assert "internal error" not in lines[0]
