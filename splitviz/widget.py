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

Bad input never kills the explorer: :func:`explore` returns an explorer in an
error state for any :class:`~splitviz.errors.SplitvizError` (a malformed or
unknown split op, a program Dynamo cannot capture, an unavailable device),
with the message shown and the split ops / policy fields and the Analyse
button as the way out. Setting :attr:`Explorer.split_ops` or
:attr:`Explorer.policy` re-analyses the same capture (or captures again when
there is none); a re-analysis that fails keeps what was shown before. Split
ops that match nothing, graph breaks and a failed split are notices over the
diagram (:attr:`Explorer.notices`), not errors.
"""

from __future__ import annotations

import functools
import html
import re
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

from .capture import CaptureError, DynamicSpec
from .compile import CompileResult
from .errors import DeviceError, SplitOpError, SplitvizError
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
from .split import Policy, Split, SplitOp, op_name
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


#: the split policies, as the engine names them
POLICIES: tuple[str, ...] = ("vllm", "safe")
#: the fold toggle's labels -> ``render_svg(fold=...)``
_FOLD = {"auto": None, "on": True, "off": False}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _op_label(op: Any) -> str:
    """How a split op is written in the split ops field."""
    if isinstance(op, str):
        return op
    registered = op_name(op)
    if registered is not None:
        return registered
    name = getattr(op, "__name__", None)
    for prefix, namespace in (("torch", torch), ("torch.nn.functional", torch.nn.functional)):
        if name and getattr(namespace, name, None) is op:
            return f"{prefix}.{name}"  # the public name, not torch._C._nn...
    module = getattr(op, "__module__", None)
    qualname = getattr(op, "__qualname__", None) or name
    return f"{module}.{qualname}" if module and qualname else repr(op)


def _ops_text(ops: Iterable[Any]) -> str:
    return ", ".join(_op_label(op) for op in ops)


def _as_list(split_ops: Any) -> list[Any]:
    """Split ops as a list, unchecked: ``"a, b"`` -> ``["a", "b"]``, a callable -> ``[it]``.
    A value that is none of a string, a callable or an iterable is a TypeError."""
    if isinstance(split_ops, str):
        return [s.strip() for s in split_ops.split(",") if s.strip()]
    if callable(split_ops):
        return [split_ops]
    if isinstance(split_ops, Iterable) and not isinstance(split_ops, (bytes, dict)):
        return list(split_ops)
    raise TypeError(
        "split_ops must be a string such as 'aten::sigmoid' (several: 'aten::sigmoid, aten::tanh'), "
        f"a callable, or a list of them; not {type(split_ops).__name__}"
    )


def _way_out(exc: BaseException) -> str:
    """What the user can do in the explorer about an error."""
    from .render.errors import DotNotFound

    if isinstance(exc, SplitOpError):
        return "Fix the split ops or the policy above and press Analyse."
    if isinstance(exc, CaptureError):
        return ("Fix the function or its inputs, then call splitviz.explore(...) again "
                "(Analyse captures the same function and inputs again).")
    if isinstance(exc, DeviceError):
        return "Call splitviz.explore(..., device='cpu') again, or leave device='auto'."
    if isinstance(exc, DotNotFound):
        return ("Everything but the picture works without it (ledger, details, Compile, Verify); "
                "once Graphviz is installed, pick a view to draw it.")
    return ""


@dataclass
class _Source:
    """What :func:`explore` was given, kept to capture again when there is no capture."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    dynamic: DynamicSpec | None
    device: str | torch.device


class Explorer(W.VBox):
    """Explore one capture: its graphs, their pieces, the values that cross
    between them, and what decomposition, compilation and verification make
    of them. Create it with :func:`explore`, or from an :class:`Analysis`.

    When the input was bad (see :func:`explore`) the explorer has no analysis:
    :attr:`analysis` is ``None``, :attr:`views`, :attr:`hazards` and
    :attr:`notices` are empty, :attr:`error` says what went wrong, and the
    split ops / policy fields with the Analyse button (or setting
    :attr:`split_ops` / :attr:`policy`) are the way out."""

    #: the view shown: one of :attr:`views`
    view = T.Unicode("")
    #: which Dynamo graph (there are several after graph breaks)
    graph_index = T.Int(0)
    #: decompose ``torch.Size`` values before splitting
    decompose = T.Bool(True)
    #: the split policy: ``"vllm"`` (vLLM's rules) or ``"safe"``; setting it re-analyses the same capture
    policy = T.Enum(POLICIES, default_value="vllm")
    #: fold repeated blocks into one ``× N`` node: ``None`` decides by size, ``True``/``False`` force it
    fold = T.Bool(None, allow_none=True)
    #: the selected FX node's name ("" for none), synced with clicks in the picture
    selected = T.Unicode("")
    #: the search text; matching nodes are highlighted
    search = T.Unicode("")
    #: the crossing value whose edges are highlighted ("" for none)
    highlight = T.Unicode("")
    #: the message of the last error shown in the widget ("" when none)
    error = T.Unicode("")

    def __init__(
        self,
        analysis: Analysis | None = None,
        *,
        view: str | None = None,
        graph_index: int = 0,
        fold: bool | None = None,
        _source: _Source | None = None,
        _split_ops: list[Any] | None = None,
        _policy: str = "vllm",
        _decompose: bool = True,
        **kwargs: Any,
    ) -> None:
        if _source is None and not isinstance(analysis, Analysis):
            raise TypeError(f"Explorer() takes a splitviz.Analysis, not {type(analysis).__name__}; "
                            "use splitviz.explore(fn, *args, split_ops=...) to start from a model")
        if fold not in (None, True, False):
            raise TypeError(f"fold must be None (automatic), True or False, not {fold!r}")
        #: (split ops, policy, decompose) -> analysis; all of one capture
        self._analyses: dict[tuple[Any, ...], Analysis] = {}
        self._details: dict[int, dict[str, dict[str, Any]]] = {}
        self._updating = False
        self._running = False
        self._source = _source
        #: the split ops and policy of the analysis shown (while none is: the ones asked for)
        self._ops: list[Any] = list(analysis.split_ops) if analysis is not None else list(_split_ops or [])
        self._shown_policy: str = analysis.policy if analysis is not None else "vllm"
        self._shown_exc: BaseException | None = None
        self._draw_exc: BaseException | None = None
        self._render_message = ""
        self.timings: dict[str, float] = {}

        self.diagram = Diagram()
        self._ops_text = W.Text(
            description="split ops", placeholder="aten::sigmoid, vllm::unified_attention",
            tooltip="ops to split at, comma-separated: 'namespace::op[.overload]' or a dotted callable",
            layout=W.Layout(width="360px"),
        )
        self._policy_dd = W.Dropdown(
            description="policy", options=list(POLICIES), layout=W.Layout(width="auto"),
            tooltip="vllm: vLLM's rules; safe: keep only tuple unpacking with its producer",
        )
        self._analyse_btn = W.Button(description="Analyse", icon="refresh",
                                     tooltip="split again with these split ops and policy (captures again when there is no capture)")
        self._graph_dd = W.Dropdown(description="graph", layout=W.Layout(width="auto"))
        self._view_dd = W.Dropdown(description="view", layout=W.Layout(width="auto"))
        self._decompose_tb = W.ToggleButton(
            value=True, description="decompose Sizes", icon="scissors",
            tooltip="decompose torch.Size values into per-dim sym_size.int before splitting",
        )
        self._fold_tb = W.ToggleButtons(
            description="fold", options=list(_FOLD), value="auto",
            tooltips=["fold repeated blocks on large graphs", "fold repeated blocks into one × N node",
                      "draw every block"],
            style={"button_width": "44px", "description_width": "auto"},
        )
        self._compile_btn = W.Button(description="Compile", icon="cogs", tooltip="compile every non-splitting piece with Inductor")
        self._verify_btn = W.Button(description="Verify", icon="check", tooltip="compare the split, compiled program with the original")
        self._progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="160px", visibility="hidden"))
        self._status = W.HTML("")
        self._error_html = W.HTML("")
        self._dismiss = W.Button(description="dismiss", layout=W.Layout(width="auto"))
        self._error_box = W.HBox([self._error_html, self._dismiss], layout=W.Layout(display="none"))
        row = W.Layout(flex_flow="row wrap", align_items="center")
        self._setup = W.HBox([self._ops_text, self._policy_dd, self._analyse_btn, self._graph_dd, self._view_dd], layout=row)
        controls = W.HBox(
            [self._decompose_tb, self._fold_tb, self._compile_btn, self._verify_btn, self._progress, self._status],
            layout=W.Layout(flex_flow="row wrap", align_items="center"),
        )
        super().__init__([self._setup, controls, self._error_box, self.diagram], **kwargs)
        self.add_class("sv-explorer-widget")

        self._graph_dd.observe(self._ui_graph, "value")
        self._view_dd.observe(self._ui_view, "value")
        self._decompose_tb.observe(self._ui_decompose, "value")
        self._fold_tb.observe(self._ui_fold, "value")
        self._policy_dd.observe(self._ui_policy, "value")
        self._analyse_btn.on_click(lambda _b: self._ui_analyse())
        self._compile_btn.on_click(lambda _b: self._ui_compile())
        self._verify_btn.on_click(lambda _b: self._ui_verify())
        self._dismiss.on_click(lambda _b: self.clear_error())
        for name in ("selected", "search", "highlight", "view"):
            self.diagram.observe(self._from_front_end, name)

        policy = analysis.policy if analysis is not None else _policy
        self._updating = True
        try:
            self.decompose = analysis.decompose if analysis is not None else bool(_decompose)
            self._decompose_tb.value = self.decompose
            if policy in POLICIES:
                self.policy = self._shown_policy = policy
                self._policy_dd.value = policy
            self.fold = fold
            self._fold_tb.value = next(k for k, v in _FOLD.items() if v is fold)
            self._ops_text.value = _ops_text(self._ops)
            if analysis is not None:
                self._install(analysis)
            self.graph_index = graph_index
        finally:
            self._updating = False
        if analysis is None:
            try:
                self._apply(self._ops, policy, view=view)
            except Exception as exc:  # not the user's input: a bug, shown all the same
                self._show_error(exc)
        else:
            self._first_load(view)
        if view is not None and self.analysis is not None and view not in self.views:
            from . import render

            valid = render.views(self.graph_analysis)
            if view not in valid:
                self.close()
                raise ValueError(f"no view {view!r}; views are {', '.join(valid)}")

    @_guarded
    def _first_load(self, view: str | None) -> None:
        self._load_graph(view)

    # ----------------------------------------------------------------- the scriptable surface

    @property
    def analysis(self) -> Analysis | None:
        """The analysis shown (with or without decomposition, per :attr:`decompose`);
        ``None`` while there is none (bad input: see :attr:`error`)."""
        if not self._analyses:
            return None
        return self._analysis_for(self.decompose)

    @property
    def graph_analysis(self) -> GraphAnalysis | None:
        a = self.analysis
        return None if a is None else a.graphs[self.graph_index]

    @property
    def graph(self) -> torch.fx.GraphModule | None:
        """The ``GraphModule`` analysed: the decomposed copy, or the captured graph."""
        ga = self.graph_analysis
        return None if ga is None else ga.graph

    @property
    def split(self) -> Split | None:
        ga = self.graph_analysis
        return None if ga is None else ga.split

    @property
    def ledger(self) -> Ledger | None:
        ga = self.graph_analysis
        return None if ga is None else ga.ledger

    @property
    def hazards(self) -> list[Crossing]:
        """Crossings that break compilation, each with ``name``, ``kind`` and ``why``."""
        ga = self.graph_analysis
        return [] if ga is None else ga.ledger.hazards

    @property
    def split_ops(self) -> list[SplitOp]:
        """The split ops of the analysis shown (while there is none, the ones asked for).

        Setting them re-analyses the same capture (capturing again when there is
        none): a malformed or unknown op is shown in the widget, not raised, and
        what was shown stays. A value of the wrong type is a ``TypeError``."""
        return list(self._ops)

    @split_ops.setter
    def split_ops(self, value: Iterable[SplitOp] | str) -> None:
        _as_list(value)  # a TypeError for the wrong type, before anything changes
        try:
            self._apply(value, self.policy)
        except Exception as exc:
            self._show_error(exc)
            raise

    @property
    def notices(self) -> list[str]:
        """What the picture's notice says: a failed split, split ops that match
        nothing, graph breaks, a simpler drawing and why."""
        out = [text for _, text in self._notices()]
        if self._render_message:
            out.append(self._render_message)
        return out

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
            if current is None:
                raise SplitvizError(f"nothing to export: there is no analysis ({self.error or 'no capture'})")
            other = self._analysis_for(not self.decompose)
            return export_html([current, other], path, title=title)
        except Exception as exc:
            self._show_error(exc)
            raise

    def close(self) -> None:
        """Close the explorer and every widget it made (their comms go with them)."""
        for w in (self.diagram, self._ops_text, self._policy_dd, self._analyse_btn, self._graph_dd, self._view_dd,
                  self._decompose_tb, self._fold_tb, self._compile_btn, self._verify_btn, self._progress,
                  self._status, self._error_html, self._dismiss, self._error_box, self._setup, *self.children):
            w.close()
        super().close()

    def clear_error(self) -> None:
        self.error = ""
        self._shown_exc = None
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
        n = len(next(iter(self._analyses.values())).graphs) if self._analyses else 1
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

    @T.observe("policy")
    @_guarded
    def _on_policy(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._apply(self._ops, change["new"])

    @T.observe("fold")
    @_guarded
    def _on_fold(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        self._updating = True
        try:
            self._fold_tb.value = next(k for k, v in _FOLD.items() if v is change["new"])
        finally:
            self._updating = False
        self._draw()

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
    def _ui_fold(self, change: dict[str, Any]) -> None:
        if not self._updating and change["new"] in _FOLD:
            self.fold = _FOLD[change["new"]]

    @_guarded
    def _ui_policy(self, change: dict[str, Any]) -> None:
        if not self._updating and change["new"] is not None:
            self._apply(self._ops_from_text(), change["new"])

    @_guarded
    def _ui_analyse(self) -> None:
        self._apply(self._ops_from_text(), self._policy_dd.value)

    @_guarded
    def _ui_compile(self) -> None:
        self._compile()

    @_guarded
    def _ui_verify(self) -> None:
        self._verify()

    # ----------------------------------------------------------------- work

    @staticmethod
    def _key(ops: Iterable[Any], policy: str, decompose: bool) -> tuple[Any, ...]:
        return (tuple(op if isinstance(op, str) else id(op) for op in ops), policy, decompose)

    def _ops_from_text(self) -> list[Any]:
        """The split ops field, read back: a callable op keeps its object when its label is unchanged."""
        known = {_op_label(op): op for op in self._ops if not isinstance(op, str)}
        return [known.get(t, t) for t in _as_list(self._ops_text.value)]

    def _apply(self, split_ops: Any, policy: str, *, view: str | None = None) -> bool:
        """Analyse with these split ops and policy, reusing the capture when
        there is one; True when it worked. A :class:`SplitvizError` is shown in
        the widget, not raised, and what was shown before stays."""
        if self._running:
            raise SplitvizError("the explorer is busy: an analysis, compile or verify is running")
        fresh = not self._analyses
        start = time.perf_counter()
        self._busy(True, "capturing and analysing…" if fresh else "analysing…")
        error: SplitvizError | None = None
        analysis: Analysis | None = None
        try:
            ops = _as_list(split_ops)
            try:
                if not ops:
                    raise SplitOpError("no split ops given; name at least one, e.g. 'aten::sigmoid'")
                if policy not in POLICIES:
                    raise SplitOpError(f"unknown policy {policy!r}; use 'vllm' or 'safe'")
                if fresh:
                    src = self._source
                    assert src is not None, "an explorer made from an analysis always has one"
                    analysis = analyze(src.fn, *src.args, split_ops=ops, dynamic=src.dynamic, policy=policy,  # type: ignore[arg-type]
                                       decompose=self.decompose, device=src.device, kwargs=src.kwargs)
                else:
                    analysis = self._analyses.get(self._key(ops, policy, self.decompose))
                    if analysis is None:
                        base = next(iter(self._analyses.values()))
                        analysis = base.reanalyze(split_ops=ops, policy=policy, decompose=self.decompose)  # type: ignore[arg-type]
            except SplitvizError as exc:
                error = exc
        finally:
            self._busy(False)
        self.timings["analyse"] = time.perf_counter() - start
        if error is not None or analysis is None:
            assert error is not None
            self._analysis_failed(error, ops, policy)
            return False
        self.clear_error()
        self._updating = True
        try:
            self._install(analysis)
        finally:
            self._updating = False
        self._status.value = html.escape(
            f"{'captured and analysed' if fresh else 'analysed'} in {self.timings['analyse']:.2f}s: "
            f"split ops {_ops_text(self._ops)}, policy {self._shown_policy}")
        self._load_graph(view if view is not None else self.view)
        return True

    def _install(self, analysis: Analysis) -> None:
        """Show ``analysis`` from now on (call with ``_updating`` set)."""
        if not self._analyses:
            self._details.clear()
        self._analyses[self._key(analysis.split_ops, analysis.policy, analysis.decompose)] = analysis
        self._ops = list(analysis.split_ops)
        self.policy = self._shown_policy = analysis.policy
        self._policy_dd.value = analysis.policy
        self._ops_text.value = _ops_text(self._ops)
        self._graph_dd.options = [
            (f"graph {g.index} ({g.captured.num_nodes} nodes)" + (" after a graph break" if g.captured.break_reason else ""), i)
            for i, g in enumerate(analysis.graphs)
        ]
        self._graph_dd.layout.display = None if len(analysis.graphs) > 1 else "none"
        if not 0 <= self.graph_index < len(analysis.graphs):
            self.graph_index = 0
        self._graph_dd.value = self.graph_index
        self._sync_controls()

    def _analysis_failed(self, exc: SplitvizError, asked: list[Any], policy: str) -> None:
        hint = _way_out(exc)
        self._updating = True
        try:
            self._ops_text.value = _ops_text(asked)
            if self._analyses:  # keep what is shown, and its settings
                self.policy = self._shown_policy
                hint += (f" Still showing the previous analysis (split ops {_ops_text(self._ops)}, "
                         f"policy {self._shown_policy}).")
            else:
                self._ops = list(asked)
                if policy in POLICIES:
                    self.policy = self._shown_policy = policy
                    self._policy_dd.value = policy
        finally:
            self._updating = False
        self._show_error(exc, hint=hint.strip())
        if not self._analyses:
            self._load_graph(None)

    def _analysis_for(self, decompose: bool) -> Analysis:
        """Analyses are kept per setting: toggling back is instant, and compile
        results stay with the graph they belong to."""
        key = self._key(self._ops, self._shown_policy, decompose)
        a = self._analyses.get(key)
        if a is None:
            base = next(iter(self._analyses.values()))
            start = time.perf_counter()
            a = self._analyses[key] = base.reanalyze(decompose=decompose, policy=self._shown_policy,  # type: ignore[arg-type]
                                                     split_ops=self._ops)
            self.timings["reanalyze"] = time.perf_counter() - start
        return a

    def _node_details(self) -> dict[str, dict[str, Any]]:
        ga = self.graph_analysis
        if ga is None:
            return {}
        d = self._details.get(id(ga))
        if d is None:
            d = self._details[id(ga)] = graph_details(ga)
        return d

    def _notices(self) -> list[tuple[str, str]]:
        """(kind, text) of what the analysis shown should tell: error, warning."""
        a, ga = self.analysis, self.graph_analysis
        if a is None or ga is None:
            return []
        out: list[tuple[str, str]] = []
        if ga.split.failure is not None:
            way_out = ("\nIn the explorer: pick policy 'safe' above (ex.policy = 'safe')."
                       if self._shown_policy == "vllm" and "policy='safe'" in str(ga.split.failure)
                       else "\nIn the explorer: change the split ops above and press Analyse.")
            out.append(("error", f"the split failed: {ga.split.failure}{way_out}"))
        for msg in a.unmatched:
            out.append(("warning", f"{msg} Nothing is split there: edit the split ops above and press Analyse."))
        reasons = a.capture.break_reasons
        if reasons or len(a.graphs) > 1:
            n = len(a.graphs)
            out.append(("warning", (
                f"graph break: Dynamo broke the program or ran part of it eagerly ({_plural(n, 'graph')} captured"
                + ("; pick one in the graph menu" if n > 1 else "")
                + "). vLLM captures the model as one graph (fullgraph=True), where this is an error: "
                "make the code at the break traceable."
                + (f" Dynamo's reasons: {'; '.join(reasons)}" if reasons else "")
            )))
        return out

    def _clear_surface(self) -> None:
        """No analysis: nothing to draw, list or select."""
        self._render_message = ""
        self._updating = True
        try:
            with self.diagram.hold_sync():
                self.diagram.views = []
                self.diagram.index = {}
                self.diagram.ledger = []
                self.diagram.results = {}
                self.diagram.svg = ""
                self.diagram.view = ""
                self.diagram.details = None
                self.diagram.message = "Nothing to show yet. " + (_way_out(self._shown_exc) if self._shown_exc else "")
                self.diagram.message_kind = "info"
                self._view_dd.options = []
                self._graph_dd.options = []
                self._graph_dd.layout.display = "none"
                self.selected = ""
                self.highlight = ""
        finally:
            self._updating = False
        self._sync_controls()

    def _load_graph(self, view: str | None) -> None:
        """Show the current graph under the current setting: views, index, ledger, results, picture."""
        from . import render

        ga = self.graph_analysis
        if ga is None:
            self._clear_surface()
            return
        start = time.perf_counter()
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
        self._sync_controls()
        self._draw()
        self.timings["load_graph"] = time.perf_counter() - start

    def _draw(self) -> None:
        """Put the current view's picture in the diagram (renders are cached),
        with the analysis' notices over it."""
        from . import render

        ga = self.graph_analysis
        if ga is None:
            return
        start = time.perf_counter()
        if self._view_dd.value != self.view:
            self._updating = True
            try:
                self._view_dd.value = self.view
            finally:
                self._updating = False
        notices = self._notices()
        try:
            r = render.render_svg(ga, self.view, fold=self.fold)
        except Exception as exc:
            self._render_message = ""
            self._draw_exc = exc
            self._set_notice(notices)
            with self.diagram.hold_sync():
                self.diagram.svg = ""
                self.diagram.view = self.view
            raise
        self._render_message = r.message or ""
        if r.message:
            notices.append(("info", r.message))
        if self._draw_exc is not None and self._shown_exc is self._draw_exc:
            self.clear_error()  # drawing works again (Graphviz installed, say)
        self._draw_exc = None
        with self.diagram.hold_sync():
            self.diagram.svg = svg_body(r.svg)
            self.diagram.view = self.view
            self._set_notice(notices)
        self.timings["draw"] = time.perf_counter() - start

    def _set_notice(self, notices: list[tuple[str, str]]) -> None:
        kinds = [k for k, _ in notices]
        kind = next((k for k in ("error", "warning") if k in kinds), "info")
        with self.diagram.hold_sync():
            self.diagram.message = "\n".join(text for _, text in notices)
            self.diagram.message_kind = kind

    def _results(self, ga: GraphAnalysis, pending: Iterable[str] = ()) -> dict[str, Any]:
        return {
            "compile": compile_rows(ga.compile_results),
            "verify": verify_data(ga.verify_result),
            "pending": list(pending),
        }

    def _sync_controls(self) -> None:
        """Buttons that need an analysis are off without one; all are off while busy."""
        none = not self._analyses
        for w in (self._compile_btn, self._verify_btn, self._graph_dd):
            w.disabled = self._running or none
        self._view_dd.disabled = none
        for w in (self._decompose_tb, self._ops_text, self._policy_dd, self._analyse_btn):
            w.disabled = self._running

    def _busy(self, busy: bool, status: str = "") -> None:
        self._running = busy
        self._sync_controls()
        self._status.value = status

    def _ready(self, action: str) -> GraphAnalysis:
        """The graph to ``action`` (compile/verify), or why there is none."""
        if self._running:
            raise SplitvizError("a compile or verify is already running")
        ga = self.graph_analysis
        if ga is None:
            raise SplitvizError(f"nothing to {action}: there is no analysis ({self.error or 'no capture'})")
        if ga.split.failure is not None:
            raise SplitvizError(f"cannot {action} graph {ga.index}: its split failed: {ga.split.failure}")
        return ga

    def _compile(self) -> list[CompileResult]:
        ga = self._ready("compile")
        device = self.analysis.device  # type: ignore[union-attr]
        self.clear_error()
        todo = [p.name for p in ga.split.pieces if not p.is_splitting]
        done: list[CompileResult] = []
        self._progress.max = max(1, len(todo))
        self._progress.value = 0
        self._progress.bar_style = ""
        self._progress.layout.visibility = "visible"
        self._busy(True, f"compiling {len(todo)} piece(s) on {device}…")
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
            results = ga.compile(device, progress=False, on_result=on_result)
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
        ga = self._ready("verify")
        self.clear_error()
        self._busy(True, "verifying…")
        start = time.perf_counter()
        try:
            result = ga.verify()
        finally:
            self._busy(False)
        where = ", ".join(" ".join(f"{k}={v}" for k, v in s.items()) or "static" for s in result.sizes)
        failed = sorted({c.piece for c in result.checks if c.piece})
        self._status.value = html.escape(
            f"verify {'ok' if result.ok else 'FAILED'} in {time.perf_counter() - start:.1f}s "
            f"(max |diff| {result.max_abs_diff:.3g} at {where})"
            + (f"; raised in {', '.join(failed)}" if failed else ""))
        if ga is self.graph_analysis:
            self.diagram.results = self._results(ga)
        return result

    def _show_error(self, exc: BaseException, hint: str = "") -> None:
        """Show an exception in the widget: its type and message, what to do
        about it, and (for anything but splitviz's own errors) the traceback folded."""
        message = f"{type(exc).__name__}: {exc}".strip()
        self.error = message
        self._shown_exc = exc
        hint = hint or _way_out(exc)
        tb = ""
        if not isinstance(exc, SplitvizError):
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            tb = f"<details><summary>traceback</summary><pre>{html.escape(text)}</pre></details>"
        self._error_html.value = (
            '<div class="sv-widget-error" style="color:#82071e;background:#ffebe9;padding:4px 8px;'
            'border-radius:4px;white-space:pre-wrap">'
            f"<b>{html.escape(message)}</b>"
            + (f'<div class="sv-widget-hint">{html.escape(hint)}</div>' if hint else "")
            + f"{tb}</div>"
        )
        self._error_box.layout.display = None
        if self._running:
            self._busy(False)

    # ----------------------------------------------------------------- display

    def __repr__(self) -> str:
        ga = self.graph_analysis
        if ga is None:
            first = self.error.splitlines()[0] if self.error else "nothing captured"
            return f"Explorer(no analysis: {first})"
        s = ga.split
        pieces = "split failed" if s.failure else _plural(len(s.pieces), "piece")
        return (f"Explorer(graph {self.graph_index} of {len(self.analysis.graphs)}, view={self.view!r}, "  # type: ignore[union-attr]
                f"decompose={self.decompose}, {pieces}, {_plural(len(ga.ledger), 'crossing')}, "
                f"{_plural(len(ga.ledger.hazards), 'hazard')})")

    def _text_summary(self) -> str:
        from .cli import summary

        a = self.analysis
        if a is None:
            hint = _way_out(self._shown_exc) if self._shown_exc else ""
            return "\n".join(x for x in (repr(self), self.error, hint) if x)
        return repr(self) + "\n" + summary(a)

    def _static_svg(self) -> str | None:
        """The picture for viewers without widgets: the current view, or the
        overview when that would be too heavy for a notebook file."""
        from . import render

        ga = self.graph_analysis
        if ga is None:
            return None
        svg = self.diagram.svg
        if (not svg or len(svg) > _STATIC_SVG_LIMIT) and "overview" in self.views and self.view != "overview":
            try:
                svg = svg_body(render.render_svg(ga, "overview", fold=self.fold).svg)
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
    fold: bool | None = None,
) -> Explorer:
    """Capture ``fn_or_module(*args)``, analyse it and return an :class:`Explorer`
    (a widget: the last expression of a cell displays it).

    ``fn_or_module`` may also be an :class:`Analysis` you already have.

    Bad input does not raise: for any :class:`~splitviz.errors.SplitvizError`
    (a malformed or unknown split op, an unknown policy, a program Dynamo
    cannot capture, an unavailable device) the explorer comes back without an
    analysis, shows the message and what to do, and offers the split ops and
    policy fields with an Analyse button. Wrong argument types still raise
    ``TypeError``.
    """
    if isinstance(fn_or_module, Analysis):
        if args or split_ops is not None:
            raise TypeError("explore(analysis) takes no inputs or split_ops: the analysis has them")
        return Explorer(fn_or_module, view=view, fold=fold)
    if split_ops is None:
        raise TypeError("explore() needs split_ops=, e.g. split_ops=['aten::sigmoid']")
    ops = _as_list(split_ops)
    if kwargs is not None and not isinstance(kwargs, dict):
        raise TypeError(f"kwargs= takes a dict of keyword arguments for the call, not {type(kwargs).__name__}")
    source = _Source(fn_or_module, args, dict(kwargs or {}), dynamic, device)
    return Explorer(None, view=view, fold=fold, _source=source, _split_ops=ops, _policy=policy, _decompose=decompose)
