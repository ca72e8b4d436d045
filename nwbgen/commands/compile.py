"""``nwbgen compile SOURCES -o DIR``: a typed model package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ._errors import one_line_errors
from ._params import SOURCE
from ._progress import progress_bar


@click.command("compile")
@click.argument("sources", nargs=-1, required=True, type=SOURCE)
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
def compile_cmd(**options: Any) -> None:
    """Compile the namespaces of NWB files or namespace YAML files into a typed package.

    SOURCE is an NWB/HDF5 file or URL (its /specifications) or a *.namespace.yaml file.
    Includes not given resolve to the newest namespaces bundled with nwbgen.
    """
    with progress_bar("compiling", unit="steps", total=4) as bar:
        said = _compile(
            **options, step=bar.step if bar is not None else lambda message: None
        )
    click.echo(said)


def _compile(
    sources: tuple[Path | str, ...],
    out: Path,
    namespaces: tuple[str, ...],
    emit_linkml: bool,
    check: bool,
    runtime_import: str | None,
    step: Callable[[str], None],
) -> str:
    """Compile (or check) the package; what to say when done. ``step(message)``
    is told of each of the four steps as it begins."""
    from ..generator.emit import check_package, inputs_digest, up_to_date, write_package
    from ..spec.sources import bundled_manifest, bundled_namespaces, load_sources

    step("reading sources")
    given = load_sources(sources)
    if not given:
        named = ", ".join(str(source) for source in sources)
        raise click.ClickException(f"{named}: no namespaces found in the sources")
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
        return f"{out} is up to date (compiled from these sources)"
    from ..generator.compile import compile_namespaces  # the heavy part: linkml, black

    result = compile_namespaces(
        given,
        fallback=bundled_namespaces(),
        inputs=inputs,
        only=namespaces or None,
        runtime_import=runtime_import,
        emit_linkml=emit_linkml,
        progress=step,  # building, then formatting
    )
    if check:
        step(f"checking {out}")
        drift = check_package(result.files, out)
        if drift:
            raise click.ClickException(f"{out} is out of date: {drift.describe()}")
        return f"{out} is up to date ({len(result.files)} files)"
    step(f"writing {out}")
    report = write_package(result.files, out)
    names = ", ".join(
        f"{e['name']} {e['version']}" for e in result.manifest["namespaces"]
    )
    return (
        f"compiled {names} into {out} ({len(report.written)} written, "
        f"{len(report.unchanged)} unchanged)"
    )
