"""Running ``dot``: bounded in time, falling back to simpler drawings, cached.

Every layout runs in a ``dot`` subprocess with a timeout; a layout that does
not finish is killed and the next, simpler drawing of the same view is tried
(folded blocks, the overview, straight edges, finally a note), with a message
saying why, both in the result and as a caption in the drawing. Outputs are
cached twice: per analysed graph and request (re-rendering is instant), and
per DOT text (a re-analysis that draws the same picture reuses the layout).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import graphviz

from .builders import Attempt, attempts, parse_view
from .cache import ContentCache, IdentityCache, digest
from .errors import DotNotFound, LayoutTimeout, RenderError
from .labels import html
from .styles import HAZARD_COLOR

if TYPE_CHECKING:
    from ..pipeline import GraphAnalysis

__all__ = [
    "Rendered",
    "render",
    "render_svg",
    "write",
    "run_dot",
    "dot_available",
    "clear_cache",
    "DEFAULT_TIMEOUT",
    "FORMATS",
]

#: seconds one layout may take before a simpler drawing is tried
DEFAULT_TIMEOUT = 10.0
#: file extension -> ``dot -T`` format (``None``: the DOT source itself)
FORMATS: dict[str, str | None] = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


@dataclass
class Rendered:
    """One drawn view. ``svg`` is inline-able markup (no XML prolog or doctype);
    ``dot`` is the DOT source of what was drawn; ``view`` is the view asked
    for and ``drawn`` what was drawn (``"whole (folded)"``, ``"overview"``,
    ``"note"``) when a fallback was needed, which ``message`` explains."""

    svg: str
    dot: str
    view: str
    seconds: float
    message: str | None = None
    fallback: bool = False
    drawn: str = ""
    format: str = "svg"
    #: the output in ``format`` (for ``svg``: ``svg`` encoded as UTF-8)
    data: bytes = b""


_per_graph: IdentityCache[Rendered] = IdentityCache()
_layouts = ContentCache()


def clear_cache() -> None:
    """Forget every cached layout (benchmarks measure cold renders with it)."""
    from .scene import _scenes

    _per_graph.clear()
    _layouts.clear()
    _scenes.clear()


def dot_available() -> bool:
    return shutil.which("dot") is not None


def run_dot(source: str, fmt: str = "svg", timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """``dot -T<fmt>`` on ``source``, killed after ``timeout`` seconds.

    Raises :class:`DotNotFound` (carrying ``source``), :class:`LayoutTimeout`
    or :class:`RenderError` (``dot`` rejected the input). Results and
    timeouts are cached by the DOT text.
    """
    key = (digest(source), fmt)
    cached = _layouts.get(key)
    if isinstance(cached, bytes):
        return cached
    if isinstance(cached, float) and timeout <= cached:
        raise LayoutTimeout(timeout)
    exe = shutil.which("dot")
    if exe is None:
        raise DotNotFound(source)
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        _layouts.put(key, float(timeout))
        raise LayoutTimeout(timeout) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed (exit {proc.returncode}): {err[-800:]}")
    _layouts.put(key, proc.stdout)
    return proc.stdout


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)


def inline_svg(data: bytes) -> str:
    """SVG text without the XML prolog, doctype and generator comments."""
    return _PROLOG.sub("", data.decode("utf-8"), count=1)


def _with_message(graph: graphviz.Digraph, message: str) -> graphviz.Digraph:
    """Put the reason for a fallback on top of the drawing itself."""
    wrapped = '<br align="left"/>'.join(html(line, None) for line in textwrap.wrap(message, 100))
    note = f'<font color="{HAZARD_COLOR}">{wrapped}</font><br align="left"/>'
    old = graph.graph_attr.get("label")
    graph.graph_attr["label"] = f"<{note}{old[1:-1]}>" if old and old.startswith("<") else f"<{note}>"
    graph.graph_attr["labelloc"] = "t"
    return graph


def _fallback_message(failed: list[tuple[Attempt, float]], drawn: Attempt) -> str:
    what = "; ".join(f"{a.what} could not be laid out within {t:g} s" for a, t in failed)
    tip = " Try a smaller view (overview, a piece), fold=True, or a larger timeout." if drawn.drawn == "note" else ""
    return f"{what[0].upper()}{what[1:]}; showing {drawn.what} instead.{tip}"


def _state(ga: GraphAnalysis) -> tuple[object, ...]:
    """What may change on the same analysis object and changes the drawing."""
    return tuple((r.piece, r.ok) for r in ga.compile_results or ())


def render(
    ga: GraphAnalysis,
    view: str = "whole",
    fmt: str = "svg",
    *,
    fold: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    fallback_timeout: float | None = None,
) -> Rendered:
    """Lay out one view in ``fmt`` (``svg``, ``png``, ``pdf``), falling back to
    simpler drawings when ``dot`` needs more than ``timeout`` seconds (each
    fallback gets ``fallback_timeout``, by default the same)."""
    parse_view(ga, view)  # fail on a bad view before anything is cached
    key = (view, fmt, fold, timeout, fallback_timeout, _state(ga))
    return _per_graph.get(ga, key, lambda: _render(ga, view, fmt, fold, timeout, fallback_timeout))


def _render(ga: GraphAnalysis, view: str, fmt: str, fold: bool | None, timeout: float,
            fallback_timeout: float | None) -> Rendered:
    start = time.perf_counter()
    failed: list[tuple[Attempt, float]] = []
    primary: str | None = None
    for attempt in attempts(ga, view, fold):
        graph = attempt.build()
        limit = timeout if not failed else (fallback_timeout or timeout)
        message = _fallback_message(failed, attempt) if failed else None
        if message:
            _with_message(graph, message)
        if attempt.drawn == "note":
            limit = max(limit, 5.0)  # one box: always fast, never worth giving up on
        source = graph.source
        primary = primary or source
        try:
            data = run_dot(source, fmt, limit)
        except DotNotFound as exc:
            exc.dot_source = primary
            raise
        except LayoutTimeout:
            failed.append((attempt, limit))
            continue
        svg = inline_svg(data) if fmt == "svg" else ""
        return Rendered(svg, source, view, time.perf_counter() - start, message, bool(failed), attempt.drawn, fmt, data)
    raise RenderError(f"no drawing of {view!r} could be laid out")  # unreachable: the note always fits


def render_svg(
    ga: GraphAnalysis, view: str = "whole", *, fold: bool | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Rendered:
    """The SVG of one view, laid out within ``timeout`` seconds or replaced by a
    simpler drawing that says why. Cached: asking again is instant."""
    return render(ga, view, "svg", fold=fold, timeout=timeout)


def write(
    ga: GraphAnalysis,
    view: str,
    path: str | Path,
    *,
    fold: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Rendered:
    """Write one view to ``path``: ``.svg``, ``.png``, ``.pdf``, or ``.dot``/``.gv``
    (the DOT source, which needs no ``dot``)."""
    from .builders import build

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise RenderError(f"cannot write {path.name!r}: use one of {', '.join(FORMATS)}")
    fmt = FORMATS[suffix]
    if fmt is None:
        start = time.perf_counter()
        source = build(ga, view, fold=fold).source
        path.write_text(source, encoding="utf-8")
        return Rendered("", source, view, time.perf_counter() - start, drawn=view, format="dot",
                        data=source.encode("utf-8"))
    result = render(ga, view, fmt, fold=fold, timeout=timeout)
    path.write_bytes(result.data)
    return result
