"""The whole pipeline in one call: capture → decompose → split → ledger, with
compile and verify on demand. The CLI, the widget and the report all drive it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx

from .capture import Capture, CapturedGraph, DynamicSpec, capture
from .compile import CompileResult, compile_pieces, resolve_device
from .ledger import Ledger, ledger
from .passes import Rewrites, decompose_sizes
from .split import Policy, Split, SplitOp, parse_split_ops, split, unmatched_message
from .verify import VerifyResult, verify

__all__ = ["GraphAnalysis", "Analysis", "analyze", "analyze_graph"]


@dataclass
class GraphAnalysis:
    """Everything splitviz knows about one captured graph."""

    captured: CapturedGraph
    decompose: bool
    #: the graph that was split: the decomposed copy, or the captured graph itself
    graph: fx.GraphModule
    rewrites: Rewrites | None
    split: Split
    ledger: Ledger
    compile_results: list[CompileResult] | None = None
    verify_result: VerifyResult | None = None

    @property
    def index(self) -> int:
        return self.captured.index

    @property
    def hazards(self) -> list[Any]:
        return self.ledger.hazards

    @property
    def ok(self) -> bool:
        """No split failure, no hazard, every compiled piece compiled, verify passed."""
        return (
            self.split.failure is None
            and not self.ledger.hazards
            and all(r.ok for r in self.compile_results or [])
            and (self.verify_result is None or self.verify_result.ok)
        )

    def compile(self, device: str | torch.device = "auto", *, progress: bool = True,
                on_result: Callable[[CompileResult], None] | None = None) -> list[CompileResult]:
        self.compile_results = compile_pieces(
            self.split, device, inputs=self.captured.example_inputs, progress=progress, on_result=on_result
        )
        return self.compile_results

    def verify(self, **kwargs: Any) -> VerifyResult:
        self.verify_result = verify(
            self.split, self.compile_results, reference=self.captured.gm,
            inputs=self.captured.example_inputs, **kwargs,
        )
        return self.verify_result

    def as_json(self) -> dict[str, Any]:
        results = {r.piece: r for r in self.compile_results or []}
        pieces = []
        for p in self.split.pieces:
            r = results.get(p.name)
            pieces.append({
                "name": p.name,
                "graph_id": p.graph_id,
                "is_splitting": p.is_splitting,
                "nodes": p.num_nodes,
                "compile": None if r is None else {
                    "ok": r.ok, "seconds": round(r.seconds, 4), "error": str(r.error) if r.error else None,
                },
            })
        v = self.verify_result
        return {
            "index": self.index,
            "nodes": self.captured.num_nodes,
            "split_error": str(self.split.failure) if self.split.failure else None,
            "pieces": pieces,
            "crossings": [
                {"name": c.name, "kind": c.kind, "from": c.producer, "to": list(c.consumers)}
                for c in self.ledger.crossings
            ],
            "hazards": [
                {"name": c.name, "kind": c.kind, "from": c.producer, "to": list(c.consumers), "why": c.why}
                for c in self.ledger.hazards
            ],
            "decomposition": {"applied": self.decompose, "rewrites": len(self.rewrites or [])},
            "verify": None if v is None else {
                "ok": v.ok, "max_abs_diff": v.max_abs_diff if v.max_abs_diff != float("inf") else None,
                "sizes": v.sizes,
            },
        }


def analyze_graph(
    captured: CapturedGraph, split_ops: Iterable[SplitOp] | str, *, policy: Policy = "vllm",
    decompose: bool = True,
) -> GraphAnalysis:
    """Decompose (optionally), split and build the ledger of one captured graph."""
    rewrites = None
    graph = captured.gm
    if decompose:
        graph, rewrites = decompose_sizes(captured.gm)
    s = split(graph, split_ops, policy, example_inputs=captured.example_inputs)
    if rewrites is not None and s.unmatched:
        # name the ops the user's graph has, not the sym_size.int nodes we added
        s.unmatched = {spec: unmatched_message(spec, captured.gm) for spec in s.unmatched}
    return GraphAnalysis(captured, decompose, graph, rewrites, s, ledger(s))


@dataclass
class Analysis:
    """The result of :func:`analyze`: one :class:`GraphAnalysis` per Dynamo graph."""

    capture: Capture
    split_ops: list[SplitOp]
    policy: Policy
    device: torch.device
    decompose: bool
    graphs: list[GraphAnalysis] = field(default_factory=list)

    @property
    def unmatched(self) -> list[str]:
        """Split ops that match no node in any graph (one message each)."""
        if not self.graphs:
            return []
        first = self.graphs[0].split.unmatched
        return [msg for spec, msg in first.items() if all(spec in g.split.unmatched for g in self.graphs)]

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.graphs) and not self.unmatched

    def reanalyze(self, *, decompose: bool | None = None, policy: Policy | None = None,
                  split_ops: Iterable[SplitOp] | str | None = None) -> Analysis:
        """The same capture analysed with other settings (no re-capture).

        ``split_ops`` replaces the split ops; they are checked before any graph
        is touched (:class:`SplitOpError` for a malformed or unknown op)."""
        dec = self.decompose if decompose is None else decompose
        pol = self.policy if policy is None else policy
        ops = self.split_ops if split_ops is None else _raw_split_ops(split_ops)
        graphs = [analyze_graph(g, ops, policy=pol, decompose=dec) for g in self.capture]
        return Analysis(self.capture, ops, pol, self.device, dec, graphs)

    def compile(self, *, progress: bool = True) -> list[list[CompileResult]]:
        return [g.compile(self.device, progress=progress) for g in self.graphs if g.split.ok]

    def verify(self) -> list[VerifyResult]:
        return [g.verify() for g in self.graphs if g.split.ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "device": str(self.device),
            "torch": torch.__version__,
            "graphs": [g.as_json() for g in self.graphs],
        }


def _raw_split_ops(split_ops: Iterable[SplitOp] | str) -> list[SplitOp]:
    """Checked split ops as an analysis keeps them: a comma-separated string
    becomes its op names, a list stays as given (callables included)."""
    ops = list(split_ops) if not isinstance(split_ops, str) else split_ops
    parsed = parse_split_ops(ops)
    return [m.spec for m in parsed] if isinstance(ops, str) else ops


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _on_device(fn: Any, args: Sequence[Any], kwargs: dict[str, Any], device: torch.device) -> tuple[Any, Any, Any]:
    """Move model and inputs to ``device`` before capture (graphs bake devices
    in), copying the model rather than moving the user's own."""
    if isinstance(fn, torch.nn.Module):
        current = next((p.device for p in fn.parameters()), None) or next((b.device for b in fn.buffers()), None)
        if current is not None and current.type != device.type:
            fn = copy.deepcopy(fn).to(device)
    return fn, _to_device(tuple(args), device), _to_device(kwargs, device)


def analyze(
    fn: Callable[..., Any],
    *args: Any,
    split_ops: Iterable[SplitOp] | str,
    dynamic: DynamicSpec | None = None,
    policy: Policy = "vllm",
    decompose: bool = True,
    device: str | torch.device = "auto",
    kwargs: dict[str, Any] | None = None,
) -> Analysis:
    """Capture ``fn(*args, **kwargs)`` on ``device`` and analyse every graph."""
    raw_ops = _raw_split_ops(split_ops)  # fail fast on malformed ops, before capturing
    dev = resolve_device(device)
    fn, args, kw = _on_device(fn, args, kwargs or {}, dev)
    cap = capture(fn, *args, dynamic=dynamic, **kw)
    graphs = [analyze_graph(g, raw_ops, policy=policy, decompose=decompose) for g in cap]
    return Analysis(cap, raw_ops, policy, dev, decompose, graphs)
