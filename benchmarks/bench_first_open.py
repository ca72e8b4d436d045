"""First open of NWB files with an empty model cache: nwbgen against pynwb.

    python benchmarks/bench_first_open.py [--files GLOB] [--quick] [--repeat N]
                                          [--data DIR]

For every NWB file under ``../shared/data`` (``--files GLOB``: only those whose
path relative to it matches, e.g. ``'pynwb/*core2.11.0*'``; ``--quick``: three
files, a bundled core 2.11.0 one, one with an extension, an old core), each in a
fresh ``python`` process:

- nwbgen, with ``NWBGEN_CACHE_DIR`` set to a new, empty temporary directory:
  ``import nwbgen`` and ``nwbgen.HDF5IO`` (the import), then
  ``HDF5IO(path)`` and ``.read()`` (the first open: finding the models, from the
  bundle or compiled into the cache, importing them, reading the file);
- pynwb: ``from pynwb import NWBHDF5IO`` (the import: pynwb builds its classes
  from the schema here), then ``NWBHDF5IO(path, "r", load_namespaces=True)``
  and ``.read()``.

Clocks run inside the child (``time.perf_counter`` around the import and around
open + read); the whole process, interpreter start included, is timed from
outside too (wall and CPU, ``bench_compile.spawn``). Before the timed runs one
untimed process imports every bundled version package, pynwb and nwbgen, so
bytecode and the OS file cache are warm as after an install (the bytecode of
models compiled into the empty cache is written during the timed run, as it is
for a user). With ``--repeat N`` every file runs N times, each with a new empty
cache, alternating which library goes first; the table shows medians.

Per file: the core version, the extensions (namespaces other than core /
hdmf-common / hdmf-experimental), whether every cached namespace version is in
``nwbgen/generated`` (``bundle``), nwbgen's import and first open, pynwb's
import and read, the ratio nwbgen / pynwb of open + read and of the whole
process, and what nwbgen's provider did: ``bundled`` (the cache directory holds
no ``models-*`` entry after the open; the provider still writes its
``provider-memo.json`` there) or ``compiled`` (a ``models-*`` entry appeared),
checked against ``HDF5IO.provider.origin``. Prints a table, the median ratio and
the number of files whose nwbgen first open takes over 1.5 s; writes
benchmarks/results/first_open.json (``first_open_quick.json``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_compile import machine, spawn

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "first_open.json"
SCRIPT = Path(__file__).resolve()
MANIFEST = ROOT / "nwbgen" / "generated" / "manifest.json"
#: a first open slower than this is counted (seconds)
SLOW = 1.5
BASE_NAMESPACES = ("core", "hdmf-common", "hdmf-experimental")
QUICK = (
    "pynwb/ecephys_core2.11.0.nwb",
    "pynwb/with_extension_pose_core2.11.0.nwb",
    "real/aibs_dandi000021_truncated.nwb",
)


# ------------------------------------------------------------------ in the child


def child(kind: str, path: str) -> dict:
    """One first open in this fresh process; the JSON printed is the result (an
    error is a result too, so that one unreadable file does not stop the run)."""
    import warnings

    warnings.simplefilter("ignore")
    out: dict = {"kind": kind}
    start = time.perf_counter()
    if kind == "nwbgen":
        import nwbgen

        HDF5IO = nwbgen.HDF5IO  # the lazy import of the reader (h5py, runtime)
        out["import_s"] = time.perf_counter() - start
        start = time.perf_counter()
        try:
            with HDF5IO(path) as io:
                io.read()
                # what the provider says (if this nwbgen exposes it); the cache
                # directory, inspected by the parent, decides "compiled"
                provider = getattr(io, "provider", None)
                out["origin"] = getattr(provider, "origin", "-")
                out["compiled_namespaces"] = list(getattr(provider, "compiled", []))
                out["compile_s"] = getattr(provider, "compile_s", None)
                packages = getattr(provider, "packages", None) or {}
                out["packages"] = {ns: p.__name__ for ns, p in packages.items()}
                out["violations"] = len(io.violations)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    elif kind == "pynwb":
        from pynwb import NWBHDF5IO

        out["import_s"] = time.perf_counter() - start
        start = time.perf_counter()
        try:
            with NWBHDF5IO(path, "r", load_namespaces=True) as io:
                io.read()
        except Exception as exc:  # noqa: BLE001 - reported in the table
            out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    elif kind == "warm":
        return warm()
    else:
        raise SystemExit(f"unknown child {kind!r}")
    out["open_read_s"] = time.perf_counter() - start  # open, read and close
    return out


def warm() -> dict:
    """Import every bundled version package, pynwb and the reader (untimed): writes
    any missing bytecode and fills the OS file cache."""
    import importlib

    import nwbgen

    nwbgen.HDF5IO  # noqa: B018 - the lazy import
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for entry in manifest.get("namespaces", []):
        importlib.import_module(
            "nwbgen.generated." + entry["package"].replace("/", ".")
        )
    import pynwb  # noqa: F401

    return {"kind": "warm", "packages": len(manifest.get("namespaces", []))}


# ------------------------------------------------------------------ in the parent


def describe(path: Path, bundle: set[tuple[str, str]]) -> dict:
    """What a file caches: core version, extensions, and whether the bundle has
    every namespace version of it."""
    import h5py

    with h5py.File(path, "r") as h5f:
        group = h5f.get("specifications")
        cached = {name: sorted(group[name]) for name in group} if group else {}
        nwb_version = h5f.attrs.get("nwb_version")
    if isinstance(nwb_version, bytes):
        nwb_version = nwb_version.decode()
    pairs = {(name, v) for name, versions in cached.items() for v in versions}
    return {
        "core": ",".join(cached.get("core", [])) or f"{nwb_version} (no specs)",
        "specifications": cached,
        "extensions": {
            name: versions
            for name, versions in cached.items()
            if name not in BASE_NAMESPACES
        },
        "not_bundled": sorted(f"{n} {v}" for n, v in pairs - bundle),
        "has_specifications": bool(cached),
    }


def run_child(kind: str, path: Path, cache: Path | None) -> dict:
    """``child(kind, path)`` in a fresh process (with ``NWBGEN_CACHE_DIR=cache``),
    timed from outside too."""
    before = os.environ.get("NWBGEN_CACHE_DIR")
    if cache is not None:
        os.environ["NWBGEN_CACHE_DIR"] = str(cache)
    try:
        wall, cpu, stdout = spawn([str(SCRIPT), "--child", kind, str(path)])
    finally:
        if before is None:
            os.environ.pop("NWBGEN_CACHE_DIR", None)
        else:
            os.environ["NWBGEN_CACHE_DIR"] = before
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["process_cpu_s"] = cpu
    return result


def first_open(path: Path, workdir: Path, order: int) -> dict[str, dict]:
    """One nwbgen and one pynwb run of a file (``order`` decides which goes first);
    nwbgen with a new empty cache, inspected after the open."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=workdir))
    out: dict[str, dict] = {}
    kinds = ("nwbgen", "pynwb") if order % 2 == 0 else ("pynwb", "nwbgen")
    for kind in kinds:
        out[kind] = run_child(kind, path, cache if kind == "nwbgen" else None)
    entries = sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []
    models = [name for name in entries if name.startswith("models-")]
    out["nwbgen"]["cache_entries"] = entries
    out["nwbgen"]["compiled"] = bool(models)
    shutil.rmtree(cache, ignore_errors=True)
    return out


def median_of(runs: list[dict], key: str, read_only: bool = True) -> float | None:
    """The median of ``key`` over the runs (``read_only``: those that read)."""
    values = [
        r[key]
        for r in runs
        if r.get(key) is not None and not (read_only and "error" in r)
    ]
    return statistics.median(values) if values else None


BUNDLED_NAMES = {"core", "hdmf-common", "hdmf-experimental"}


def _mode(runs: list[dict]) -> str:
    """bundled / extension compiled / full compile (core or hdmf compiled too)."""
    if not any(r["compiled"] for r in runs):
        return "bundled"
    names = set().union(*(r.get("compiled_namespaces", []) for r in runs))
    return (
        "full compile" if names & BUNDLED_NAMES or not names else "extension compiled"
    )


def summarise(name: str, info: dict, runs: list[dict[str, dict]]) -> dict:
    row: dict = {"file": name, **info, "runs": runs}
    for kind in ("nwbgen", "pynwb"):
        mine = [r[kind] for r in runs]
        errors = sorted({r["error"] for r in mine if "error" in r})
        row[kind] = {
            "import_s": median_of(mine, "import_s", read_only=False),
            "open_read_s": median_of(mine, "open_read_s"),
            "process_wall_s": median_of(mine, "process_wall_s"),
            "process_cpu_s": median_of(mine, "process_cpu_s"),
            "compile_s": median_of(mine, "compile_s"),
            "error": errors[0] if errors else None,
        }
    n = [r["nwbgen"] for r in runs]
    row["nwbgen"]["provider"] = _mode(n)
    row["nwbgen"]["origin"] = sorted({r.get("origin", "-") for r in n})
    row["nwbgen"]["packages"] = next((r["packages"] for r in n if "packages" in r), {})
    a, b = row["nwbgen"], row["pynwb"]
    row["ratio_open_read"] = (
        a["open_read_s"] / b["open_read_s"]
        if a["open_read_s"] and b["open_read_s"] and not a["error"] and not b["error"]
        else None
    )
    both = not a["error"] and not b["error"]
    # what a user waits for in a process: nwbgen's import + first open + read
    # against pynwb's import (its classes are built there) + read
    row["ratio_first_use"] = (
        (a["import_s"] + a["open_read_s"]) / (b["import_s"] + b["open_read_s"])
        if both and a["open_read_s"] and b["open_read_s"]
        else None
    )
    row["ratio_process"] = a["process_wall_s"] / b["process_wall_s"] if both else None
    row["ratio_cpu"] = a["process_cpu_s"] / b["process_cpu_s"] if both else None
    return row


def fmt(value: float | None, spec: str = "6.2f") -> str:
    """``value`` formatted by ``spec``; ``-`` as wide for a missing one."""
    if value is not None:
        return format(value, spec)
    width = spec.split(".")[0]
    return "-".rjust(int(width) if width.isdigit() else 1)


def table(rows: list[dict]) -> None:
    head = (
        f"{'file':<46} {'core':<13} {'extensions':<26} {'bndl':<4} "
        f"{'n.imp':>6} {'n.open':>6} {'n.proc':>6} "
        f"{'p.imp':>6} {'p.read':>6} {'p.proc':>6} "
        f"{'r.open':>6} {'r.use':>6} {'r.proc':>6} {'r.cpu':>6} {'n.comp':>6}  "
        "provider"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        n, p = row["nwbgen"], row["pynwb"]
        ext = ",".join(f"{k} {'/'.join(v)}" for k, v in row["extensions"].items())
        provider = "error" if n["error"] else n["provider"]
        bundled = (
            "-"
            if not row["has_specifications"]
            else ("no" if row["not_bundled"] else "yes")
        )
        if not n["error"] and n["origin"] and n["origin"] != ["-"]:
            origin = "/".join(n["origin"])
            if origin != provider:
                provider += f" (origin {origin})"
        print(
            f"{row['file'][:46]:<46} {row['core'][:13]:<13} {ext[:26]:<26} "
            f"{bundled:<4} "
            f"{fmt(n['import_s'])} {fmt(n['open_read_s'])} {fmt(n['process_wall_s'])} "
            f"{fmt(p['import_s'])} {fmt(p['open_read_s'])} {fmt(p['process_wall_s'])} "
            f"{fmt(row['ratio_open_read'])} {fmt(row['ratio_first_use'])} "
            f"{fmt(row['ratio_process'])} {fmt(row['ratio_cpu'])} "
            f"{fmt(n['compile_s'] or None)}  {provider}"
        )
    errors = [
        (row["file"], kind, row[kind]["error"])
        for row in rows
        for kind in ("nwbgen", "pynwb")
        if row[kind]["error"]
    ]
    for name, kind, error in errors:
        print(f"  {kind} cannot read {name}: {error}")


def select(data: Path, pattern: str | None, quick: bool) -> list[Path]:
    files = sorted(data.rglob("*.nwb"))
    if quick:
        files = [data / name for name in QUICK if (data / name).is_file()]
    if pattern:
        files = [p for p in files if fnmatch.fnmatch(str(p.relative_to(data)), pattern)]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", metavar="GLOB", help="paths relative to the data")
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK)} files")
    parser.add_argument("--repeat", type=int, default=1, help="runs per file")
    parser.add_argument("--data", type=Path, default=DATA, help="the NWB files")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if not args.data.is_dir():
        raise SystemExit(
            f"{args.data}: no such directory (../shared beside the checkout)"
        )
    files = select(args.data, args.files, args.quick)
    if not files:
        raise SystemExit(f"no NWB file under {args.data} matches {args.files!r}")
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    bundle = {(e["name"], e["version"]) for e in manifest.get("namespaces", [])}
    repeat = max(1, args.repeat)

    workdir = Path(tempfile.mkdtemp(prefix="nwbgen-bench-first-open-"))
    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    try:
        run_child("warm", files[0], workdir / "warm-cache")
        rows = []
        for i, path in enumerate(files):
            name = str(path.relative_to(args.data))
            runs = [first_open(path, workdir, i + r) for r in range(repeat)]
            rows.append(summarise(name, describe(path, bundle), runs))
            loads.append(os.getloadavg()[0])
            n = rows[-1]["nwbgen"]
            p = rows[-1]["pynwb"]
            print(
                f"[{i + 1}/{len(files)}] {name}: nwbgen "
                f"{fmt(n['open_read_s'], '.2f')} s ({n['provider']}), "
                f"pynwb {fmt(p['open_read_s'], '.2f')} s",
                file=sys.stderr,
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    load = statistics.mean(loads)

    print(
        f"first open with an empty model cache, {len(files)} files, median of {repeat} "
        f"fresh process(es) each; mean load average {load:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        "seconds; n. = nwbgen, p. = pynwb; imp = import, open = HDF5IO(path).read(), "
        "read = NWBHDF5IO(path, load_namespaces=True).read(), proc = whole process "
        "(interpreter start included); r. = ratio nwbgen / pynwb (r.cpu: of the "
        "processes' CPU time, steadier under load; r.use: of import + open/read); "
        "n.comp = nwbgen's compile into the cache (included in n.open); bndl = every cached namespace "
        "version is bundled"
    )
    table(rows)
    ratios = [r["ratio_open_read"] for r in rows if r["ratio_open_read"] is not None]
    process_ratios = [
        r["ratio_process"] for r in rows if r["ratio_process"] is not None
    ]
    use_ratios = [
        r["ratio_first_use"] for r in rows if r["ratio_first_use"] is not None
    ]
    extension_compiles = {
        r["file"]: r["nwbgen"]["compile_s"]
        for r in rows
        if r["nwbgen"]["provider"] == "extension compiled" and r["nwbgen"]["compile_s"]
    }
    opened = [r for r in rows if not r["nwbgen"]["error"]]
    slow = [r["file"] for r in opened if r["nwbgen"]["open_read_s"] > SLOW]
    slow_pynwb = [
        r["file"]
        for r in rows
        if not r["pynwb"]["error"] and r["pynwb"]["open_read_s"] > SLOW
    ]
    compiled = [r["file"] for r in opened if r["nwbgen"]["provider"] != "bundled"]
    summary = {
        "files": len(rows),
        "median_ratio_open_read": statistics.median(ratios) if ratios else None,
        "median_ratio_process": (
            statistics.median(process_ratios) if process_ratios else None
        ),
        "median_ratio_first_use": (
            statistics.median(use_ratios) if use_ratios else None
        ),
        "extension_compile_s": extension_compiles,
        "nwbgen_over_1_5_s": slow,
        "pynwb_over_1_5_s": slow_pynwb,
        "nwbgen_compiled": compiled,
        "nwbgen_errors": {
            r["file"]: r["nwbgen"]["error"] for r in rows if r["nwbgen"]["error"]
        },
        "pynwb_errors": {
            r["file"]: r["pynwb"]["error"] for r in rows if r["pynwb"]["error"]
        },
        "not_bundled": {r["file"]: r["not_bundled"] for r in rows if r["not_bundled"]},
        "elapsed_s": round(elapsed, 1),
    }
    open_ratio = fmt(summary["median_ratio_open_read"], ".2f")
    process_ratio = fmt(summary["median_ratio_process"], ".2f")
    use_ratio = fmt(summary["median_ratio_first_use"], ".2f")
    print(
        f"median ratio nwbgen / pynwb: open + read {open_ratio}, import + open + read "
        f"{use_ratio}, whole process {process_ratio} (over {len(ratios)} files both "
        "read)"
    )
    for name, seconds in extension_compiles.items():
        print(f"extension-only compile: {name} {seconds:.2f} s")
    print(
        f"nwbgen first open over {SLOW} s: {len(slow)} of {len(opened)} files read "
        f"({len(compiled)} compiled their models); pynwb over {SLOW} s: "
        f"{len(slow_pynwb)}"
    )
    for name in slow:
        n = next(r for r in rows if r["file"] == name)["nwbgen"]
        print(f"  {name}: {n['open_read_s']:.2f} s ({n['provider']})")

    results = RESULTS.with_stem("first_open_quick") if args.quick else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    report = {
        **machine(
            "bench_first_open", load, ("nwbgen", "pynwb", "hdmf", "h5py", "pydantic")
        ),
        "repeat": repeat,
        "quick": args.quick,
        "pattern": args.files,
        "slow_threshold_s": SLOW,
        "summary": summary,
        "rows": rows,
    }
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {results.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
