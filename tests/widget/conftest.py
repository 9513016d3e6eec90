"""Fixtures for the explorer widget: a small demo capture, shared, and fresh
explorers over copies of it (compiling mutates the analysis it is given)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from splitviz import Analysis


@pytest.fixture()
def explorer(demo_analysis: Analysis) -> Iterator[object]:
    """A fresh :class:`Explorer` over its own re-analysis of the demo capture."""
    from splitviz.widget import Explorer

    ex = Explorer(demo_analysis.reanalyze(decompose=True))
    yield ex
    ex.close()

