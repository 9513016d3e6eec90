"""Shared models, analyses and SVG helpers for the diagram tests.

Analyses are captured once per session (a capture costs about a second); the
layout caches are emptied before each test so every test sees real ``dot``
runs. Tests marked ``dot`` skip only when the ``dot`` binary is truly absent.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import nn

import splitviz
from splitviz import demo, render
from splitviz.pipeline import Analysis, GraphAnalysis

DOT = shutil.which("dot")
SVG_NS = "{http://www.w3.org/2000/svg}"

#: a ModuleDict key and a source line full of what breaks DOT quoting
NASTY = 'q"<b>{x}\\é'


@pytest.fixture(autouse=True)
def _needs_dot_and_fresh_caches(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("dot") and DOT is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz)")
    render.clear_cache()
    yield


# -- models -------------------------------------------------------------------------------
def size_across(x: torch.Tensor) -> torch.Tensor:
    """The README's example: a torch.Size read before the split, used after it."""
    shape = x.shape
    y = torch.ops.aten.sigmoid.default(x)
    return y.clone().view(shape)


class Nasty(nn.Module):
    """Module paths, names and source lines with quotes, brackets, braces, backslashes, unicode."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleDict({NASTY: nn.Linear(4, 4)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a_really_long_variable_name_that_goes_on_and_on_and_on_for_quite_a_while_indeed_yes = self.layers[NASTY](x)
        s = a_really_long_variable_name_that_goes_on_and_on_and_on_for_quite_a_while_indeed_yes.shape
        y = torch.sigmoid(a_really_long_variable_name_that_goes_on_and_on_and_on_for_quite_a_while_indeed_yes)  # "<\"{}\\é>"
        return y.clone().view(s) * len("<\"{}\\é>")


def shared_value(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One computed value used in every piece (like rotary tables) and returned."""
    c = x.cos()
    for _ in range(7):
        x = torch.ops.aten.sigmoid.default(x * c) + c
    return x + c, c


def index_after_split(x: torch.Tensor, idx_src: torch.Tensor) -> torch.Tensor:
    """vLLM's getitem rule puts ``y[idx]`` before the piece computing ``idx``: the split fails."""
    y = x * 2
    idx = torch.ops.aten.sigmoid.default(idx_src).argsort()
    return y[idx] + 1


def analyze(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Analysis:
    """``splitviz.analyze`` with a fixed seed, so drawings are reproducible."""
    torch.manual_seed(0)
    return splitviz.analyze(fn, *args, **kwargs)


def analyze_demo(blocks: int, **kwargs: Any) -> Analysis:
    torch.manual_seed(0)
    return analyze(demo.DemoModel(blocks).eval(), demo.make_inputs(), split_ops=demo.SPLIT_OPS, **kwargs)


@pytest.fixture(scope="session")
def size_analysis() -> Analysis:
    """Undecomposed: one torch.Size crossing, a hazard."""
    return analyze(size_across, torch.randn(4, 8), split_ops=["aten::sigmoid"], dynamic={0: 0}, decompose=False)


@pytest.fixture(scope="session")
def hazard(size_analysis: Analysis) -> GraphAnalysis:
    return size_analysis.graphs[0]


@pytest.fixture(scope="session")
def fixed(size_analysis: Analysis) -> GraphAnalysis:
    """The same capture, decomposed: the Size became a SymInt."""
    return size_analysis.reanalyze(decompose=True).graphs[0]


@pytest.fixture(scope="session")
def demo2() -> GraphAnalysis:
    return analyze_demo(2).graphs[0]


@pytest.fixture(scope="session")
def demo4() -> GraphAnalysis:
    return analyze_demo(4).graphs[0]


@pytest.fixture(scope="session")
def nasty() -> GraphAnalysis:
    return analyze(Nasty(), torch.randn(3, 4), split_ops=["torch.sigmoid"], dynamic={0: 0}, decompose=False).graphs[0]


@pytest.fixture(scope="session")
def shared() -> GraphAnalysis:
    return analyze(shared_value, torch.randn(4, 8), split_ops=["aten::sigmoid"], dynamic={0: 0}).graphs[0]


@pytest.fixture(scope="session")
def failed() -> GraphAnalysis:
    return analyze(index_after_split, torch.randn(4, 3), torch.randn(4), split_ops=["aten::sigmoid"]).graphs[0]


# -- DOT ------------------------------------------------------------------------------------
@dataclass
class Dot:
    """The nodes and edges of a DOT text as splitviz writes it (one statement a line)."""

    nodes: dict[str, dict[str, str]]
    edges: list[tuple[str, str, dict[str, str]]]
    clusters: list[str]

    def classes(self, name: str) -> set[str]:
        return set(self.nodes[name].get("class", "").split())

    def with_class(self, cls: str) -> list[str]:
        return [n for n, a in self.nodes.items() if cls in a.get("class", "").split()]

    def edges_with_class(self, cls: str) -> list[tuple[str, str, dict[str, str]]]:
        return [e for e in self.edges if cls in e[2].get("class", "").split()]

    def out_degree(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for tail, _, attrs in self.edges:
            if attrs.get("style") != "invis":
                out[tail] = out.get(tail, 0) + 1
        return out


def _attrs(text: str) -> dict[str, str]:
    """``k=v k="v" k=<html>`` -> dict; HTML values by bracket balance."""
    out, i = {}, 0
    while i < len(text):
        eq = text.index("=", i)
        key, i = text[i:eq].strip(), eq + 1
        if text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out[key], i = text[i + 1:j], j + 1
        elif text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            out[key], i = text[i:j], j
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            out[key], i = text[i:j], j
        while i < len(text) and text[i] == " ":
            i += 1
    return out


_STATEMENT = re.compile(r'^\t+"([^"]+)"(?: -> "([^"]+)")?(?: \[(.*)\])?$')


def parse_dot(source: str) -> Dot:
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    clusters = re.findall(r"subgraph (cluster_\w+)", source)
    for line in source.splitlines():
        m = _STATEMENT.match(line)
        if not m:
            continue
        attrs = _attrs(m.group(3) or "")
        if m.group(2):
            edges.append((m.group(1), m.group(2), attrs))
        else:
            nodes[m.group(1)] = attrs
    return Dot(nodes, edges, clusters)


# -- SVG ------------------------------------------------------------------------------------
@dataclass
class Group:
    """One ``<g>`` graphviz wrote for a node, cluster or edge."""

    classes: set[str]
    title: str
    element: ET.Element

    def texts(self) -> list[str]:
        return ["".join(t.itertext()) for t in self.element.iter(f"{SVG_NS}text")]


def parse_svg(svg: str) -> ET.Element:
    assert svg.startswith("<svg"), svg[:80]
    return ET.fromstring(svg)


def groups(svg: str, cls: str | None = None) -> list[Group]:
    """Every titled ``<g>``, optionally only those having class ``cls``."""
    out = []
    for g in parse_svg(svg).iter(f"{SVG_NS}g"):
        title = g.find(f"{SVG_NS}title")
        if title is None:
            continue
        classes = set((g.get("class") or "").split())
        if cls is None or cls in classes:
            out.append(Group(classes, title.text or "", g))
    return out


def titles(svg: str, cls: str) -> set[str]:
    return {g.title for g in groups(svg, cls)}
