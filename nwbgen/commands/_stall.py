"""A command that stops making progress ends with one line, not a hang.

Some damaged files make the HDF5 library loop forever inside one call (HDF5 2.0
reading a global heap collection whose objects were zeroed: its parser never
advances). Nothing in Python can interrupt code running inside HDF5, which may
even hold the GIL, so a command runs watched (Linux, where ``/proc`` shows a
process's CPU time and I/O):

- four times a second a thread of the command asks its main thread, by a signal
  (SIGUSR2) whose Python handler runs only between two bytecodes, whether it is
  still running Python, and tells a small watcher process the answer and the
  HDF5 path being read;
- the watcher also counts the command's bytes read and written;
- when the command has used CPU (a tenth of the time or more: a loaded machine
  lends it less than all) for :data:`STALL_SECONDS` with neither, the watcher
  prints one line naming the file and path, removes the command's temporary
  files, and ends it with exit code 1.

A command blocked on a pipe or the network uses no CPU and is left alone.
``NWBGEN_STALL_SECONDS`` sets the bound; ``0`` turns the watch off.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

#: seconds without progress, burning CPU, before a command is taken for stuck
STALL_SECONDS = 60.0

#: run by ``python -I -S -c``: argv = ppid, seconds, file named, folders to clean
_WATCHER = r"""
import collections, os, re, select, signal, sys, time
ppid, limit, what = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
folders = sys.argv[4:]
tick = os.sysconf("SC_CLK_TCK")

def sample():
    try:
        with open(f"/proc/{ppid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{ppid}/io", "rb") as fh:
            io = sum(int(l.split()[1]) for l in fh if l.startswith((b"rchar", b"wchar")))
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / tick, io

samples = collections.deque()
path, pending, last_io = "", b"", None
moved = time.monotonic()
while True:
    ready, _, _ = select.select([0], [], [], 0.25)
    now = time.monotonic()
    if ready:
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)  # the command is done
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.startswith(b"P"):
                path = line[1:].decode("utf-8", "replace")
            else:
                moved = now
    found = sample()
    if found is None:
        sys.exit(0)  # the command is gone
    cpu, io = found
    if io != last_io:
        last_io, moved = io, now
    samples.append((now, cpu))
    while len(samples) > 1 and samples[1][0] <= now - limit:
        samples.popleft()  # the first sample is the last one a window ago
    if now - moved < limit or now - samples[0][0] < limit:
        continue
    if cpu - samples[0][1] < 0.1 * (now - samples[0][0]):
        continue  # asleep (a pipe, the network): not stuck
    where = f" while reading {path}" if path else ""
    os.write(2, (f"Error: {what}: damaged file: HDF5 stopped responding{where} "
                 f"(no progress for {limit:g} s)\n").encode("utf-8", "replace"))
    mine = re.compile(rf"\..+\.{ppid}@[0-9a-f]{{8}}\.[0-9a-f]+\.tmp")
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if mine.fullmatch(name):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    pass
    os.kill(ppid, signal.SIGHUP)  # exits 1 (see _exit_on_hangup)
    time.sleep(2)
    if sample() is not None:
        os.kill(ppid, signal.SIGKILL)
    sys.exit(0)
"""


def stall_seconds() -> float:
    try:
        return float(os.environ.get("NWBGEN_STALL_SECONDS", STALL_SECONDS))
    except ValueError:
        return STALL_SECONDS


@contextlib.contextmanager
def stall_guard(what: str, folders: Iterable[str] = ()) -> Iterator[None]:
    """Run the body watched (see the module): ``what`` is the file the one line
    names, ``folders`` where the body's temporary files may be."""
    seconds = stall_seconds()
    watchable = (
        seconds > 0
        and sys.platform.startswith("linux")
        and threading.current_thread() is threading.main_thread()
        and os.path.exists(f"/proc/{os.getpid()}/io")
    )
    if not watchable:
        yield
        return
    read_end, write_end = os.pipe()
    try:
        watcher = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHER, str(os.getpid())]
            + [f"{seconds:g}", what, *sorted({os.path.abspath(f) for f in folders})],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:  # no process to spare: run unwatched
        os.close(read_end)
        os.close(write_end)
        yield
        return
    os.close(read_end)
    restore = _exit_on_hangup()
    probing = _probe(write_end)
    done = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(write_end, done, probing is not None), daemon=True
    )
    beat.start()
    try:
        yield
    finally:
        done.set()
        beat.join()
        if probing is not None:
            signal.signal(signal.SIGUSR2, probing)
        os.close(write_end)  # the watcher reads the end and leaves
        restore()
        try:
            watcher.wait(timeout=5)
        except subprocess.TimeoutExpired:
            watcher.kill()


def _probe(write_end: int) -> Any:
    """Install the SIGUSR2 handler that says "still running Python" (``.``); return
    the handler it replaces, or ``None`` when another one is in place."""
    if signal.getsignal(signal.SIGUSR2) not in (signal.SIG_DFL, None):
        return None

    def running(_signum: int, _frame: Any) -> None:
        try:
            os.write(write_end, b".\n")
        except OSError:
            pass

    previous = signal.signal(signal.SIGUSR2, running)
    signal.siginterrupt(signal.SIGUSR2, False)  # system calls restart, unseen
    return previous


def _heartbeat(write_end: int, done: threading.Event, probing: bool) -> None:
    """Every quarter second: ``P<path>`` when the HDF5 path being read changed
    (no progress by itself: a stuck read changes nothing), and the probe of the
    main thread (or, without it, ``.`` when its frames moved)."""
    main = threading.main_thread()
    last: tuple[int, int] | None = None
    last_path = ""
    while not done.wait(0.25):
        path = _reading()
        message = b""
        if path and path != last_path:
            last_path = path
            message = b"P" + path.encode("utf-8", "replace") + b"\n"
        if probing:
            assert main.ident is not None
            signal.pthread_kill(main.ident, signal.SIGUSR2)
        else:
            frame = sys._current_frames().get(main.ident)  # noqa: SLF001
            if frame is not None:
                key = (id(frame), frame.f_lasti)
                if key != last:  # else the same instruction: inside one C call
                    last = key
                    message += b".\n"
                del frame
        if message:
            try:
                os.write(write_end, message)
            except OSError:
                return


def _reading() -> str:
    """The HDF5 path the command is reading, if it says (see
    :func:`nwbgen.runtime.hdf5.files.reading_now`)."""
    from ..runtime.hdf5.files import reading_now

    return reading_now()


def _exit_on_hangup():
    """SIGHUP ends the process at once with exit code 1, even inside HDF5 (the C
    library's ``_exit`` as the handler: it gets the signal number, 1, as its
    status). Returns the function that puts the previous handler back; does
    nothing when Python code handles SIGHUP already."""
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL:
        return lambda: None
    try:
        libc = ctypes.CDLL(None)
        libc.signal.restype = ctypes.c_void_p
        libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
        handler = ctypes.cast(libc._exit, ctypes.c_void_p).value
        previous = libc.signal(signal.SIGHUP, handler)
    except (OSError, AttributeError):
        return lambda: None

    def restore() -> None:
        libc.signal(signal.SIGHUP, previous)

    return restore
