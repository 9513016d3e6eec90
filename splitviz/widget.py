"""The explorer widget: splitviz in the notebook (issue #4).

:class:`Explorer` is an ``ipywidgets.VBox``: controls (graph, view,
decomposition, Compile, Verify, progress) above one :class:`Diagram`, an
anywidget whose front end is ``static/explorer.js``, the same module the HTML
report runs. All state lives in Python traitlets, so a notebook can drive the
explorer as well as a mouse can (``ex.view = "diff"``, ``ex.selected =
"size_1"``, ``ex.decompose = False``, ``ex.compile()``).

Every callback (a click, a toggle, a redraw after a trait change) runs
guarded: an exception is shown in the widget with its message and kept in
:attr:`Explorer.error`, and the widget stays usable. Methods called directly
(:meth:`Explorer.compile`, :meth:`Explorer.verify`, :meth:`Explorer.export_html`)
also raise, as any Python call should.
"""

from __future__ import annotations

import functools
import html
import re
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

try:
    import anywidget
    import ipywidgets as W
except ModuleNotFoundError as exc:  # pragma: no cover - both are dependencies of splitviz
    raise ModuleNotFoundError(
        f"splitviz's explorer needs ipywidgets and anywidget ({exc.name} is missing): "
        "pip install 'ipywidgets>=8' 'anywidget>=0.9'",
        name=exc.name,
    ) from exc
import torch
import traitlets as T

from .capture import DynamicSpec
from .compile import CompileResult
from .errors import SplitvizError
from .ledger import Crossing, Ledger
from .pipeline import Analysis, GraphAnalysis, analyze
from .report import (
    STATIC,
    compile_rows,
    crossing_rows,
    default_view,
    graph_details,
    node_index,
    svg_body,
    verify_data,
)
from .split import Policy, Split, SplitOp
from .verify import VerifyResult

__all__ = ["Diagram", "Explorer", "explore"]

F = TypeVar("F", bound=Callable[..., Any])

#: a mimebundle's static picture falls back to the overview above this many characters of SVG
_STATIC_SVG_LIMIT = 600_000


class Diagram(anywidget.AnyWidget):
    """The picture and the panes beside it; ``static/explorer.js`` draws them.

    Python sets what to show (``svg``, ``index``, ``details``, ``ledger``,
    ``results``, ``message``); the front end reports clicks back through
    ``selected``, ``search``, ``highlight`` and ``view``.
    """

    _esm = STATIC / "explorer.js"
    _css = STATIC / "explorer.css"

    svg = T.Unicode("").tag(sync=True)
    view = T.Unicode("").tag(sync=True)
    views = T.List(T.Unicode()).tag(sync=True)
    selected = T.Unicode("").tag(sync=True)
    details = T.Dict(allow_none=True, default_value=None).tag(sync=True)
    search = T.Unicode("").tag(sync=True)
    highlight = T.Unicode("").tag(sync=True)
    index = T.Dict().tag(sync=True)
    ledger = T.List().tag(sync=True)
    results = T.Dict().tag(sync=True)
    message = T.Unicode("").tag(sync=True)
    message_kind = T.Unicode("info").tag(sync=True)


def _guarded(fn: F) -> F:
    """Run a callback so that an exception is shown in the widget, not lost in a log."""

    @functools.wraps(fn)
    def run(self: Explorer, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except Exception as exc:
            self._show_error(exc)
            return None

    return run  # type: ignore[return-value]


_NODE_TITLE = re.compile(r'<g\b[^>]*\bclass="([^"]*)"[^>]*>\s*<title>([^<]*)</title>')


def _svg_node_names(svg: str) -> list[str]:
    """FX node names drawn in an SVG, once each, as the front end reads them:
    ``g.sv-node`` titles, and ``g.sv-proxy`` stand-ins titled ``<fx name>@<where>``."""
    out: dict[str, None] = {}
    for cls, title in _NODE_TITLE.findall(svg):
        classes = html.unescape(cls).split()
        name = html.unescape(title).strip()
        if "sv-proxy" in classes:
            name = name.split("@")[0]
        elif "sv-node" not in classes:
            continue
        if name and "@" not in name:
            out[name] = None
    return list(out)


def _view_label(view: str) -> str:
    if view == "whole":
        return "whole graph"
    if view == "overview":
        return "overview (pieces)"
    if view == "diff":
        return "diff (decomposition)"
    if view.startswith("piece:"):
        return f"piece {view[6:]}"
    return view


class Explorer(W.VBox):
    """Explore one capture: its graphs, their pieces, the values that cross
    between them, and what decomposition, compilation and verification make
    of them. Create it with :func:`explore`, or from an :class:`Analysis`."""

    #: the view shown: one of :attr:`views`
    view = T.Unicode("")
    #: which Dynamo graph (there are several after graph breaks)
    graph_index = T.Int(0)
    #: decompose ``torch.Size`` values before splitting
    decompose = T.Bool(True)
    #: the selected FX node's name ("" for none), synced with clicks in the picture
    selected = T.Unicode("")
    #: the search text; matching nodes are highlighted
    search = T.Unicode("")
    #: the crossing value whose edges are highlighted ("" for none)
    highlight = T.Unicode("")
    #: the message of the last error shown in the widget ("" when none)
    error = T.Unicode("")

    def __init__(self, analysis: Analysis, *, view: str | None = None, graph_index: int = 0, **kwargs: Any) -> None:
        if not isinstance(analysis, Analysis):
            raise TypeError(f"Explorer() takes a splitviz.Analysis, not {type(analysis).__name__}; "
                            "use splitviz.explore(fn, *args, split_ops=...) to start from a model")
        self._analyses: dict[bool, Analysis] = {analysis.decompose: analysis}
        self._details: dict[int, dict[str, dict[str, Any]]] = {}
        self._updating = False
        self._running = False
        self.timings: dict[str, float] = {}

        self.diagram = Diagram()
        self._graph_dd = W.Dropdown(description="graph", layout=W.Layout(width="auto"))
        self._view_dd = W.Dropdown(description="view", layout=W.Layout(width="auto"))
        self._decompose_tb = W.ToggleButton(
            value=analysis.decompose, description="decompose Sizes", icon="scissors",
            tooltip="decompose torch.Size values into per-dim sym_size.int before splitting",
        )
        self._compile_btn = W.Button(description="Compile", icon="cogs", tooltip="compile every non-splitting piece with Inductor")
        self._verify_btn = W.Button(description="Verify", icon="check", tooltip="compare the split, compiled program with the original")
        self._progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="160px", visibility="hidden"))
        self._status = W.HTML("")
        self._error_html = W.HTML("")
        self._dismiss = W.Button(description="dismiss", layout=W.Layout(width="auto"))
        self._error_box = W.HBox([self._error_html, self._dismiss], layout=W.Layout(display="none"))
        controls = W.HBox(
            [self._graph_dd, self._view_dd, self._decompose_tb, self._compile_btn, self._verify_btn,
             self._progress, self._status],
            layout=W.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__([controls, self._error_box, self.diagram], **kwargs)
        self.add_class("sv-explorer-widget")

        self._graph_dd.observe(self._ui_graph, "value")
        self._view_dd.observe(self._ui_view, "value")
        self._decompose_tb.observe(self._ui_decompose, "value")
        self._compile_btn.on_click(lambda _b: self._ui_compile())
        self._verify_btn.on_click(lambda _b: self._ui_verify())
        self._dismiss.on_click(lambda _b: self.clear_error())
        for name in ("selected", "search", "highlight", "view"):
            self.diagram.observe(self._from_front_end, name)

        self._updating = True
        try:
            self.decompose = analysis.decompose
            self.graph_index = graph_index
        finally:
            self._updating = False
        self._graph_dd.options = [
            (f"graph {g.index} ({g.captured.num_nodes} nodes)" + (" after a graph break" if g.captured.break_reason else ""), i)
            for i, g in enumerate(analysis.graphs)
        ]
        self._graph_dd.layout.display = None if len(analysis.graphs) > 1 else "none"
        if view is not None:
            from . import render

            valid = render.views(self.graph_analysis)
            if view not in valid:
                raise ValueError(f"no view {view!r}; views are {', '.join(valid)}")
        self._first_load(view)

    @_guarded
    def _first_load(self, view: str | None) -> None:
        self._load_graph(view)

    # ----------------------------------------------------------------- the scriptable surface

    @property
    def analysis(self) -> Analysis:
        """The analysis shown (with or without decomposition, per :attr:`decompose`)."""
        return self._analysis_for(self.decompose)

    @property
    def graph_analysis(self) -> GraphAnalysis:
        return self.analysis.graphs[self.graph_index]

    @property
    def graph(self) -> torch.fx.GraphModule:
        """The ``GraphModule`` analysed: the decomposed copy, or the captured graph."""
        return self.graph_analysis.graph

    @property
    def split(self) -> Split:
        return self.graph_analysis.split

    @property
    def ledger(self) -> Ledger:
        return self.graph_analysis.ledger

    @property
    def hazards(self) -> list[Crossing]:
        """Crossings that break compilation, each with ``name``, ``kind`` and ``why``."""
        return self.graph_analysis.ledger.hazards

    @property
    def views(self) -> list[str]:
        """The views of the current graph: whole, overview, one per piece, diff."""
        return list(self.diagram.views)

    @property
    def details(self) -> dict[str, Any] | None:
        """What is known of the selected node (op, target, args, shape/dtype/stride,
        SymInt expressions, source line, module path, piece, users), or ``None``."""
        if not self.selected:
            return None
        info = self._node_details().get(self.selected)
        return None if info is None else dict(info)

    @property
    def matches(self) -> list[str]:
        """Names of the nodes in the current view that match :attr:`search`
        (by name, op or target, case-insensitively), as the picture highlights them."""
        q = self.search.strip().lower()
        if not q:
            return []
        info = self._node_details()
        out = []
        for name in _svg_node_names(self.diagram.svg):
            d = info.get(name, {})
            hay = " ".join(str(x) for x in (name, d.get("op"), d.get("target")) if x).lower()
            if q in hay:
                out.append(name)
        return out

    @property
    def svg(self) -> str:
        """The SVG of the current view, as drawn."""
        return self.diagram.svg

    def compile(self) -> list[CompileResult]:
        """Compile every non-splitting piece of the current graph with Inductor,
        colouring pieces as results arrive; returns the engine's results."""
        try:
            return self._compile()
        except Exception as exc:
            self._show_error(exc)
            raise

    def verify(self) -> VerifyResult:
        """Check the current graph's split (and compiled) program against the
        captured graph at the captured sizes and at moved ones."""
        try:
            return self._verify()
        except Exception as exc:
            self._show_error(exc)
            raise

    def export_html(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write the single-file HTML report of this capture (before and after
        decomposition, with whatever was compiled and verified) to ``path``."""
        from .report import export_html

        try:
            current = self.analysis
            other = self._analysis_for(not self.decompose)
            return export_html([current, other], path, title=title)
        except Exception as exc:
            self._show_error(exc)
            raise

    def close(self) -> None:
        """Close the explorer and every widget it made (their comms go with them)."""
        for w in (self.diagram, self._graph_dd, self._view_dd, self._decompose_tb, self._compile_btn,
                  self._verify_btn, self._progress, self._status, self._error_html, self._dismiss, self._error_box,
                  *self.children):
            w.close()
        super().close()

    def clear_error(self) -> None:
        self.error = ""
        self._error_html.value = ""
        self._error_box.layout.display = "none"

    # ----------------------------------------------------------------- trait observers

    @T.validate("view")
    def _check_view(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"]
        if self.diagram.views and value not in self.diagram.views:
            raise T.TraitError(f"no view {value!r}; views are {', '.join(self.diagram.views)}")
        return value

    @T.validate("graph_index")
    def _check_graph(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        n = len(next(iter(self._analyses.values())).graphs)
        if not 0 <= value < n:
            raise T.TraitError(f"graph_index {value} is out of range: this capture has {n} graph(s)")
        return value

    @T.validate("selected")
    def _check_selected(self, proposal: dict[str, Any]) -> str:
        value = proposal["value"] or ""
        if value and value not in self._node_details():
            raise T.TraitError(f"no node named {value!r} in graph {self.graph_index}")
        return value

    @T.observe("view")
    @_guarded
    def _on_view(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._draw()

    @T.observe("graph_index", "decompose")
    @_guarded
    def _on_graph(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._load_graph(self.view)

    @T.observe("selected")
    @_guarded
    def _on_selected(self, change: dict[str, Any]) -> None:
        with self.diagram.hold_sync():
            self.diagram.selected = self.selected
            self.diagram.details = self.details

    @T.observe("search")
    @_guarded
    def _on_search(self, change: dict[str, Any]) -> None:
        self.diagram.search = self.search

    @T.observe("highlight")
    @_guarded
    def _on_highlight(self, change: dict[str, Any]) -> None:
        self.diagram.highlight = self.highlight

    @_guarded
    def _from_front_end(self, change: dict[str, Any]) -> None:
        """A click, search or double-click in the picture."""
        name, value = change["name"], change["new"]
        if getattr(self, name) != value:
            setattr(self, name, value)

    @_guarded
    def _ui_graph(self, change: dict[str, Any]) -> None:
        if not self._updating and change["new"] is not None:
            self.graph_index = change["new"]

    @_guarded
    def _ui_view(self, change: dict[str, Any]) -> None:
        if not self._updating and change["new"] is not None:
            self.view = change["new"]

    @_guarded
    def _ui_decompose(self, change: dict[str, Any]) -> None:
        if not self._updating:
            self.decompose = change["new"]

    @_guarded
    def _ui_compile(self) -> None:
        self._compile()

    @_guarded
    def _ui_verify(self) -> None:
        self._verify()

    # ----------------------------------------------------------------- work

    def _analysis_for(self, decompose: bool) -> Analysis:
        """Analyses are kept per setting: toggling back is instant, and compile
        results stay with the graph they belong to."""
        a = self._analyses.get(decompose)
        if a is None:
            base = next(iter(self._analyses.values()))
            start = time.perf_counter()
            a = self._analyses[decompose] = base.reanalyze(decompose=decompose)
            self.timings["reanalyze"] = time.perf_counter() - start
        return a

    def _node_details(self) -> dict[str, dict[str, Any]]:
        ga = self.graph_analysis
        d = self._details.get(id(ga))
        if d is None:
            d = self._details[id(ga)] = graph_details(ga)
        return d

    def _load_graph(self, view: str | None) -> None:
        """Show the current graph under the current setting: views, index, ledger, results, picture."""
        from . import render

        start = time.perf_counter()
        ga = self.graph_analysis
        views = list(render.views(ga)) or ["whole"]
        view = view if view in views else (self.view if self.view in views else default_view(ga, views))
        details = self._node_details()
        self._updating = True
        try:
            with self.diagram.hold_sync():
                self.diagram.views = views
                self.diagram.index = node_index(details)
                self.diagram.ledger = crossing_rows(ga.ledger)
                self.diagram.results = self._results(ga)
                self._view_dd.options = [(_view_label(v), v) for v in views]
                self._view_dd.value = view
                self._graph_dd.value = self.graph_index
                self._decompose_tb.value = self.decompose
                self.view = view
                if self.selected and self.selected not in details:
                    self.selected = ""
                self.diagram.details = self.details
                if self.highlight and all(c.name != self.highlight for c in ga.ledger.crossings):
                    self.highlight = ""
        finally:
            self._updating = False
        self._draw()
        self.timings["load_graph"] = time.perf_counter() - start

    def _draw(self) -> None:
        """Put the current view's picture in the diagram (renders are cached)."""
        from . import render

        start = time.perf_counter()
        ga = self.graph_analysis
        if self._view_dd.value != self.view:
            self._updating = True
            try:
                self._view_dd.value = self.view
            finally:
                self._updating = False
        message, kind = "", "info"
        try:
            r = render.render_svg(ga, self.view)
        except Exception:
            with self.diagram.hold_sync():
                self.diagram.svg = ""
                self.diagram.view = self.view
            raise
        if r.message:
            message = r.message
        if ga.split.failure is not None:
            message, kind = f"the split failed: {ga.split.failure}", "error"
        with self.diagram.hold_sync():
            self.diagram.svg = svg_body(r.svg)
            self.diagram.view = self.view
            self.diagram.message = message
            self.diagram.message_kind = kind
        self.timings["draw"] = time.perf_counter() - start

    def _results(self, ga: GraphAnalysis, pending: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "compile": compile_rows(ga.compile_results),
            "verify": verify_data(ga.verify_result),
            "pending": list(pending),
        }

    def _busy(self, busy: bool, status: str = "") -> None:
        self._running = busy
        for w in (self._compile_btn, self._verify_btn, self._decompose_tb, self._graph_dd):
            w.disabled = busy
        self._status.value = status

    def _compile(self) -> list[CompileResult]:
        if self._running:
            raise SplitvizError("a compile or verify is already running")
        ga = self.graph_analysis
        if ga.split.failure is not None:
            raise SplitvizError(f"cannot compile graph {ga.index}: its split failed: {ga.split.failure}")
        self.clear_error()
        todo = [p.name for p in ga.split.pieces if not p.is_splitting]
        done: list[CompileResult] = []
        self._progress.max = max(1, len(todo))
        self._progress.value = 0
        self._progress.bar_style = ""
        self._progress.layout.visibility = "visible"
        self._busy(True, f"compiling {len(todo)} piece(s) on {self.analysis.device}…")
        ga.compile_results, ga.verify_result = None, None
        self.diagram.results = {"compile": [], "verify": None, "pending": todo}

        def on_result(r: CompileResult) -> None:
            done.append(r)
            self._progress.value = len(done)
            left = todo[len(done):]
            self._status.value = html.escape(
                f"compiled {len(done)}/{len(todo)}: {r.piece} {'ok' if r.ok else 'FAILED'} in {r.seconds:.2f}s")
            if ga is self.graph_analysis:
                self.diagram.results = {"compile": compile_rows(done), "verify": None, "pending": left}

        start = time.perf_counter()
        try:
            results = ga.compile(self.analysis.device, progress=False, on_result=on_result)
        finally:
            self._busy(False)
        failed = [r.piece for r in results if not r.ok]
        self._progress.bar_style = "danger" if failed else "success"
        self._status.value = html.escape(
            f"compiled {len(results)} piece(s) in {time.perf_counter() - start:.1f}s: "
            + (f"{len(failed)} failed ({', '.join(failed[:4])}{'…' if len(failed) > 4 else ''})" if failed else "all ok"))
        if ga is self.graph_analysis:
            self.diagram.results = self._results(ga)
            self._draw()  # the renderer colours pieces by outcome
        return results

    def _verify(self) -> VerifyResult:
        if self._running:
            raise SplitvizError("a compile or verify is already running")
        ga = self.graph_analysis
        if ga.split.failure is not None:
            raise SplitvizError(f"cannot verify graph {ga.index}: its split failed: {ga.split.failure}")
        self.clear_error()
        self._busy(True, "verifying…")
        start = time.perf_counter()
        try:
            result = ga.verify()
        finally:
            self._busy(False)
        where = ", ".join(" ".join(f"{k}={v}" for k, v in s.items()) or "static" for s in result.sizes)
        self._status.value = html.escape(
            f"verify {'ok' if result.ok else 'FAILED'} in {time.perf_counter() - start:.1f}s "
            f"(max |diff| {result.max_abs_diff:.3g} at {where})")
        if ga is self.graph_analysis:
            self.diagram.results = self._results(ga)
        return result

    def _show_error(self, exc: BaseException) -> None:
        """Show an exception in the widget: its type and message, the traceback folded."""
        message = f"{type(exc).__name__}: {exc}".strip()
        self.error = message
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._error_html.value = (
            '<div class="sv-widget-error" style="color:#82071e;background:#ffebe9;padding:4px 8px;'
            'border-radius:4px;white-space:pre-wrap">'
            f"<b>{html.escape(message)}</b>"
            f"<details><summary>traceback</summary><pre>{html.escape(text)}</pre></details></div>"
        )
        self._error_box.layout.display = None
        if self._running:
            self._busy(False)

    # ----------------------------------------------------------------- display

    def __repr__(self) -> str:
        ga = self.graph_analysis
        s = ga.split
        pieces = "split failed" if s.failure else f"{len(s.pieces)} pieces"
        return (f"Explorer(graph {self.graph_index} of {len(self.analysis.graphs)}, view={self.view!r}, "
                f"decompose={self.decompose}, {pieces}, {len(ga.ledger)} crossings, {len(ga.ledger.hazards)} hazards)")

    def _text_summary(self) -> str:
        from .cli import summary

        return repr(self) + "\n" + summary(self.analysis)

    def _static_svg(self) -> str | None:
        """The picture for viewers without widgets: the current view, or the
        overview when that would be too heavy for a notebook file."""
        from . import render

        svg = self.diagram.svg
        if (not svg or len(svg) > _STATIC_SVG_LIMIT) and "overview" in self.views and self.view != "overview":
            try:
                svg = svg_body(render.render_svg(self.graph_analysis, "overview").svg)
            except Exception:
                return svg or None
        return svg or None

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The live widget where widgets run, an SVG and a text summary where they don't."""
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self._text_summary()
        svg = self._static_svg()
        if svg:
            data["image/svg+xml"] = svg
        return data


def explore(
    fn_or_module: Callable[..., Any] | Analysis,
    *args: Any,
    split_ops: Iterable[SplitOp] | str | None = None,
    dynamic: DynamicSpec | None = None,
    policy: Policy = "vllm",
    device: str | torch.device = "auto",
    decompose: bool = True,
    kwargs: dict[str, Any] | None = None,
    view: str | None = None,
) -> Explorer:
    """Capture ``fn_or_module(*args)``, analyse it and return an :class:`Explorer`
    (a widget: the last expression of a cell displays it).

    ``fn_or_module`` may also be an :class:`Analysis` you already have.
    """
    if isinstance(fn_or_module, Analysis):
        if args or split_ops is not None:
            raise TypeError("explore(analysis) takes no inputs or split_ops: the analysis has them")
        return Explorer(fn_or_module, view=view)
    if split_ops is None:
        raise TypeError("explore() needs split_ops=, e.g. split_ops=['aten::sigmoid']")
    analysis = analyze(fn_or_module, *args, split_ops=split_ops, dynamic=dynamic, policy=policy,
                       decompose=decompose, device=device, kwargs=kwargs)
    return Explorer(analysis, view=view)
