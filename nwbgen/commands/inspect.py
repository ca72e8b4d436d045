"""``nwbgen inspect FILE``: the namespaces a file caches, and whether nwbgen bundles them."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import NWBGenError
from ._errors import one_line_errors
from ._params import SOURCE


@click.command("inspect")
@click.argument("file", type=SOURCE)
@one_line_errors
def inspect_cmd(file: Path | str) -> None:
    """List the namespaces cached in FILE, their spec hashes, and whether nwbgen bundles them."""
    from ..io.entry.bundled import (
        ABSENT,
        EXACT,
        OTHER_SCHEMA,
        SAME_SCHEMA,
        bundle_plan,
        status_of,
    )
    from ..spec.catalog import NamespaceCatalog, newest_by_name
    from ..spec.identity import catalog_identities, spec_hash
    from ..spec.sources import namespaces_from_h5

    status = {
        EXACT: "bundled",
        SAME_SCHEMA: "bundled (same schema, spelled differently)",
        OTHER_SCHEMA: "not bundled (bundle has this version with another schema)",
        ABSENT: "not bundled",
    }
    namespaces = sorted(namespaces_from_h5(file), key=lambda n: (n.name, n.version))
    chosen = newest_by_name(namespaces)
    plan = bundle_plan(list(chosen.values()))
    try:
        identities = catalog_identities(NamespaceCatalog(list(chosen.values())))
    except NWBGenError:
        identities = {}
    rows = []
    for ns in namespaces:
        used = chosen[ns.name] is ns
        entry = plan.get(ns.name) if used else None
        rows.append(
            (
                ns.name,
                ns.version,
                spec_hash(ns)[:16],
                identities.get(ns.name, "-") if used else "(not used)",
                entry["package"] if entry else "-",
                status[status_of(ns, entry)],
            )
        )
    header = ("namespace", "version", "sha256", "identity", "package", "models")
    widths = [max(len(str(r[i])) for r in [*rows, header]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
