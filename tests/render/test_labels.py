"""Labels: what they say, and that no text can break ``dot`` or the SVG it writes."""

from __future__ import annotations

import graphviz
import pytest

from splitviz import render
from splitviz.render.labels import NodeText, esc, html, node_label, node_tooltip, shorten

from .conftest import groups, parse_svg

TRICKY = [
    'say "hi"',
    "back\\slash \\N \\G \\l \\",
    "<b>not bold</b> & <br/> &amp;",
    "{braces} [brackets] |pipes| ;semicolon",
    "unicode: é ß 中文 ⚠ →",
    "x" * 300,
    "tab\tnew\nline\x00nul\x1bescape",
    '\\"',
]


def test_html_escapes_markup_and_doubles_backslashes() -> None:
    assert html('a<b>&"c"\\d', None) == "a&lt;b&gt;&amp;&quot;c&quot;\\\\d"
    assert html("line\nbreak\ttab", None) == "line break tab"
    assert "\x00" not in html("nul\x00", None)


def test_esc_doubles_backslashes_and_keeps_lines() -> None:
    assert esc("a\\b") == "a\\\\b"
    assert esc("one\ntwo") == "one\\ntwo"
    assert esc("\\N") == "\\\\N"  # not dot's node-name escape


def test_shorten_keeps_both_ends() -> None:
    text = "blocks.12.attention.q_proj.weight_and_more"
    short = shorten(text, 20)
    assert len(short) == 20 and short.startswith("blocks.12.") and short.endswith("and_more") and "…" in short
    assert shorten("short", 20) == "short"


def _text(name: str = "n", **kw: str | None) -> NodeText:
    base = {"op": "call_function", "target": "t", "full_target": "mod.t", "value": "float32[2]", "path": None,
            "source": None}
    return NodeText(name=name, **{**base, **kw})  # type: ignore[arg-type]


def test_label_lines() -> None:
    params = [_text("l_self_modules_blocks_modules_0_modules_qkv_parameters_weight_", op="placeholder",
                    value="float32[96, 32]")]
    label = node_label(_text("linear", target="linear", path="blocks.0.qkv"), params=params)
    assert label.startswith("<<b>linear</b>") and label.endswith(">")
    assert "float32[2]" in label and "blocks.0.qkv" in label
    assert "+ weight float32[96, 32]" in label  # the parameter, relative to the module


@pytest.mark.dot
@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_survives_dot(text: str) -> None:
    """Every tricky string in every field: dot accepts it, the SVG parses, the text reads back."""
    t = _text("node_a", target=text, value=text, path=text, source=text)
    g = graphviz.Digraph()
    g.node("node_a", label=node_label(t, extra=[html(text)]), tooltip=node_tooltip(t, more=[text]))
    g.edge("node_a", "b", tooltip=esc(text))
    svg = render.layout.inline_svg(render.run_dot(g.source, "svg", 20))
    node = next(x for x in groups(svg) if x.title == "node_a")
    shown = " ".join(node.texts())
    expected = html(text, 28).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert expected.replace("\\\\", "\\") in shown  # exactly the shortened text: no escape was expanded
    tooltip = next(a for a in node.element.iter() if a.tag.endswith("}a"))
    assert tooltip.get("{http://www.w3.org/1999/xlink}title", "").startswith("node_a = mod.t")


@pytest.mark.dot
def test_nasty_model_renders_every_view(nasty: object) -> None:
    """Quotes, brackets, braces, backslashes and unicode in module paths and source
    lines, and a 90-character node name, in real captured graphs."""
    from splitviz.pipeline import GraphAnalysis

    assert isinstance(nasty, GraphAnalysis)
    for view in render.views(nasty):
        r = render.render_svg(nasty, view)
        assert not r.fallback, r.message
        parse_svg(r.svg)
    whole = render.render_svg(nasty, "whole").svg
    texts = " ".join(t for g in groups(whole, "sv-node") for t in g.texts())
    assert 'layers.q"<b>{x}\\\\é' in texts  # the module path as Dynamo recorded it (the key's repr)
    long_name = next(g for g in groups(whole, "sv-node") if g.title.startswith("a_really_long"))
    assert len(long_name.texts()[0]) <= 40 and "…" in long_name.texts()[0]
