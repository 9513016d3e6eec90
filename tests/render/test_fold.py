"""Repeated blocks: finding them, folding them when large, and drawing large graphs fast."""

from __future__ import annotations

import pytest

from splitviz import render
from splitviz.pipeline import GraphAnalysis
from splitviz.render import builders
from splitviz.render.fold import Run, find_runs

from .conftest import analyze_demo, groups, parse_dot


@pytest.mark.parametrize("keys, runs", [
    ("ABCDBCDBCDBCDE", [Run(1, 3, 4)]),
    ("AAAAAA", [Run(0, 1, 6)]),
    ("ABCDEFG", []),
    ("ABAB", []),  # two repeats: nothing worth folding
    ("XYXYXYXYQZZZZ", [Run(0, 2, 4), Run(9, 1, 4)]),
    ("ABABABAB" * 2, [Run(0, 2, 8)]),
])
def test_find_runs(keys: str, runs: list[Run]) -> None:
    assert find_runs(list(keys)) == runs


def test_run_hides_all_but_the_first_window() -> None:
    run = Run(1, 3, 4)
    assert run.stop == 13 and list(run.hidden) == list(range(4, 13))


def test_large_graphs_fold_by_themselves(demo4: GraphAnalysis, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not parse_dot(render.build(demo4, "whole").source).with_class("sv-fold")
    monkeypatch.setattr(builders, "AUTO_FOLD_NODES", 100)
    monkeypatch.setattr(builders, "AUTO_FOLD_PIECES", 10)
    assert parse_dot(render.build(demo4, "whole").source).with_class("sv-fold")
    assert parse_dot(render.build(demo4, "overview").source).with_class("sv-fold")
    assert not parse_dot(render.build(demo4, "whole", fold=False).source).with_class("sv-fold")


@pytest.mark.dot
@pytest.mark.slow
def test_sixteen_blocks_lay_out_without_fallback() -> None:
    """FxGraphDrawer + dot needs more than a minute for this graph (see benchmarks/render.py)."""
    ga = analyze_demo(16).graphs[0]
    assert ga.captured.num_nodes > 600
    r = render.render_svg(ga, "whole", timeout=30)
    assert not r.fallback  # laid out within its own budget: no fallback was needed
    assert len(groups(r.svg, "sv-piece")) == len(ga.split.pieces) == 65
    for view in ("overview", "diff", "piece:submod_2"):
        assert not render.render_svg(ga, view, timeout=30).fallback
