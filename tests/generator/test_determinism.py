"""Same bytes on every compile, whatever the hash seed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from nwbgen.generator.compile import compile_namespaces
from nwbgen.spec.sources import load_sources
from tests.support.paths import FIXTURES

SOURCES = [
    FIXTURES / "tiny" / "tiny.namespace.yaml",
    FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml",
]

DIGEST = """
import hashlib, sys
from nwbgen.generator.compile import compile_namespaces
from nwbgen.spec.sources import load_sources
files = compile_namespaces(load_sources(sys.argv[1:])).files
h = hashlib.sha256()
for rel in sorted(files):
    h.update(rel.encode() + b"\\0" + files[rel] + b"\\0")
print(h.hexdigest())
"""


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return h.hexdigest()


def test_twice_in_one_process():
    first = compile_namespaces(load_sources(SOURCES)).files
    second = compile_namespaces(load_sources(SOURCES)).files
    assert first == second


def test_hash_seed_does_not_matter():
    digests = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run(
            [sys.executable, "-c", DIGEST, *map(str, SOURCES)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    assert digests == {_digest(compile_namespaces(load_sources(SOURCES)).files)}
