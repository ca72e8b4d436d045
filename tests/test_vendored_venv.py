"""A compiled package is vendorable: it imports with only its manifest's requires.

One fresh virtual environment per session (no system site packages), with
nothing but what ``manifest.json`` lists installed into it; a package compiled
from an NWB file that carries an extension (ndx-pose) is imported there module
by module, and models of core and of the extension are built and validated.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests.support.paths import SHARED

pytestmark = pytest.mark.slow

#: the console script, run by this interpreter (nwbgen.cli has no __main__ guard)
NWBGEN = "from nwbgen.cli import main; main()"
SOURCE = SHARED / "data" / "pynwb" / "with_extension_pose_core2.11.0.nwb"

#: the compiler's own dependencies: none may load in, or be importable from, the venv
COMPILER_ONLY = ("nwbgen", "linkml", "linkml_runtime", "jinja2", "black", "networkx")
COMPILER_ONLY += ("click", "yaml")

#: what pip prints when no package index answers (offline, proxy refused, DNS
#: down); "(from versions: none)" means no index offered a single version of
#: h5py, numpy or pydantic, which only happens when none is reachable
UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Max retries exceeded",
    "ProxyError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "(from versions: none)",
)

CHECK = textwrap.dedent("""
    import importlib
    import importlib.util
    import json
    import sys
    from pathlib import Path

    root = Path(sys.argv[1]).resolve()
    forbidden = json.loads(sys.argv[2])
    sys.path.insert(0, str(root.parent))
    name = root.name

    modules = sorted(
        ".".join((name, *p.relative_to(root).with_suffix("").parts[:-1]))
        if p.name == "__init__.py"
        else ".".join((name, *p.relative_to(root).with_suffix("").parts))
        for p in root.rglob("*.py")
    )
    for module in modules:
        importlib.import_module(module)
    assert Path(sys.modules[name].__file__).resolve().parent == root

    import numpy as np
    from pydantic import ValidationError

    core = importlib.import_module(f"{name}.core.v2_11_0")
    pose = importlib.import_module(f"{name}.ndx_pose.v0_4_0")
    ts = core.TimeSeries(
        name="ts",
        data=core.TimeSeriesData(value=np.arange(10.0), unit="m"),
        timestamps=core.TimeSeriesTimestamps(value=np.arange(10.0)),
    )
    assert ts.data.value.shape == (10,) and ts.data.unit == "m"
    assert ts.timestamps.unit == "seconds" and ts.description == "no description"
    series = pose.PoseEstimationSeries(
        name="nose",
        data=pose.PoseEstimationSeriesData(value=np.zeros((5, 2), np.float32)),
        reference_frame="top left",
    )
    assert isinstance(series, core.SpatialSeries) and series.data.unit == "pixels"
    try:
        core.TimeSeriesTimestamps(value=np.zeros((3, 3)))
    except ValidationError:
        pass
    else:
        raise AssertionError("2-D timestamps were accepted")

    loaded = sorted(m for m in forbidden if m in sys.modules)
    importable = sorted(m for m in forbidden if importlib.util.find_spec(m))
    assert not loaded, f"loaded: {loaded}"
    assert not importable, f"importable: {importable}"
    print(json.dumps({"modules": len(modules), "prefix": sys.prefix}))
    """)


def clean_env() -> dict[str, str]:
    """The environment without anything that would reach this interpreter's packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SOURCE.is_file():
        pytest.skip(f"{SOURCE} absent")
    out = tmp_path_factory.mktemp("vendored") / "models"
    done = subprocess.run(
        [sys.executable, "-c", NWBGEN, "compile", str(SOURCE), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def requires(package: Path) -> list[str]:
    return json.loads((package / "manifest.json").read_text())["requires"]


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory: pytest.TempPathFactory, requires) -> Path:
    """A fresh venv holding only the manifest's requires."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(home)
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    command = [str(python), "-m", "pip", "install", "--quiet"]
    command += ["--disable-pip-version-check", "--retries", "1", "--timeout", "60"]
    done = subprocess.run(
        [*command, *requires],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if any(marker in output for marker in UNREACHABLE):
            pytest.skip(f"pip cannot reach a package index: {output.strip()[-300:]}")
        pytest.fail(f"pip install {' '.join(requires)} failed:\n{output}")
    return python


def test_manifest_requires_only_runtime_dependencies(requires: list[str]) -> None:
    names = {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requires}
    assert names == {"h5py", "numpy", "pydantic"}


def test_venv_holds_only_the_requires(venv_python: Path) -> None:
    done = subprocess.run(
        [str(venv_python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    installed = {p["name"].lower() for p in json.loads(done.stdout)}
    assert {"h5py", "numpy", "pydantic"} <= installed
    assert not installed & {"nwbgen", "linkml", "jinja2", "black", "networkx"}


def test_package_imports_and_builds_models_in_bare_venv(
    venv_python: Path, package: Path
) -> None:
    # -I: isolated, so no PYTHON* variable, user site or script folder leaks in
    done = subprocess.run(
        [str(venv_python), "-I", "-c", CHECK, str(package), json.dumps(COMPILER_ONLY)],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=package.parent,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["modules"] == len(list(package.rglob("*.py"))) > 30
    assert Path(report["prefix"]).resolve() == venv_python.parent.parent.resolve()
