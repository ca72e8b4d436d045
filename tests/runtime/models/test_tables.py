"""The hdmf table mixins on bundled hdmf-common models built in Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nwbgen.generated.core.v2_11_0 as core
import nwbgen.generated.hdmf_common.v1_10_0 as hdmf


def column(name: str, value, description: str | None = None) -> hdmf.VectorData:
    return hdmf.VectorData(name=name, description=description or name, value=value)


def index(name: str, value, target) -> hdmf.VectorIndex:
    return hdmf.VectorIndex(name=name, description=name, value=value, target=target)


def ids(*values) -> hdmf.ElementIdentifiers:
    return hdmf.ElementIdentifiers(name="id", value=list(values))


@pytest.fixture
def units() -> hdmf.DynamicTable:
    """Three rows: a ragged ``spikes`` (row 1 empty), ``x`` and ``label``."""
    spikes = column("spikes", [0.1, 0.2, 0.3, 0.4, 0.5])
    return hdmf.DynamicTable(
        name="units",
        description="units",
        colnames=["spikes", "x", "label"],
        id=ids(10, 11, 12),
        children=[  # not in colnames order: colnames decides
            column("x", [1.0, 2.0, 3.0]),
            column("label", ["a", "b", "c"]),
            spikes,
            index("spikes_index", [2, 2, 5], spikes),
        ],
    )


# --- columns -----------------------------------------------------------------------


def test_columns_are_in_colnames_order(units):
    assert units.column_names == ["spikes", "x", "label"]
    assert list(units.columns) == ["spikes", "x", "label"]
    assert units.columns["spikes"] is units["spikes"]  # the data, not its index
    assert units["x"] is units.children["x"] and units.column("x") is units["x"]
    assert "spikes_index" in units and "x" in units and "nope" not in units
    assert units.index_of("spikes") is units.children["spikes_index"]
    assert units.index_of("x") is None
    assert units.ids.tolist() == [10, 11, 12]
    with pytest.raises(KeyError, match="no column 'nope' \\(columns: spikes, x, la"):
        units.column("nope")


def test_a_column_named_in_colnames_but_absent_is_skipped():
    table = hdmf.DynamicTable(
        name="t",
        description="t",
        colnames=["missing", "x"],
        id=ids(0),
        children=[column("x", [5])],
    )
    assert list(table.columns) == ["x"]
    with pytest.raises(KeyError, match="missing"):
        table.row(0)


def test_len_and_rows(units):
    assert len(units) == 3
    first = units.row(0)
    assert list(first) == ["spikes", "x", "label"]
    assert first["spikes"].tolist() == [0.1, 0.2] and first["x"] == 1.0
    assert first["label"] == "a"
    assert units.row(1)["spikes"].tolist() == []  # an empty ragged cell
    assert units.row(-1)["spikes"].tolist() == [0.3, 0.4, 0.5]
    assert units[2]["label"] == "c" and units[np.int64(2)]["x"] == 3.0
    for bad in (3, -4):
        with pytest.raises(IndexError, match=f"row {bad} out of range for 3 rows"):
            units.row(bad)
    with pytest.raises(TypeError, match="by column name or row number"):
        units[1.5]


def test_ragged_values_through_the_index(units):
    spikes = units.values("spikes")
    assert [cell.tolist() for cell in spikes] == [[0.1, 0.2], [], [0.3, 0.4, 0.5]]
    assert units.values("x").tolist() == [1.0, 2.0, 3.0]
    spikes_index = units.children["spikes_index"]
    assert len(spikes_index) == 3
    assert spikes_index[0].tolist() == [0.1, 0.2]
    assert spikes_index[-1].tolist() == [0.3, 0.4, 0.5]
    assert spikes_index[0:2].tolist() == [2, 2]  # a slice: the index's own values
    with pytest.raises(IndexError, match="row 3 out of range for 3 rows"):
        spikes_index[3]
    assert [row.tolist() for row in spikes_index.rows()] == [
        [0.1, 0.2],
        [],
        [0.3, 0.4, 0.5],
    ]


def test_a_doubly_ragged_column():
    data = column("w", np.arange(6.0))
    inner = index("w_index", [1, 3, 6], data)  # 3 cells of w
    outer = index("w_index_index", [2, 3], inner)  # 2 rows of cells
    table = hdmf.DynamicTable(
        name="t",
        description="t",
        colnames=["w"],
        id=ids(0, 1),
        children=[data, inner, outer],
    )
    assert table.index_of("w") is outer  # rows are the outermost index's
    assert len(table) == 2
    rows = table.values("w")
    assert [[cell.tolist() for cell in row] for row in rows] == [
        [[0.0], [1.0, 2.0]],
        [[3.0, 4.0, 5.0]],
    ]
    assert [cell.tolist() for cell in table.row(1)["w"]] == [[3.0, 4.0, 5.0]]
    assert [cell.tolist() for cell in outer[0]] == [[0.0], [1.0, 2.0]]


def test_declared_columns_of_a_table_subtype():
    """A core table type names some columns as fields (TimeIntervals' tags)."""
    tags = core.TimeIntervalsTags(description="tags", value=["a", "b", "c"])
    trials = core.TimeIntervals(
        name="trials",
        description="trials",
        colnames=["start_time", "stop_time", "tags", "extra"],
        id=ids(0, 1),
        start_time=core.TimeIntervalsStartTime(description="s", value=[0.0, 1.0]),
        stop_time=core.TimeIntervalsStopTime(description="e", value=[0.5, 1.5]),
        tags=tags,
        tags_index=index("tags_index", [1, 3], tags),
        children=[column("extra", [7, 8])],
    )
    assert list(trials.columns) == ["start_time", "stop_time", "tags", "extra"]
    assert trials["tags"] is tags and trials.index_of("tags") is trials.tags_index
    row = trials.row(1)
    assert row["start_time"] == 1.0 and row["stop_time"] == 1.5
    assert row["tags"].tolist() == ["b", "c"] and row["extra"] == 8


# --- regions -------------------------------------------------------------------------


def test_dynamic_table_region_indexes_rows_of_its_table(units):
    region = hdmf.DynamicTableRegion(
        name="electrodes", description="rows", value=[2, 0, 2], table=units
    )
    assert len(region) == 3
    assert region[0]["label"] == "c" and region[1]["label"] == "a"
    assert region[np.int32(1)]["x"] == 1.0
    assert [row["label"] for row in region[0:2]] == ["c", "a"]
    assert [row["label"] for row in region[:]] == ["c", "a", "c"]
    assert region.table is units


def test_a_region_column_holds_row_numbers():
    electrodes = hdmf.DynamicTable(
        name="electrodes",
        description="e",
        colnames=["location"],
        id=ids(0, 1),
        children=[column("location", ["CA1", "CA3"])],
    )
    region = hdmf.DynamicTableRegion(
        name="electrode", description="r", value=[1, 0], table=electrodes
    )
    table = hdmf.DynamicTable(
        name="t",
        description="t",
        colnames=["electrode"],
        id=ids(0, 1),
        children=[region],
    )
    assert table.row(0) == {"electrode": 1}
    assert table["electrode"][0] == {"location": "CA3"}


# --- dataframes ------------------------------------------------------------------------


def test_to_dataframe(units):
    frame = units.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["spikes", "x", "label"]
    assert frame.index.name == "id" and frame.index.tolist() == [10, 11, 12]
    assert frame.loc[12, "spikes"].tolist() == [0.3, 0.4, 0.5]
    assert len(frame.loc[11, "spikes"]) == 0
    assert frame["x"].tolist() == [1.0, 2.0, 3.0]
    assert frame.loc[10, "label"] == "a"


def test_to_dataframe_of_a_two_dimensional_column_and_an_empty_table():
    table = hdmf.DynamicTable(
        name="t",
        description="t",
        colnames=["xyz"],
        id=ids(0, 1),
        children=[column("xyz", np.arange(6.0).reshape(2, 3))],
    )
    frame = table.to_dataframe()
    assert frame.loc[1, "xyz"].tolist() == [3.0, 4.0, 5.0]  # one array per row
    empty = hdmf.DynamicTable(name="e", description="e", colnames=[], id=ids())
    assert len(empty) == 0 and empty.column_names == []
    assert empty.to_dataframe().shape == (0, 0)


# --- aligned tables ---------------------------------------------------------------------


@pytest.fixture
def aligned() -> hdmf.AlignedDynamicTable:
    category = hdmf.DynamicTable(
        name="cat",
        description="a category",
        colnames=["y"],
        id=ids(0, 1, 2),
        children=[column("y", [7, 8, 9])],
    )
    other = hdmf.DynamicTable(
        name="other",
        description="another",
        colnames=["z"],
        id=ids(0, 1, 2),
        children=[column("z", ["p", "q", "r"])],
    )
    return hdmf.AlignedDynamicTable(
        name="aligned",
        description="aligned",
        colnames=["x"],
        categories=["other", "cat"],
        id=ids(0, 1, 2),
        children=[column("x", [1, 2, 3]), category, other],
    )


def test_aligned_table_categories(aligned):
    assert aligned.category_names == ["other", "cat"]
    assert aligned.category("cat") is aligned.children["cat"]
    assert list(aligned.columns) == ["x"]  # categories are not columns
    row = aligned.row(1)
    assert list(row) == ["x", "other", "cat"]
    assert row == {"x": 2, "other": {"z": "q"}, "cat": {"y": 8}}
    assert aligned[2]["cat"] == {"y": 9}
    with pytest.raises(KeyError, match="no category 'nope' \\(categories: other, c"):
        aligned.category("nope")
