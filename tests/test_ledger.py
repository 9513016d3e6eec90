"""ledger(): what crosses, what it is, and hazards that agree with Inductor."""

from __future__ import annotations

import operator

import pytest
import torch
import torch.fx as fx
from torch._subclasses import FakeTensorMode
from torch.fx.passes.fake_tensor_prop import FakeTensorProp

import splitviz as sv
from tests import models as m
from tests.models import SPLIT, dyn

sig = torch.ops.aten.sigmoid.default


def test_crossings_of_the_seed_example():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    led = sv.ledger(sv.split(g.gm, SPLIT))
    rows = [(c.name, c.kind, c.producer, c.consumers, c.hazard) for c in led]
    assert rows == [
        ("size", "size", "submod_0", ["submod_2"], True),
        ("x", "tensor", "submod_1", ["submod_2"], False),
        ("view", "tensor", "submod_2", ["output"], False),
    ]
    size, x, _ = led.crossings
    assert size.shape == ("s77", "8") and "output spec mismatch" in size.why
    assert size.source == "shape = x.shape"
    assert x.shape == ("s77", "8") and x.dtype == "float32" and x.nbytes == 4 * 8 * 4
    assert [h.name for h in led.hazards] == ["size"]
    assert "!! size" in led.table()


def test_symint_crossing_has_its_expression():
    g = sv.capture(m.intermediate_size, dyn(4, 8))[0]
    new_gm, _ = sv.decompose_sizes(g.gm)
    led = sv.ledger(sv.split(new_gm, SPLIT))
    (sym,) = [c for c in led if c.kind == "symint"]
    assert sym.expr == "2*s77" and not sym.hazard


def test_failed_split_has_an_empty_ledger():
    def f(x, src):
        return (x * 2)[sig(src).argsort()]

    g = sv.capture(f, torch.randn(4, 3), torch.randn(4))[0]
    assert len(sv.ledger(sv.split(g.gm, SPLIT))) == 0


def _pick(a, b):
    return a


def _graph(kind: str) -> tuple[fx.GraphModule, torch.Tensor]:
    """x -> VALUE; sigmoid(x) (the split); a consumer of VALUE after the split."""
    g = fx.Graph()
    x = g.placeholder("x")
    if kind == "tuple":
        v = g.call_function(torch.split, (x, 2))
    elif kind == "list":
        v = g.call_function(list, (g.call_function(torch.split, (x, 2)),))
    elif kind == "none":
        v = g.call_function(_pick, (None, x))
    elif kind == "int":
        v = g.call_method("dim", (x,))
    elif kind == "float":
        v = g.call_function(float, (g.call_method("dim", (x,)),))
    else:
        v = g.call_method("is_contiguous", (x,))
    y = g.call_function(sig, (x,))
    if kind in ("tuple", "list"):
        out = g.call_function(operator.add, (g.call_function(torch.cat, (v,)), y))
    else:
        out = g.call_function(operator.mul, (y, g.call_function(_pick, (2, v))))
    g.output((out,))
    gm = fx.GraphModule(torch.nn.Module(), g)
    x_in = torch.randn(4, 3)
    FakeTensorProp(gm, FakeTensorMode()).propagate(x_in)
    if kind == "none":
        v.meta["val"] = None
    return gm, x_in


@pytest.mark.parametrize("kind", ["tuple", "list", "none", "int", "float", "bool"])
def test_hazard_prediction_agrees_with_inductor(kind):
    gm, x = _graph(kind)
    s = sv.split(gm, SPLIT, example_inputs=[x])
    crossing = next(c for c in sv.ledger(s) if c.producer == "submod_0")
    assert crossing.kind == kind
    results = {r.piece: r for r in sv.compile_pieces(s, progress=False)}
    assert crossing.hazard == (not results["submod_0"].ok)
    if crossing.hazard:
        assert "output spec mismatch" in results["submod_0"].error.message
    assert results["submod_2"].ok  # a failing piece never stops the others


def test_size_prediction_agrees_with_inductor_on_dynamo_graphs():
    a = sv.analyze(m.size_in_multiple_consumers, dyn(4, 8), dyn(4, 8), split_ops=SPLIT, decompose=False)
    g = a.graphs[0]
    failing = {r.piece for r in g.compile(progress=False) if not r.ok}
    assert failing == {c.producer for c in g.ledger.hazards} == {"submod_0"}


def test_graph_without_metadata_is_analysed_where_possible():
    def f(x):
        s = x.size()
        y = torch.ops.aten.sigmoid.default(x)
        return y.view(s)

    gm = torch.fx.symbolic_trace(f)
    led = sv.ledger(sv.split(gm, SPLIT))
    size = next(c for c in led if c.name == "size")
    assert size.kind == "size" and size.hazard  # inferred from the target
    assert "size" in led.unknown
