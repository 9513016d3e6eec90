"""verify(): equivalence at the captured and at new sizes, and real failures."""

from __future__ import annotations

import math

import torch

import splitviz as sv
from splitviz.compile import CompileResult
from tests import models as m
from tests.models import SPLIT, dyn


def _fixed(fn, *args):
    a = sv.analyze(fn, *args, split_ops=SPLIT)
    g = a.graphs[0]
    return g, g.compile(progress=False)


def test_two_sizes_and_symbols():
    g, results = _fixed(m.two_dynamic_dims, dyn(4, 6, dims=(0, 1)))
    v = sv.verify(g.split, results, reference=g.captured.gm)
    assert v.ok and v.max_abs_diff < 1e-5
    assert v.sizes == [{"s77": 4, "s27": 6}, {"s77": 7, "s27": 9}] or len(v.sizes) == 2
    first, second = v.sizes
    assert all(second[k] != first[k] for k in first)
    assert v.compiled_pieces == [r.piece for r in results] and v.eager_pieces == []


def test_uncompiled_pieces_run_eagerly():
    g, _ = _fixed(m.whole_shape_boundary, dyn(4, 8))
    v = sv.verify(g.split, None, reference=g.captured.gm)
    assert v.ok and v.compiled_pieces == [] and v.eager_pieces == ["submod_0", "submod_2"]


def test_a_wrong_piece_is_caught_with_its_difference():
    g, results = _fixed(m.whole_shape_boundary, dyn(4, 8))
    good = results[-1].compiled
    wrong = CompileResult("submod_2", True, 0.0, compiled=lambda *a: good(*a) + 0.5)
    v = sv.verify(g.split, [results[0], wrong], reference=g.captured.gm)
    assert not v.ok and math.isclose(v.max_abs_diff, 0.5, rel_tol=1e-6)


def test_a_piece_that_raises_is_named():
    g, results = _fixed(m.whole_shape_boundary, dyn(4, 8))

    def boom(*args):
        raise RuntimeError("kernel exploded")

    v = sv.verify(g.split, [results[0], CompileResult("submod_2", True, 0.0, compiled=boom)],
                  reference=g.captured.gm)
    assert not v.ok and v.max_abs_diff == math.inf
    assert v.checks[0].piece == "submod_2" and "kernel exploded" in v.error.message


def test_static_graph_is_checked_once_with_a_note():
    g, results = _fixed(m.whole_shape_boundary, torch.randn(4, 8))
    v = g.verify()
    assert v.ok and v.sizes == [{}] and "no dynamic sizes" in v.note


def test_guards_limit_the_new_sizes():
    def f(x):
        parts = torch.split(x, 2)  # the number of chunks is baked in for s77 in [3, 4]
        y = torch.ops.aten.sigmoid.default(x)
        return torch.cat(parts) + y

    g, results = _fixed(f, dyn(4, 8))
    v = g.verify()
    assert v.ok
    assert len(v.sizes) == 1 or all(3 <= s["s77"] <= 4 for s in v.sizes)


def test_integer_inputs_keep_their_range():
    emb = torch.nn.Embedding(10, 4)

    def f(ids):
        h = emb(ids)
        s = h.shape
        return torch.ops.aten.sigmoid.default(h).reshape(s)

    ids = torch.randint(0, 10, (5,))
    torch._dynamo.mark_dynamic(ids, 0)
    g, _ = _fixed(f, ids)
    v = g.verify()
    assert v.ok and len(v.sizes) == 2
