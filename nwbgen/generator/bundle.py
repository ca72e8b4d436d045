"""Regenerate (or check) :mod:`nwbgen.generated`, the models nwbgen ships.

    python -m nwbgen.generator.bundle [--schemas ../shared/schemas]
                                      [--data ../shared/data] [--check]

Each core release is compiled with the hdmf-common release it was published with;
the packages share one output tree, so an hdmf-common version used by several cores
appears once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..spec.sources import load_sources, namespaces_from_h5
from .compile import CompileResult, compile_sets
from .emit import check_package, write_package

#: core release -> the hdmf-common release it was published with (latest patch per
#: minor; ``None`` before hdmf-common existed): every release a corpus file uses
BUNDLE = (
    ("2.0.1", None),
    ("2.1.0", None),
    ("2.2.0", "1.1.0"),
    ("2.2.1", "1.1.0"),
    ("2.2.2", "1.1.3"),
    ("2.2.3", "1.1.3"),
    ("2.2.4", "1.1.3"),
    ("2.2.5", "1.1.3"),
    ("2.3.0", "1.5.0"),
    ("2.4.0", "1.5.1"),
    ("2.5.0", "1.5.1"),
    ("2.6.0", "1.6.0"),
    ("2.7.0", "1.8.0"),
    ("2.8.0", "1.8.0"),
    ("2.9.0", "1.8.0"),
    ("2.10.0", "1.9.0"),
    ("2.11.0", "1.10.0"),
)
#: releases no release folder holds, bundled from the specs a corpus file caches
#: (path under ``--data``): core 2.0.2 as pynwb 1.0.3 wrote it, and core 2.1.0
#: over hdmf-common 1.0.0 as pynwb 1.1.2 wrote it
FROM_FILES = (
    "backcompat/pynwb-1.0.3_nwbfile.nwb",
    "backcompat/pynwb-1.1.2_nwbfile.nwb",
)
RUNTIME_IMPORT = "nwbgen.runtime"
GENERATED = Path(__file__).resolve().parents[1] / "generated"
DEFAULT_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"
DEFAULT_DATA = DEFAULT_SCHEMAS.parent / "data"


def compile_bundle(schemas: Path, data: Path = DEFAULT_DATA) -> CompileResult:
    sets = [namespaces_from_h5(data / name) for name in FROM_FILES]
    for core, hdmf in BUNDLE:
        paths = [schemas / "core" / core / "nwb.namespace.yaml"]
        if hdmf is not None:
            paths.append(schemas / "hdmf-common" / hdmf / "namespace.yaml")
        sets.append(load_sources(paths))
    return compile_sets(sets, runtime_import=RUNTIME_IMPORT, semantic_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--schemas",
        type=Path,
        default=DEFAULT_SCHEMAS,
        help="folder with core/ and hdmf-common/",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of the NWB files FROM_FILES names",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if nwbgen/generated is out of date"
    )
    args = parser.parse_args(argv)
    result = compile_bundle(args.schemas, args.data)
    if args.check:
        drift = check_package(result.files, GENERATED)
        if drift:
            print(
                f"nwbgen/generated is out of date: {drift.describe()}", file=sys.stderr
            )
            return 1
        print("nwbgen/generated is up to date")
        return 0
    report = write_package(result.files, GENERATED)
    print(
        f"nwbgen/generated: {len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
