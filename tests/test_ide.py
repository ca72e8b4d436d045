"""IDE support: jedi reads the generated models as ordinary source.

Pydantic's ``ModelMetaclass`` is a ``dataclass_transform``, which jedi (0.19+)
follows: a model's constructor signature is its fields, in MRO order, each with
its annotation and its ``Field(...)`` default (the schema doc included), and
instance attributes infer to the annotated types. Each check runs against two
packages: one compiled here from ../shared/schemas (vendored ``_runtime``) and
the bundled ``nwbgen.generated`` (which imports ``nwbgen.runtime``).

What jedi does not show is pinned too (see the bottom of this file), so that a
change in the generated annotations, or in jedi, is noticed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import SHARED

jedi = pytest.importorskip("jedi")

CORE_NS = SHARED / "schemas" / "core" / "2.11.0" / "nwb.namespace.yaml"
HDMF_NS = SHARED / "schemas" / "hdmf-common" / "1.10.0" / "namespace.yaml"


@dataclass(frozen=True)
class Editor:
    """A jedi project in which ``core`` and ``common`` name the model packages."""

    project: object
    snippet: Path
    core: str
    common: str

    def script(self, body: str) -> tuple[object, int, int]:
        """A jedi script of the imports + ``body``, and the position at its end."""
        code = (
            f"from {self.core} import ElectricalSeries, NWBFile, TimeSeries\n"
            f"from {self.common} import DynamicTable\n"
            "ts = TimeSeries(name='ts', data=None)\n"
            "nwbfile = NWBFile(identifier='x')\n"
            f"{body}"
        )
        lines = code.split("\n")
        script = jedi.Script(code, path=self.snippet, project=self.project)
        return script, len(lines), len(lines[-1])

    def infer(self, expression: str) -> set[tuple[str, str]]:
        """(module, class) of each type jedi infers for ``expression``."""
        script, line, column = self.script(expression)
        return {(d.module_name, d.name) for d in script.infer(line, column)}

    def complete(self, body: str) -> set[str]:
        script, line, column = self.script(body)
        return {c.name for c in script.complete(line, column)}

    def signatures(self, body: str) -> list:
        script, line, column = self.script(body)
        return script.get_signatures(line, column)


@pytest.fixture(scope="module")
def compiled_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """core 2.11.0 + hdmf-common 1.10.0 compiled into <tmp>/models."""
    if not (CORE_NS.is_file() and HDMF_NS.is_file()):
        pytest.skip(f"{SHARED}/schemas absent")
    from nwbgen.generator.compile import compile_namespaces
    from nwbgen.generator.emit import write_package
    from nwbgen.spec.sources import load_sources

    root = tmp_path_factory.mktemp("ide")
    result = compile_namespaces(load_sources([CORE_NS, HDMF_NS]))
    write_package(result.files, root / "models")
    return root


@pytest.fixture(scope="module", params=["compiled", "bundled"])
def editor(request: pytest.FixtureRequest, tmp_path_factory) -> Editor:
    if request.param == "compiled":
        root = request.getfixturevalue("compiled_root")
        prefix = "models"
    else:
        root = tmp_path_factory.mktemp("ide-bundled")
        prefix = "nwbgen.generated"
    project = jedi.Project(
        path=root, added_sys_path=[str(root)], environment_path=sys.executable
    )
    return Editor(
        project=project,
        snippet=root / "snippet.py",
        core=f"{prefix}.core.v2_11_0",
        common=f"{prefix}.hdmf_common.v1_10_0",
    )


def only_signature(signatures: list, name: str):
    assert [s.name for s in signatures] == [name], signatures
    return signatures[0]


def test_constructor_signature_is_the_fields(editor: Editor) -> None:
    signature = only_signature(editor.signatures("TimeSeries("), "TimeSeries")
    params = {p.name: p for p in signature.params}
    # the fields, not BaseModel.__init__(self, /, **data: Any): note that the
    # latter also has a parameter called "data", hence the checks on its kind
    # and type below
    assert {"name", "data", "timestamps", "description", "starting_time"} <= set(params)
    assert "self" not in params
    data = params["data"]
    assert data.kind.name == "POSITIONAL_OR_KEYWORD"
    assert {d.name for d in data.infer()} == {"TimeSeriesData"}
    assert {d.module_name for d in data.infer()} == {f"{editor.core}.nwb_base"}
    assert data.to_string().startswith("data: TimeSeriesData=Field(")
    # the schema's doc travels with the default shown in the signature
    assert "Data values." in data.description
    assert {d.name for d in params["timestamps"].infer()} == {
        "TimeSeriesTimestamps",
        "NoneType",
    }
    assert {d.name for d in params["description"].infer()} == {"str"}
    assert '"no description"' in params["description"].to_string()


def test_signature_of_a_subclass_has_inherited_and_own_fields(editor: Editor) -> None:
    signature = only_signature(
        editor.signatures("ElectricalSeries("), "ElectricalSeries"
    )
    params = {p.name: p for p in signature.params}
    assert {"description", "timestamps", "electrodes", "filtering"} <= set(params)
    # the subclass narrows "data": its own annotation wins
    assert {d.name for d in params["data"].infer()} == {"ElectricalSeriesData"}
    assert {d.name for d in params["electrodes"].infer()} == {"DynamicTableRegion"}


def test_signature_tracks_the_argument_being_typed(editor: Editor) -> None:
    signature = only_signature(
        editor.signatures("TimeSeries(name='x', data="), "TimeSeries"
    )
    assert signature.params[signature.index].name == "data"


def test_keyword_completion_offers_the_fields(editor: Editor) -> None:
    offered = editor.complete("TimeSeries(")
    assert {"data=", "timestamps=", "description=", "starting_time="} <= offered
    # jedi matches prefixes case-insensitively (TimeSeries, TimeoutError...);
    # of the keyword arguments, only the matching field is offered
    keywords = {name for name in editor.complete("TimeSeries(time") if "=" in name}
    assert keywords == {"timestamps="}
    assert "data=" in editor.complete("TimeSeries(da")


def test_attribute_completion_on_an_instance(editor: Editor) -> None:
    fields = {"data", "timestamps", "description", "starting_time", "control"}
    assert fields <= editor.complete("ts.")
    # a parameter annotated with the model, as in user code
    assert fields <= editor.complete("def f(series: TimeSeries):\n    series.")
    # one level down: the dataset type's attributes
    assert {"unit", "conversion", "offset", "value"} <= editor.complete("ts.data.")
    assert editor.infer("ts.data") == {(f"{editor.core}.nwb_base", "TimeSeriesData")}
    assert editor.infer("ts.data.unit") == {("builtins", "str")}
    assert editor.infer("ts.data.conversion") == {("builtins", "float")}
    assert editor.infer("ts.timestamps") == {
        (f"{editor.core}.nwb_base", "TimeSeriesTimestamps"),
        ("builtins", "NoneType"),
    }


def test_nwbfile_acquisition_is_inferred(editor: Editor) -> None:
    assert editor.infer("nwbfile.acquisition") == {
        (f"{editor.core}.nwb_file", "NWBFileAcquisition")
    }
    assert "children" in editor.complete("nwbfile.acquisition.")
    members = {
        (f"{editor.core}.nwb_base", "NWBDataInterface"),
        (f"{editor.common}.table", "DynamicTable"),
    }
    assert editor.infer("nwbfile.acquisition.children['es']") == members
    # GroupModel.__getitem__ is annotated "-> Any"; jedi reads through its body
    # (getattr(self, "children")[name]) and finds the same member types. Type
    # checkers (mypy, pyright) see Any here.
    assert editor.infer("nwbfile.acquisition['es']") == members
    # the schema only promises an NWBDataInterface: to get at an ElectricalSeries'
    # data the user says so, and completion follows
    narrowed = "es: ElectricalSeries = nwbfile.acquisition['es']\nes.data."
    assert {"unit", "conversion", "value"} <= editor.complete(narrowed)
    assert editor.infer("es: ElectricalSeries = nwbfile.acquisition['es']\nes") == {
        (f"{editor.core}.nwb_ecephys", "ElectricalSeries")
    }


def test_datetime_fields_infer(editor: Editor) -> None:
    assert editor.infer("nwbfile.session_start_time") == {("datetime", "datetime")}


# --- what jedi does not show -------------------------------------------------


def test_array_fields_infer(editor: Editor) -> None:
    # Array is a generic Protocol: jedi sees one class with shape, dtype, indexing
    assert {name for _, name in editor.infer("ts.data.value")} == {"Array"}
    assert {"shape", "dtype"} <= editor.complete("ts.data.value.")
    assert {"shape", "dtype"} <= editor.complete("ts.control.")  # optional arrays too


@pytest.mark.xfail(
    strict=True, reason="jedi infers nothing for a Literal[...] annotation"
)
def test_literal_fields_infer(editor: Editor) -> None:
    assert editor.infer("nwbfile.nwb_version")
