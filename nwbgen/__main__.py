"""``python -m nwbgen`` is the ``nwbgen`` command."""

from .cli import main

main(prog_name="nwbgen")
