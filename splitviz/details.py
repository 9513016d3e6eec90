"""What is known of one FX node, for the explorer's details pane and the report."""

from __future__ import annotations

from typing import Any

import torch
import torch.fx as fx

from ._values import describe, example_value, has_example_value, sym_expr
from .ledger import _source_line
from .split import target_name

__all__ = ["node_details", "all_node_details"]


def _arg(a: Any) -> str:
    if isinstance(a, fx.Node):
        return f"%{a.name}"
    if isinstance(a, (tuple, list)):
        inner = ", ".join(_arg(x) for x in a)
        return f"({inner})" if isinstance(a, tuple) else f"[{inner}]"
    return repr(a)


def _module_path(meta: dict[str, Any]) -> str | None:
    stack = meta.get("nn_module_stack")
    if not stack:
        return None
    path, _cls = list(stack.values())[-1]
    return str(path).replace("L['self'].", "").replace("L__self__", "self")


def node_details(node: fx.Node, piece: str | None = None) -> dict[str, Any]:
    """A JSON-ready description of ``node``: op, target, arguments, value
    (shape, dtype, stride, SymInt expressions), source line, module path, users."""
    value = example_value(node)
    info: dict[str, Any] = {
        "name": node.name,
        "op": node.op,
        "target": target_name(node),
        "args": [_arg(a) for a in node.args],
        "kwargs": {k: _arg(v) for k, v in node.kwargs.items()},
        "value": describe(value) if has_example_value(node) else None,
        "piece": piece,
        "users": [u.name for u in node.users],
        "source": _source_line(node.meta),
        "stack_trace": node.meta.get("stack_trace"),
        "module": _module_path(node.meta),
    }
    if isinstance(value, torch.Tensor):
        info["shape"] = [sym_expr(d) for d in value.shape]
        info["dtype"] = str(value.dtype).replace("torch.", "")
        info["device"] = str(value.device)
        try:
            info["stride"] = [sym_expr(s) for s in value.stride()]
        except Exception:  # sparse / opaque layouts have no strides
            info["stride"] = None
    elif isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        info["expr"] = sym_expr(value)
    elif isinstance(value, torch.Size):
        info["shape"] = [sym_expr(d) for d in value]
    return info


def all_node_details(gm: fx.GraphModule, node_to_piece: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """:func:`node_details` for every node of ``gm``, keyed by node name."""
    where = node_to_piece or {}
    return {n.name: node_details(n, where.get(n.name)) for n in gm.graph.nodes}
