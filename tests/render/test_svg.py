"""The SVG contract, checked on what a real ``dot`` writes (the widget and report rely on it)."""

from __future__ import annotations

import pytest

from splitviz import render
from splitviz.compile import CompileResult
from splitviz.pipeline import Analysis, GraphAnalysis

from .conftest import groups, titles

pytestmark = pytest.mark.dot


def _params(ga: GraphAnalysis) -> set[str]:
    return {n.name for n in ga.graph.graph.nodes if "_parameters_" in n.name}


def test_every_view_renders_inline_svg(demo2: GraphAnalysis) -> None:
    for view in render.views(demo2):
        r = render.render_svg(demo2, view)
        assert r.svg.startswith("<svg") and "<?xml" not in r.svg and "DOCTYPE" not in r.svg
        assert r.view == view and not r.fallback and r.message is None
        assert r.dot.startswith("digraph") and r.seconds > 0
        (root,) = [g for g in groups(r.svg) if "graph" in g.classes]
        assert "sv-view" in root.classes


def test_fx_nodes_map_back_by_title(demo2: GraphAnalysis) -> None:
    svg = render.render_svg(demo2, "whole").svg
    fx = {n.name: n for n in demo2.graph.graph.nodes}
    nodes = groups(svg, "sv-node")
    assert {g.title for g in nodes} == set(fx) - _params(demo2)
    for g in nodes:
        assert f"sv-op-{fx[g.title].op}" in g.classes
    for g in groups(svg, "sv-proxy"):
        assert g.title.split("@")[0] in fx and f"sv-value-{g.title.split('@')[0]}" in g.classes


def test_pieces_are_clusters_and_splitting_ones_differ(demo2: GraphAnalysis) -> None:
    svg = render.render_svg(demo2, "whole").svg
    pieces = groups(svg, "sv-piece")
    assert [g.title for g in pieces] == [f"cluster_{p.name}" for p in demo2.split.pieces]
    splitting = {f"cluster_{p.name}" for p in demo2.split.pieces if p.is_splitting}
    assert {g.title for g in pieces if "sv-splitting" in g.classes} == splitting
    assert all("cluster" in g.classes for g in pieces)
    overview = render.render_svg(demo2, "overview").svg
    assert [g.title for g in groups(overview, "sv-piece")] == [p.name for p in demo2.split.pieces]


def test_crossing_edges_carry_kind_and_value(demo2: GraphAnalysis) -> None:
    svg = render.render_svg(demo2, "whole").svg
    edges = groups(svg, "sv-crossing")
    kinds = {c.name: c.kind for c in demo2.ledger.crossings}
    assert edges and {c for g in edges for c in g.classes if c.startswith("sv-kind-")} == {"sv-kind-tensor", "sv-kind-symint"}
    for g in edges:
        (value,) = [c.removeprefix("sv-value-") for c in g.classes if c.startswith("sv-value-")]
        assert f"sv-kind-{kinds[value]}" in g.classes
        assert g.title.startswith(value)  # graphviz titles edges "tail->head"


def test_size_hazard_in_svg(hazard: GraphAnalysis) -> None:
    for view in ("whole", "overview"):
        svg = render.render_svg(hazard, view).svg
        marked = groups(svg, "sv-hazard")
        (edge,) = [g for g in marked if "edge" in g.classes]
        assert {"sv-crossing", "sv-kind-size"} <= edge.classes
        assert any("⚠" in t for t in edge.texts())
        (piece,) = [g for g in marked if "sv-piece" in g.classes]  # the piece it leaves
        assert piece.title.removeprefix("cluster_") == hazard.ledger.hazards[0].producer


def test_piece_view_boundary_in_svg(demo2: GraphAnalysis) -> None:
    svg = render.render_svg(demo2, "piece:submod_2").svg
    assert "out" in titles(svg, "sv-boundary-in")
    leaving = titles(svg, "sv-boundary-out")
    assert {"x@out", "sym_size_int@out"} <= leaving
    assert titles(svg, "sv-piece") == {"cluster_submod_2"}


def test_diff_classes_in_svg(fixed: GraphAnalysis) -> None:
    rw = fixed.rewrites
    assert rw is not None
    svg = render.render_svg(fixed, "diff").svg
    assert titles(svg, "sv-added") >= set(rw.created)
    assert {g.title for g in groups(svg, "sv-removed") if "node" in g.classes} == set(rw.erased)
    assert {g.title for g in groups(svg, "sv-changed") if "node" in g.classes} == set(rw.modified)
    assert any("edge" in g.classes for g in groups(svg, "sv-removed"))


def test_compile_outcome_classes_in_svg(size_analysis: Analysis) -> None:
    ga = size_analysis.reanalyze(decompose=True).graphs[0]
    before = render.render_svg(ga, "overview")
    assert not titles(before.svg, "sv-compile-ok")
    compiled = [p.name for p in ga.split.pieces if not p.is_splitting]
    ga.compile_results = [CompileResult(compiled[0], True, 0.2), CompileResult(compiled[1], False, 0.1)]
    after = render.render_svg(ga, "overview")  # compiling changes the picture: not served from the cache
    assert titles(after.svg, "sv-compile-ok") == {compiled[0]}
    assert titles(after.svg, "sv-compile-failed") == {compiled[1]}
    whole = render.render_svg(ga, "whole").svg
    assert titles(whole, "sv-compile-ok") == {f"cluster_{compiled[0]}"}


def test_folded_view_in_svg(demo4: GraphAnalysis) -> None:
    svg = render.render_svg(demo4, "whole", fold=True).svg
    (fold,) = groups(svg, "sv-fold")
    assert fold.title == "fold@submod_7"
    assert any("× 2" in t for t in fold.texts())
