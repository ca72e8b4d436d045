"""Writing a compiled package to disk: all or nothing, and only the bytes that changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import NWBGenError
from ..spec.model import Namespace

MANIFEST = "manifest.json"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.changed or self.extra)

    def describe(self) -> str:
        parts = []
        for label, paths in (
            ("missing", self.missing),
            ("changed", self.changed),
            ("stale", self.extra),
        ):
            if paths:
                shown = ", ".join(paths[:5]) + (
                    f" and {len(paths) - 5} more" if len(paths) > 5 else ""
                )
                parts.append(f"{len(paths)} {label} ({shown})")
        return "; ".join(parts)


def read_manifest(out: Path) -> dict | None:
    """The manifest of an earlier compile in ``out``, or None if it is not nwbgen output."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return (
        data if isinstance(data, dict) and data.get("generator") == "nwbgen" else None
    )


def _previous_files(out: Path) -> list[str] | None:
    """Files an earlier compile wrote here, or None if ``out`` is not nwbgen output."""
    data = read_manifest(out)
    return None if data is None else [*data.get("files", {}), MANIFEST]


def up_to_date(out: str | Path, inputs: str) -> bool:
    """Whether ``out`` was compiled from exactly these inputs and no file was touched
    since: the warm path, which needs no compiling at all."""
    out = Path(out)
    data = read_manifest(out)
    if data is None or not inputs or data.get("inputs") != inputs:
        return False
    files = data.get("files")
    if not isinstance(files, dict):
        return False
    for rel, digest in files.items():
        target = out / rel
        if (
            not target.is_file()
            or hashlib.sha256(target.read_bytes()).hexdigest() != digest
        ):
            return False
    return True


def write_package(files: dict[str, bytes], out: str | Path) -> WriteReport:
    """Write ``files`` under ``out``.

    A new directory appears whole (built beside it, then renamed). An existing
    nwbgen output is updated file by file, each replaced atomically and only when its
    bytes differ; files the previous compile wrote and this one does not are removed.
    A non-empty directory that is not nwbgen output is refused.
    """
    out = Path(out)
    report = WriteReport()
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for rel, data in files.items():
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                report.written.append(rel)
            os.replace(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return report
    if not out.is_dir():
        raise NWBGenError(f"{out}: exists and is not a directory")
    previous = _previous_files(out)
    if previous is None and any(out.iterdir()):
        raise NWBGenError(
            f"{out}: not empty and not an nwbgen output directory (no {MANIFEST}); refusing to write"
        )
    for rel, data in files.items():
        target = out / rel
        if target.is_file() and target.read_bytes() == data:
            report.unchanged.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        report.written.append(rel)
    for rel in sorted(set(previous or ()) - set(files)):
        stale = out / rel
        if stale.is_file():
            stale.unlink()
            report.removed.append(rel)
            _prune_empty(stale.parent, out)
    return report


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def check_package(files: dict[str, bytes], out: str | Path) -> Drift:
    """How ``out`` differs from what would be written now."""
    out = Path(out)
    drift = Drift()
    for rel, data in files.items():
        target = out / rel
        if not target.is_file():
            drift.missing.append(rel)
        elif target.read_bytes() != data:
            drift.changed.append(rel)
    for rel in sorted(set(_previous_files(out) or ()) - set(files)):
        if (out / rel).is_file():
            drift.extra.append(rel)
    return drift


def inputs_digest(
    namespaces: Iterable[Namespace], fallback: Iterable[tuple[str, str, str]], **options
) -> str:
    """What a compile depends on: the given specs, the bundle it may fall back on, the
    options and nwbgen's version. Equal digests give equal output."""
    from ..spec.sources import spec_sha256

    given = sorted(
        (ns.name, ns.version, spec_sha256(ns.raw["sources"] if ns.raw else {}))
        for ns in namespaces
    )
    payload = json.dumps(
        [__version__, given, sorted(fallback), options], sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()
