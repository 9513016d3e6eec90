"""Property-based tests: generated programs that read sizes and split around them.

Each example is real Python source (so a failure prints a program you can paste
into a regular test), captured by Dynamo, split at ``aten::sigmoid`` and
compiled by Inductor. ``make fuzz`` runs many more examples
(``SPLITVIZ_FUZZ_EXAMPLES``); the default run is small and derandomized so CI
is repeatable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.fx as fx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import splitviz as sv

EXAMPLES = int(os.environ.get("SPLITVIZ_FUZZ_EXAMPLES", "10"))
RANDOM = "SPLITVIZ_FUZZ_EXAMPLES" in os.environ

#: consumer kind -> an expression of ``y`` (current value) and ``s`` (the Size)
#: giving a tensor of shape ``s``
CONSUMERS = {
    "view": "y.reshape(-1).view(s)",
    "reshape_whole": "y.reshape(s)",
    "indexed": "y.reshape(s[0], -1).reshape(s)",
    "sliced": "y.reshape(-1, *s[1:]).reshape(s)",
    "keyword": "torch.zeros(size=s) + y",
    "new_zeros": "y.new_zeros(s) + y",
    "full": "torch.full(s, 0.5) * y",
    "positional_varargs": "torch.ones(s) * y",
    "expand": "y.sum(0, keepdim=True).expand(s)",
    "randint_size": "torch.randint(1, s).to(y.dtype) + y",
    "tuple_rebuilt": "y.reshape((s[0],) + tuple(s[1:]))",
    "list_of_dims": "torch.zeros([*s]) + y",
}
SOURCES = {
    "input": "x",
    "intermediate": "x * 2 + 1",
    "doubled": "torch.cat([x, x], dim=0)",
}


@dataclass
class Program:
    source_kind: str
    rank: int
    dynamic: tuple[int, ...]
    steps: list[str]
    via_size_call: bool

    def source(self) -> str:
        lines = ["def program(x):", f"    h = {SOURCES[self.source_kind]}"]
        lines.append("    s = h.size()" if self.via_size_call else "    s = h.shape")
        lines.append("    y = h")
        outs = []
        for i, step in enumerate(self.steps):
            if step == "split":
                lines.append("    y = torch.ops.aten.sigmoid.default(y)")
            elif step == "compute":
                lines.append("    y = y * 1.5 + 0.25")
            elif step == "reread":  # a second Size, of whatever piece y now lives in
                lines.append("    s = y.shape")
            else:
                lines.append(f"    c{i} = {CONSUMERS[step]}")
                outs.append(f"c{i}")
        lines.append("    return " + " + ".join(["y", *outs]))
        return "\n".join(lines)

    def function(self):
        scope: dict = {"torch": torch}
        code = compile(self.source(), f"<program {abs(hash(self.source()))}>", "exec")
        exec(code, scope)
        return scope["program"]

    def inputs(self) -> torch.Tensor:
        shape = [4, 6, 5][: self.rank]
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(len(self.steps)))
        for d in self.dynamic:
            torch._dynamo.mark_dynamic(x, d)
        return x


@st.composite
def programs(draw) -> Program:
    rank = draw(st.integers(2, 3))
    dynamic = tuple(sorted(draw(st.sets(st.integers(0, rank - 1), min_size=1, max_size=rank))))
    body = draw(st.lists(st.sampled_from(["split", "compute", "reread", *CONSUMERS]), min_size=2, max_size=7))
    if "split" not in body:
        body.insert(draw(st.integers(0, len(body))), "split")
    if not any(step in CONSUMERS for step in body):
        body.append(draw(st.sampled_from(sorted(CONSUMERS))))
    return Program(
        source_kind=draw(st.sampled_from(sorted(SOURCES))),
        rank=rank,
        dynamic=dynamic,
        steps=body,
        via_size_call=draw(st.booleans()),
    )


def _signature(n: fx.Node):
    return n.op, n.target, fx.map_arg((n.args, n.kwargs), lambda a: f"%{a.name}")


def check_program(p: Program) -> None:
    """Every property, on one program; the message carries the source."""
    src = p.source()
    a = sv.analyze(p.function(), p.inputs(), split_ops=["aten::sigmoid"], decompose=False)
    assert len(a.graphs) == 1, src
    raw = a.graphs[0]

    # the hazard prediction agrees with the compiler on the undecomposed split
    failed = {r.piece for r in raw.compile(progress=False) if not r.ok}
    predicted = {c.producer for c in raw.hazards}
    assert failed == predicted, f"{src}\ncompile failed in {failed}, predicted {predicted}"

    fixed = a.reanalyze(decompose=True).graphs[0]
    # no torch.Size crosses any more, and nothing else is a hazard
    assert not [c for c in fixed.ledger if c.kind == "size"], src
    assert fixed.hazards == [], src
    # the rewrite leaves nodes that have nothing to do with sizes untouched
    rec = fixed.rewrites
    touched = set(rec.created) | set(rec.erased) | set(rec.modified)
    before = {n.name: _signature(n) for n in raw.graph.graph.nodes}
    for n in fixed.graph.graph.nodes:
        if n.name not in touched:
            assert _signature(n) == before[n.name], f"{src}\n{n.name} changed"
    # every non-splitting piece compiles
    results = fixed.compile(progress=False)
    assert all(r.ok for r in results), f"{src}\n" + "\n".join(str(r.error) for r in results if not r.ok)
    # the split, rewritten, compiled program equals eager, here and at another size
    v = fixed.verify()
    assert v.ok, f"{src}\n{v}"
    assert len(v.sizes) == 2 or v.note, src


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(programs())
def test_generated_programs(p: Program) -> None:
    check_program(p)
