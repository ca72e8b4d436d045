"""Subcommands of the ``nwbgen`` CLI, one module per area."""
