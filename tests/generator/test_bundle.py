"""nwbgen/generated is exactly what the compiler produces today."""

from __future__ import annotations

import pytest

from nwbgen.generator.bundle import GENERATED, compile_bundle
from nwbgen.generator.emit import check_package


@pytest.mark.slow
def test_bundle_is_up_to_date(shared):
    drift = check_package(compile_bundle(shared / "schemas", shared / "data").files, GENERATED)
    assert not drift, f"run `python -m nwbgen.generator.bundle`: {drift.describe()}"


def test_bundle_imports_without_compiler():
    import subprocess
    import sys

    code = (
        "import sys, nwbgen.generated as g\n"
        "m = g.load('core', '2.11.0')\n"
        "assert m.TYPES['NWBFile'].__nwb_type__ == ('core', 'NWBFile')\n"
        "heavy = {'linkml', 'linkml_runtime', 'jinja2', 'black', 'networkx', 'click'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
