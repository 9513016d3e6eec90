"""Reports opened from ``file://`` in headless Chromium with every other
request blocked: nothing leaves, nothing complains, and the page works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splitviz.cli import main
from splitviz.report import report_data, report_html

from .conftest import MARKUP, DemoRun, needs_browser

pytestmark = [pytest.mark.browser, needs_browser]


def _view_box(page) -> str:
    return page.eval_on_selector(".sv-canvas svg", "s => s.getAttribute('viewBox')")


def _changes(page, old: str) -> None:
    """Wait until the diagram's viewBox differs from ``old`` (pans are applied on the next frame)."""
    page.wait_for_function("old => document.querySelector('.sv-canvas svg').getAttribute('viewBox') !== old",
                           arg=old, timeout=5000)


def test_demo_report_works_offline(demo_run: DemoRun, open_report) -> None:
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    opened = open_report(demo_run.path)
    page = opened.page
    assert page.locator(".sv-canvas svg g.sv-node").count() > 10

    # click a node: its details appear in #sv-details
    node = page.locator(".sv-canvas g.sv-node[data-sv-name='l_x_']").first
    node.click()
    details = page.locator("#sv-details")
    assert details.locator(".sv-node-name").inner_text() == "l_x_"
    assert "placeholder" in details.inner_text() and "float32" in details.inner_text()
    assert page.locator("g.sv-node.sv-selected").count() >= 1

    # search finds and highlights a node
    page.fill(".sv-search", "sym_size")
    assert page.locator("g.sv-node.sv-match").count() >= 1
    assert "match" in page.inner_text(".sv-count")
    page.press(".sv-search", "Enter")  # go to the first match and select it
    assert "sym_size" in details.locator(".sv-node-name").inner_text()
    page.fill(".sv-search", "")
    assert page.locator("g.sv-node.sv-match").count() == 0

    # pan and zoom
    before = _view_box(page)
    page.click(".sv-zoom-in")
    after_zoom = _view_box(page)
    assert after_zoom != before
    box = page.locator(".sv-canvas").bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 290, steps=4)
    page.mouse.up()
    _changes(page, after_zoom)
    moved = _view_box(page)
    page.mouse.wheel(0, 120)  # dispatched without waiting for the page
    _changes(page, moved)
    page.click(".sv-fit")
    page.click(".sv-zoom-in")
    kept = _view_box(page)
    page.select_option(".sv-view", "overview")
    page.select_option(".sv-view", "whole")
    assert _view_box(page) == kept  # a view comes back where it was left

    # switch views
    page.select_option(".sv-view", "overview")
    assert page.locator(".sv-canvas svg [data-sv-piece]").count() >= 3
    page.select_option(".sv-view", "diff")
    assert page.locator(".sv-canvas svg .sv-added").count() >= 1
    assert page.locator(".sv-canvas svg .sv-removed").count() >= 1
    piece = page.eval_on_selector(".sv-view", "s => [...s.options].map(o => o.value).find(v => v.startsWith('piece:'))")
    page.select_option(".sv-view", piece)
    assert page.locator(".sv-canvas svg g.sv-node").count() >= 1

    # before decomposition: the hazard stands out, compile failed, and clicking it highlights its edge
    page.select_option(".sv-variant", "original")
    page.select_option(".sv-view", "whole")
    hazard = page.locator(".sv-ledger tr.sv-row-hazard").first
    assert "!!" in hazard.inner_text() and "size" in hazard.inner_text()
    assert "Size" in page.locator(".sv-ledger tr.sv-row-why").first.inner_text()
    hazard.click()
    assert page.locator(".sv-canvas svg .sv-highlight").count() >= 1
    assert page.locator(".sv-results .sv-compile tr.sv-failed").count() >= 1
    assert "output spec" in page.inner_text(".sv-results")
    page.select_option(".sv-variant", "decomposed")
    assert page.locator(".sv-results .sv-compile tr.sv-failed").count() == 0
    assert "Verify" in page.inner_text(".sv-results")

    assert opened.blocked == []
    assert opened.errors == []


def test_markup_in_source_lines_is_shown_literally_and_never_runs(markup_target: str, tmp_path: Path, open_report) -> None:
    out = tmp_path / "markup.html"
    assert main(["report", markup_target, "-o", str(out), "--quiet", "--title", "<img src=x onerror=window.__pwned=4>"]) == 0
    opened = open_report(out)
    page = opened.page
    page.select_option(".sv-variant", "original")
    page.locator(".sv-canvas g.sv-node[data-sv-name='y']").first.click()  # y = sigmoid(x)  # <markup>
    assert MARKUP in page.inner_text("#sv-details")
    size_row = page.locator(".sv-ledger tr.sv-row-why").first
    assert "<script>window.__pwned = 1</script> & <!-- not a comment -->" in size_row.inner_text()
    assert page.inner_text("h1") == "<img src=x onerror=window.__pwned=4>"
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img, iframe').length") == 0
    assert page.evaluate("() => [...document.querySelectorAll('b')].filter(b => b.textContent === 'bold').length") == 0
    assert opened.blocked == [] and opened.errors == []


def test_error_text_from_the_engine_is_shown_as_text(demo_analysis, tmp_path: Path, open_report) -> None:
    data = report_data(demo_analysis)
    evil = "<script>window.__pwned=5</script><img src=x onerror=\"window.__pwned=6\">"
    pieces = [p for p in demo_analysis.graphs[0].split.pieces if not p.is_splitting]
    data["graphs"][0]["variants"]["decomposed"]["compile"] = [
        {"piece": p.name, "ok": False, "seconds": 0.5, "dynamic": False, "code": evil,
         "error": {"type": "AssertionError", "message": evil, "text": "Traceback:\n" + evil}}
        for p in pieces
    ]
    out = tmp_path / "err.html"
    out.write_text(report_html(data))
    opened = open_report(out)
    page = opened.page
    assert evil in page.inner_text(".sv-results .sv-error-line >> nth=0")
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    # failed pieces are drawn as failed
    page.select_option(".sv-view", "overview")
    assert page.locator(".sv-canvas [data-sv-piece].sv-compile-failed").count() == len(pieces)
    assert opened.errors == [] and opened.blocked == []
    json.dumps(data)


def test_a_large_report_packs_its_data_and_still_works(demo_analysis, tmp_path: Path, open_report) -> None:
    """Above the size limit only the first picture stays literal; the rest is
    inflated in the page, offline, and then everything works as before."""
    out = tmp_path / "packed.html"
    out.write_text(report_html(report_data([demo_analysis, demo_analysis.reanalyze(decompose=False)]), pack_above=1))
    text = out.read_text()
    assert 'id="sv-pack"' in text and text.count("<svg") == 1
    opened = open_report(out)  # waits for data-sv-ready: unpacked
    page = opened.page
    page.locator(".sv-canvas g.sv-node[data-sv-name='l_x_']").first.click()
    assert page.locator("#sv-details .sv-node-name").inner_text() == "l_x_"
    assert "float32" in page.inner_text("#sv-details")
    page.select_option(".sv-view", "diff")
    assert page.locator(".sv-canvas svg .sv-added").count() >= 1
    page.select_option(".sv-variant", "original")
    assert page.locator(".sv-ledger tr.sv-row-hazard").count() == 1
    page.locator(".sv-report-code summary").first.click()
    assert "def forward" in page.inner_text(".sv-report-code")
    assert opened.blocked == [] and opened.errors == []


def test_graph_breaks_give_a_graph_selector(tmp_path: Path, open_report) -> None:
    import torch

    from splitviz import analyze
    from splitviz.report import export_html

    def f(x):
        y = torch.ops.aten.sigmoid.default(x) + 1
        torch._dynamo.graph_break()
        return torch.ops.aten.sigmoid.default(y).view(-1) * 2

    a = analyze(f, torch.randn(3, 4), split_ops=["aten::sigmoid"], device="cpu")
    assert len(a.graphs) == 2
    opened = open_report(export_html(a, tmp_path / "breaks.html"))
    page = opened.page
    assert page.locator(".sv-graph option").count() == 2
    first = page.eval_on_selector_all(".sv-canvas g.sv-node", "gs => gs.map(g => g.dataset.svName).sort().join()")
    page.select_option(".sv-graph", "1")
    second = page.eval_on_selector_all(".sv-canvas g.sv-node", "gs => gs.map(g => g.dataset.svName).sort().join()")
    assert second and second != first
    assert "graph break" in page.inner_text(".sv-notes")
    assert opened.blocked == [] and opened.errors == []
