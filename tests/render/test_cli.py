"""``splitviz render`` end to end: the real parser, a real capture, a real ``dot``."""

from __future__ import annotations

from pathlib import Path

import pytest

from splitviz.cli import main
from tests.models import TARGET_SOURCE

from .conftest import groups, parse_svg


@pytest.fixture
def target(tmp_path: Path) -> str:
    path = tmp_path / "target.py"
    path.write_text(TARGET_SOURCE)
    return f"{path}:make"


@pytest.mark.dot
def test_render_svg(target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "whole.svg"
    assert main(["render", target, "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    svg = out.read_text()
    parse_svg(svg[svg.index("<svg"):])
    assert {g.title for g in groups(svg[svg.index("<svg"):], "sv-piece")} == {"cluster_submod_0", "cluster_submod_1", "cluster_submod_2"}


@pytest.mark.dot
@pytest.mark.parametrize("args, magic", [
    (["--view", "overview", "--no-decompose"], b"\x89PNG"),
    (["--view", "piece:submod_1", "--policy", "safe"], b"\x89PNG"),
    (["--view", "diff", "--no-fold"], b"\x89PNG"),
])
def test_render_views_to_png(target: str, tmp_path: Path, args: list[str], magic: bytes) -> None:
    out = tmp_path / "x.png"
    assert main(["render", target, *args, "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_dot_output_needs_no_dot(target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "x.dot"
    assert main(["render", target, "--split-ops", "aten::sigmoid", "--view", "overview", "-o", str(out)]) == 0
    assert out.read_text().startswith("digraph")


def test_missing_dot_exits_2_and_leaves_the_dot_source(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["render", target, "-o", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err and "conda install python-graphviz" in err
    assert f"wrote the DOT source to {tmp_path / 'x.dot'}" in err
    assert (tmp_path / "x.dot").read_text().startswith("digraph")
    assert not (tmp_path / "x.svg").exists()


@pytest.mark.parametrize("args, message", [
    (["--view", "piece:nope"], "no piece named 'nope'"),
    (["--view", "sideways"], "views of graph 0: whole, overview, piece:submod_0"),
    (["--view", "diff", "--no-decompose"], "drop --no-decompose"),
    (["--graph", "3"], "has 1 graph(s)"),
])
def test_usage_errors_exit_2(target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                             message: str) -> None:
    assert main(["render", target, *args, "-o", str(tmp_path / "x.svg")]) == 2
    assert message in capsys.readouterr().err


def test_output_extension_is_checked_before_capturing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "no/such/file.py:make", "-o", str(tmp_path / "x.jpg")]) == 2
    assert ".svg, .png, .pdf, .dot" in capsys.readouterr().err
