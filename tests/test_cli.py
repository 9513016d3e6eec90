"""The ``splitviz check`` command: exit codes, JSON, messages."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from splitviz.cli import main
from tests.models import TARGET_SOURCE

TARGET = TARGET_SOURCE + textwrap.dedent(
    """
    def make_kwargs():
        x = torch.randn(4, 8)
        torch._dynamo.mark_dynamic(x, 0)
        return model, (), {"x": x}

    def no_match():
        return (lambda x: torch.sigmoid(x) * 2), (torch.randn(3),)

    not_callable = 3

    def wrong_shape():
        return 42

    def raises():
        raise RuntimeError("no weights here")
    """
)


@pytest.fixture()
def target(tmp_path: Path) -> str:
    path = tmp_path / "target_mod.py"
    path.write_text(TARGET)
    return str(path)


def test_clean_run_exits_0_and_json_has_exactly_the_keys(target, tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = main(["check", f"{target}:make", "--split-ops", "aten::sigmoid", "--compile", "--verify",
               "--quiet", "--json", str(out)])
    assert rc == 0
    assert capsys.readouterr().out.rstrip().endswith("OK")
    data = json.loads(out.read_text())
    assert set(data) == {"ok", "device", "torch", "graphs"} and data["ok"] is True
    (g,) = data["graphs"]
    assert set(g) == {"index", "nodes", "split_error", "pieces", "crossings", "hazards", "decomposition", "verify"}
    assert set(g["pieces"][0]) == {"name", "graph_id", "is_splitting", "nodes", "compile"}
    assert set(g["pieces"][0]["compile"]) == {"ok", "seconds", "error"}
    assert g["pieces"][1]["compile"] is None  # the splitting piece is not compiled
    assert set(g["crossings"][0]) == {"name", "kind", "from", "to"}
    assert g["decomposition"] == {"applied": True, "rewrites": 1}
    assert g["hazards"] == []
    assert set(g["verify"]) == {"ok", "max_abs_diff", "sizes"} and len(g["verify"]["sizes"]) == 2


def test_no_decompose_reports_the_hazard_and_the_failing_producer(target, tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = main(["check", f"{target}:make", "--split-ops", "aten::sigmoid", "--no-decompose", "--compile",
               "--quiet", "--json", str(out)])
    assert rc == 1
    text = capsys.readouterr().out
    assert "HAZARD size" in text and "FAILED" in text and "output spec mismatch" in text
    g = json.loads(out.read_text())["graphs"][0]
    (hazard,) = g["hazards"]
    assert set(hazard) == {"name", "kind", "from", "to", "why"} and hazard["kind"] == "size"
    failed = [p["name"] for p in g["pieces"] if p["compile"] and not p["compile"]["ok"]]
    assert failed == [hazard["from"]]


def test_kwargs_targets(target):
    assert main(["check", f"{target}:make_kwargs", "--split-ops", "aten::sigmoid", "--quiet"]) == 0


@pytest.mark.parametrize(
    "spec,message",
    [
        ("nowhere/file.py:make", "does not exist"),
        ("no_such_module_xyz:make", "cannot import module"),
        ("{t}:absent", "no attribute 'absent'"),
        ("{t}:not_callable", "not a callable"),
        ("{t}:wrong_shape", "must return (model_or_fn, args)"),
        ("{t}:raises", "no weights here"),
        ("justaname", "must look like"),
    ],
)
def test_bad_targets_exit_2(target, capsys, spec, message):
    rc = main(["check", spec.format(t=target), "--split-ops", "aten::sigmoid"])
    assert rc == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("ops,message", [("sigmoid", "malformed"), ("aten::nope_op", "unknown to torch")])
def test_bad_split_ops_exit_2(target, capsys, ops, message):
    assert main(["check", f"{target}:make", "--split-ops", ops]) == 2
    assert message in capsys.readouterr().err


def test_missing_split_ops_exit_2(target, capsys):
    assert main(["check", f"{target}:make", "--quiet"]) == 0  # make carries split_ops
    assert main(["check", f"{target}:make_kwargs"]) == 2
    assert "--split-ops" in capsys.readouterr().err


def test_op_matching_nothing_exits_1_with_near_misses(target, capsys):
    assert main(["check", f"{target}:no_match", "--split-ops", "aten::sigmoid", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "matches no node" in out and "torch.sigmoid" in out


def test_argparse_errors_exit_2(capsys):
    assert main(["check"]) == 2
    assert main(["check", "x:y", "--device", "tpu"]) == 2


def test_module_entry_point_on_the_demo(tmp_path):
    out = tmp_path / "demo.json"
    proc = subprocess.run(
        [sys.executable, "-m", "splitviz", "check", "splitviz.demo:make", "--compile", "--verify",
         "--quiet", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["ok"] and data["graphs"][0]["decomposition"]["rewrites"] == 2
    proc = subprocess.run(
        [sys.executable, "-m", "splitviz", "check", "splitviz.demo:make", "--no-decompose", "--compile",
         "--quiet", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 1
    g = json.loads(out.read_text())["graphs"][0]
    assert {h["kind"] for h in g["hazards"]} == {"size"}
    failed = {p["name"] for p in g["pieces"] if p["compile"] and not p["compile"]["ok"]}
    assert failed == {h["from"] for h in g["hazards"]} and len(failed) == 2


def test_split_failure_exits_1_and_names_the_way_out(tmp_path, capsys):
    path = tmp_path / "idx.py"
    path.write_text(textwrap.dedent(
        """
        import torch

        def f(x, src):
            y = x * 2
            idx = torch.ops.aten.sigmoid.default(src).argsort()
            return y[idx] + 1

        def make():
            return f, (torch.randn(4, 3), torch.randn(4))
        """
    ))
    out = tmp_path / "r.json"
    assert main(["check", f"{path}:make", "--split-ops", "aten::sigmoid", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "split FAILED" in text and "--policy safe" in text
    assert json.loads(out.read_text())["graphs"][0]["split_error"].startswith("split_module rejected")
    assert main(["check", f"{path}:make", "--split-ops", "aten::sigmoid", "--policy", "safe",
                 "--compile", "--verify", "--quiet"]) == 0


def test_untraceable_target_exits_1(tmp_path, capsys):
    path = tmp_path / "eager.py"
    path.write_text(textwrap.dedent(
        """
        import torch

        def f(x):
            torch._dynamo.graph_break()
            return x

        def make():
            return f, (torch.randn(2),)
        """
    ))
    assert main(["check", f"{path}:make", "--split-ops", "aten::sigmoid"]) == 1
    assert "captured no graph" in capsys.readouterr().err
