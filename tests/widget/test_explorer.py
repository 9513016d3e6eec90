"""The explorer's Python surface, without a front end: state changes,
re-analysis on toggle, selection both ways, search, errors caught."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import traitlets

from splitviz import Analysis, analyze
from splitviz.widget import Diagram, Explorer, explore


def test_surface_lists_views_and_engine_objects(explorer: Explorer) -> None:
    views = explorer.views
    assert views[:2] == ["whole", "overview"]
    assert "diff" in views
    pieces = [v for v in views if v.startswith("piece:")]
    assert pieces == [f"piece:{p.name}" for p in explorer.split.pieces]
    assert explorer.view == "whole"
    assert explorer.graph_index == 0 and explorer.decompose is True
    assert explorer.graph is explorer.analysis.graphs[0].graph
    assert isinstance(explorer.graph, torch.fx.GraphModule)
    assert explorer.ledger is explorer.analysis.graphs[0].ledger
    assert explorer.hazards == []
    assert "<svg" in explorer.svg and "sv-node" in explorer.svg
    assert "decompose=True" in repr(explorer)
    assert explorer.error == ""


def test_view_switch_redraws_and_follows_the_dropdown(explorer: Explorer) -> None:
    whole = explorer.svg
    explorer.view = "overview"
    assert explorer.diagram.view == "overview"
    assert explorer._view_dd.value == "overview"
    assert explorer.svg != whole and "sv-piece" in explorer.svg
    explorer._view_dd.value = "diff"  # as a user picking it
    assert explorer.view == "diff"
    assert "sv-added" in explorer.svg and "sv-removed" in explorer.svg
    with pytest.raises(traitlets.TraitError, match="no view 'nope'"):
        explorer.view = "nope"
    assert explorer.view == "diff"


def test_front_end_can_open_a_piece(explorer: Explorer) -> None:
    piece = explorer.views[2]
    explorer.diagram.view = piece  # a double-click on a piece
    assert explorer.view == piece
    assert explorer._view_dd.value == piece


def test_toggling_decomposition_reanalyses_and_redraws(explorer: Explorer) -> None:
    decomposed_graph, decomposed_svg = explorer.graph, explorer.svg
    explorer.decompose = False
    assert explorer.graph is explorer.analysis.capture.graphs[0].gm  # the captured graph itself
    assert [h.kind for h in explorer.hazards] == ["size"]
    assert all(h.name and h.why for h in explorer.hazards)
    assert "diff" not in explorer.views or explorer.view != "diff"
    assert explorer.svg != decomposed_svg
    assert any(r["hazard"] for r in explorer.diagram.ledger)
    assert explorer._decompose_tb.value is False
    explorer._decompose_tb.value = True  # as a user clicking the toggle
    assert explorer.decompose is True
    assert explorer.graph is decomposed_graph  # kept, not re-run
    assert explorer.hazards == []


def test_selection_is_synced_both_ways_and_details_are_complete(explorer: Explorer) -> None:
    name = next(n.name for n in explorer.graph.graph.nodes if n.name.startswith("view"))
    explorer.selected = name
    assert explorer.diagram.selected == name
    d = explorer.details
    assert d is not None and explorer.diagram.details == d
    assert d["name"] == name and d["op"] == "call_method" and d["target"] == ".view"
    assert d["args"] and d["shape"] and d["dtype"] == "float32" and d["stride"]
    assert d["piece"] == explorer.split.node_to_piece[name]
    assert d["source"] and "view" in d["source"]
    assert d["module"] and d["users"]
    # a click in the picture
    explorer.diagram.selected = "l_x_"
    assert explorer.selected == "l_x_"
    assert explorer.details["op"] == "placeholder"
    assert explorer.details["shape"][1].startswith("s")  # the dynamic dim, as a SymInt expression
    with pytest.raises(traitlets.TraitError, match="no node named"):
        explorer.selected = "no_such_node"
    explorer.selected = ""
    assert explorer.details is None and explorer.diagram.details is None


def test_sym_size_node_details_show_symint_and_diff(explorer: Explorer) -> None:
    created = explorer.graph_analysis.rewrites.created[0]
    explorer.selected = created
    assert explorer.details["expr"].startswith("s")
    assert explorer.details["diff"] == "added"
    erased = explorer.graph_analysis.rewrites.erased[0]
    explorer.selected = erased  # erased nodes stay selectable: the diff view draws them
    assert explorer.details["diff"] == "removed"
    explorer.decompose = False
    assert explorer.selected == erased  # exists in the captured graph too
    assert "diff" not in explorer.details


def test_selection_cleared_when_the_node_is_gone(explorer: Explorer) -> None:
    explorer.selected = explorer.graph_analysis.rewrites.created[0]
    explorer.decompose = False
    assert explorer.selected == "" and explorer.details is None


def test_search_matches_by_name_and_op(explorer: Explorer) -> None:
    explorer.search = "VIEW"
    assert explorer.diagram.search == "VIEW"
    assert explorer.matches and all("view" in m or "view" in (explorer._node_details()[m]["target"]) for m in explorer.matches)
    explorer.search = "placeholder"  # by op
    assert "l_x_" in explorer.matches
    explorer.diagram.search = "softmax"  # typed in the picture
    assert explorer.search == "softmax" and explorer.matches
    explorer.view = "overview"  # pieces only: no FX node drawn
    assert explorer.matches == []
    explorer.search = ""
    assert explorer.matches == []


def test_highlight_from_ledger_click(explorer: Explorer) -> None:
    value = explorer.ledger.crossings[0].name
    explorer.diagram.highlight = value
    assert explorer.highlight == value
    explorer.highlight = ""
    assert explorer.diagram.highlight == ""


def test_errors_in_callbacks_are_shown_and_the_widget_stays_usable(explorer: Explorer, monkeypatch) -> None:
    from splitviz import render

    real = render.render_svg

    def broken(ga, view, **kw):
        raise RuntimeError(f"cannot draw {view} <b>today</b>")

    monkeypatch.setattr(render, "render_svg", broken)
    explorer._view_dd.value = "overview"  # a user action: must not raise
    assert "RuntimeError: cannot draw overview <b>today</b>" == explorer.error
    assert "&lt;b&gt;today&lt;/b&gt;" in explorer._error_html.value  # shown as text
    assert explorer._error_box.layout.display is None
    monkeypatch.setattr(render, "render_svg", real)
    explorer.view = "whole"
    assert "sv-node" in explorer.svg
    explorer._dismiss.click()
    assert explorer.error == "" and explorer._error_box.layout.display == "none"


def test_missing_dot_is_shown_not_raised(demo_analysis: Analysis, monkeypatch) -> None:
    from splitviz import render

    def no_dot(ga, view, **kw):
        raise render.DotNotFound("digraph {}")

    monkeypatch.setattr(render, "render_svg", no_dot)
    ex = Explorer(demo_analysis.reanalyze())
    assert "`dot` program was not found" in ex.error
    assert ex.svg == ""
    assert ex.views  # still scriptable
    ex.close()


def test_compile_and_verify_update_the_picture(demo_analysis: Analysis) -> None:
    ex = Explorer(demo_analysis.reanalyze(decompose=False))
    seen: list[int] = []
    ex.diagram.observe(lambda c: seen.append(len(c["new"].get("compile") or [])), "results")
    results = ex.compile()
    assert [r.piece for r in results] == [p.name for p in ex.split.pieces if not p.is_splitting]
    failed = [r for r in results if not r.ok]
    assert len(failed) == 1 and "output spec" in failed[0].error.message
    assert max(seen) == len(results) and 1 in seen  # live, piece by piece
    rows = ex.diagram.results["compile"]
    assert [r["ok"] for r in rows] == [r.ok for r in results]
    assert rows[[r.piece for r in results].index(failed[0].piece)]["error"]["text"]
    assert ex._progress.value == len(results) and ex._progress.bar_style == "danger"
    assert not ex._compile_btn.disabled
    ex.decompose = True
    assert ex.diagram.results["compile"] is None  # the other analysis has not been compiled
    assert all(r.ok for r in ex.compile())
    v = ex.verify()
    assert v.ok and ex.diagram.results["verify"]["ok"] is True
    assert ex.diagram.results["verify"]["checks"][0]["sizes"]
    ex.decompose = False
    assert ex.diagram.results["compile"] == rows  # results stay with their analysis
    ex.close()


def test_compile_errors_are_shown_from_the_button_and_raised_from_python(explorer: Explorer, monkeypatch) -> None:
    def fails(*a, **k):
        raise RuntimeError("inductor exploded")

    monkeypatch.setattr(explorer.graph_analysis, "compile", fails)
    explorer._compile_btn.click()
    assert explorer.error == "RuntimeError: inductor exploded"
    assert not explorer._compile_btn.disabled and not explorer._running
    with pytest.raises(RuntimeError, match="inductor exploded"):
        explorer.compile()


def test_static_mimebundle_has_svg_and_text(explorer: Explorer) -> None:
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "pieces" in bundle["text/plain"] and "crossings" in bundle["text/plain"]


def test_explore_from_a_function_and_from_an_analysis(demo_analysis: Analysis) -> None:
    def f(x):
        shape = x.shape
        y = torch.ops.aten.sigmoid.default(x)
        return y.clone().view(shape)

    ex = explore(f, torch.randn(4, 8), split_ops=["aten::sigmoid"], dynamic={0: 0}, device="cpu", view="overview")
    assert ex.view == "overview" and ex.decompose is True
    assert isinstance(ex.diagram, Diagram)
    ex.close()
    ex2 = explore(demo_analysis)
    assert ex2.analysis is demo_analysis
    ex2.close()
    with pytest.raises(TypeError, match="split_ops"):
        explore(f, torch.randn(4, 8))


def test_graph_breaks_give_a_graph_selector() -> None:
    def f(x):
        y = torch.ops.aten.sigmoid.default(x) + 1
        torch._dynamo.graph_break()
        return torch.ops.aten.sigmoid.default(y) * 2

    a = analyze(f, torch.randn(3, 4), split_ops=["aten::sigmoid"], device="cpu")
    assert len(a.graphs) == 2
    ex = Explorer(a)
    assert ex._graph_dd.layout.display is None and len(ex._graph_dd.options) == 2
    first = ex.svg
    ex._graph_dd.value = 1
    assert ex.graph_index == 1 and ex.graph is a.graphs[1].graph and ex.svg != first
    with pytest.raises(traitlets.TraitError, match="out of range"):
        ex.graph_index = 5
    ex.close()


def test_import_splitviz_and_report_without_widget_libraries() -> None:
    code = (
        "import sys, splitviz, splitviz.report, splitviz.cli; splitviz.cli.build_parser();"
        "bad = [m for m in ('ipywidgets', 'anywidget') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _indexing(x: torch.Tensor, idx_src: torch.Tensor) -> torch.Tensor:
    y = x * 2
    idx = torch.ops.aten.sigmoid.default(idx_src).argsort()  # an index computed after the splitting op
    return y[idx] + 1


def test_a_failed_split_is_shown_and_compile_refuses_politely() -> None:
    a = analyze(_indexing, torch.randn(4, 3), torch.randn(4), split_ops=["aten::sigmoid"], device="cpu")
    assert a.graphs[0].split.failure is not None
    ex = Explorer(a)
    assert ex.views[0] == "whole" and "overview" not in ex.views
    assert ex.diagram.message_kind == "error" and "split failed" in ex.diagram.message
    assert "sv-node" in ex.svg
    ex._compile_btn.click()
    assert "its split failed" in ex.error
    with pytest.raises(Exception, match="its split failed"):
        ex.verify()
    ex.close()


def test_a_bad_view_argument_raises() -> None:
    def f(x):
        return torch.ops.aten.sigmoid.default(x) * 2

    a = analyze(f, torch.randn(3), split_ops=["aten::sigmoid"], device="cpu")
    with pytest.raises(ValueError, match="no view 'nope'; views are whole, overview"):
        Explorer(a, view="nope")
