"""The facts every view needs about one analysed graph, computed once.

Which nodes are parameters (folded into the nodes that use them), which
inputs are drawn at each use instead of as one node with hundreds of edges,
which piece each node sits in, which values cross and which are hazards, and
where blocks repeat. Views read a :class:`Scene`; they never walk the engine
objects themselves.
"""

from __future__ import annotations

import operator
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import torch
import torch.fx as fx

from .._values import example_value, node_kind
from .cache import IdentityCache
from .fold import Run, find_runs
from .labels import NodeText

if TYPE_CHECKING:
    from ..compile import CompileResult
    from ..ledger import Crossing
    from ..pipeline import GraphAnalysis
    from ..split import Piece

__all__ = ["Scene", "scene_of", "FANOUT", "SCALAR_KINDS"]

#: a node with more users than this is drawn again where it is used
FANOUT = 12
SCALAR_KINDS = frozenset({"symint", "int", "float", "bool"})


def _is_parameter(node: fx.Node) -> bool:
    """Parameters and buffers: inputs a reader never needs as a node of their own."""
    if node.op == "get_attr":
        return True
    if node.op != "placeholder":
        return False
    if isinstance(example_value(node), torch.nn.Parameter):
        return True
    if node.meta.get("tensor_dict", {}).get("_dynamo_static_input_type"):
        return True
    return bool(re.search(r"(^|_)(parameters|buffers)_", node.name))


@dataclass
class Scene:
    """One :class:`~splitviz.GraphAnalysis`, indexed for drawing."""

    ga: GraphAnalysis
    nodes: list[fx.Node] = field(init=False)
    by_name: dict[str, fx.Node] = field(init=False)
    #: node name -> piece name (placeholders and the output have none)
    piece_of: dict[str, str] = field(init=False)
    pieces: list[Piece] = field(init=False)
    piece_index: dict[str, int] = field(init=False)
    nodes_of: dict[str, list[fx.Node]] = field(init=False)
    crossings: dict[str, Crossing] = field(init=False)
    #: parameter/buffer inputs, drawn inside their consumers' labels
    params: set[str] = field(init=False)
    params_of: dict[str, list[fx.Node]] = field(init=False)
    #: inputs drawn once per use (SymInts, scalars, very shared inputs)
    per_use: set[str] = field(init=False)
    #: computed values with many users, drawn once per consumer piece
    spread: set[str] = field(init=False)
    #: nodes that are the splitting ops themselves
    splitting_nodes: set[str] = field(init=False)
    hazard_nodes: set[str] = field(init=False)

    def __post_init__(self) -> None:
        ga = self.ga
        self._texts: dict[fx.Node, NodeText] = {}
        self.nodes = list(ga.graph.graph.nodes)
        self.by_name = {n.name: n for n in self.nodes}
        split_ok = ga.split.failure is None
        self.piece_of = dict(ga.split.node_to_piece) if split_ok else {}
        self.pieces = list(ga.split.pieces) if split_ok else []
        self.piece_index = {p.name: i for i, p in enumerate(self.pieces)}
        self.nodes_of = defaultdict(list)
        for n in self.nodes:
            if n.name in self.piece_of:
                self.nodes_of[self.piece_of[n.name]].append(n)
        self.crossings = {c.name: c for c in ga.ledger.crossings}
        self.hazard_nodes = {c.name for c in ga.ledger.crossings if c.hazard}
        splitting = {p.name for p in self.pieces if p.is_splitting}
        self.splitting_nodes = {
            n.name for n in self.nodes
            if self.piece_of.get(n.name) in splitting and n.op == "call_function" and n.target is not operator.getitem
        }
        self.params, self.params_of = set(), defaultdict(list)
        self.per_use, self.spread = set(), set()
        for n in self.nodes:
            users = len(n.users)
            if _is_parameter(n) and users:
                self.params.add(n.name)
                for u in n.users:
                    self.params_of[u.name].append(n)
            elif n.op == "placeholder" and users > 1 and (node_kind(n) in SCALAR_KINDS or users > FANOUT):
                self.per_use.add(n.name)
            elif users > FANOUT and self.pieces and n.op != "placeholder":
                self.spread.add(n.name)

    # -- questions views ask ------------------------------------------------
    def text(self, node: fx.Node) -> NodeText:
        """The texts of ``node`` (of this graph or the captured one), memoised."""
        text = self._texts.get(node)
        if text is None:
            text = self._texts[node] = NodeText.of(node)
        return text

    @property
    def split_ok(self) -> bool:
        return self.ga.split.failure is None

    def compile_result(self, piece: str) -> CompileResult | None:
        for r in self.ga.compile_results or ():
            if r.piece == piece:
                return r
        return None

    def inputs(self) -> Iterator[fx.Node]:
        """Graph inputs that get a node of their own (parameters are folded)."""
        for n in self.nodes:
            if n.op == "placeholder" and n.name not in self.params:
                yield n

    def is_crossing(self, producer: fx.Node, consumer: fx.Node) -> bool:
        """Whether the edge ``producer -> consumer`` crosses a piece boundary."""
        if producer.name not in self.crossings:
            return False
        here = self.piece_of.get(producer.name)
        there = "output" if consumer.op == "output" else self.piece_of.get(consumer.name)
        return here is not None and there is not None and here != there

    @cached_property
    def drawn_count(self) -> int:
        """How many boxes the whole view has: what ``dot``'s time grows with."""
        per_use = sum(len(self.by_name[n].users) for n in self.per_use)
        spread = sum(len({self.piece_of.get(u.name) for u in self.by_name[n].users}) for n in self.spread)
        return len(self.nodes) - len(self.params) + per_use + spread

    # -- repeated blocks ----------------------------------------------------
    def _offset(self, node: fx.Node, index: int) -> str:
        return str(self.piece_index.get(self.piece_of.get(node.name, ""), index) - index)

    def _signature(self, index: int) -> tuple[Any, ...]:
        piece = self.pieces[index]
        parts = []
        for n in self.nodes_of[piece.name]:
            outs = sorted(
                "out" if u.op == "output" else self._offset(u, index)
                for u in n.users
                if u.op == "output" or self.piece_of.get(u.name) != piece.name
            )
            ins = sorted(
                f"in:{node_kind(i)}:{self.text(i).value}" if i.name not in self.piece_of
                else self._offset(i, index)
                for i in n.all_input_nodes
                if self.piece_of.get(i.name) != piece.name
            )
            t = self.text(n)
            parts.append((
                n.op, t.target, t.value, re.sub(r"\d+", "#", t.path or ""),
                tuple(outs), tuple(ins), n.name in self.hazard_nodes,
            ))
        return (piece.is_splitting, tuple(parts))

    @cached_property
    def runs(self) -> list[Run]:
        """Runs of repeated pieces (decoder layers), found once per graph."""
        if len(self.pieces) < 3:
            return []
        return find_runs([self._signature(i) for i in range(len(self.pieces))])

    def block_range(self, run: Run) -> str | None:
        """``blocks.1 … blocks.30``: the module paths a fold hides, when they say so."""
        first = self._first_path(run.start + run.period, run.period)
        last = self._first_path(run.stop - run.period, run.period)
        if not first or not last:
            return None
        a, b = first.split("."), last.split(".")
        for k, (x, y) in enumerate(zip(a, b)):
            if x != y:
                if x.isdigit() and y.isdigit():
                    return f"{'.'.join(a[:k + 1])} … {'.'.join(b[:k + 1])}"
                return None
        return None

    def _first_path(self, start: int, count: int) -> str | None:
        for piece in self.pieces[start:start + count]:
            for n in self.nodes_of[piece.name]:
                path = self.text(n).path
                if path and re.search(r"\.\d+(\.|$)", path):
                    return path
        return None


_scenes: IdentityCache[Scene] = IdentityCache()


def scene_of(ga: GraphAnalysis) -> Scene:
    """The scene of ``ga``, built on first use and kept while ``ga`` lives."""
    return _scenes.get(ga, "scene", lambda: Scene(ga))
