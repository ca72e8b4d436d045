"""``nwbgen compile`` and ``nwbgen inspect``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._errors import one_line_errors


@click.command("compile")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Package directory.",
)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    help="Emit only this namespace (repeatable); what it includes must be importable beside it.",
)
@click.option(
    "--emit-linkml",
    is_flag=True,
    help="Also write the LinkML IR as YAML under DIR/linkml/.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if DIR differs from what would be written.",
)
@click.option(
    "--runtime-import",
    default=None,
    hidden=True,
    help="Import base classes from this module instead of vendoring them (nwbgen.runtime for the bundle).",
)
@one_line_errors
def compile_cmd(
    sources: tuple[Path, ...],
    out: Path,
    namespaces: tuple[str, ...],
    emit_linkml: bool,
    check: bool,
    runtime_import: str | None,
) -> None:
    """Compile the namespaces of NWB files or namespace YAML files into a typed package.

    SOURCE is an NWB/HDF5 file (its /specifications) or a *.namespace.yaml file.
    Includes not given resolve to the newest namespaces bundled with nwbgen.
    """
    from ..generator.emit import check_package, inputs_digest, up_to_date, write_package
    from ..spec.sources import bundled_manifest, bundled_namespaces, load_sources

    loud = sys.stderr.isatty()

    def progress(message: str) -> None:
        if loud:
            click.echo(f"nwbgen: {message}", err=True)

    progress("reading sources")
    given = load_sources(sources)
    if not given:
        raise click.ClickException("no namespaces found in the sources")
    known = {ns.name for ns in given}
    missing = [name for name in namespaces if name not in known]
    if missing:
        raise click.ClickException(
            f"--namespace {', '.join(missing)}: not in the sources (have {', '.join(sorted(known))})"
        )
    bundle = [
        (e["name"], e["version"], e["sha256"])
        for e in bundled_manifest().get("namespaces", [])
    ]
    inputs = inputs_digest(
        given,
        bundle,
        only=sorted(namespaces),
        runtime_import=runtime_import,
        emit_linkml=emit_linkml,
    )
    if up_to_date(out, inputs):
        click.echo(f"{out} is up to date (compiled from these sources)")
        return
    from ..generator.compile import compile_namespaces  # the heavy part: linkml, black

    result = compile_namespaces(
        given,
        fallback=bundled_namespaces(),
        inputs=inputs,
        only=namespaces or None,
        runtime_import=runtime_import,
        emit_linkml=emit_linkml,
        progress=progress,
    )
    if check:
        drift = check_package(result.files, out)
        if drift:
            raise click.ClickException(f"{out} is out of date: {drift.describe()}")
        click.echo(f"{out} is up to date ({len(result.files)} files)")
        return
    report = write_package(result.files, out)
    names = ", ".join(
        f"{e['name']} {e['version']}" for e in result.manifest["namespaces"]
    )
    click.echo(
        f"compiled {names} into {out} ({len(report.written)} written, {len(report.unchanged)} unchanged)"
    )


@click.command("inspect")
@click.argument("file", type=click.Path(path_type=Path))
@one_line_errors
def inspect_cmd(file: Path) -> None:
    """List the namespaces cached in FILE, their spec hashes, and whether nwbgen bundles them."""
    from ..io.provider import ABSENT, EXACT, OTHER_SCHEMA, SAME_SCHEMA, bundle_matches
    from ..spec.sources import namespaces_from_h5, spec_sha256

    status = {
        EXACT: "bundled",
        SAME_SCHEMA: "bundled (same schema, spelled differently)",
        OTHER_SCHEMA: "not bundled (bundle has this version with another schema)",
        ABSENT: "not bundled",
    }
    namespaces = sorted(namespaces_from_h5(file), key=lambda n: (n.name, n.version))
    matches = bundle_matches(namespaces)
    rows = [
        (
            ns.name,
            ns.version,
            spec_sha256(ns.raw["sources"])[:16],
            status[matches[ns.key]],
        )
        for ns in namespaces
    ]
    header = ("namespace", "version", "sha256", "models")
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


COMMANDS = [compile_cmd, inspect_cmd]
