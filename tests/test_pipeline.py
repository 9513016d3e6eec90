"""analyze(): the whole pipeline, re-analysis, JSON, and no harm to user objects."""

from __future__ import annotations

import torch

import splitviz as sv
from splitviz.demo import SPLIT_OPS, DemoModel, make_inputs
from tests import models as m
from tests.models import SPLIT, dyn


def test_reanalyze_reuses_the_capture():
    a = sv.analyze(m.whole_shape_boundary, dyn(4, 8), split_ops=SPLIT, decompose=False)
    b = a.reanalyze(decompose=True)
    assert b.capture is a.capture and b.decompose and not a.decompose
    assert [h.kind for h in a.graphs[0].hazards] == ["size"] and b.graphs[0].hazards == []
    assert a.graphs[0].graph is a.capture[0].gm and b.graphs[0].graph is not a.capture[0].gm
    assert not a.ok and b.ok


def test_demo_model_end_to_end_and_user_objects_unchanged():
    model = DemoModel(2).eval()
    x = make_inputs()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    x_before = x.clone()
    a = sv.analyze(model, x, split_ops=SPLIT_OPS)
    g = a.graphs[0]
    assert [p.is_splitting for p in g.split.pieces] == [False, True] * 4 + [False]
    assert len(g.rewrites) == 2 and g.hazards == []
    assert all(r.ok for r in g.compile(progress=False))
    v = g.verify()
    assert v.ok and v.max_abs_diff < 1e-4
    assert all(torch.equal(state[k], t) for k, t in model.state_dict().items())
    assert torch.equal(x, x_before)
    code = a.capture[0].gm.code
    a.reanalyze(decompose=False)
    assert a.capture[0].gm.code == code
    data = a.as_json()
    assert data["ok"] and data["device"] == "cpu" and data["torch"] == torch.__version__
    with torch.no_grad():
        torch.testing.assert_close(model(x), g.captured.gm(*g.captured.example_inputs)[0])


def test_graph_breaks_are_analysed_separately():
    def f(x):
        s = x.shape
        y = torch.ops.aten.sigmoid.default(x).view(s)
        torch._dynamo.graph_break()
        return y * 2

    a = sv.analyze(f, dyn(4, 8), split_ops=SPLIT)
    assert len(a.graphs) == 2
    assert a.graphs[0].split.pieces and len(a.graphs[1].split.pieces) == 1
    assert a.unmatched == []  # the op matches in graph 0, so it is not reported
    assert [g["index"] for g in a.as_json()["graphs"]] == [0, 1]


def test_stages_work_on_a_graph_without_dynamo_metadata():
    def f(x):
        s = x.size()
        y = torch.ops.aten.sigmoid.default(x)
        return y.view(s) + 1

    gm = torch.fx.symbolic_trace(f)
    x = torch.randn(3, 4)
    s = sv.split(gm, SPLIT, example_inputs=[x])
    led = sv.ledger(s)
    assert "size" in led.unknown and [h.kind for h in led.hazards] == ["size"]
    results = sv.compile_pieces(s, progress=False)
    # no symbolic example values: compiled on the real inputs (specialised), and
    # the Size output still fails exactly where the ledger said
    assert [(r.piece, r.ok, r.dynamic) for r in results] == [("submod_0", False, False), ("submod_2", True, False)]
    v = sv.verify(s, results)
    assert v.ok and v.sizes == [{}] and v.note


def test_unmatched_message_names_the_users_ops_not_ours():
    def f(x):
        s = x.shape
        return torch.sigmoid(x).view(s)

    a = sv.analyze(f, dyn(4, 8), split_ops=SPLIT, decompose=True)
    (msg,) = a.unmatched
    assert "torch.sigmoid" in msg and "sym_size" not in msg


def test_the_core_does_not_import_the_ui():
    import subprocess
    import sys

    code = (
        "import sys, splitviz, splitviz.render, splitviz.cli\n"
        "splitviz.analyze(lambda x: x * 2, __import__('torch').randn(2), split_ops=['aten::sigmoid'])\n"
        "bad = [m for m in ('ipywidgets', 'anywidget') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert splitviz.Explorer.__name__ == 'Explorer'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
