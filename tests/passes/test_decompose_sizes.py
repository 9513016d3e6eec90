"""decompose_sizes: purity, placement, every signature class, equivalence."""

from __future__ import annotations

import operator

import pytest
import torch
import torch.fx as fx

import splitviz as sv
from tests import models as m
from tests.models import SPLIT, dyn


def _sizes(gm: fx.GraphModule) -> list[fx.Node]:
    return [n for n in gm.graph.nodes if isinstance(n.meta.get("example_value"), torch.Size)]


def _fixed(fn, *args, split_ops=SPLIT, dynamic=None):
    """Analyse with decomposition, compile every piece, verify at two sizes."""
    a = sv.analyze(fn, *args, split_ops=split_ops, dynamic=dynamic, decompose=True, device="cpu")
    g = a.graphs[0]
    results = g.compile(progress=False)
    return g, results, g.verify()


def _assert_fixed(fn, *args, split_ops=SPLIT, dynamic=None):
    g, results, v = _fixed(fn, *args, split_ops=split_ops, dynamic=dynamic)
    assert not [c for c in g.ledger.crossings if c.kind == "size"]
    assert g.ledger.hazards == []
    assert results and all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    assert all(r.dynamic for r in results)
    assert v.ok, v
    assert len(v.sizes) == 2 and v.sizes[0] != v.sizes[1]
    return g


# -- purity ----------------------------------------------------------------------------------

def test_input_graph_is_untouched():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    code, nodes = g.gm.code, [(n.name, n.op, str(n.target), n.args) for n in g.gm.graph.nodes]
    new_gm, rec = sv.decompose_sizes(g.gm)
    assert new_gm is not g.gm and new_gm.graph is not g.gm.graph
    assert g.gm.code == code
    assert [(n.name, n.op, str(n.target), n.args) for n in g.gm.graph.nodes] == nodes
    assert len(_sizes(g.gm)) == 1 and _sizes(new_gm) == []
    assert len(rec) == 1


def test_rewrite_record_and_placement():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    new_gm, rec = sv.decompose_sizes(g.gm)
    (r,) = rec.sizes
    assert r.size_node == "size" and r.tensor == "l_x_"
    assert r.dims == ["sym_size_int", 8]  # dynamic dim -> node, static dim -> literal
    assert rec.created == ["sym_size_int"] and rec.erased == ["size"]
    assert rec.modified == {"view": ("(%clone, %size)", "(%clone, (%sym_size_int, 8))")}
    node = next(n for n in new_gm.graph.nodes if n.name == "sym_size_int")
    assert node.target is torch.ops.aten.sym_size.int and node.args[1] == 0
    assert str(node.meta["example_value"]) == "s77"
    # placed right after the tensor is available: before the splitting op
    order = [n.name for n in new_gm.graph.nodes]
    assert order.index("sym_size_int") < order.index("x")


def test_other_nodes_untouched():
    g = sv.capture(m.size_in_multiple_consumers, dyn(4, 8), dyn(4, 8))[0]
    new_gm, rec = sv.decompose_sizes(g.gm)
    touched = set(rec.created) | set(rec.erased) | set(rec.modified)
    def sig(n: fx.Node):
        named = fx.map_arg((n.args, n.kwargs), lambda a: f"%{a.name}")
        return n.op, n.target, named

    old = {n.name: sig(n) for n in g.gm.graph.nodes}
    assert {n.name for n in new_gm.graph.nodes} == (set(old) - set(rec.erased)) | set(rec.created)
    kept = [n for n in new_gm.graph.nodes if n.name not in touched]
    for n in kept:
        assert sig(n) == old[n.name]


def test_scalar_size_dim_left_alone():
    def f(x):
        n = x.size(1)
        return sigmoid_then(x) * n

    def sigmoid_then(x):
        return torch.ops.aten.sigmoid.default(x)

    g = sv.capture(f, dyn(4, 8, dims=(0, 1)))[0]
    _new, rec = sv.decompose_sizes(g.gm)
    assert len(rec) == 0 and rec.created == []


# -- the five scenarios of the write-up ------------------------------------------------------

def test_whole_shape_boundary_compiles():
    _assert_fixed(m.whole_shape_boundary, dyn(4, 8))


def test_symint_crosses_split_boundaries():
    g = _assert_fixed(m.symint_crosses_boundaries, dyn(4, 8))
    consumer = g.split.pieces[-1].module
    kinds = [type(p.meta.get("example_value")).__name__ for p in consumer.graph.find_nodes(op="placeholder")]
    assert "SymInt" in kinds or "FakeTensor" in kinds


def test_moe_shape_boundary_consumer_gets_symint_placeholders():
    g = _assert_fixed(m.moe_shape_boundary, dyn(6, 16), torch.randn(16, 16))
    last = g.split.pieces[-1].module
    values = [p.meta.get("example_value") for p in last.graph.find_nodes(op="placeholder")]
    assert any(isinstance(v, torch.SymInt) for v in values)
    # the static dim (16) never crosses: no placeholder carries a plain int
    assert not any(type(v) is int for v in values)


def test_size_used_in_multiple_consumer_subgraphs():
    g = _assert_fixed(m.size_in_multiple_consumers, dyn(4, 8), dyn(4, 8))
    (r,) = g.rewrites.sizes
    assert len(r.consumers) == 2


def test_metadata_propagated_and_every_piece_compiles():
    g = _assert_fixed(m.metadata_everywhere, dyn(5, 3))
    for name in g.rewrites.created:
        node = next(n for n in g.graph.graph.nodes if n.name == name)
        assert isinstance(node.meta["example_value"], torch.SymInt)
        assert "stack_trace" in node.meta


# -- signature classes -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "fn",
    [
        m.varargs_view,
        m.varargs_reshape_expand,
        m.positional_among_others,
        m.keyword_size,
        m.method_new_zeros,
        m.intermediate_size,
        m.size_across_two_splits,
    ],
    ids=lambda f: f.__name__,
)
def test_signature_class_equivalent_at_two_sizes(fn):
    _assert_fixed(fn, dyn(4, 8))


def test_two_dynamic_dims():
    g = _assert_fixed(m.two_dynamic_dims, dyn(4, 6, dims=(0, 1)))
    (r,) = g.rewrites.sizes
    assert all(isinstance(d, str) for d in r.dims)  # both dims symbolic


def test_split_on_a_torch_function_sdpa():
    _assert_fixed(m.sdpa_attention, dyn(2, 4, 6, 8, dims=(2,)),
                  split_ops=["torch.nn.functional.scaled_dot_product_attention"])


def _graph_with(consumer):
    """Copy of the scenario graph where ``consumer(graph, size, clone)`` builds
    what the view receives; returns (gm, captured)."""
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for n in g.gm.graph.nodes:
        if n.op == "output":
            break
        env[n] = graph.node_copy(n, lambda a: env[a])
    size = next(v for k, v in env.items() if k.name == "size")
    clone = next(v for k, v in env.items() if k.name == "clone")
    out = consumer(graph, size, clone)
    graph.output(out if isinstance(out, tuple) else (out,))
    return fx.GraphModule(g.gm, graph), g


@pytest.mark.parametrize(
    "kind",
    ["index", "slice_concat", "len", "nested_list_kwarg", "output"],
)
def test_computed_consumers_fold(kind):
    def consumer(graph: fx.Graph, size: fx.Node, clone: fx.Node):
        if kind == "index":
            d0 = graph.call_function(operator.getitem, (size, 0))
            return graph.call_method("view", (clone, d0, -1))
        if kind == "slice_concat":
            tail = graph.call_function(operator.getitem, (size, slice(1, None)))
            whole = graph.call_function(operator.add, ((-1,), tail))
            return graph.call_method("view", (clone, whole))
        if kind == "len":
            n = graph.call_function(len, (size,))
            return graph.call_function(operator.mul, (clone, n))
        if kind == "nested_list_kwarg":
            z = graph.call_function(torch.zeros, (), {"size": [size][0]})
            return graph.call_function(operator.add, (graph.call_method("view", (clone, [size][0])), z))
        # the Size itself is a graph output: it becomes a tuple of its dims
        return graph.call_method("view", (clone, size)), size

    gm, g = _graph_with(consumer)
    new_gm, rec = sv.decompose_sizes(gm)
    assert _sizes(new_gm) == [] and "size" in rec.erased
    assert not any(n.target is operator.getitem or n.target is len for n in new_gm.graph.nodes)
    for n in (4, 9):
        xi = torch.randn(n, 8)
        expected, actual = gm(n, xi), new_gm(n, xi)
        torch.testing.assert_close(actual, expected)
        if kind == "output":
            assert isinstance(expected[1], torch.Size) and actual[1] == expected[1] == (n, 8)
    s = sv.split(new_gm, SPLIT, example_inputs=g.example_inputs)
    assert sv.ledger(s).hazards == []
    assert all(r.ok for r in sv.compile_pieces(s, progress=False))


def test_symbolic_trace_graph_without_metadata_is_skipped_with_reason():
    def f(x):
        s = x.shape
        return torch.sigmoid(x).view(s)

    gm = torch.fx.symbolic_trace(f)
    new_gm, rec = sv.decompose_sizes(gm)
    assert len(rec) == 0
    assert rec.skipped and "example_value" in rec.skipped[0][1]
    x = torch.randn(3, 4)
    torch.testing.assert_close(new_gm(x), f(x))


def test_unbacked_sizes_decompose_and_compile():
    def f(x):
        nz = torch.nonzero(x)  # data-dependent rows: an unbacked SymInt u0
        s = nz.shape
        # contiguous(): nonzero's fake kernel claims column-major strides that the
        # eager kernel does not produce, an unrelated torch mismatch
        y = torch.ops.aten.sigmoid.default(nz.float().contiguous())
        return y.view(s) + 1

    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    with torch._dynamo.config.patch(capture_dynamic_output_shape_ops=True):
        a = sv.analyze(f, x, split_ops=SPLIT, decompose=True)
    g = a.graphs[0]
    (r,) = g.rewrites.sizes
    node = next(n for n in g.graph.graph.nodes if n.name == r.dims[0])
    assert str(node.meta["example_value"]).startswith("u")
    assert g.ledger.hazards == []
    results = g.compile(progress=False)
    assert all(r.ok for r in results), [str(r.error) for r in results]
    assert g.verify().ok
