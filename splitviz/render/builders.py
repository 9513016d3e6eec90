"""The views: an analysed graph in, a ``graphviz.Digraph`` out, no ``dot`` needed.

* ``whole``: the analysed graph, one cluster per piece, crossings as coloured
  edges, hazards labelled in red.
* ``overview``: one node per piece; each edge lists the values that cross it.
* ``piece:NAME``: one piece, with the values entering and leaving it.
* ``diff``: the size decomposition: created, erased and changed nodes.

What keeps large graphs fast lives here too: parameters are folded into the
labels of the nodes that use them, SymInt and scalar inputs are drawn at each
use, a value with many users is drawn once per consumer piece, repeated
blocks fold into one node, and the diff shows the changes with their
neighbours only. See :mod:`splitviz.render` for the SVG classes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import graphviz
import torch.fx as fx

from . import styles as st
from .errors import RenderError
from .fold import Run
from .labels import esc, html, node_label, node_tooltip
from .scene import Scene, scene_of

if TYPE_CHECKING:
    from ..ledger import Crossing
    from ..pipeline import GraphAnalysis
    from ..split import Piece

__all__ = [
    "views",
    "build",
    "parse_view",
    "attempts",
    "Attempt",
    "note",
    "AUTO_FOLD_NODES",
    "AUTO_FOLD_PIECES",
    "AUTO_CONTEXT_NODES",
]

#: the whole view folds repeated blocks by itself above this many boxes
AUTO_FOLD_NODES = 1500
#: the overview folds repeated pieces by itself above this many pieces
AUTO_FOLD_PIECES = 200
#: the diff shows only the changes and their neighbours above this many nodes
AUTO_CONTEXT_NODES = 200

_OUTPUT = "output@graph"
_INPUTS = "inputs@graph"


# -- which views exist -----------------------------------------------------
def views(ga: GraphAnalysis) -> list[str]:
    """The views of ``ga``: ``whole``, ``overview``, ``piece:NAME`` for each piece, ``diff``.

    Without a split (``split_module`` failed) only ``whole`` (and ``diff``) exist.
    """
    out = ["whole"]
    if ga.split.failure is None:
        out.append("overview")
        out += [f"piece:{p.name}" for p in ga.split.pieces]
    if ga.rewrites is not None:
        out.append("diff")
    return out


def parse_view(ga: GraphAnalysis, view: str) -> tuple[str, str | None]:
    """``"piece:submod_1"`` -> ``("piece", "submod_1")``; errors list the valid views."""
    kind, _, arg = view.partition(":")
    valid = views(ga)
    if view in valid:
        return kind, arg or None
    if kind == "piece" and ga.split.failure is None:
        names = ", ".join(p.name for p in ga.split.pieces)
        raise RenderError(f"no piece named {arg!r} in graph {ga.index}; pieces: {names}")
    why = ""
    if kind in ("overview", "piece") and ga.split.failure is not None:
        why = " (the split failed, so there are no pieces)"
    elif kind == "diff":
        why = " (this analysis did not decompose sizes; analyse with decompose=True)"
    raise RenderError(f"unknown view {view!r}{why}; views of graph {ga.index}: {', '.join(valid)}")


def build(ga: GraphAnalysis, view: str, *, fold: bool | None = None) -> graphviz.Digraph:
    """The ``graphviz.Digraph`` of one view. Pure: nothing runs ``dot``.

    ``fold=None`` folds repeated blocks (and trims the diff to its context)
    only when the graph is large; ``True``/``False`` force it.
    """
    return next(attempts(ga, view, fold)).build()


# -- fallbacks ---------------------------------------------------------------
@dataclass
class Attempt:
    """One way to draw a view; the layout tries them in order until one fits its time."""

    drawn: str
    what: str
    build: Callable[[], graphviz.Digraph]


def attempts(ga: GraphAnalysis, view: str, fold: bool | None = None) -> Iterator[Attempt]:
    """The drawing asked for, then simpler ones, ending with a note that needs no
    layout time. Lazy: a fallback is only prepared when the one before it failed."""
    kind, arg = parse_view(ga, view)
    scene = scene_of(ga)
    if kind == "whole":
        folded = _auto(fold, lambda: scene.drawn_count > AUTO_FOLD_NODES) and bool(scene.runs)
        yield Attempt("whole (folded)" if folded else "whole",
                      f"the whole graph ({scene.drawn_count:,} boxes)", lambda: _whole(scene, folded))
        if not folded and scene.runs:
            yield Attempt("whole (folded)", "the whole graph with repeated blocks folded", lambda: _whole(scene, True))
        if scene.split_ok:
            yield Attempt("overview", "the overview", lambda: _overview(scene, bool(scene.runs)))
    elif kind == "overview":
        folded = _auto(fold, lambda: len(scene.pieces) > AUTO_FOLD_PIECES) and bool(scene.runs)
        yield Attempt("overview (folded)" if folded else "overview",
                      f"the overview ({len(scene.pieces)} pieces)", lambda: _overview(scene, folded))
        if not folded and scene.runs:
            yield Attempt("overview (folded)", "the folded overview", lambda: _overview(scene, True))
    elif kind == "piece":
        assert arg is not None
        yield Attempt(view, f"piece {arg} ({len(scene.nodes_of[arg])} nodes)", lambda: _piece(scene, arg))
        yield Attempt(f"{view} (straight edges)", f"piece {arg} with straight edges",
                      lambda: _piece(scene, arg, fast=True))
    else:
        context = _auto(fold, lambda: len(scene.nodes) > AUTO_CONTEXT_NODES)
        yield Attempt("diff (context)" if context else "diff", "the diff", lambda: _diff(scene, context))
        if not context:
            yield Attempt("diff (context)", "the diff around its changes", lambda: _diff(scene, True))
    yield Attempt("note", "a summary", lambda: note(view, _summary(scene)))


def _auto(fold: bool | None, large: Callable[[], bool]) -> bool:
    return large() if fold is None else fold


# -- shared pieces of drawing ---------------------------------------------------
def _digraph(name: str, kind: str, caption: str | None = None, size: int = 0, **graph_attr: str) -> graphviz.Digraph:
    attrs = {**st.GRAPH, **st.large_graph_attrs(size), **graph_attr, "class": f"sv-view sv-view-{kind}"}
    if caption:
        attrs.update(label=f"<{_left(caption)}>", labelloc="t")
    return graphviz.Digraph(name=name, graph_attr=attrs, node_attr=dict(st.NODE), edge_attr=dict(st.EDGE))


def _left(lines: str) -> str:
    """Left-align every line of an HTML-like caption (``labeljust`` only places the block)."""
    return lines.replace("<br/>", '<br align="left"/>') + '<br align="left"/>'


def _quote(key: str, value: str) -> str:
    if key == "label" and value.startswith("<") and value.endswith(">"):
        return value  # every label here is HTML-like, built from labels.html()
    return '"' + value.replace('"', '\\"') + '"'  # escStrings from labels.esc(): backslashes already doubled


def _attr_list(attrs: dict[str, str | None]) -> str:
    return " ".join(f"{k}={_quote(k, v)}" for k, v in attrs.items() if v is not None)


def _statement(head: str, attrs: dict[str, str | None]) -> str:
    listed = _attr_list(attrs)
    return f"\t{head} [{listed}]\n" if listed else f"\t{head}\n"


def _node(g: graphviz.Digraph, name: str, **attrs: str | None) -> None:
    """``g.node()`` without the graphviz package's regex quoting of each attribute,
    a third of the build time on a 1,000-node graph. Names are always quoted."""
    g.body.append(_statement(f'"{name}"', attrs))


def _edge(g: graphviz.Digraph, tail: str, head: str, **attrs: str | None) -> None:
    g.body.append(_statement(f'"{tail}" -> "{head}"', attrs))


def _cls(*names: str | None | Iterable[str]) -> dict[str, str]:
    return {"class": st.classes(*names)}


def _fx_node(
    g: graphviz.Digraph,
    scene: Scene,
    node: fx.Node,
    *,
    extra: Iterable[str] = (),
    more_classes: Iterable[str] = (),
    style: dict[str, str] | None = None,
    tooltip_more: Iterable[str] = (),
) -> None:
    """An FX node: graphviz name == FX name, class ``sv-node sv-op-<op>``.

    The hot path of every view (one call per node), so it writes its DOT line
    directly instead of going through ``_node``'s generic attribute list."""
    attrs = st.OP.get(node.op, st.OP["call_function"])
    names = f"sv-node sv-op-{node.op}"
    if node.name in scene.splitting_nodes or node.name in scene.hazard_nodes or style:
        attrs = dict(attrs)
        if node.name in scene.splitting_nodes:
            attrs.update(st.SPLITTING_OP)
            names += " sv-splitting-op"
        if node.name in scene.hazard_nodes:
            attrs.update(color=st.HAZARD_COLOR, penwidth="2.5")
            names += " sv-hazard"
        if style:
            attrs.update(style)
    for extra_class in more_classes:
        names += f" {extra_class}"
    text = scene.text(node)
    param_nodes = scene.params_of.get(node.name)
    params = [scene.text(p) for p in param_nodes] if param_nodes else []
    label = node_label(text, params=params, extra=list(extra))
    tooltip = node_tooltip(text, piece=scene.piece_of.get(node.name), params=params, more=list(tooltip_more))
    styled = "".join(f' {k}="{v}"' for k, v in attrs.items())
    g.body.append(f'\t"{node.name}" [label={label} tooltip={_quote("tooltip", tooltip)}{styled} class="{names}"]\n')


def _proxy(g: graphviz.Digraph, name: str, of: fx.Node, label: str, tooltip: str,
           more_classes: Iterable[str] = ()) -> None:
    """A stand-in for ``of`` next to where it is used; its title is ``<fx name>@<where>``."""
    _node(g, name, label=f"<{html(label, 36)}>", tooltip=esc(tooltip), **st.PROXY,
           **_cls("sv-proxy", f"sv-op-{of.op}", f"sv-value-{of.name}", more_classes))


def _crossing_text(c: Crossing) -> str:
    if c.kind == "symint":
        return f"SymInt {c.expr}"
    if c.kind in ("tensor", "size"):
        return c.description
    return f"{c.kind} {c.description}"


def _crossing_attrs(c: Crossing, *, labelled: bool = True) -> dict[str, str]:
    """A crossing edge: ``sv-crossing sv-kind-<kind> sv-value-<name>`` (+ ``sv-hazard``)."""
    tip = f"{c.name}: {_crossing_text(c)}\n{c.producer} → {', '.join(c.consumers)}"
    if c.hazard and c.why:
        tip += f"\nHAZARD: {c.why}"
    if c.source:
        tip += f"\n{c.source}"
    attrs = {
        "color": st.kind_color(c.kind),
        "penwidth": "1.6",
        "tooltip": esc(tip),
        **_cls("sv-crossing", f"sv-kind-{c.kind}", f"sv-value-{c.name}", "sv-hazard" if c.hazard else None),
    }
    if c.hazard:
        attrs.update(color=st.HAZARD_COLOR, penwidth="3.5", fontcolor=st.HAZARD_COLOR, fontsize="9")
        if labelled:
            attrs["label"] = f"<<b>⚠ {html(c.name, 24)}</b><br/>{html(_crossing_text(c), 36)}>"
    return attrs


def _piece_style(scene: Scene, piece: Piece) -> tuple[dict[str, str], list[str]]:
    style = dict(st.SPLITTING_PIECE if piece.is_splitting else st.PIECE)
    names = ["sv-piece", "sv-splitting" if piece.is_splitting else None]
    if any(c.hazard and c.producer == piece.name for c in scene.crossings.values()):
        style.update(color=st.HAZARD_COLOR, penwidth="2.5")
        names.append("sv-hazard")
    r = scene.compile_result(piece.name)
    if r is not None:
        style.update(st.COMPILE_OK if r.ok else st.COMPILE_FAILED)
        names.append("sv-compile-ok" if r.ok else "sv-compile-failed")
    return style, [n for n in names if n]


def _piece_lines(scene: Scene, piece: Piece) -> list[str]:
    nodes = scene.nodes_of[piece.name]
    if piece.is_splitting:
        ops = sorted({scene.text(n).target for n in nodes if n.name in scene.splitting_nodes})
        role = "splitting · " + html(", ".join(ops) or "op", 40)
    else:
        role = "compiled"
    lines = [f"<b>{html(piece.name)}</b> · {role} · {len(nodes)} node{'s' if len(nodes) != 1 else ''}"]
    hazards = [c for c in scene.crossings.values() if c.hazard and c.producer == piece.name]
    if hazards:
        what = ", ".join(f"{c.name} ({c.kind})" for c in hazards[:3]) + (" …" if len(hazards) > 3 else "")
        lines.append(f'<font color="{st.HAZARD_COLOR}"><b>⚠ hazard out: {html(what, 60)}</b></font>')
    r = scene.compile_result(piece.name)
    if r is not None:
        lines.append(f"✓ compiled in {r.seconds:.2f} s" if r.ok else f"✗ compile failed: {html(r.error, 60)}")
    return lines


def _edge_once(g: graphviz.Digraph, seen: set[tuple[str, str, str]], tail: str, head: str, value: str,
               attrs: dict[str, str]) -> None:
    if tail == head or (tail, head, value) in seen:
        return
    seen.add((tail, head, value))
    _edge(g, tail, head, **attrs)


_INPUT_EDGE = {"color": "#93c5fd", "style": "dashed"}
_PROXY_EDGE = {"color": "#93c5fd", "arrowsize": "0.4"}


# -- whole ---------------------------------------------------------------------
def _hidden(scene: Scene, fold: bool) -> tuple[dict[str, str], dict[int, tuple[Run, str]]]:
    """piece name -> fold node, and where each fold is drawn."""
    hidden: dict[str, str] = {}
    starts: dict[int, tuple[Run, str]] = {}
    for run in scene.runs if fold else []:
        name = f"fold@{scene.pieces[run.start + run.period].name}"
        starts[run.start + run.period] = (run, name)
        for i in run.hidden:
            hidden[scene.pieces[i].name] = name
    return hidden, starts


def _fold_node(g: graphviz.Digraph, scene: Scene, run: Run, name: str) -> None:
    """Folded repetitions: what they hold and what crosses inside them."""
    pieces = [scene.pieces[i] for i in run.hidden]
    names = {p.name for p in pieces}
    nodes = sum(len(scene.nodes_of[p.name]) for p in pieces)
    inside = [c for c in scene.crossings.values() if c.producer in names]
    hazards = [c for c in inside if c.hazard]
    first, last = scene.pieces[run.start].name, scene.pieces[run.start + run.period - 1].name
    like = first if run.period == 1 else f"{first} … {last}"
    blocks = scene.block_range(run)
    lines = [
        f"<b>× {run.repeats - 1}</b> like {html(like)} above",
        (f"{html(blocks)} · " if blocks else "") + f"{pieces[0].name} … {pieces[-1].name}",
        f"{len(pieces)} pieces ({sum(p.is_splitting for p in pieces)} splitting), {nodes:,} nodes, "
        f"{len(inside)} crossings",
    ]
    style = dict(st.FOLD)
    if hazards:
        kinds = ", ".join(sorted({c.kind for c in hazards}))
        lines.append(f'<font color="{st.HAZARD_COLOR}"><b>⚠ {len(hazards)} hazards ({kinds})</b></font>')
        style.update(color=st.HAZARD_COLOR, penwidth="2.5")
    failed = [p.name for p in pieces if (r := scene.compile_result(p.name)) is not None and not r.ok]
    if failed:
        lines.append(f'<font color="{st.HAZARD_COLOR}">✗ {len(failed)} pieces failed to compile</font>')
    tip = f"{len(pieces)} pieces folded: {', '.join(p.name for p in pieces)}"
    _node(g, name, label="<" + "<br/>".join(lines) + ">", tooltip=esc(tip), **style,
           **_cls("sv-fold", "sv-hazard" if hazards else None))


def _whole(scene: Scene, fold: bool) -> graphviz.Digraph:
    ga = scene.ga
    hidden, starts = _hidden(scene, fold)
    failure = ga.split.failure
    caption = None
    if failure is not None:
        caption = f'<font color="{st.HAZARD_COLOR}">split failed: {html(str(failure).splitlines()[0], 100)}</font>'
    g = _digraph(f"graph{ga.index}_whole", "whole", caption, scene.drawn_count)
    culprits = set(failure.nodes) if failure is not None else set()

    def home(n: fx.Node) -> str | None:
        return scene.piece_of.get(n.name)

    def draw(sub: graphviz.Digraph, n: fx.Node) -> None:
        extra = []
        if n.name in scene.per_use:
            extra.append(f'<font point-size="8" color="{st.MUTED}">drawn again at each of its {len(n.users)} uses</font>')
        bad = ["sv-culprit"] if n.name in culprits else []
        _fx_node(sub, scene, n, extra=extra, more_classes=bad,
                 style={"color": st.HAZARD_COLOR, "penwidth": "2.5"} if bad else None)
        for i in n.all_input_nodes:
            if i.name in scene.per_use:
                _proxy(sub, f"{i.name}@{n.name}", i, f"{i.name}", f"{i.name}: {scene.text(i).value} (graph input)")

    for n in scene.inputs():
        draw(g, n)
    for index, piece in enumerate(scene.pieces):
        if piece.name in hidden:
            if index in starts:
                _fold_node(g, scene, *starts[index])
            continue
        style, names = _piece_style(scene, piece)
        with g.subgraph(name=f"cluster_{piece.name}") as c:
            c.attr(label="<" + "<br/>".join(_piece_lines(scene, piece)) + ">", **style, **_cls(names))
            spread_here: set[str] = set()
            for n in scene.nodes_of[piece.name]:
                draw(c, n)
                for i in n.all_input_nodes:
                    if i.name in scene.spread and home(i) != piece.name and i.name not in spread_here:
                        spread_here.add(i.name)
                        _proxy(c, f"{i.name}@{piece.name}", i, i.name,
                               f"{i.name}: {scene.text(i).value} from {home(i)}", ["sv-spread"])
    for n in scene.nodes:  # unassigned nodes (no split) and the output
        if n.op != "placeholder" and n.name not in scene.piece_of and n.name not in scene.params:
            draw(g, n)

    seen: set[tuple[str, str, str]] = set()
    for n in scene.nodes:
        if n.name in scene.params:
            continue
        head = hidden.get(home(n) or "", n.name)
        for i in n.all_input_nodes:
            if i.name in scene.params:
                continue
            if i.name in scene.per_use:
                if head == n.name:
                    _edge(g, f"{i.name}@{n.name}", n.name, **_PROXY_EDGE)
                continue
            tail = hidden.get(home(i) or "", i.name)
            crossing = scene.is_crossing(i, n)
            attrs = _crossing_attrs(scene.crossings[i.name]) if crossing else (
                dict(_INPUT_EDGE) if i.op == "placeholder" else {})
            if i.name in scene.spread and home(n) is not None and home(n) != home(i) and head == n.name:
                proxy = f"{i.name}@{home(n)}"
                _edge_once(g, seen, tail, proxy, i.name, attrs)
                _edge_once(g, seen, proxy, n.name, i.name, dict(_PROXY_EDGE))
                continue
            _edge_once(g, seen, tail, head, i.name, attrs)
    return g


# -- overview --------------------------------------------------------------------
def _overview(scene: Scene, fold: bool) -> graphviz.Digraph:
    ga = scene.ga
    hidden, starts = _hidden(scene, fold)
    g = _digraph(f"graph{ga.index}_overview", "overview", None, len(scene.pieces) * 4,
                 nodesep="0.35", ranksep="0.45")
    inputs = list(scene.inputs())
    lines = ["<b>inputs</b>"] + [html(f"{n.name}: {scene.text(n).value}", 48) for n in inputs[:6]]
    if len(inputs) > 6:
        lines.append(f"+ {len(inputs) - 6} more")
    if scene.params:
        lines.append(f'<font color="{st.MUTED}">+ {len(scene.params)} parameters</font>')
    _node(g, _INPUTS, label="<" + "<br/>".join(lines) + ">", **{**st.OP["placeholder"]}, **_cls("sv-inputs"))
    order = [_INPUTS]
    for index, piece in enumerate(scene.pieces):
        if piece.name in hidden:
            if index in starts:
                _fold_node(g, scene, *starts[index])
                order.append(starts[index][1])
            continue
        style, names = _piece_style(scene, piece)
        lines = _piece_lines(scene, piece)
        ops = Counter(scene.text(n).target for n in scene.nodes_of[piece.name] if n.name not in scene.splitting_nodes)
        if ops and not piece.is_splitting:
            top = ", ".join(f"{op} ×{k}" if k > 1 else op for op, k in ops.most_common(4))
            lines.append(f'<font point-size="8" color="{st.MUTED}">{html(top, 60)}</font>')
        _node(g, piece.name, label="<" + "<br/>".join(lines) + ">", tooltip=esc(f"{piece.name}: {', '.join(piece.nodes[:40])}"),
               **{**style, "shape": "box"}, **_cls(names))
        order.append(piece.name)
    _node(g, _OUTPUT, label="<<b>output</b>>", **st.OP["output"], **_cls("sv-output"))
    order.append(_OUTPUT)
    for a, b in zip(order, order[1:]):  # keep the pieces in program order, top to bottom
        _edge(g, a, b, style="invis", weight="20")

    groups: dict[tuple[str, str], list[Crossing]] = {}
    for c in scene.crossings.values():
        tail = hidden.get(c.producer, c.producer)
        for consumer in c.consumers:
            head = _OUTPUT if consumer == "output" else hidden.get(consumer, consumer)
            if tail == head:
                continue
            if c.hazard:
                _edge(g, tail, head, **_crossing_attrs(c))
            else:
                groups.setdefault((tail, head), []).append(c)
    for (tail, head), cs in groups.items():
        kinds = sorted({c.kind for c in cs})
        rows = [f'<font color="{st.kind_color(c.kind)}">●</font> {html(c.name, 24)}: {html(_crossing_text(c), 32)}'
                for c in cs[:6]]
        if len(cs) > 6:
            rows.append(f"+ {len(cs) - 6} more")
        tip = "\n".join(f"{c.name}: {_crossing_text(c)}" for c in cs)
        _edge(g, tail, head, label="<" + '<br align="left"/>'.join(rows) + '<br align="left"/>>',
               tooltip=esc(tip), fontsize="8", penwidth="1.6",
               color=st.kind_color(kinds[0]) if len(kinds) == 1 else "#475569",
               **_cls("sv-crossing", [f"sv-kind-{k}" for k in kinds], [f"sv-value-{c.name}" for c in cs]))
    return g


# -- piece -------------------------------------------------------------------------
def _piece(scene: Scene, name: str, *, fast: bool = False) -> graphviz.Digraph:
    ga = scene.ga
    piece = scene.pieces[scene.piece_index[name]]
    members = scene.nodes_of[name]
    inside = {n.name for n in members}
    extra_attrs = {"splines": "line", "nslimit": "1", "mclimit": "0.1"} if fast else {}
    g = _digraph(f"graph{ga.index}_piece_{name}", "piece", None, len(members), **extra_attrs)

    boundary_in: dict[str, fx.Node] = {}  # values this piece receives, in first-use order
    for n in members:
        for i in n.all_input_nodes:
            if i.name not in inside and i.name not in scene.params:
                boundary_in.setdefault(i.name, i)
    for i in boundary_in.values():
        where = scene.piece_of.get(i.name)
        note_ = f"from {where}" if where else "graph input"
        _fx_node(g, scene, i, extra=[f'<font point-size="8" color="{st.MUTED}">{html(note_)}</font>'],
                 more_classes=["sv-boundary", "sv-boundary-in"], style=dict(st.BOUNDARY))

    style, names = _piece_style(scene, piece)
    with g.subgraph(name=f"cluster_{name}") as c:
        c.attr(label="<" + "<br/>".join(_piece_lines(scene, piece)) + ">", **style, **_cls(names))
        for n in members:
            out = [u for u in n.users if u.op == "output" or u.name not in inside]
            _fx_node(c, scene, n, more_classes=["sv-boundary-out"] if out else [])

    for n in members:
        for i in n.all_input_nodes:
            if i.name in scene.params:
                continue
            if scene.is_crossing(i, n):
                _edge(g, i.name, n.name, **_crossing_attrs(scene.crossings[i.name], labelled=False))
            else:
                _edge(g, i.name, n.name, **(_INPUT_EDGE if i.op == "placeholder" else {}))
        c_ = scene.crossings.get(n.name)
        if c_ is not None:
            marker = f"{n.name}@out"
            _node(g, marker, label=f"<→ {html(', '.join(c_.consumers), 40)}>", **st.BOUNDARY, fontsize="9",
                   **_cls("sv-proxy", "sv-boundary", "sv-boundary-out", f"sv-value-{n.name}",
                          "sv-hazard" if c_.hazard else None))
            _edge(g, n.name, marker, **_crossing_attrs(c_))
    return g


# -- diff ---------------------------------------------------------------------------
def _diff(scene: Scene, context: bool) -> graphviz.Digraph:
    ga = scene.ga
    rw = ga.rewrites
    if rw is None:
        raise RenderError("no diff: this analysis did not decompose sizes (analyse with decompose=True)")
    before = list(ga.captured.gm.graph.nodes)
    before_by = {n.name: n for n in before}
    after_by = scene.by_name
    created, erased, changed = set(rw.created), set(rw.erased), set(rw.modified)
    status = {**{n: "added" for n in created}, **{n: "removed" for n in erased}, **{n: "changed" for n in changed}}
    caption = html(rw.summary(), 200)
    if rw.skipped:
        caption += "<br/>" + "<br/>".join(html(f"left in place: {name}: {why}", 120) for name, why in rw.skipped)

    # the union of both graphs, in program order: erased nodes after their predecessor
    order: list[fx.Node] = list(scene.nodes)
    position = {n.name: k for k, n in enumerate(order)}
    for k, n in enumerate(before):
        if n.name in erased:
            anchor = next((before[j].name for j in range(k - 1, -1, -1) if before[j].name in position), None)
            at = position[anchor] + 1 if anchor is not None else 0
            order.insert(at, n)
            position = {m.name: j for j, m in enumerate(order)}

    def inputs_of(n: fx.Node) -> list[fx.Node]:
        """Inputs in either graph, resolved to the node that is drawn."""
        found: dict[str, fx.Node] = {}
        for graph_node in (after_by.get(n.name), before_by.get(n.name)):
            if graph_node is None:
                continue
            for i in graph_node.all_input_nodes:
                found.setdefault(i.name, after_by.get(i.name, i))
        return list(found.values())

    keep = {n.name for n in order if n.name not in scene.params}
    if context:
        keep = set()
        for name in status:
            keep.add(name)
            for graph_node in (after_by.get(name), before_by.get(name)):
                if graph_node is not None:
                    keep |= {i.name for i in graph_node.all_input_nodes}
                    keep |= {u.name for u in graph_node.users}
        keep -= scene.params
        if status:
            caption += f"<br/>showing {len(keep)} of {len(order)} nodes: the changes and their neighbours"
    if not status:
        caption += "<br/>nothing changed: no torch.Size value in this graph"
    g = _digraph(f"graph{ga.index}_diff", "diff", caption, len(keep))

    def piece_for(n: fx.Node) -> str | None:
        if n.name in scene.piece_of:
            return scene.piece_of[n.name]
        return next((scene.piece_of[i.name] for i in n.all_input_nodes if i.name in scene.piece_of), None)

    clusters: dict[str | None, list[fx.Node]] = {}
    for n in order:
        if n.name in keep:
            clusters.setdefault(piece_for(n) if n.op not in ("placeholder", "output") else None, []).append(n)

    def draw(sub: graphviz.Digraph, n: fx.Node) -> None:
        s = status.get(n.name)
        extra, tip = [], []
        if s == "changed":
            was, now = rw.modified[n.name]
            extra = [html(f"− {was}", 60), html(f"+ {now}", 60)]
            tip = [f"before: {was}", f"after: {now}"]
        elif s == "removed":
            users = [u for u in n.users]
            where = sorted({scene.piece_of.get(u.name, "") for u in users} - {"", piece_for(n)})
            if where:
                extra = [html(f"crossed to {', '.join(where)}", 60)]
        elif s == "added":
            extra = ["new"]
        style = dict(st.DIFF[s]) if s else None
        _fx_node(sub, scene, n, extra=extra, more_classes=[f"sv-{s}"] if s else [], style=style, tooltip_more=tip)
        for i in inputs_of(n):
            if i.name in scene.per_use:
                _proxy(sub, f"{i.name}@{n.name}", i, i.name, f"{i.name}: {scene.text(i).value} (graph input)")

    for piece_name, nodes in clusters.items():
        if piece_name is None or piece_name not in scene.piece_index:
            for n in nodes:
                draw(g, n)
            continue
        piece = scene.pieces[scene.piece_index[piece_name]]
        style, names = _piece_style(scene, piece)
        with g.subgraph(name=f"cluster_{piece_name}") as c:
            c.attr(label="<" + "<br/>".join(_piece_lines(scene, piece)) + ">", **style, **_cls(names))
            for n in nodes:
                draw(c, n)

    after_edges = {(i.name, n.name) for n in scene.nodes for i in n.all_input_nodes}
    before_edges = {(i.name, n.name) for n in before for i in n.all_input_nodes}
    for n in order:
        if n.name not in keep:
            continue
        for i in inputs_of(n):
            pair = (i.name, n.name)
            tail = f"{i.name}@{n.name}" if i.name in scene.per_use else i.name
            if i.name not in keep and tail == i.name:
                continue
            if pair in after_edges and pair not in before_edges:
                attrs: dict[str, Any] = {"color": st.DIFF["added"]["color"], "penwidth": "2", **_cls("sv-added")}
            elif pair in before_edges and pair not in after_edges:
                attrs = {"color": st.DIFF["removed"]["color"], "penwidth": "2", "style": "dashed", **_cls("sv-removed")}
            elif n.name in after_by and i.name in after_by and scene.is_crossing(after_by[i.name], after_by[n.name]):
                attrs = _crossing_attrs(scene.crossings[i.name], labelled=False)
            else:
                attrs = dict(_PROXY_EDGE if tail != i.name else _INPUT_EDGE) if i.op == "placeholder" else {}
            _edge(g, tail, n.name, **attrs)
    return g


# -- last resort -------------------------------------------------------------------
def _summary(scene: Scene) -> list[str]:
    ga = scene.ga
    lines = [f"graph {ga.index}: {len(scene.nodes):,} nodes, {len(scene.pieces)} pieces "
             f"({sum(p.is_splitting for p in scene.pieces)} splitting)",
             f"{len(scene.crossings)} crossings, {len(scene.hazard_nodes)} hazards"]
    for c in ga.ledger.hazards[:8]:
        lines.append(f"⚠ {c.name} ({_crossing_text(c)}): {c.producer} → {', '.join(c.consumers)}")
    return lines


def note(view: str, lines: list[str], message: str | None = None) -> graphviz.Digraph:
    """A single box of text: what is drawn when no layout finishes in time."""
    g = _digraph("note", "note")
    body = [f"<b>{html(view, 60)}</b>"] + [html(line, 100) for line in lines]
    if message:
        body.append(f'<font color="{st.HAZARD_COLOR}">{html(message, 160)}</font>')
    _node(g, "note@graph", label="<" + '<br align="left"/>'.join(body) + '<br align="left"/>>', shape="note",
           style="filled", fillcolor="#fffbeb", color="#d97706", **_cls("sv-note"))
    return g
