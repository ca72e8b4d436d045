"""A write killed outright (SIGKILL) in the middle: what it leaves behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

_WRITER = """
import sys, time
from nwbgen.runtime.hdf5.write import atomic_h5_file
with atomic_h5_file(sys.argv[1], overwrite=True) as h5f:
    h5f.create_dataset("half", data=list(range(1000)))
    h5f.flush()
    print(h5f.filename, flush=True)
    time.sleep(60)
"""


def killed_write(target: Path) -> Path:
    """Start writing ``target`` in another process, SIGKILL it once its temporary
    exists, and return that temporary (left beside ``target``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        temporary = Path(proc.stdout.readline().strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert temporary.is_file() and temporary.parent == target.parent
    return temporary
