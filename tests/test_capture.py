"""capture(): graphs, dynamic dims, graph breaks, and no side effects."""

from __future__ import annotations

import pytest
import torch

import splitviz as sv
from tests import models as m
from tests.models import dyn


def test_single_graph_with_dynamic_dim_and_hints():
    cap = sv.capture(m.whole_shape_boundary, dyn(4, 8))
    assert len(cap) == 1
    g = cap[0]
    assert g.placeholders == ["s77", "l_x_"]
    assert g.dynamic_dims == {"l_x_": (0,)}
    assert g.example_inputs[0] == 4 and type(g.example_inputs[0]) is int  # SymInt -> its hint
    out = g.gm(*g.example_inputs)
    torch.testing.assert_close(out[0], m.whole_shape_boundary(g.example_inputs[1]))


@pytest.mark.parametrize("spec", [{0: 0}, {"x": [0]}, {0: (0, 1)}])
def test_dynamic_argument_by_index_or_name(spec):
    x = torch.randn(4, 8)
    g = sv.capture(m.whole_shape_boundary, x, dynamic=spec)[0]
    assert 0 in g.dynamic_dims["l_x_"]
    assert set(g.dynamic_dims["l_x_"]) == set(spec.get(0, spec.get("x")) if not isinstance(spec.get(0, spec.get("x")), int) else [0])
    assert not hasattr(x, "_dynamo_dynamic_indices")  # the user's tensor stays unmarked


def test_static_by_default():
    g = sv.capture(m.whole_shape_boundary, torch.randn(4, 8))[0]
    assert g.dynamic_dims == {}


def test_graph_breaks_give_several_graphs_with_reasons():
    def f(x):
        y = torch.sigmoid(x)
        torch._dynamo.graph_break()
        return y * 2

    cap = sv.capture(f, torch.randn(3))
    assert len(cap) == 2
    assert cap.break_reasons and "graph_break" in " ".join(cap.break_reasons).lower().replace(" ", "_")
    assert cap[1].break_reason is not None


def test_untraceable_program_is_a_capture_error():
    def f(x):
        torch._dynamo.graph_break()
        return x

    with pytest.raises(sv.CaptureError, match="captured no graph"):
        sv.capture(f, torch.randn(2))


def test_failing_program_is_a_capture_error_with_the_cause():
    def f(x):
        return x @ x  # 1-D @ 1-D fine, but 2x3 @ 2x3 is not

    with pytest.raises(sv.CaptureError, match="(?s)failed.*Check that the example inputs"):
        sv.capture(f, torch.randn(2, 3))


@pytest.mark.parametrize("bad", [{3: 0}, {"nope": 0}, {0: 5}])
def test_bad_dynamic_spec(bad):
    with pytest.raises(sv.CaptureError, match="dynamic="):
        sv.capture(m.whole_shape_boundary, torch.randn(4, 8), dynamic=bad)


def test_not_callable():
    with pytest.raises(sv.CaptureError, match="function or nn.Module"):
        sv.capture(42, torch.randn(2))  # type: ignore[arg-type]


def test_module_untouched_and_users_torch_compile_unaffected():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 4)
    sv.capture(model, x)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters())

    calls = []

    def mine(gm, inputs):
        calls.append(gm)
        return gm.forward

    out = torch.compile(model, backend=mine)(x)
    assert len(calls) == 1  # the user's own backend is called: nothing stale from ours
    torch.testing.assert_close(out, model(x))


def test_breaks_dynamo_cannot_resume_from_are_reported():
    class Loop(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(torch.nn.Linear(4, 4) for _ in range(2))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
                if x.sum().item() > 1e9:  # data-dependent: Dynamo gives up on this frame
                    x = x * 0
            return x

    try:
        cap = sv.capture(Loop(), torch.randn(2, 4))
    except sv.CaptureError as exc:
        assert "item()" in str(exc)
    else:
        assert any("item()" in r for r in cap.break_reasons)
