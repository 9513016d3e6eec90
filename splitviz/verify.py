"""Stage 6: check that the split, rewritten, compiled program still computes
what the captured graph computes, at the captured sizes and at new ones.

New sizes are made by moving every dynamic symbol (``s77``) away from its
captured value and rebuilding each input consistently: tensor dims and SymInt
inputs are evaluated from their symbolic expressions, so ``2*s77`` stays twice
``s77``. Outputs are compared leaf by leaf with dtype-appropriate tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch.utils import _pytree as pytree

from ._values import example_value, hint, is_symbolic
from .compile import CompileResult, ErrorInfo
from .split import Split

__all__ = ["SizeCheck", "VerifyResult", "verify", "inputs_at", "symbols_of"]

_TOL = {
    torch.float64: (1e-7, 1e-7),
    torch.float32: (1e-4, 1e-5),
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (2e-2, 1e-2),
}


@dataclass
class SizeCheck:
    sizes: dict[str, int]
    ok: bool
    max_abs_diff: float
    error: ErrorInfo | None = None
    #: the piece that raised, when one did
    piece: str | None = None


@dataclass
class VerifyResult:
    ok: bool
    max_abs_diff: float
    checks: list[SizeCheck] = field(default_factory=list)
    #: pieces that ran compiled / eagerly (not compiled or failed to compile)
    compiled_pieces: list[str] = field(default_factory=list)
    eager_pieces: list[str] = field(default_factory=list)
    #: why fewer sizes than asked were checked, when that happened
    note: str | None = None

    @property
    def sizes(self) -> list[dict[str, int]]:
        return [c.sizes for c in self.checks]

    @property
    def error(self) -> ErrorInfo | None:
        return next((c.error for c in self.checks if c.error), None)

    def __repr__(self) -> str:
        return f"VerifyResult(ok={self.ok}, max_abs_diff={self.max_abs_diff:.3g}, sizes={self.sizes})"


def _backed_values(shape_env: Any) -> Mapping[Any, Any]:
    if shape_env is None:
        return {}
    values = getattr(shape_env, "backed_var_to_val", None)  # torch >= 2.12
    return values if values is not None else shape_env.var_to_val


def _symbolic_input_sizes(gm: fx.GraphModule) -> Iterator[Any]:
    """Every symbolic dim of a tensor input, and every symbolic scalar input."""
    for node in gm.graph.find_nodes(op="placeholder"):
        value = example_value(node)
        for d in value.shape if isinstance(value, torch.Tensor) else [value]:
            if is_symbolic(d):
                yield d


def symbols_of(gm: fx.GraphModule) -> dict[str, int]:
    """Each free size symbol of the graph's inputs with its captured value."""
    found: dict[str, int] = {}
    for d in _symbolic_input_sizes(gm):
        for sym in d.node.expr.free_symbols:
            h = _backed_values(d.node.shape_env).get(sym)
            if h is not None:
                found[str(sym)] = int(h)
    return found


def _evaluate(d: Any, sizes: Mapping[str, int]) -> int:
    if not is_symbolic(d):
        return int(hint(d))
    expr = d.node.expr
    return int(expr.subs({s: sizes[str(s)] for s in expr.free_symbols if str(s) in sizes}))


def _like(t: torch.Tensor, shape: list[int], gen: torch.Generator) -> torch.Tensor:
    if t.is_floating_point() or t.is_complex():
        out = torch.randn(shape, generator=gen, dtype=torch.float32).to(t.dtype)
    elif t.dtype == torch.bool:
        out = torch.randint(0, 2, shape, generator=gen).bool()
    else:
        lo = int(t.min()) if t.numel() else 0
        hi = int(t.max()) + 1 if t.numel() else 2
        out = torch.randint(lo, max(hi, lo + 1), shape, generator=gen, dtype=torch.int64).to(t.dtype)
    return out.to(t.device)


def inputs_at(gm: fx.GraphModule, captured: Sequence[Any], sizes: Mapping[str, int], seed: int = 0) -> list[Any]:
    """Inputs for ``gm`` with every size symbol set as in ``sizes``; inputs with
    no symbolic dims are reused as captured."""
    gen = torch.Generator().manual_seed(seed)
    out: list[Any] = []
    for node, value in zip(gm.graph.find_nodes(op="placeholder"), captured):
        ev = example_value(node)
        if isinstance(ev, torch.Tensor) and isinstance(value, torch.Tensor) and any(is_symbolic(d) for d in ev.shape):
            out.append(_like(value, [_evaluate(d, sizes) for d in ev.shape], gen))
        elif isinstance(ev, torch.SymInt) and is_symbolic(ev):
            out.append(_evaluate(ev, sizes))
        else:
            out.append(value)
    return out


def _shape_env(gm: fx.GraphModule) -> Any:
    return next((d.node.shape_env for d in _symbolic_input_sizes(gm)), None)


def _satisfies_guards(gm: fx.GraphModule, args: Sequence[Any]) -> bool:
    """Whether ``args`` pass the guards Dynamo recorded for ``gm``: outside
    them the graph itself is not valid (e.g. ``torch.split`` into s77 // 2
    chunks was unrolled for the captured size)."""
    env = _shape_env(gm)
    if env is None:
        return True
    fakes = [example_value(n) for n in gm.graph.find_nodes(op="placeholder")]
    try:
        return bool(env.evaluate_guards_for_args(fakes, list(args)))
    except Exception:  # guards we cannot evaluate: let the run decide
        return True


#: how far to move every dynamic size, tried in order until Dynamo's guards hold
_MOVES = (lambda h: h + 3, lambda h: h + 1, lambda h: 2 * h + 1, lambda h: h + 8, lambda h: max(2, h - 1))


def _new_sizes(gm: fx.GraphModule, captured: Sequence[Any], base: Mapping[str, int], seed: int) -> dict[str, int] | None:
    for move in _MOVES:
        point = {k: move(v) for k, v in base.items()}
        if point != dict(base) and _satisfies_guards(gm, inputs_at(gm, captured, point, seed)):
            return point
    return None


class _Runner(fx.Interpreter):
    """Runs the split program, naming the piece that raises."""

    failed: str | None = None

    def call_module(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return super().call_module(target, args, kwargs)
        except Exception:
            self.failed = str(target)
            raise


def _program(split: Split, results: Sequence[CompileResult] | None) -> tuple[fx.GraphModule, list[str], list[str]]:
    assert split.split_gm is not None
    prog = fx.GraphModule(split.split_gm, split.split_gm.graph)
    compiled = []
    for r in results or []:
        if r.ok and r.compiled is not None:
            prog.__dict__[r.piece] = r.compiled  # shadows the submodule, as vLLM does
            compiled.append(r.piece)
    eager = [p.name for p in split.pieces if p.name not in compiled and not p.is_splitting]
    return prog, compiled, eager


def _compare(expected: Any, actual: Any) -> tuple[bool, float]:
    """(all leaves close, max abs difference); a structural mismatch is ``inf``."""
    exp_leaves = pytree.tree_leaves(expected)
    act_leaves = pytree.tree_leaves(actual)
    if len(exp_leaves) != len(act_leaves):
        return False, math.inf
    ok, worst = True, 0.0
    for e, a in zip(exp_leaves, act_leaves):
        if not isinstance(e, torch.Tensor):
            if e != a:  # ints, SymInt hints; a Size equals the tuple it became
                return False, math.inf
            continue
        if not isinstance(a, torch.Tensor) or e.shape != a.shape or e.dtype != a.dtype:
            return False, math.inf
        if e.numel() == 0:
            continue
        if e.is_floating_point() or e.is_complex():
            rtol, atol = _TOL.get(e.dtype, (1e-4, 1e-5))
            ok &= torch.allclose(a.double(), e.double(), rtol=rtol, atol=atol, equal_nan=True)
            worst = max(worst, float((e.double() - a.double()).abs().nan_to_num(0.0).max()))
        else:
            ok &= torch.equal(e, a)
            worst = max(worst, float((e.long() - a.long()).abs().max()))
    return ok, worst


def verify(
    split: Split,
    results: Sequence[CompileResult] | None = None,
    *,
    reference: fx.GraphModule | None = None,
    inputs: Sequence[Any] | None = None,
    sizes: Sequence[Mapping[str, int]] | None = None,
    seed: int = 0,
) -> VerifyResult:
    """Compare ``reference`` (default: the split's source graph) with the split
    program, compiled pieces swapped in, at the captured sizes and at sizes
    where every dynamic symbol moved (``s -> s + 3``, or the nearest move
    that Dynamo's guards allow)."""
    if split.split_gm is None:
        raise ValueError(f"cannot verify a split that failed: {split.failure}")
    reference = reference if reference is not None else split.gm
    captured = list(inputs) if inputs is not None else split.example_inputs
    if captured is None:
        raise ValueError("verify() needs the graph's inputs: pass inputs=, or split a captured graph")
    base = symbols_of(reference)
    note = None
    if sizes is None:
        sizes = [base]
        moved = _new_sizes(reference, captured, base, seed + 1) if base else None
        if moved is not None:
            sizes.append(moved)
        elif base:
            note = "no other size satisfies the guards Dynamo recorded: the graph is specialised"
        else:
            note = "the graph has no dynamic sizes: checked at the captured sizes only"
    prog, compiled, eager = _program(split, results)
    checks = []
    for i, point in enumerate(sizes):
        args = captured if dict(point) == base else inputs_at(reference, captured, point, seed + i)
        runner = _Runner(prog)
        try:
            with torch.no_grad():
                expected = reference(*args)
                actual = runner.run(*args)
        except Exception as exc:
            checks.append(SizeCheck(dict(point), False, math.inf, ErrorInfo.from_exception(exc), runner.failed))
            continue
        ok, diff = _compare(expected, actual)
        checks.append(SizeCheck(dict(point), ok, diff))
    worst = max((c.max_abs_diff for c in checks), default=0.0)
    return VerifyResult(all(c.ok for c in checks) and bool(checks), worst, checks, compiled, eager, note)
