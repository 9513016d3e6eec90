"""The report as a file: its data, its one-file offline shape, its escaping,
and the ``report`` / ``demo`` commands. Parsed, not browsed (see test_browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from splitviz import Analysis
from splitviz.cli import main
from splitviz.report import STATIC, export_html, report_data, report_html, script_json, svg_body

from .conftest import MARKUP, DemoRun


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append((self._in, ""))

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = None


def _parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def _embedded(text: str) -> dict:
    page = _parse(text)
    (data,) = [s for a, s in page.scripts if a.get("type") == "application/json"]
    return json.loads(data)


def test_report_data_has_both_variants_views_and_details(demo_analysis: Analysis) -> None:
    data = report_data([demo_analysis, demo_analysis.reanalyze(decompose=False)])
    assert data["environment"]["torch"] and data["environment"]["device"] == "cpu"
    (g,) = data["graphs"]
    assert set(g["variants"]) == {"decomposed", "original"} and g["default_variant"] == "decomposed"
    after, before = g["variants"]["decomposed"], g["variants"]["original"]
    names = [v for v, _ in after["views"]]
    assert {"whole", "overview", "diff"} <= set(names)
    assert sum(v.startswith("piece:") for v in names) == len(after["pieces"])
    assert all(data["svgs"][i].startswith("<svg") for _, i in after["views"] + before["views"])
    assert len(set(data["svgs"])) == len(data["svgs"])  # shared, not repeated
    assert [r["kind"] for r in before["ledger"] if r["hazard"]] == ["size"]
    assert before["ledger"][0]["why"] is None or isinstance(before["ledger"][0]["why"], str)
    erased = demo_analysis.graphs[0].rewrites.erased[0]
    assert after["nodes"][erased]["diff"] == "removed"
    assert isinstance(after["nodes"]["l_x_"]["stack_trace"], (int, type(None)))
    assert "sym_size" in after["code"] and "sym_size" not in g["original_code"]
    assert after["rewrites"].startswith("1 Size value(s) decomposed")
    json.dumps(data, allow_nan=False)


def test_script_json_cannot_end_or_bend_its_script_block() -> None:
    nasty = {"s": "</script><script>alert(1)</script><!-- -->&amp;\u2028\u2029", "k</SCRIPT>": [1.5, None]}
    text = script_json(nasty)
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == nasty


def test_svg_body_drops_prolog_and_comments() -> None:
    raw = ('<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "x" "y">\n<!-- </script> -->\n'
           '<svg viewBox="0 0 1 1"><!-- a&#45;&gt;b -->\n  <g class="node sv&#45;node"><title>a</title></g>\n</svg>\n')
    assert svg_body(raw) == '<svg viewBox="0 0 1 1"><g class="node sv-node"><title>a</title></g></svg>'


def test_html_is_one_offline_file_with_a_strict_csp(demo_analysis: Analysis) -> None:
    text = report_html(report_data(demo_analysis, title="t <b>&"))
    page = _parse(text)
    assert "<title>t &lt;b&gt;&amp;</title>" in text
    for tag, attrs in page.tags:  # nothing is loaded from anywhere
        assert "src" not in attrs, tag
        assert tag != "link", attrs
        assert not (tag == "script" and attrs.get("type") not in ("module", "application/json")), attrs
    module = [s for a, s in page.scripts if a.get("type") == "module"]
    assert len(module) == 1 and "export function mount" in module[0]
    assert (STATIC / "explorer.js").read_text() in module[0]
    assert "fetch(" not in module[0] and "import(" not in module[0] and "http" not in module[0].replace("http://www.w3.org", "")
    (csp,) = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(module[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "connect-src 'none'" in csp


def test_markup_from_the_program_is_data_not_markup(markup_target: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    rc = main(["report", markup_target, "-o", str(out), "--quiet", "--title", "<script>alert(1)</script>"])
    assert rc == 0
    text = out.read_text()
    assert "<script>alert(1)</script>" not in text and "<img" not in text
    assert len(re.findall(r"<script\b", text)) == 2  # the data block and the module, nothing else
    data = _embedded(text)
    sources = [d["source"] for v in data["graphs"][0]["variants"].values() for d in v["nodes"].values() if d["source"]]
    assert any(MARKUP in s for s in sources)  # kept verbatim as data
    assert data["title"] == "<script>alert(1)</script>"


def test_export_html_from_the_explorer(demo_analysis: Analysis, tmp_path: Path) -> None:
    from splitviz.widget import Explorer

    ex = Explorer(demo_analysis.reanalyze(decompose=False))
    path = ex.export_html(tmp_path / "sub" / "x.html")
    assert path.is_absolute() and path.exists()
    data = _embedded(path.read_text())
    assert data["graphs"][0]["default_variant"] == "original"
    assert set(data["graphs"][0]["variants"]) == {"original", "decomposed"}
    ex.close()


def test_report_command_compiles_and_verifies(markup_target: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.html"
    rc = main(["report", markup_target, "--compile", "--verify", "--no-decompose", "--quiet", "-o", str(out)])
    assert rc == 1  # the Size crossing fails to compile: problems found, report written all the same
    printed = capsys.readouterr().out
    assert f"report: {out.resolve()}" in printed and "PROBLEMS FOUND" in printed
    v = _embedded(out.read_text())["graphs"][0]["variants"]
    rows = v["original"]["compile"]
    assert [r["ok"] for r in rows] == [False, True] and "output spec" in rows[0]["error"]["message"]
    assert v["original"]["verify"]["ok"] is True and v["decomposed"]["compile"] is None


def test_report_command_usage_errors(tmp_path: Path, capsys) -> None:
    assert main(["report", "nope.py:make", "-o", str(tmp_path / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_demo_command_end_to_end(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.stderr[-3000:]
    assert demo_run.path.exists()
    out = demo_run.stdout
    assert f"report: {demo_run.path}" in out
    assert "== before decomposition" in out and "HAZARD" in out and "FAILED" in out
    after = out.split("== after decomposition")[1]
    assert "verify ok" in after and "FAILED" not in after and after.rstrip().splitlines()[-2] == "OK"
    data = _embedded(demo_run.path.read_text())
    variants = data["graphs"][0]["variants"]
    assert all(r["ok"] for r in variants["decomposed"]["compile"])
    assert any(not r["ok"] for r in variants["original"]["compile"])
    assert variants["decomposed"]["verify"]["ok"] is True


@pytest.mark.parametrize("argv", [["demo", "--blocks", "0"]])
def test_demo_command_rejects_bad_arguments(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    assert "--blocks" in capsys.readouterr().err


def test_a_failed_split_still_makes_a_report(tmp_path: Path) -> None:
    import torch

    from splitviz import analyze

    def indexing(x, idx_src):
        y = x * 2
        idx = torch.ops.aten.sigmoid.default(idx_src).argsort()
        return y[idx] + 1

    a = analyze(indexing, torch.randn(4, 3), torch.randn(4), split_ops=["aten::sigmoid"], device="cpu")
    path = export_html(a, tmp_path / "failed.html")
    v = _embedded(path.read_text())["graphs"][0]["variants"]["decomposed"]
    assert "cycle" in v["split_error"] or "policy='safe'" in v["split_error"]
    assert [name for name, _ in v["views"]][0] == "whole" and v["ledger"] == [] and v["pieces"] == []
