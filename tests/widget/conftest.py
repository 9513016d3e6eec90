"""Fixtures for the explorer widget: a small demo capture, shared, and fresh
explorers over copies of it (compiling mutates the analysis it is given)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import torch

from splitviz import Analysis, analyze, demo


def _needs_dot() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="session")
def demo_analysis() -> Analysis:
    """The one-block demo model, captured once for the whole session."""
    _needs_dot()
    torch.manual_seed(0)
    model, inputs = demo.make(1)
    return analyze(model, *inputs, split_ops=demo.SPLIT_OPS, decompose=True, device="cpu")


@pytest.fixture()
def explorer(demo_analysis: Analysis) -> Iterator[object]:
    """A fresh :class:`Explorer` over its own re-analysis of the demo capture."""
    from splitviz.widget import Explorer

    ex = Explorer(demo_analysis.reanalyze(decompose=True))
    yield ex
    ex.close()

