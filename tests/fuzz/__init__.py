"""Fuzzing every command and HDF5IO with malformed inputs (issue 14).

``mutants`` makes the small seed files and mutates them (bytes, attributes, links,
references, spec text); ``worker`` runs one command or HDF5IO read/write per job in
a long-lived process; ``harness`` supervises it with a time bound per run and
checks each outcome against the contract of issue 14.
"""
