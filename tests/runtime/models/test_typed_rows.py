"""Typed rows: a table type whose schema declares columns has a generated row
model (``UnitsRow``) with those columns as typed fields and any other as an
extra; ``table.rows()`` yields them lazily, ``table[i]`` gives one, ``add_row``
takes one, and mypy (with the pydantic plugin) knows their fields' types. mypy
also passes on the nwbgen half of the builders test."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nwbgen.generated.core.v2_11_0 import NWBFile, Units, UnitsRow
from nwbgen.runtime import TableRow
from tests.support.paths import REPO


def units() -> Units:
    table = Units(description="u")
    table.add_column("quality", "q")
    table.add_row(spike_times=[0.1, 0.2], quality="good")
    table.add_row(spike_times=[0.3], quality="mua")
    return table


def test_rows_are_typed_and_lazy():
    table = units()
    rows = table.rows()
    assert not isinstance(rows, list)
    first, second = list(rows)
    assert isinstance(first, UnitsRow) and isinstance(first, TableRow)
    assert np.allclose(first.spike_times, [0.1, 0.2])
    assert first.quality == "good" and first["quality"] == "good"  # an extra
    assert second.obs_intervals is None  # declared, not in this table
    assert dict(second) == {"spike_times": second.spike_times, "quality": "mua"}


def test_a_row_by_number_and_a_row_added():
    table = units()
    assert isinstance(table[1], UnitsRow) and table[1].quality == "mua"
    table.add_row(UnitsRow(spike_times=np.arange(3.0), quality="good"))
    assert len(table) == 3 and np.array_equal(table[2].spike_times, np.arange(3.0))


def test_a_table_without_declared_columns_has_plain_rows():
    from nwbgen.generated.hdmf_common.v1_10_0 import DynamicTable

    table = DynamicTable(name="t", description="t")
    table.add_column("a", "a", data=[1, 2])
    assert type(table[0]) is TableRow and table[0]["a"] == 1


TYPED_USE = """
from datetime import datetime, timezone

import numpy as np

from nwbgen.generated.core.v2_11_0 import NWBFile, UnitsRow

nwbfile = NWBFile(
    identifier="x", session_description="d", session_start_time=datetime.now(timezone.utc)
)
nwbfile.add_unit(spike_times=np.arange(3.0))
units = nwbfile.units
assert units is not None
for row in units.rows():
    reveal_type(row.spike_times)
    times: np.ndarray | None = row.spike_times
units.add_row(UnitsRow(spike_times=np.arange(2.0)))
"""


def run_mypy(tmp_path: Path, source: str) -> str:
    pytest.importorskip("mypy")
    (tmp_path / "mypy.ini").write_text(
        "[mypy]\nplugins = pydantic.mypy\nwarn_unused_ignores = True\n"
    )
    (tmp_path / "use.py").write_text(source)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--follow-imports=silent",
            str(tmp_path / "use.py"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout + done.stderr


def test_mypy_knows_a_rows_fields(tmp_path: Path):
    out = run_mypy(tmp_path, TYPED_USE)
    assert 'Revealed type is "numpy.ndarray[' in out and "| None" in out, out
    assert "error" not in out, out


def test_mypy_passes_on_the_builders_code(tmp_path: Path):
    from tests.io.entry import test_builders

    body = textwrap.dedent(inspect.getsource(test_builders.build_with_nwbgen))
    header = textwrap.dedent("""
        from datetime import datetime, timezone
        from typing import Any

        import numpy as np

        START = datetime(2024, 5, 6, tzinfo=timezone.utc)
        RAW = MASKS = FLUO = MOVIE = XY = np.zeros((3, 3, 3), "f4")
        SPIKES = [np.arange(3.0)] * 3
        """)
    out = run_mypy(tmp_path, header + "\n\n" + body)
    assert "Success" in out, out


def test_typed_row_fields_follow_the_schema():
    hints = {name: str(info.annotation) for name, info in UnitsRow.model_fields.items()}
    assert "ndarray" in hints["spike_times"]
    assert hints["electrodes"] == "list[int] | None"
    assert NWBFile.model_fields["file_create_date"].default_factory is not None
