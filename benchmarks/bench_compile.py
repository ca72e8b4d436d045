"""Compile and import timings: medians over fresh processes, measured in one run.

    python benchmarks/bench_compile.py [--repeat 3]

Every measurement is a fresh ``python`` subprocess, timed from spawn to exit, so
it includes the interpreter's own start; the bare ``python -c pass`` is measured
alongside and subtracted ("net"). The child's CPU time (user + sys) is reported
too: it is steadier than wall time on a busy machine. Measurements that are
compared run round-robin (one of each per round), after one discarded round
(bytecode and the OS file cache are warm; compile outputs are not).

- cold compile: core 2.11.0 + hdmf-common 1.10.0 (+ hdmf-experimental 0.6.0,
  listed in hdmf-common's namespace.yaml) from ../shared/schemas into an empty
  directory, as the ``nwbgen compile`` command does;
- warm: the same compile into that up-to-date directory (nothing rewritten),
  and ``nwbgen compile --check`` against it;
- imports: the bundled ``nwbgen.generated.core.v2_11_0``, the freshly compiled
  package (vendored runtime), and ``pynwb`` (which builds its classes from the
  schema at import); then import + first ``TimeSeries`` built, for both.

Prints a table and writes benchmarks/results/compile.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT.parent / "shared" / "schemas"
SOURCES = (
    SCHEMAS / "core" / "2.11.0" / "nwb.namespace.yaml",
    SCHEMAS / "hdmf-common" / "1.10.0" / "namespace.yaml",
)
RESULTS = ROOT / "benchmarks" / "results" / "compile.json"

#: the ``nwbgen`` console script, run by this interpreter
NWBGEN = "from nwbgen.cli import main; main()"
BUNDLED = "nwbgen.generated.core.v2_11_0"
#: what must not load when compiled models are imported (DESIGN: light at run time)
COMPILER_ONLY = ("linkml", "linkml_runtime", "jinja2", "black", "networkx", "click")

FIRST_NWBGEN = (
    "import numpy as np\n"
    "import {package} as core\n"
    "ts = core.TimeSeries(name='ts', data=core.TimeSeriesData("
    "value=np.arange(10.0), unit='m'), timestamps=core.TimeSeriesTimestamps("
    "value=np.arange(10.0)))\n"
    "assert ts.data.unit == 'm'\n"
)
FIRST_PYNWB = (
    "import numpy as np\n"
    "from pynwb import TimeSeries\n"
    "ts = TimeSeries(name='ts', data=np.arange(10.0), unit='m', "
    "timestamps=np.arange(10.0))\n"
    "assert ts.unit == 'm'\n"
)
LOADED = (
    "import sys, json\n"
    "import {package}\n"
    "print(json.dumps(sorted(m for m in sys.modules "
    "if m.split('.')[0] in {names!r})))\n"
)


@dataclass
class Case:
    """One command, run in a fresh process per repetition."""

    key: str
    label: str
    argv: Callable[[int], list[str]]  # argv of repetition i (-1: discarded)
    cwd: Path | None = None
    expect: str = ""  # a regular expression each run's stdout must match
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spawn(args: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``python *args`` in a fresh process, and its stdout."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, check=False
    )
    wall = time.perf_counter() - start
    cpu = children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(
            f"python {' '.join(args)[:200]} failed ({done.returncode}):\n"
            f"{done.stdout}{done.stderr}"
        )
    return wall, cpu, done.stdout


def round_robin(cases: list[Case], repeat: int) -> list[Case]:
    """One discarded round, then ``repeat`` rounds of one run of each case."""
    for i in range(-1, repeat):
        for case in cases:
            wall, cpu, out = spawn(case.argv(i), cwd=case.cwd)
            if not re.search(case.expect, out):
                raise SystemExit(f"{case.label}: expected {case.expect!r}, got {out!r}")
            if i >= 0:
                case.wall.append(wall)
                case.cpu.append(cpu)
    return cases


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def machine(benchmark: str, load: float, distributions: tuple[str, ...]) -> dict:
    """The head of a results file: what ran, where, under which load, with what."""
    return {
        "benchmark": benchmark,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": round(load, 2),
        "versions": {d: version(d) for d in distributions},
    }


def measure(work: Path, repeat: int, have_pynwb: bool) -> dict[str, Case]:
    sources = [str(p) for p in SOURCES]

    def compile_into(i: int) -> list[str]:
        return ["-c", NWBGEN, "compile", *sources, "-o", str(work / f"r{i + 1}/models")]

    compiled = work / "r0" / "models"  # written by the discarded round
    package = f"{compiled.name}.core.v2_11_0"
    cases = round_robin(
        [
            Case("interpreter", "python -c pass", lambda i: ["-c", "pass"]),
            Case(
                "compiler_import",
                "import the compiler (nwbgen.generator.compile)",
                lambda i: ["-c", "import nwbgen.generator.compile"],
            ),
            Case(
                "cold_compile",
                "cold compile into an empty directory",
                compile_into,
                expect=r"\(\d+ written, 0 unchanged\)",
            ),
        ],
        repeat,
    )
    cases += round_robin(
        [
            Case(
                "warm_compile",
                "warm compile (inputs unchanged: nothing compiled)",
                lambda i: compile_into(-1),
                expect=r"is up to date \(compiled from these sources\)",
            ),
            Case(
                "check",
                "compile --check, directory up to date",
                lambda i: [*compile_into(-1), "--check"],
                expect="is up to date",
            ),
        ],
        repeat,
    )
    imports = [
        Case(
            "import_bundled", f"import {BUNDLED}", lambda i: ["-c", f"import {BUNDLED}"]
        ),
        Case(
            "import_compiled",
            f"import {package} (vendored runtime)",
            lambda i: ["-c", f"import {package}"],
            cwd=compiled.parent,
        ),
        Case(
            "first_model_bundled",
            f"import {BUNDLED} + first TimeSeries",
            lambda i: ["-c", FIRST_NWBGEN.format(package=BUNDLED)],
        ),
    ]
    if have_pynwb:
        imports += [
            Case("import_pynwb", "import pynwb", lambda i: ["-c", "import pynwb"]),
            Case(
                "first_model_pynwb",
                "import pynwb + first TimeSeries",
                lambda i: ["-c", FIRST_PYNWB],
            ),
        ]
    cases += round_robin(imports, repeat)
    return {case.key: case for case in cases}


def ratios(cases: dict[str, Case]) -> dict[str, float]:
    base = cases["interpreter"].median

    def ratio(a: str, b: str, net: bool = False) -> float:
        minus = base if net else 0.0
        return (cases[a].median - minus) / (cases[b].median - minus)

    out = {
        "cold_compile / warm_compile (net)": ratio("cold_compile", "warm_compile", True)
    }
    if "import_pynwb" in cases:
        for a, b in (
            ("import_pynwb", "import_bundled"),
            ("first_model_pynwb", "first_model_bundled"),
        ):
            out[f"{a} / {b}"] = ratio(a, b)
            out[f"{a} / {b} (net)"] = ratio(a, b, True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each")
    repeat = max(1, parser.parse_args().repeat)
    missing = [str(p) for p in SOURCES if not p.is_file()]
    if missing:
        raise SystemExit(f"schemas absent: {', '.join(missing)}")
    have_pynwb = version("pynwb") is not None

    with tempfile.TemporaryDirectory(prefix="bench_compile_") as tmp:
        cases = measure(Path(tmp), repeat, have_pynwb)
    _, _, out = spawn(["-c", LOADED.format(package=BUNDLED, names=COMPILER_ONLY)])
    compiler_loaded = json.loads(out)
    found = ratios(cases)
    base = cases["interpreter"].median
    load = os.getloadavg()[0]

    print(
        f"median of {repeat} fresh processes each; net = raw minus python -c pass; "
        f"load average {load:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"{'measurement':<58} {'raw s':>7} {'net s':>7} {'cpu s':>7}")
    for case in cases.values():
        net = case.median - base
        print(
            f"{case.label:<58} {case.median:>7.3f} {net:>7.3f} {case.cpu_median:>7.3f}"
        )
    for name, value in found.items():
        print(f"{name:<58} {value:>7.2f}")
    loaded = ", ".join(compiler_loaded) or "none"
    print(f"compiler modules loaded by import {BUNDLED}: {loaded}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        **machine("bench_compile", load, ("nwbgen", "pynwb", "pydantic", "numpy")),
        "sources": [str(p.relative_to(SCHEMAS)) for p in SOURCES],
        "repeat": repeat,
        "statistic": "median seconds of a fresh subprocess (wall; child CPU)",
        "measurements": {
            case.key: {
                "label": case.label,
                "wall": [round(s, 4) for s in case.wall],
                "cpu": [round(s, 4) for s in case.cpu],
                "median": round(case.median, 4),
                "net_median": round(case.median - base, 4),
                "cpu_median": round(case.cpu_median, 4),
            }
            for case in cases.values()
        },
        "ratios": {name: round(value, 3) for name, value in found.items()},
        "compiler_modules_loaded_by_models": compiler_loaded,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
