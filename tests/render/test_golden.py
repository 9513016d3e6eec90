"""Golden DOT for small graphs: any change to what a view draws shows up as a diff.

The DOT is normalised first, so harmless changes don't fail: SymInt symbols are
renumbered in order of appearance (Dynamo names them after source hashes) and
tooltips, which quote stack-trace lines, are dropped. After an intended change,
rewrite the files with ``SPLITVIZ_UPDATE_GOLDEN=1 pytest tests/render/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from splitviz import render
from splitviz.pipeline import GraphAnalysis

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SPLITVIZ_UPDATE_GOLDEN") == "1"


def normalize(source: str) -> str:
    source = re.sub(r' tooltip="(?:[^"\\]|\\.)*"', "", source)
    symbols: dict[str, str] = {}

    def rename(m: re.Match[str]) -> str:
        return symbols.setdefault(m.group(0), f"s{len(symbols)}")

    return re.sub(r"\bs\d+\b", rename, source)


CASES = [
    ("hazard", "whole"),
    ("hazard", "overview"),
    ("hazard", "piece:submod_0"),
    ("fixed", "whole"),
    ("fixed", "diff"),
]


@pytest.mark.parametrize("fixture, view", CASES)
def test_golden_dot(fixture: str, view: str, request: pytest.FixtureRequest) -> None:
    ga: GraphAnalysis = request.getfixturevalue(fixture)
    got = normalize(render.build(ga, view).source)
    path = GOLDEN / f"{fixture}-{view.replace(':', '-')}.dot"
    if UPDATE or not path.exists():
        if not UPDATE and os.environ.get("CI"):
            pytest.fail(f"{path.name} is missing; create it with SPLITVIZ_UPDATE_GOLDEN=1")
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8"), f"{path.name} changed; if intended, rerun with SPLITVIZ_UPDATE_GOLDEN=1"


def test_normalize_hides_only_harmless_changes() -> None:
    a = 'n [label=<SymInt s77> tooltip="x = f\\n\\"s77\\""]\nm [label=<s77 s12>]'
    b = 'n [label=<SymInt s3> tooltip="other line"]\nm [label=<s3 s40>]'
    assert normalize(a) == normalize(b) == "n [label=<SymInt s0>]\nm [label=<s0 s1>]"
    assert normalize(a) != normalize(a.replace("SymInt", "int"))
