"""One fuzz process: runs jobs (a command, or HDF5IO read + write) one at a time,
in-process, and answers each with what a user would have seen.

Started by :class:`tests.fuzz.harness.Worker` as ``python -m tests.fuzz.worker``;
a job is one JSON line on stdin, the answer one JSON line on the descriptor the
harness reads (the real stdout, kept away from anything the commands print). A
run that never ends is the harness's to stop: it kills this process.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
import warnings
from typing import Any


def cli(args: list[str]) -> dict[str, Any]:
    from click.testing import CliRunner

    from nwbgen.cli import main

    result = CliRunner().invoke(main, args)
    exception = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exception = "".join(traceback.format_exception(*result.exc_info))
    return {
        "exit": result.exit_code,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "exception": exception,
    }


def _walk(value: Any, seen: set[int]) -> None:
    """Touch every model, field and small array of a read tree (arrays of up to
    100 000 values are loaded: damaged data shows only when it is read)."""
    from nwbgen.runtime.hdf5.lazy import LazyArray
    from nwbgen.runtime.models.base import is_model

    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, LazyArray):
        if value.size <= 100_000:
            value.load()
    elif is_model(value):
        for name in type(value).model_fields:
            _walk(getattr(value, name, None), seen)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item, seen)


def hdf5io(src: str, out: str) -> dict[str, Any]:
    """Read ``src`` with HDF5IO, touch all of it, write it to ``out``."""
    from nwbgen import HDF5IO
    from nwbgen.commands._stall import stall_guard
    from nwbgen.errors import NWBGenError

    try:
        with warnings.catch_warnings(), stall_guard(src, [os.path.dirname(out)]):
            warnings.simplefilter("ignore")
            with HDF5IO(src) as reader:
                model = reader.read()
                _walk(model, set())
                HDF5IO(out, "w").write(model)
    except NWBGenError as exc:
        return {"exit": 1, "stdout": "", "stderr": f"Error: {exc}\n", "exception": None}
    except Exception:
        return {
            "exit": 1,
            "stdout": "",
            "stderr": "",
            "exception": traceback.format_exc(),
        }
    return {"exit": 0, "stdout": "", "stderr": "", "exception": None}


def run(job: dict[str, Any]) -> dict[str, Any]:
    command, src, out = job["command"], job["src"], job.get("out")
    warnings.resetwarnings()  # each job warns as a fresh process would
    warnings.simplefilter("default")
    if command == "hdf5io":
        return hdf5io(src, out)
    args = {
        "show": ["show", src],
        "inspect": ["inspect", src],
        "copy": ["copy", src, out or ""],
        "truncate": ["truncate", src, out or ""],
        "compile": ["compile", src, "-o", out or ""],
    }[command]
    return cli(args)


def main() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # what C code prints goes nowhere
    # what every job needs, imported before the first one is timed
    import nwbgen.cli  # noqa: F401
    from nwbgen import HDF5IO  # noqa: F401

    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        job = json.loads(line)
        start = time.perf_counter()
        reply = run(job)
        reply["seconds"] = round(time.perf_counter() - start, 3)
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
