"""Supervising fuzz runs: a worker process, a time bound per run, the checks.

Each mutant gets a folder of its own; each command (and HDF5IO) on it is one job
for the worker. A run that takes longer than its bound is a hang: the worker is
killed and a new one started. An answer is checked against the contract of
issue 14: success, or exit code 1 with exactly one line ``Error: ...`` that names
the file, no "internal error", no traceback; on failure no output at the output
path; on success an output that opens and holds every object that was read, as
the kind (group or dataset) it was; never a temporary file left beside it.
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py

from tests.fuzz.mutants import Mutant, build_seeds, make_mutant
from tests.support.paths import REPO

#: seconds a run may take (compiling core from a mutated spec takes ~10 s)
RUN_SECONDS = 30.0
#: seconds without progress after which nwbgen's own stall guard stops a command
#: (compiling core, the longest legitimate run, passes under a bound of 1 s)
STALL_SECONDS = 1.0


@dataclass(frozen=True)
class Finding:
    mutant: Mutant
    command: str
    problem: str  # the kind: hang, crash, traceback, internal error, lines, ...
    detail: str

    def __str__(self) -> str:
        return f"{self.mutant} | {self.command}: {self.problem}: {self.detail}"


@dataclass
class Report:
    mutants: int = 0
    runs: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)  # "ok" / "error"
    findings: list[Finding] = field(default_factory=list)
    by_kind: Counter = field(default_factory=Counter)  # mutant kinds tried
    stalls: Counter = field(default_factory=Counter)  # stalls by operator

    def summary(self) -> str:
        problems = Counter(f.problem for f in self.findings)
        return (
            f"{self.mutants} mutants ({dict(sorted(self.by_kind.items()))}), "
            f"{self.runs} runs in {self.seconds:.1f} s: "
            f"{self.outcomes['ok']} succeeded, {self.outcomes['error']} one-line "
            f"errors ({self.outcomes['stalled']} of them HDF5 stalls the guard "
            f"stopped), {len(self.findings)} findings {dict(problems)}"
        )


class Worker:
    """``python -m tests.fuzz.worker``, replaced after a hang or a crash by a
    spare started in advance (a worker takes a second or two to import nwbgen)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.spare: subprocess.Popen | None = None
        self._stderr: dict[int, list[str]] = {}

    def _spawn(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker"],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its watcher processes die with it
        )
        lines: list[str] = []
        self._stderr[proc.pid] = lines
        threading.Thread(target=self._drain, args=(proc, lines), daemon=True).start()
        return proc

    def _start(self) -> None:
        self.proc, self.spare = self.spare or self._spawn(), self._spawn()
        ready = self._reply(120.0)
        if not ready or not ready.get("ready"):
            raise RuntimeError(f"fuzz worker did not start: {''.join(self._lines())}")

    def _lines(self) -> list[str]:
        assert self.proc is not None
        return self._stderr[self.proc.pid]

    @staticmethod
    def _drain(proc: subprocess.Popen, lines: list[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    def _reply(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {}

    def run(self, job: dict[str, Any], timeout: float) -> dict[str, Any]:
        """The worker's answer; ``{"hang": True}`` if there is none in time,
        ``{"died": code, "stderr": ...}`` if the worker ended."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        self._lines().clear()
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        reply = self._reply(timeout)
        if reply is None:
            self._kill(self.proc)
            self.proc = None
            return {"hang": True}
        if not reply:  # the worker ended: its stall guard, or a crash
            code = self.proc.wait()
            time.sleep(0.2)  # let the drain thread read the last lines
            died = {"died": code, "stderr": "".join(self._lines())}
            del self._stderr[self.proc.pid]
            self.proc = None
            return died
        return reply

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()

    def stop(self) -> None:
        for proc in (self.proc, self.spare):
            if proc is not None:
                self._kill(proc)
        self.proc = self.spare = None


def job_for(mutant: Mutant, command: str, folder: Path) -> tuple[dict, Path | None]:
    out = {
        "copy": folder / "out_copy.nwb",
        "truncate": folder / "out_truncate.nwb",
        "compile": folder / "out_models",
        "hdf5io": folder / "out_hdf5io.nwb",
    }.get(command)
    job = {
        "command": command,
        "src": str(mutant.path),
        "out": str(out) if out else None,
    }
    return job, out


def check(mutant: Mutant, command: str, reply: dict, out: Path | None) -> list[str]:
    """The ways one answer breaks the contract, as ``"problem: detail"``."""
    if reply.get("hang"):
        return [f"hang: no answer in {RUN_SECONDS:.0f} s"]
    if "died" in reply:
        # the stall guard ends a stuck process with exit code 1 and one line
        reply = {"exit": reply["died"], "stdout": "", "stderr": reply["stderr"]}
        if reply["exit"] != 1:
            return [
                f"crash: worker ended with {reply['exit']}: {reply['stderr'][-300:]}"
            ]
    problems = []
    if reply.get("exception"):
        last = reply["exception"].strip().splitlines()[-1]
        problems.append(f"traceback: {last}")
    code = reply["exit"]
    stderr, stdout = reply.get("stderr") or "", reply.get("stdout") or ""
    if code not in (0, 1):
        problems.append(f"exit code: {code}")
    if "internal error" in stderr + stdout:
        problems.append(f"internal error: {_line(stderr + stdout, 'internal error')}")
    if "Traceback" in stderr:
        problems.append("traceback: printed")
    lines = [line for line in stderr.splitlines() if line.strip()]
    if code == 1:
        if len(lines) != 1 or not lines[0].startswith("Error: "):
            problems.append(f"lines: {len(lines)} on stderr: {stderr[:300]!r}")
        elif not _names_a_file(lines[0], mutant, out):
            problems.append(f"unnamed: the message names no file: {lines[0][:200]}")
        if out is not None and out.exists() and command != "compile":
            problems.append(f"half-written: {out.name} exists after a failure")
        if command == "compile" and out is not None and out.exists():
            problems.append(f"half-written: {out.name} exists after a failed compile")
    elif code == 0 and command in ("copy", "truncate", "hdf5io") and out is not None:
        try:
            with h5py.File(out, "r"):
                pass
        except OSError as exc:
            problems.append(f"half-written: {out.name} does not open: {exc}")
        else:
            problems.extend(f"lost: {lost}" for lost in lost_objects(mutant.path, out))
    folder = out.parent if out is not None else mutant.path.parent
    left = sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
    if left:
        problems.append(f"temporary left: {left}")
    return problems


def _objects_of(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """Every object of a file but /specifications, by the path it is first
    reached at (soft and external links not followed, each object once): its
    kind ("group", "dataset", or "link") and the names of its attributes.
    Objects HDF5 cannot read are left out."""
    out: dict[str, tuple[str, frozenset[str]]] = {}
    with h5py.File(path, "r") as f:
        seen = {h5py.h5o.get_info(f.id).addr}

        def walk(group: h5py.Group, prefix: str) -> None:
            for name in group:
                here = f"{prefix}/{name}"
                if here == "/specifications":
                    continue
                try:
                    link = group.get(name, getlink=True)
                    if not isinstance(link, h5py.HardLink):
                        out[here] = ("link", frozenset())
                        continue
                    obj = group[name]
                    address = h5py.h5o.get_info(obj.id).addr
                    attrs = frozenset(a for a in obj.attrs if _kept(f, obj, a))
                except Exception:  # noqa: BLE001 - damaged: not the copy's to keep
                    continue
                if address in seen:
                    continue
                seen.add(address)
                kind = "group" if isinstance(obj, h5py.Group) else "dataset"
                out[here] = (kind, attrs)
                if isinstance(obj, h5py.Group):
                    walk(obj, here)

        try:
            walk(f, "")
        except Exception:  # noqa: BLE001 - a damaged group: what was listed
            pass
    return out


def _kept(f: h5py.File, obj, name: str) -> bool:
    """An attribute a write must keep: all but a reference to nothing (null, to
    a deleted object, or to one no longer linked), which reads as no value."""
    value = obj.attrs[name]
    if not isinstance(value, h5py.Reference):
        return True
    try:
        return bool(value) and f[value].name is not None
    except Exception:  # noqa: BLE001 - dangling
        return False


def lost_objects(src: Path, out: Path) -> list[str]:
    """What a successful write lost of what it read: an object of ``src`` with
    no object (or link) at its path in ``out``, one that became a group where it
    was a dataset (or the reverse), or an attribute it lost. Links may be
    re-pointed to the same object (a chain of soft links written as one), hard
    links to one object become soft links: neither is a loss."""
    try:
        before = _objects_of(src)
    except OSError:
        return []  # the source does not open with h5py alone: nothing to compare
    problems = []
    with h5py.File(out, "r") as f:
        for here, (kind, attrs) in before.items():
            try:
                stored = f.get(here, getlink=True)
                obj = f.get(here) if stored is not None else None
            except Exception:  # noqa: BLE001 - a link to nothing: there, as a link
                obj = None
            if stored is None:
                problems.append(f"{here} ({kind}) is not in {out.name}")
            elif kind == "group" and isinstance(obj, h5py.Dataset):
                problems.append(f"{here} was a group, {out.name} has a dataset")
            elif kind == "dataset" and isinstance(obj, h5py.Group):
                problems.append(f"{here} was a dataset, {out.name} has a group")
            elif obj is not None and kind != "link":
                missing = sorted(attrs - set(obj.attrs) - {".specloc"})
                if missing:
                    problems.append(f"{here}: attributes {missing} not in {out.name}")
    return problems[:3]


def _names_a_file(line: str, mutant: Mutant, out: Path | None) -> bool:
    """The line names the mutated file, one beside it (a schema source it
    includes) or the output."""
    names = {p.name for p in mutant.path.parent.iterdir()} | {mutant.path.name}
    if out is not None:
        names.add(out.name)
    return any(name in line for name in names)


def _line(text: str, needle: str) -> str:
    return next((line for line in text.splitlines() if needle in line), "")[:200]


def fuzz(
    root: Path,
    mutants: int,
    seed: int = 14,
    first: int = 0,
    run_seconds: float = RUN_SECONDS,
    log: Any = None,
) -> Report:
    """Try ``mutants`` mutants (numbers ``first`` ...), each with every command
    that applies, in a fresh worker per call."""
    seeds = build_seeds(root / "seeds")
    env = {
        **os.environ,
        "NWBGEN_CACHE_DIR": str(root / "cache"),
        "NWBGEN_STALL_SECONDS": f"{STALL_SECONDS:g}",
        "PYTHONHASHSEED": "0",
    }
    env.pop("NWBGEN_DEBUG", None)
    worker = Worker(env)
    report = Report()
    start = time.perf_counter()
    try:
        for number in range(first, first + mutants):
            folder = root / f"m{number}"
            folder.mkdir(parents=True)
            mutant = make_mutant(
                number, random.Random(f"{seed}:{number}"), seeds, folder
            )
            report.mutants += 1
            report.by_kind[mutant.kind] += 1
            for command in mutant.commands:
                job, out = job_for(mutant, command, folder)
                reply = worker.run(job, run_seconds)
                report.runs += 1
                problems = check(mutant, command, reply, out)
                ok = (
                    reply.get("exit") == 0
                    and not reply.get("hang")
                    and "died" not in reply
                )
                report.outcomes["ok" if ok else "error"] += 1
                if "died" in reply and not problems:
                    report.outcomes["stalled"] += 1  # ended by the stall guard
                    report.stalls[mutant.operator] += 1
                for problem in problems:
                    kind, _, detail = problem.partition(": ")
                    finding = Finding(mutant, command, kind, detail)
                    report.findings.append(finding)
                    if log is not None:
                        print(finding, file=log, flush=True)
    finally:
        worker.stop()
        report.seconds = time.perf_counter() - start
    return report
