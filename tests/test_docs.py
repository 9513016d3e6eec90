"""The docs stay true: the README's quick start runs as written (a doctest, as
graphviz does), and every test the bad-input matrix cites exists."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_quick_start():
    result = doctest.testfile(
        str(ROOT / "README.md"), module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= 10
    assert result.failed == 0


def test_bad_input_matrix_cites_real_tests():
    text = (ROOT / "docs" / "bad-inputs.md").read_text()
    cited = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(cited) >= 30
    missing = [f"{f}::{t}" for f, t in cited if f"def {t}(" not in (ROOT / f).read_text()]
    assert missing == []
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| input")]
    assert len(rows) >= 14 and all("tests/" in row for row in rows)
