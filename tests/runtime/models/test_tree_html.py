"""The notebook view: ``_repr_html_`` of a model is the tree ``nwbgen show``
prints, as nested collapsible ``<details>``, metadata only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np

from nwbgen import HDF5IO
from nwbgen.runtime.hdf5.lazy import LazyArray
from nwbgen.runtime.models.tree import format_tree, tree_html
from tests.support.paths import REPO

EXAMPLE = REPO / "examples" / "ecephys.nwb"


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.summaries: list[str] = []
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        if tag in ("details", "div", "summary"):
            self.stack.append(tag)
        self._in_summary = tag == "summary" or self._in_summary

    def handle_endtag(self, tag):
        if tag in ("details", "div", "summary"):
            assert self.stack.pop() == tag
        if tag == "summary":
            self._in_summary = False

    def handle_data(self, data):
        if self._in_summary:
            self.summaries.append(data)


def test_the_html_is_the_show_tree_collapsible(monkeypatch):
    read: list[str] = []
    monkeypatch.setattr(LazyArray, "__array__", lambda *a, **k: read.append("x"))
    with HDF5IO(EXAMPLE) as io:
        nwbfile = io.read()
        page = nwbfile._repr_html_()
        text = format_tree(nwbfile)
    assert not read  # no array was read
    checker = _Balance()
    checker.feed(page)
    assert checker.stack == []  # balanced
    assert page.count("<details open>") == 1  # the root open, the rest closed
    for line in text.splitlines():
        name = line.strip().split(" ")[0].rstrip(":")
        if name and not line.strip().startswith("·"):
            assert re.escape(name) and name in page, name
    assert "root" in "".join(checker.summaries) and "(NWBFile)" in page


def test_names_are_escaped_and_large_trees_are_cut():
    from nwbgen.generated.core.v2_11_0 import TimeSeries
    from nwbgen.generated.hdmf_common.v1_10_0 import DynamicTable

    series = TimeSeries(name="<b>x</b>", data=np.zeros(3), unit="m", rate=1.0)
    assert "<b>x</b>" not in series._repr_html_() and "&lt;b&gt;x" in series._repr_html_()
    table = DynamicTable(name="t", description="t")
    for i in range(30):
        table.add_column(f"c{i}", "c")
    page = tree_html(table, limit=10)
    assert "more objects" in page and page.count('class="leaf"') <= 11
