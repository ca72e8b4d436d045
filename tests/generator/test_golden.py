"""Golden files: the exact package the compiler emits for small fixture namespaces.

After an intended change to the generator or templates, regenerate with

    pytest tests/generator/test_golden.py --update-golden

and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import shutil

import pytest

from nwbgen.generator.compile import compile_namespaces
from nwbgen.spec.sources import load_sources
from tests.support.paths import FIXTURES, GOLDEN

CASES = {
    "tiny": [FIXTURES / "tiny" / "tiny.namespace.yaml"],
    "tiny_ext": [
        FIXTURES / "tiny" / "tiny.namespace.yaml",
        FIXTURES / "tiny_ext" / "tiny-ext.namespace.yaml",
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, update_golden):
    # the vendored runtime is a verbatim copy, checked in test_vendored_runtime
    files = {
        rel: data
        for rel, data in compile_namespaces(load_sources(CASES[case])).files.items()
        if not rel.startswith("_runtime/")
    }
    expected_dir = GOLDEN / case
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in files.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(data)
    expected = {
        p.relative_to(expected_dir).as_posix(): p.read_bytes()
        for p in expected_dir.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(files) == sorted(
        expected
    ), "files differ; run with --update-golden after review"
    for rel in files:
        assert (
            files[rel].decode() == expected[rel].decode()
        ), f"{case}/{rel} differs from its golden file"


def test_vendored_runtime_is_a_copy_of_nwbgen_runtime():
    from pathlib import Path

    import nwbgen.runtime

    files = compile_namespaces(load_sources(CASES["tiny"])).files
    runtime_dir = Path(nwbgen.runtime.__file__).parent
    vendored = {
        rel.split("/", 1)[1]: data
        for rel, data in files.items()
        if rel.startswith("_runtime/")
    }
    assert sorted(vendored) == sorted(
        p.relative_to(runtime_dir).as_posix() for p in runtime_dir.rglob("*.py")
    )
    assert {"read.py", "hdf5/values.py", "hdf5/lazy.py", "models/base.py"} <= set(
        vendored
    )
    for name, data in vendored.items():
        text = data.decode()
        assert text.startswith("# Copied by nwbgen")
        assert text.split("\n", 1)[1] == (runtime_dir / name).read_text()
