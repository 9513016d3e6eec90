"""Stage 3: the ledger of values that cross piece boundaries, and its hazards.

``split_module`` turns every value produced in one piece and used in another
into an output of the first and an input of the second. Inductor's
``standalone_compile`` (through ``aot_autograd``) accepts only flat outputs:
tensors and scalars (and ``None``). A ``torch.Size`` (what ``x.shape`` /
``x.size()`` returns), a tuple or a list as a *piece output* of a compiled
piece fails with ``AssertionError: output spec mismatch``; an opaque object
(a dtype, a string) cannot even be threaded by ``split_module``. Those
crossings are the hazards. Inputs are lenient: a compiled piece accepts a Size
produced by a splitting piece, so only the producer side is flagged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from ._values import (
    FLAT_KINDS,
    describe,
    example_value,
    has_example_value,
    node_kind,
    sym_expr,
    tensor_nbytes,
)
from .split import Split

__all__ = ["Crossing", "Ledger", "ledger"]

_WHY = {
    "size": "a torch.Size is a pytree node, not a flat output: aot_autograd raises 'output spec "
    "mismatch ... TreeSpec(Size, ...)'; decompose it into per-dim sym_size.int values",
    "tuple": "a tuple is a pytree node, not a flat output: aot_autograd raises 'output spec mismatch'",
    "list": "a list is a pytree node, not a flat output: aot_autograd raises 'output spec mismatch'",
    "other": "an opaque Python object cannot be a compiled graph output",
}


@dataclass
class Crossing:
    """One value that leaves a piece: its producer, its consumers, what it is."""

    name: str
    kind: str
    producer: str
    consumers: list[str]
    description: str
    shape: tuple[str, ...] | None = None
    dtype: str | None = None
    nbytes: int | None = None
    #: the symbolic expression of a SymInt (``s77``), else ``None``
    expr: str | None = None
    hazard: bool = False
    why: str | None = None
    #: the source line the value came from, when Dynamo recorded it
    source: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "from": self.producer, "to": self.consumers}
        if self.hazard:
            out["why"] = self.why
        return out


@dataclass
class Ledger:
    crossings: list[Crossing] = field(default_factory=list)
    #: names of nodes whose value could not be classified (no example_value)
    unknown: list[str] = field(default_factory=list)

    @property
    def hazards(self) -> list[Crossing]:
        return [c for c in self.crossings if c.hazard]

    def __iter__(self) -> Iterator[Crossing]:
        return iter(self.crossings)

    def __len__(self) -> int:
        return len(self.crossings)

    def by_name(self, name: str) -> Crossing:
        for c in self.crossings:
            if c.name == name:
                return c
        raise KeyError(name)

    def table(self) -> str:
        """A plain-text table, for terminals and ``repr``."""
        rows = [("value", "kind", "from", "to", "what")]
        for c in self.crossings:
            flag = "!! " if c.hazard else ""
            rows.append((flag + c.name, c.kind, c.producer, ", ".join(c.consumers), c.description))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        return "\n".join("  ".join(col.ljust(w) for col, w in zip(r, widths)).rstrip() for r in rows)

    def __repr__(self) -> str:
        return f"Ledger(crossings={len(self.crossings)}, hazards={len(self.hazards)})"


def _source_line(meta: dict[str, Any]) -> str | None:
    trace = meta.get("stack_trace")
    if not trace:
        return None
    lines = [ln.strip() for ln in trace.strip().splitlines() if ln.strip()]
    code = [ln for ln in lines if not ln.startswith("File ") and not set(ln) <= {"^", "~", " "}]
    return code[-1] if code else None


def ledger(split: Split) -> Ledger:
    """Every value crossing a boundary of ``split``, with hazards predicted."""
    if split.failure is not None or not split.pieces:
        return Ledger()
    splitting = {p.name for p in split.pieces if p.is_splitting}
    crossings, unknown = [], []
    for node in split.gm.graph.nodes:
        home = split.node_to_piece.get(node.name)
        if home is None:  # placeholders and the output: graph inputs are not crossings
            continue
        consumers: list[str] = []
        for user in node.users:
            there = "output" if user.op == "output" else split.node_to_piece[user.name]
            if there != home and there not in consumers:
                consumers.append(there)
        if not consumers:
            continue
        kind = node_kind(node)
        value = example_value(node)
        if not has_example_value(node):
            unknown.append(node.name)
        c = Crossing(
            name=node.name,
            kind=kind,
            producer=home,
            consumers=consumers,
            description=describe(value) if has_example_value(node) else f"{kind} (no example_value)",
            source=_source_line(node.meta),
        )
        if isinstance(value, torch.Tensor):
            c.shape = tuple(sym_expr(d) for d in value.shape)
            c.dtype = str(value.dtype).replace("torch.", "")
            c.nbytes = tensor_nbytes(value)
        elif kind in ("symint", "int", "float", "bool") and has_example_value(node):
            c.expr = sym_expr(value)
        elif kind == "size" and has_example_value(node):
            c.shape = tuple(sym_expr(d) for d in value)
        if not has_example_value(node) and kind == "other":
            c.why = "not analysed: Dynamo recorded no example_value for this node"
        elif kind not in FLAT_KINDS and home not in splitting:
            c.hazard = True
            c.why = f"output of compiled piece {home}: {_WHY[kind]}"
        crossings.append(c)
    return Ledger(crossings, unknown)
