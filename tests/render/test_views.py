"""The views as graphs, before any layout: which boxes and edges, with which classes."""

from __future__ import annotations

import graphviz
import pytest

from splitviz import render
from splitviz._values import node_kind
from splitviz.pipeline import GraphAnalysis
from splitviz.render.scene import FANOUT, scene_of

from .conftest import parse_dot


def _symint_input(ga: GraphAnalysis) -> str:
    return next(n.name for n in ga.graph.graph.nodes if n.op == "placeholder" and node_kind(n) == "symint")


def test_views_lists_every_piece_and_the_diff(demo2: GraphAnalysis, hazard: GraphAnalysis, failed: GraphAnalysis) -> None:
    pieces = [f"piece:{p.name}" for p in demo2.split.pieces]
    assert render.views(demo2) == ["whole", "overview", *pieces, "diff"]
    assert "diff" not in render.views(hazard)  # not decomposed: nothing to diff
    assert render.views(failed) == ["whole", "diff"]  # no pieces without a split


def test_bad_views_name_the_valid_ones(demo2: GraphAnalysis, hazard: GraphAnalysis) -> None:
    with pytest.raises(render.RenderError, match="pieces: submod_0, submod_1"):
        render.build(demo2, "piece:nope")
    with pytest.raises(render.RenderError, match="views of graph 0: whole, overview"):
        render.build(demo2, "sideways")
    with pytest.raises(render.RenderError, match="did not decompose"):
        render.build(hazard, "diff")


def test_build_is_pure(demo2: GraphAnalysis, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    for view in render.views(demo2):
        g = render.build(demo2, view)
        assert isinstance(g, graphviz.Digraph) and g.source.startswith("digraph")


@pytest.mark.parametrize("fixture", ["demo2", "demo4", "hazard", "fixed", "failed", "shared", "nasty"])
@pytest.mark.parametrize("fold", [None, True, False])
def test_every_edge_joins_declared_boxes(fixture: str, fold: bool | None, request: pytest.FixtureRequest) -> None:
    """An edge to an undeclared name would make dot invent an unstyled box."""
    ga: GraphAnalysis = request.getfixturevalue(fixture)
    for view in render.views(ga):
        dot = parse_dot(render.build(ga, view, fold=fold).source)
        ends = {t for t, _, _ in dot.edges} | {h for _, h, _ in dot.edges}
        assert ends <= set(dot.nodes), (view, ends - set(dot.nodes))


def test_whole_clusters_pieces_and_folds_parameters(demo2: GraphAnalysis) -> None:
    dot = parse_dot(render.build(demo2, "whole").source)
    assert dot.clusters == [f"cluster_{p.name}" for p in demo2.split.pieces]
    fx = {n.name: n for n in demo2.graph.graph.nodes}
    params = [n for n in fx if "_parameters_" in n]
    assert len(params) == 7 * 2 + 1 and not set(params) & set(dot.nodes)  # folded ...
    qkv = next(a for n, a in dot.nodes.items() if n == "linear")
    assert "+ weight float32[96, 32]" in qkv["label"]  # ... into the label of their consumer
    assert set(dot.with_class("sv-node")) == set(fx) - set(params)
    for name in dot.with_class("sv-node"):
        assert f"sv-op-{fx[name].op}" in dot.classes(name)
    assert set(dot.with_class("sv-splitting-op")) == {"out", "out_1", "out_2", "out_3"}


def test_symint_input_is_drawn_at_each_use(demo2: GraphAnalysis) -> None:
    """The SymInt placeholder feeds every block: one box per use, no hub."""
    dot = parse_dot(render.build(demo2, "whole").source)
    s = next(n for n in demo2.graph.graph.nodes if n.name == _symint_input(demo2))
    proxies = [n for n in dot.nodes if n.startswith(f"{s.name}@")]
    assert sorted(p.split("@")[1] for p in proxies) == sorted(u.name for u in s.users)
    assert all({"sv-proxy", f"sv-value-{s.name}"} <= dot.classes(p) for p in proxies)
    assert all(tail != s.name for tail, _, _ in dot.edges)
    assert "drawn again at each of its" in dot.nodes[s.name]["label"]


def test_crossing_edges_match_the_ledger(demo2: GraphAnalysis) -> None:
    dot = parse_dot(render.build(demo2, "whole").source)
    crossing = dot.edges_with_class("sv-crossing")
    piece = demo2.split.node_to_piece
    expected = {
        (n.name, u.name)
        for n in demo2.graph.graph.nodes if n.name in piece
        for u in n.users if u.op == "output" or piece[u.name] != piece[n.name]
    }
    assert {(t, h) for t, h, _ in crossing} == expected
    for tail, _, attrs in crossing:
        c = demo2.ledger.by_name(tail)
        assert {f"sv-kind-{c.kind}", f"sv-value-{tail}"} <= set(attrs["class"].split())


def test_hazard_is_unmistakable(hazard: GraphAnalysis) -> None:
    (c,) = hazard.ledger.hazards
    for view in ("whole", "overview"):
        dot = parse_dot(render.build(hazard, view).source)
        (edge,) = dot.edges_with_class("sv-hazard")
        assert "sv-kind-size" in edge[2]["class"] and "⚠" in edge[2]["label"] and "Size[" in edge[2]["label"]
    overview = parse_dot(render.build(hazard, "overview").source)
    assert "sv-hazard" in overview.classes(c.producer)  # the piece it leaves is marked too
    assert "hazard out" in overview.nodes[c.producer]["label"]


def test_overview_one_node_per_piece_edges_list_values(demo2: GraphAnalysis) -> None:
    dot = parse_dot(render.build(demo2, "overview").source)
    assert dot.with_class("sv-piece") == [p.name for p in demo2.split.pieces]
    assert set(dot.with_class("sv-splitting")) == {p.name for p in demo2.split.pieces if p.is_splitting}
    edges = {(t, h): a for t, h, a in dot.edges_with_class("sv-crossing")}
    qkv = edges[("submod_0", "submod_1")]
    assert {"sv-value-q", "sv-value-k", "sv-value-v", "sv-kind-tensor"} <= set(qkv["class"].split())
    assert "q: float32[2, 4, s" in qkv["label"]
    residual = edges[("submod_2", "submod_4")]
    assert {"sv-kind-tensor", "sv-kind-symint"} <= set(residual["class"].split())
    assert "sym_size_int: SymInt s" in residual["label"]


def test_piece_view_marks_its_boundary(demo2: GraphAnalysis) -> None:
    dot = parse_dot(render.build(demo2, "piece:submod_2").source)
    piece = demo2.split.node_to_piece
    members = [n for n in demo2.graph.graph.nodes if piece.get(n.name) == "submod_2"]
    expected = {i.name for n in members for i in n.all_input_nodes
                if piece.get(i.name) != "submod_2" and "_parameters_" not in i.name}
    assert set(dot.with_class("sv-boundary-in")) == expected == {"out", "l_x_", _symint_input(demo2)}
    assert "from submod_1" in dot.nodes["out"]["label"] and "graph input" in dot.nodes["l_x_"]["label"]
    leaving = {n.split("@")[0] for n in dot.with_class("sv-proxy") if "sv-boundary-out" in dot.classes(n)}
    assert leaving == {c.name for c in demo2.ledger.crossings if c.producer == "submod_2"}
    assert dot.clusters == ["cluster_submod_2"]


def test_diff_styles_created_erased_changed(fixed: GraphAnalysis) -> None:
    rw = fixed.rewrites
    assert rw is not None and rw.created and rw.erased and rw.modified
    dot = parse_dot(render.build(fixed, "diff").source)
    assert set(dot.with_class("sv-added")) == set(rw.created)
    assert set(dot.with_class("sv-removed")) == set(rw.erased)
    assert set(dot.with_class("sv-changed")) == set(rw.modified)
    (changed,) = rw.modified
    assert "−" in dot.nodes[changed]["label"] and "+" in dot.nodes[changed]["label"]
    removed_edges = {(t, h) for t, h, _ in dot.edges_with_class("sv-removed")}
    assert (rw.erased[0], changed) in removed_edges
    assert (rw.created[0], changed) in {(t, h) for t, h, _ in dot.edges_with_class("sv-added")}


def test_diff_context_keeps_changes_and_neighbours(demo4: GraphAnalysis) -> None:
    full = parse_dot(render.build(demo4, "diff", fold=False).source)
    context = parse_dot(render.build(demo4, "diff", fold=True).source)
    rw = demo4.rewrites
    assert rw is not None
    changed = set(rw.created) | set(rw.erased) | set(rw.modified)
    assert changed <= set(context.with_class("sv-node")) < set(full.with_class("sv-node"))
    assert len(context.with_class("sv-node")) < len(full.with_class("sv-node")) / 3


def test_fold_repeated_blocks(demo4: GraphAnalysis) -> None:
    """4 blocks, 17 pieces: a window of 4 pieces repeats; the repeats become one node."""
    plain = parse_dot(render.build(demo4, "whole", fold=False).source)
    folded = parse_dot(render.build(demo4, "whole", fold=True).source)
    assert render.build(demo4, "whole").source == render.build(demo4, "whole", fold=False).source  # small: no auto fold
    assert len(plain.clusters) == 17 and not plain.with_class("sv-fold")
    (fold,) = folded.with_class("sv-fold")
    assert "× 2" in folded.nodes[fold]["label"] and "blocks.1 … blocks.2" in folded.nodes[fold]["label"]
    assert len(folded.clusters) == 17 - 8
    assert len(folded.nodes) < len(plain.nodes) / 1.5
    assert any(h == fold for _, h, _ in folded.edges_with_class("sv-crossing"))
    assert any(t == fold for t, _, _ in folded.edges_with_class("sv-crossing"))
    overview = parse_dot(render.build(demo4, "overview", fold=True).source)
    assert len(overview.with_class("sv-piece")) == 17 - 8 and overview.with_class("sv-fold")


def test_no_drawn_node_is_a_hub(demo4: GraphAnalysis) -> None:
    """What makes dot slow on real models is a few nodes with hundreds of edges."""
    dot = parse_dot(render.build(demo4, "whole").source)
    assert max(dot.out_degree().values()) <= FANOUT
    assert scene_of(demo4).drawn_count == len(dot.nodes)


def test_a_value_with_many_users_is_drawn_once_per_consumer_piece(shared: GraphAnalysis) -> None:
    c = next(n for n in shared.graph.graph.nodes if n.name == "c")
    assert len(c.users) > FANOUT
    dot = parse_dot(render.build(shared, "whole").source)
    proxies = [n for n in dot.with_class("sv-spread") if n.startswith("c@")]
    piece = shared.split.node_to_piece
    consumer_pieces = {piece[u.name] for u in c.users if u.op != "output"} - {piece["c"]}
    assert sorted(p.removeprefix("c@") for p in proxies) == sorted(consumer_pieces)
    out = [(h, a) for t, h, a in dot.edges if t == "c"]
    assert len(out) <= len(consumer_pieces) + 3  # no hub: one edge per piece, not per use
    assert all("sv-crossing" in a["class"] for h, a in out if h in proxies)
    assert ("c", "output") in {(t, h) for t, h, _ in dot.edges}  # returned: a direct crossing to the output
    assert set(dot.nodes) >= {h for _, h, _ in dot.edges} | {t for t, _, _ in dot.edges}  # no undeclared box


def test_split_failure_draws_the_graph_and_the_culprits(failed: GraphAnalysis) -> None:
    dot = parse_dot(render.build(failed, "whole").source)
    assert failed.split.failure is not None
    assert not dot.clusters
    assert set(dot.with_class("sv-culprit")) == set(failed.split.failure.nodes)
    assert "split failed" in render.build(failed, "whole").graph_attr["label"]


def test_compile_outcome_colours_pieces(size_analysis: object) -> None:
    from splitviz.compile import CompileResult

    ga = size_analysis.reanalyze(decompose=True).graphs[0]  # type: ignore[attr-defined]
    compiled = [p.name for p in ga.split.pieces if not p.is_splitting]
    ga.compile_results = [CompileResult(compiled[0], True, 0.5), CompileResult(compiled[1], False, 0.1)]
    dot = parse_dot(render.build(ga, "overview").source)
    assert "sv-compile-ok" in dot.classes(compiled[0]) and "sv-compile-failed" in dot.classes(compiled[1])
    assert "✓ compiled in 0.50 s" in dot.nodes[compiled[0]]["label"]
    whole = render.build(ga, "whole").source
    assert 'class="sv-piece sv-compile-ok"' in whole and 'class="sv-piece sv-compile-failed"' in whole
