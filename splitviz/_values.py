"""Classify and describe the values that flow along FX edges.

Everything that the ledger, the renderer and the report say about a value
("a SymInt ``s77``", "a ``torch.Size([s77, 8])``") is computed here, once.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.fx as fx

__all__ = [
    "KINDS",
    "FLAT_KINDS",
    "kind_of",
    "node_kind",
    "describe",
    "tensor_nbytes",
    "hint",
    "static_int",
    "is_symbolic",
    "sym_expr",
]

#: Every kind a crossing value can have, in the order the ledger documents them.
KINDS = ("tensor", "symint", "int", "float", "bool", "size", "tuple", "list", "none", "other")

#: Kinds that ``standalone_compile`` accepts as piece outputs (checked against
#: Inductor in tests/test_ledger.py: ``None`` passes, containers do not).
FLAT_KINDS = frozenset({"tensor", "symint", "int", "float", "bool", "none"})


def is_symbolic(value: Any) -> bool:
    """True for a SymInt/SymFloat/SymBool whose value is not a known constant."""
    if isinstance(value, torch.SymInt):
        return value.node.maybe_as_int() is None
    return isinstance(value, (torch.SymFloat, torch.SymBool))


def sym_expr(value: Any) -> str:
    """The symbolic expression of a SymInt (``s77``, ``2*s77``), or its literal."""
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        return str(value.node.expr)
    return str(value)


def kind_of(value: Any) -> str:
    """The ledger kind of a runtime or fake value."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, torch.Size):
        return "size"
    if isinstance(value, torch.SymInt):
        return "symint" if is_symbolic(value) else "int"
    if isinstance(value, (bool, torch.SymBool)):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (float, torch.SymFloat)):
        return "float"
    if isinstance(value, tuple):
        return "tuple"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "none"
    return "other"


_NO_VALUE = object()


def example_value(node: fx.Node) -> Any:
    """The value Dynamo recorded for ``node`` (``example_value`` or ``val``)."""
    if "example_value" in node.meta:
        return node.meta["example_value"]
    return node.meta.get("val", _NO_VALUE)


def has_example_value(node: fx.Node) -> bool:
    return example_value(node) is not _NO_VALUE


def node_kind(node: fx.Node) -> str:
    """The kind of the value ``node`` produces, inferred from its target when no
    example value was recorded (e.g. graphs from ``torch.fx.symbolic_trace``)."""
    value = example_value(node)
    if value is not _NO_VALUE:
        return kind_of(value)
    if node.op == "call_method" and node.target == "size":
        return "size" if len(node.args) == 1 and "dim" not in node.kwargs else "int"
    if node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",):
        return "size"
    return "other"


def hint(value: Any) -> Any:
    """The concrete value behind a SymInt/SymFloat/SymBool, read without adding
    a guard. (``int(symint)`` would specialize the ShapeEnv: never do that.)"""
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        as_int = value.node.maybe_as_int() if isinstance(value, torch.SymInt) else None
        return as_int if as_int is not None else value.node.hint
    return value


def static_int(value: Any) -> int:
    """A dim known to be static, as a plain int."""
    if isinstance(value, torch.SymInt):
        as_int = value.node.maybe_as_int()
        assert as_int is not None, "static_int() on a symbolic dim"
        return as_int
    return int(value)


def tensor_nbytes(t: torch.Tensor) -> int | None:
    """Bytes of a tensor at its example (hinted) size; ``None`` when a dim has no hint."""
    n = 1
    for d in t.shape:
        h = hint(d)
        if h is None:
            return None
        n *= int(h)
    return n * t.element_size()


def _dims(shape: Any) -> str:
    return "[" + ", ".join(sym_expr(d) for d in shape) + "]"


def describe(value: Any, *, short: bool = False) -> str:
    """A one-line description of a value, as a debugger wants to read it."""
    if value is _NO_VALUE:
        return "?"
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{dtype}{_dims(value.shape)}"
    if isinstance(value, torch.Size):
        return f"Size{_dims(value)}"
    if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        return sym_expr(value)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, short=True) for v in value[:4])
        more = ", …" if len(value) > 4 else ""
        open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        return f"{open_}{inner}{more}{close}"
    text = repr(value)
    return text if not short or len(text) < 24 else text[:21] + "…"
