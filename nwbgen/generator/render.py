"""View models -> formatted Python source. Templates hold no schema logic."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import black
import jinja2

from .frame_views import FunctionModuleView
from .model_views import ModuleView, VersionPackageView

BLACK_MODE = black.Mode(
    target_versions={black.TargetVersion.PY310},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nwbgen", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def format_source(source: str, where: str) -> str:
    """black, in-process, fixed mode; a template bug surfaces naming the file."""
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except Exception as exc:  # black raises several parse error types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuntimeError(
            f"generated source {where} does not parse: {first}"
        ) from None


def _format_item(item: tuple[str, str]) -> tuple[str, str]:
    return item[0], format_source(item[1], item[0])


def format_all(sources: dict[str, str], workers: int | None = None) -> dict[str, str]:
    """Format many files; large batches in forked worker processes (black is CPU bound)."""
    import multiprocessing
    import os

    if workers is None:
        workers = min(
            (
                len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1
            ),
            8,
        )
    total = sum(len(text) for text in sources.values())
    if (
        workers < 2
        or total < 50_000
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return dict(map(_format_item, sources.items()))
    # biggest first, so that the workers finish together
    items = sorted(sources.items(), key=lambda kv: -len(kv[1]))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = dict(pool.imap_unordered(_format_item, items, chunksize=1))
    return {path: done[path] for path in sources}


def render_module(module: ModuleView) -> str:
    return render("model_module.py.j2", module=module)


def render_version_init(package: VersionPackageView) -> str:
    return render("version_init.py.j2", package=package)


def render_reader(module: FunctionModuleView) -> str:
    return render("reader_module.py.j2", module=module)


def render_writer(module: FunctionModuleView) -> str:
    return render("writer_module.py.j2", module=module)
