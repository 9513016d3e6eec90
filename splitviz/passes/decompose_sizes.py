"""Decompose every ``torch.Size`` value into per-dimension values.

Dynamo records ``x.shape`` / ``x.size()`` as a ``size`` node whose value is a
``torch.Size``. When its consumer lands in a later piece, the Size becomes a
piece output and ``standalone_compile`` rejects it. We replace each Size by
its dims: ``aten.sym_size.int(x, i)`` for a symbolic dim (placed right after
``x`` is produced, so it lives in the producer's piece and crosses as a flat
SymInt) and a literal for a static dim (which never crosses at all).

The rewrite is by *value*, not by op signature: wherever the Size sits inside
a consumer's arguments (a positional varargs size, one positional parameter
among others, a keyword, nested in lists or tuples, the graph output) it is
replaced by a tuple of its dims, which every op that takes ``int[]`` accepts.
Consumers that compute *with* the Size are folded: indexing gives one dim,
slicing or concatenating gives a smaller/larger Size that is decomposed in
turn, ``len`` gives a literal. Anything else keeps the original node, and the
record says why.
"""

from __future__ import annotations

import copy
import operator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch.fx.node import map_aggregate

from .._values import example_value, has_example_value, is_symbolic, static_int

__all__ = ["SizeRewrite", "Rewrites", "decompose_sizes"]

Dim = fx.Node | int


@dataclass
class SizeRewrite:
    """One Size node and what it became."""

    size_node: str
    tensor: str
    #: per dim: the name of the new ``sym_size.int`` node, or the literal int
    dims: list[str | int]
    consumers: list[str]


@dataclass
class Rewrites:
    """What :func:`decompose_sizes` changed, for the diff view and the CLI."""

    created: list[str] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    #: node name -> (arguments before, arguments after)
    modified: dict[str, tuple[str, str]] = field(default_factory=dict)
    sizes: list[SizeRewrite] = field(default_factory=list)
    #: (node name, reason) for Size values that were left in place
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sizes)

    def summary(self) -> str:
        return (
            f"{len(self.sizes)} Size value(s) decomposed: {len(self.created)} node(s) created, "
            f"{len(self.erased)} erased, {len(self.modified)} modified"
            + (f", {len(self.skipped)} left in place" if self.skipped else "")
        )


def _fmt(args: Any, kwargs: dict[str, Any]) -> str:
    parts = [_fmt_arg(a) for a in args] + [f"{k}={_fmt_arg(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _fmt_arg(a: Any) -> str:
    if isinstance(a, fx.Node):
        return f"%{a.name}"
    if isinstance(a, tuple):
        return "(" + ", ".join(_fmt_arg(x) for x in a) + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, list):
        return "[" + ", ".join(_fmt_arg(x) for x in a) + "]"
    return repr(a)


def _size_source(node: fx.Node) -> fx.Node | None:
    """The tensor a Size-producing node measures, or ``None``."""
    t = node.args[0] if node.args else None
    if not isinstance(t, fx.Node):
        return None
    if node.op == "call_method" and node.target == "size" and len(node.args) == 1 and not node.kwargs:
        return t
    if node.op == "call_function":
        if node.target is getattr and node.args[1:] == ("shape",):
            return t
        if node.target in (torch.Tensor.size, torch.ops.aten.sym_size.default) and len(node.args) == 1:
            return t
    return None


class _Decomposer:
    def __init__(self, gm: fx.GraphModule) -> None:
        self.gm = gm
        self.graph = gm.graph
        self.rec = Rewrites()
        self._sym: dict[tuple[fx.Node, int], fx.Node] = {}
        self._cursor: dict[fx.Node, fx.Node] = {}
        self._erased: set[fx.Node] = set()
        placeholders = list(self.graph.find_nodes(op="placeholder"))
        self._last_placeholder = placeholders[-1] if placeholders else None

    # -- dims -------------------------------------------------------------
    def _sym_size(self, tensor: fx.Node, dim: int, value: torch.SymInt, origin: fx.Node) -> fx.Node:
        key = (tensor, dim)
        if key in self._sym:
            return self._sym[key]
        after = self._cursor.get(tensor)
        if after is None:
            after = self._last_placeholder if tensor.op == "placeholder" else tensor
        with self.graph.inserting_after(after):
            node = self.graph.call_function(torch.ops.aten.sym_size.int, (tensor, dim))
        node.meta["example_value"] = value
        for key_ in ("stack_trace", "nn_module_stack", "source_fn_stack"):
            if key_ in origin.meta:
                node.meta[key_] = origin.meta[key_]
        self._cursor[tensor] = node
        self._sym[key] = node
        self.rec.created.append(node.name)
        return node

    def _dims(self, size_node: fx.Node, tensor: fx.Node) -> list[Dim] | None:
        value = example_value(size_node)
        if not isinstance(value, torch.Size):
            tv = example_value(tensor)
            value = tv.shape if isinstance(tv, torch.Tensor) else None
        if value is None:
            self.rec.skipped.append(
                (size_node.name, "no example_value on the Size or its tensor: the rank and which "
                 "dims are dynamic are unknown (graphs from torch.fx.symbolic_trace lack them)")
            )
            return None
        dims: list[Dim] = []
        for i, d in enumerate(value):
            dims.append(self._sym_size(tensor, i, d, size_node) if is_symbolic(d) else static_int(d))
        return dims

    # -- consumers --------------------------------------------------------
    def _substitute(self, user: fx.Node, old: fx.Node, new: Any) -> None:
        before = _fmt(user.args, user.kwargs)

        def swap(a: Any) -> Any:
            return new if a is old else a

        user.args = map_aggregate(user.args, swap)
        user.kwargs = map_aggregate(user.kwargs, swap)
        name = user.name
        if name in self.rec.modified:
            before = self.rec.modified[name][0]
        self.rec.modified[name] = (before, _fmt(user.args, user.kwargs))

    def _replace_value(self, node: fx.Node, value: Any) -> None:
        """Replace every use of ``node`` by ``value`` (a node or a literal)."""
        for user in list(node.users):
            self._substitute(user, node, value)

    def _erase(self, node: fx.Node) -> None:
        self.graph.erase_node(node)
        self._erased.add(node)
        self.rec.erased.append(node.name)
        self.rec.modified.pop(node.name, None)

    def _fold(self, size_like: fx.Node, dims: list[Dim]) -> list[str]:
        """Rewrite every consumer of a Size-valued node given its dims; erase the
        node when nothing needs it any more. Returns the consumer names."""
        consumers = [u.name for u in size_like.users]
        for user in list(size_like.users):
            derived = self._derived(user, size_like, dims)
            if derived is None:
                self._substitute(user, size_like, tuple(dims))
            elif isinstance(derived, list):
                self._fold(user, derived)
            elif derived is not _KEEP:
                self._replace_value(user, derived)
                self._erase(user)
        if not size_like.users:
            self._erase(size_like)
        return consumers

    def _derived(self, user: fx.Node, size_like: fx.Node, dims: list[Dim]) -> Any:
        """What a consumer computes from the Size: a dim, a new dim list, a
        literal; ``None`` when it just takes the Size as an argument."""
        if user.op == "call_function" and user.target is operator.getitem and user.args[0] is size_like:
            idx = user.args[1]
            if isinstance(idx, int):
                return dims[idx]
            if isinstance(idx, slice) and all(
                not isinstance(x, fx.Node) for x in (idx.start, idx.stop, idx.step)
            ):
                return dims[idx]
            self.rec.skipped.append((user.name, "indexes the Size with a computed index"))
            return _KEEP
        if user.op == "call_function" and user.target is len and user.args[0] is size_like:
            return len(dims)
        if user.op == "call_function" and user.target in (operator.add, operator.concat):
            a, b = user.args
            if a is size_like and isinstance(b, (tuple, list)):
                return dims + list(b)
            if b is size_like and isinstance(a, (tuple, list)):
                return list(a) + dims
        if user.op == "call_method" and user.target == "numel" and user.args[0] is size_like:
            if all(isinstance(d, int) for d in dims):
                n = 1
                for d in dims:
                    n *= static_int(d)
                return n
            self.rec.skipped.append((user.name, "takes numel() of a Size with dynamic dims"))
            return _KEEP
        return None

    def run(self) -> Rewrites:
        for node in list(self.graph.nodes):
            if node in self._erased or node.op == "output":  # folded into an earlier Size
                continue
            tensor = _size_source(node)
            if tensor is None:
                continue
            if has_example_value(node) and not isinstance(example_value(node), torch.Size):
                continue
            dims = self._dims(node, tensor)
            if dims is None:
                continue
            consumers = self._fold(node, dims)
            self.rec.sizes.append(
                SizeRewrite(
                    size_node=node.name,
                    tensor=tensor.name,
                    dims=[d.name if isinstance(d, fx.Node) else d for d in dims],
                    consumers=consumers,
                )
            )
        return self.rec


_KEEP = object()


def decompose_sizes(gm: fx.GraphModule) -> tuple[fx.GraphModule, Rewrites]:
    """Return a copy of ``gm`` with every ``torch.Size`` decomposed, and the record.

    ``gm`` is not modified; the copy shares its parameters and submodules.
    """
    graph = copy.deepcopy(gm.graph)
    new_gm = fx.GraphModule(gm, graph, class_name=type(gm).__name__)
    new_gm.meta = dict(getattr(gm, "meta", {}))
    rec = _Decomposer(new_gm).run()
    new_gm.graph.lint()
    new_gm.recompile()
    return new_gm, rec
