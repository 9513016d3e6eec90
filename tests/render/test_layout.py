"""Running ``dot``: timeouts and fallbacks, caching, and a missing ``dot``."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from splitviz import render
from splitviz.pipeline import Analysis, GraphAnalysis
from splitviz.render.cache import digest
from splitviz.render.layout import _layouts

from .conftest import groups, parse_svg

INSTALL = ("apt-get install graphviz", "brew install graphviz", "conda install python-graphviz")


def slow_dot(nodes: int = 800, edges: int = 6000, clusters: int = 40) -> str:
    """A random layered graph in clusters: ``dot`` needs minutes for it."""
    r = random.Random(0)
    per = nodes // clusters
    lines = ["digraph slow {"]
    for c in range(clusters):
        lines.append(f"subgraph cluster_{c} {{ " + " ".join(f"n{i};" for i in range(c * per, (c + 1) * per)) + " }")
    for _ in range(edges):
        a = r.randrange(nodes - 1)
        lines.append(f"n{a} -> n{r.randrange(a + 1, nodes)};")
    return "\n".join(lines + ["}"])


@pytest.mark.dot
def test_a_layout_that_does_not_finish_is_killed_and_remembered() -> None:
    source = slow_dot()
    with pytest.raises(render.LayoutTimeout, match="within 0.5 s"):
        render.run_dot(source, "svg", timeout=0.5)
    # remembered by its DOT text: asking again with the same budget does not wait again
    assert _layouts.get((digest(source), "svg")) == 0.5
    with pytest.raises(render.LayoutTimeout):
        render.run_dot(source, "svg", timeout=0.5)


@pytest.mark.dot
def test_whole_falls_back_to_folded_blocks(demo4: GraphAnalysis) -> None:
    r = render.render(demo4, "whole", timeout=1e-4, fallback_timeout=60)
    assert r.fallback and r.view == "whole" and r.drawn == "whole (folded)"
    assert r.message is not None and "could not be laid out within 0.0001 s" in r.message
    assert "repeated blocks folded" in r.message
    assert groups(r.svg, "sv-fold")
    assert any(r.message[:30] in t for g in groups(r.svg) for t in g.texts())  # said in the drawing too


@pytest.mark.dot
def test_whole_without_repeats_falls_back_to_the_overview(demo2: GraphAnalysis) -> None:
    r = render.render(demo2, "whole", timeout=1e-4, fallback_timeout=60)
    assert r.fallback and r.drawn == "overview"
    assert [g.title for g in groups(r.svg, "sv-piece")] == [p.name for p in demo2.split.pieces]


@pytest.mark.dot
def test_when_nothing_fits_a_note_says_why(demo2: GraphAnalysis) -> None:
    r = render.render(demo2, "piece:submod_2", timeout=1e-4, fallback_timeout=1e-4)
    assert r.fallback and r.drawn == "note"
    assert "piece submod_2" in (r.message or "") and "larger timeout" in (r.message or "")
    (note,) = groups(r.svg, "sv-note")
    assert any("22 crossings" in t for t in note.texts())


@pytest.mark.dot
def test_render_is_cached_per_analysis(demo2: GraphAnalysis) -> None:
    first = render.render_svg(demo2, "whole")
    again = render.render_svg(demo2, "whole")
    assert again is first  # the very same object: served from the cache


@pytest.mark.dot
def test_reanalysis_gets_its_own_render(size_analysis: Analysis) -> None:
    on = size_analysis.reanalyze(decompose=True).graphs[0]
    off = size_analysis.reanalyze(decompose=False).graphs[0]
    a, b = render.render_svg(on, "overview"), render.render_svg(off, "overview")
    assert a is not b and a.dot != b.dot
    assert groups(b.svg, "sv-kind-size") and not groups(a.svg, "sv-kind-size")
    same = size_analysis.reanalyze(decompose=True).graphs[0]
    c = render.render_svg(same, "overview")
    assert c is not a and c.svg == a.svg  # same picture: the layout is reused, not re-run


def test_missing_dot_names_the_install_and_keeps_the_source(
    demo2: GraphAnalysis, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: dot is nowhere
    assert not render.dot_available()
    with pytest.raises(render.DotNotFound) as info:
        render.render_svg(demo2, "whole")
    for command in INSTALL:
        assert command in str(info.value)
    assert info.value.dot_source is not None and info.value.dot_source.startswith("digraph")
    assert isinstance(info.value, render.DotNotFound.__mro__[1])  # a SplitvizError
    with pytest.raises(render.DotNotFound):
        render.write(demo2, "overview", tmp_path / "x.svg")
    r = render.write(demo2, "overview", tmp_path / "x.dot")  # needs no dot
    assert (tmp_path / "x.dot").read_text().startswith("digraph") and r.format == "dot"


@pytest.mark.dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".gv", b"digraph")])
def test_write_picks_the_format_by_extension(demo2: GraphAnalysis, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = tmp_path / f"overview{suffix}"
    render.write(demo2, "overview", path)
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        parse_svg(render.layout.inline_svg(path.read_bytes()))


def test_write_rejects_unknown_extensions(demo2: GraphAnalysis, tmp_path: Path) -> None:
    with pytest.raises(render.RenderError, match=r"\.svg, \.png, \.pdf"):
        render.write(demo2, "whole", tmp_path / "x.jpg")
