"""split(): vLLM's rules one by one, the safe policy, and failures in words."""

from __future__ import annotations

import pytest
import torch

import splitviz as sv
from tests import models as m
from tests.models import SPLIT, dyn

sig = torch.ops.aten.sigmoid.default


def _split(fn, *args, ops=SPLIT, policy="vllm"):
    g = sv.capture(fn, *args)[0]
    return sv.split(g.gm, ops, policy, example_inputs=g.example_inputs)


def test_pieces_ordered_and_flagged():
    s = _split(m.whole_shape_boundary, dyn(4, 8))
    assert [(p.name, p.graph_id, p.is_splitting) for p in s.pieces] == [
        ("submod_0", 0, False), ("submod_1", 1, True), ("submod_2", 2, False)]
    assert s.node_to_piece["x"] == "submod_1"
    assert s.piece("submod_1").nodes == ["x"]


def test_consecutive_splitting_ops_share_a_piece():
    def f(x):
        a = x + 1
        b = sig(a)
        c = sig(b)
        return c * 2

    s = _split(f, torch.randn(3))
    assert [p.is_splitting for p in s.pieces] == [False, True, False]
    assert s.piece("submod_1").nodes == ["b", "c"]


def test_overload_names_match_like_vllm():
    def f(x):
        parts = torch.ops.aten.split.Tensor(x, 2)
        return parts[0] * 2 + parts[1]

    s = _split(f, torch.randn(4), ops=["aten::split.Tensor"])
    assert sum(p.is_splitting for p in s.pieces) == 1
    s2 = _split(f, torch.randn(4), ops=["aten::split"])  # the packet matches every overload
    assert sum(p.is_splitting for p in s2.pieces) == 1
    s3 = _split(f, torch.randn(4), ops=["aten::split.sizes"])  # another overload: no match
    assert sum(p.is_splitting for p in s3.pieces) == 0 and "aten::split.sizes" in s3.unmatched


def test_getitem_stays_with_its_producer():
    def f(x):
        parts = torch.ops.aten.split.Tensor(x, 2)
        return parts[0] * 2 + parts[1]

    s = _split(f, torch.randn(4), ops=["aten::split.Tensor"])
    splitting = next(p for p in s.pieces if p.is_splitting)
    assert [n for n in splitting.nodes if n.startswith("getitem")] == ["getitem", "getitem_1"]
    assert all(c.kind == "tensor" for c in sv.ledger(s).crossings)  # no tuple crosses


def test_empty_only_piece_merges_into_previous_non_splitting_piece():
    def f(x):
        y = x * 2
        a = sig(y)
        buf = torch.ops.aten.empty.memory_format([3])
        b = sig(a)
        return b + buf.zero_()

    g = sv.capture(f, torch.randn(3))[0]
    gm = g.gm
    s = sv.split(gm, SPLIT, example_inputs=g.example_inputs)
    empty = next(n for n in gm.graph.nodes if "empty" in str(n.target))
    assert s.node_to_piece[empty.name] == "submod_0"
    assert all(not (len(p.nodes) == 1 and p.nodes[0] == empty.name) for p in s.pieces)


def test_no_match_lists_ops_and_near_misses():
    def f(x):
        return torch.sigmoid(x) * 2

    s = _split(f, torch.randn(3))
    msg = s.unmatched["aten::sigmoid"]
    assert "matches no node" in msg and "torch.sigmoid" in msg and "Near misses" in msg
    assert len(s.pieces) == 1


def test_split_on_a_callable_and_a_dotted_name():
    def f(x):
        return torch.sigmoid(x) * 2

    assert sum(p.is_splitting for p in _split(f, torch.randn(3), ops=[torch.sigmoid]).pieces) == 1
    assert sum(p.is_splitting for p in _split(f, torch.randn(3), ops=["torch.sigmoid"]).pieces) == 1


@pytest.mark.parametrize("op,match", [
    ("sigmoid", "malformed"), ("aten:sigmoid", "malformed"), ("aten::", "malformed"),
    ("aten::not_an_op", "unknown to torch"), ("nosuchns::op", "unknown to torch"),
    ("aten::sigmoid.nope", "no overload"), ("torch.not_a_function", "no importable callable"),
])
def test_bad_split_ops(op, match):
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    with pytest.raises(sv.SplitOpError, match=match):
        sv.split(g.gm, [op])


def _indexing(x, idx_src):
    y = x * 2
    idx = sig(idx_src).argsort()  # an index tensor computed after the splitting op
    return y[idx] + 1


def test_split_failure_is_reported_and_safe_policy_fixes_it():
    x, src = torch.randn(4, 3), torch.randn(4)
    s = _split(_indexing, x, src)
    assert s.failure is not None and s.split_gm is None and s.pieces == []
    assert "cycle" in s.failure.error
    assert s.failure.nodes == ["getitem"]
    assert "policy='safe'" in s.failure.message and "getitem" in s.failure.message
    assert sv.ledger(s).crossings == []

    safe = _split(_indexing, x, src, policy="safe")
    assert safe.ok
    results = sv.compile_pieces(safe, progress=False)
    assert all(r.ok for r in results)
    v = sv.verify(safe, results)
    assert v.ok


def test_safe_policy_still_keeps_tuple_unpacking_with_the_producer():
    def f(x):
        parts = torch.ops.aten.split.Tensor(x, 2)
        return parts[0] * 2 + parts[1]

    s = _split(f, torch.randn(4), ops=["aten::split.Tensor"], policy="safe")
    splitting = next(p for p in s.pieces if p.is_splitting)
    assert "getitem" in splitting.nodes


def test_split_does_not_mutate_the_graph():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    code = g.gm.code
    sv.split(g.gm, SPLIT)
    assert g.gm.code == code


def test_unknown_policy():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    with pytest.raises(sv.SplitOpError, match="policy"):
        sv.split(g.gm, SPLIT, policy="fast")  # type: ignore[arg-type]
