"""Stage 2: split a graph at splitting ops, exactly as vLLM's ``split_graph``.

vLLM's rules (``policy="vllm"``), reproduced one by one:

* only ``call_function`` nodes whose target is an ``OpOverload`` or
  ``OpOverloadPacket`` named in ``split_ops`` split the graph
  (``"aten::sigmoid"`` matches every overload, ``"aten::split.Tensor"`` one);
* each splitting op gets a piece of its own, consecutive splitting ops share it;
* ``operator.getitem`` on a non-placeholder stays in its producer's piece;
* a piece holding only an empty allocation merges into the previous
  non-splitting piece;
* ``split_module(..., keep_original_order=True)``.

``policy="safe"`` keeps all of that except the getitem rule where it is
wrong: vLLM applies it to *every* ``getitem``, but it exists for tuple
unpacking. Tensor indexing (``x[idx]``) or an index computed later moved into
the producer's piece reads a value that does not exist yet there, and
``split_module`` fails with ``cycle exists between partitions!``. The safe
policy applies the rule only when the producer yields a tuple/list and every
input of the ``getitem`` is already available in that piece.

Beyond vLLM, a split op may be a Python callable or the dotted name of one
(``"torch.nn.functional.scaled_dot_product_attention"``), matched against
``call_function`` targets, since most models call attention that way.
"""

from __future__ import annotations

import difflib
import importlib
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.fx as fx
from torch.fx.passes.split_module import split_module

from ._values import example_value
from .errors import SplitOpError

__all__ = [
    "Piece",
    "Split",
    "SplitFailure",
    "split",
    "op_name",
    "target_name",
    "parse_split_ops",
    "unmatched_message",
]

Policy = Literal["vllm", "safe"]
SplitOp = str | Callable[..., Any]

_OP_NAME = re.compile(r"^(?P<ns>[A-Za-z_]\w*)::(?P<name>[A-Za-z_]\w*)(?:\.(?P<overload>\w+))?$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


@dataclass
class Piece:
    """One submodule of the split: compiled by Inductor unless it is splitting."""

    name: str
    graph_id: int
    is_splitting: bool
    module: fx.GraphModule
    #: names of the nodes of the analysed graph that landed in this piece
    nodes: list[str] = field(default_factory=list)

    @property
    def num_nodes(self) -> int:
        return len(self.module.graph.nodes)

    def __repr__(self) -> str:
        kind = "splitting" if self.is_splitting else "compiled"
        return f"Piece({self.name}, {kind}, nodes={len(self.nodes)})"


@dataclass
class SplitFailure:
    """Why ``split_module`` rejected the partition, in actionable words."""

    message: str
    nodes: list[str]
    error: str

    def __str__(self) -> str:
        return self.message


@dataclass
class _Matcher:
    spec: str
    match: Callable[[fx.Node], bool]


@dataclass
class Split:
    """The result of splitting one graph."""

    gm: fx.GraphModule
    split_ops: list[str]
    policy: str
    split_gm: fx.GraphModule | None
    pieces: list[Piece]
    #: node name in ``gm`` -> piece name
    node_to_piece: dict[str, str]
    failure: SplitFailure | None = None
    #: split op spec -> message, for each op that matched no node
    unmatched: dict[str, str] = field(default_factory=dict)
    #: concrete inputs of ``gm`` (from the capture), when known
    example_inputs: list[Any] | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def piece(self, name: str) -> Piece:
        for p in self.pieces:
            if p.name == name:
                return p
        raise KeyError(f"no piece named {name!r}; pieces are {[p.name for p in self.pieces]}")

    def __repr__(self) -> str:
        if self.failure:
            return f"Split(failed: {self.failure.message.splitlines()[0]})"
        return f"Split(pieces={[p.name for p in self.pieces]}, policy={self.policy!r})"


def op_name(target: Any) -> str | None:
    """The registered name of an operator (``aten::split.Tensor``, or
    ``aten::split`` for a packet); ``None`` for anything else."""
    if isinstance(target, torch._ops.OpOverload):
        return f"{target._schema.name}.{target._overloadname}"
    if isinstance(target, torch._ops.OpOverloadPacket):
        return target._qualified_op_name
    return None


def target_name(node: fx.Node) -> str:
    """A short, stable name of what a node calls (``aten::sigmoid.default``,
    ``torch.sigmoid``, ``.view``, ``operator.getitem``)."""
    target = node.target
    if node.op == "call_method":
        return f".{target}"
    if node.op in ("placeholder", "get_attr", "output", "call_module"):
        return str(target)
    name = op_name(target)
    if name is not None:
        return name
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", None) or repr(target)
    if module in ("_operator", "operator"):
        module = "operator"
    elif module.startswith("torch._C._nn") or module.startswith("torch._C._VariableFunctions"):
        module = "torch"
    elif module.startswith("torch.nn.functional") or module == "torch._C._nn":
        module = "torch.nn.functional"
    return f"{module}.{name}" if module else name


def _resolve_callable(spec: str) -> Callable[..., Any] | None:
    parts = spec.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj if callable(obj) else None
    return None


def _op_matcher(spec: str) -> _Matcher:
    m = _OP_NAME.match(spec)
    assert m is not None
    ns, name, overload = m["ns"], m["name"], m["overload"]
    try:
        packet = getattr(getattr(torch.ops, ns), name)
    except (AttributeError, RuntimeError):
        raise SplitOpError(
            f"split op {spec!r} is unknown to torch: no operator {ns}::{name} is registered. "
            "Import the library that defines it first (for vLLM ops, `import vllm`), or "
            "check the spelling."
        ) from None
    if overload and overload not in packet.overloads():
        raise SplitOpError(
            f"split op {spec!r}: {ns}::{name} has no overload {overload!r}; "
            f"it has {', '.join(packet.overloads())}"
        )
    packet_name = f"{ns}::{name}"

    def match(node: fx.Node) -> bool:
        # vLLM's should_split: the packet name or the full overload name.
        if node.op != "call_function":
            return False
        t = node.target
        if isinstance(t, torch._ops.OpOverloadPacket):
            return t._qualified_op_name == packet_name and overload is None
        if isinstance(t, torch._ops.OpOverload):
            return t._schema.name == packet_name and overload in (None, t._overloadname)
        return False

    return _Matcher(spec, match)


def parse_split_ops(split_ops: Iterable[SplitOp] | str) -> list[_Matcher]:
    """Validate split ops: ``"ns::op[.overload]"``, a dotted callable, or a callable."""
    if isinstance(split_ops, str):
        split_ops = [s.strip() for s in split_ops.split(",") if s.strip()]
    matchers = []
    for op in split_ops:
        if callable(op) and not isinstance(op, str):
            fn = op
            spec = getattr(fn, "__qualname__", repr(fn))
            matchers.append(_Matcher(spec, lambda n, fn=fn: n.op == "call_function" and n.target is fn))
            continue
        if not isinstance(op, str) or not op:
            raise SplitOpError(f"split op {op!r} must be a name like 'aten::sigmoid' or a callable")
        if _OP_NAME.match(op):
            matchers.append(_op_matcher(op))
        elif _DOTTED.match(op):
            fn = _resolve_callable(op)
            if fn is None:
                raise SplitOpError(
                    f"split op {op!r} names no importable callable; use 'namespace::op' for "
                    "custom ops (e.g. 'vllm::unified_attention') or a dotted path such as "
                    "'torch.nn.functional.scaled_dot_product_attention'"
                )
            matchers.append(
                _Matcher(op, lambda n, fn=fn: n.op == "call_function" and n.target is fn)
            )
        else:
            raise SplitOpError(
                f"split op {op!r} is malformed: write 'namespace::op' or "
                "'namespace::op.overload' (e.g. 'aten::sigmoid', 'aten::split.Tensor', "
                "'vllm::unified_attention'), or a dotted callable path"
            )
    return matchers


def _short(spec: str) -> str:
    """The bare op name: ``aten::split.Tensor`` -> ``split``, ``torch.sigmoid`` -> ``sigmoid``."""
    if "::" in spec:
        return spec.split("::")[1].split(".")[0]
    return spec.rsplit(".", 1)[-1]


def unmatched_message(spec: str, gm: fx.GraphModule) -> str:
    """Why ``spec`` split nothing: the graph's ops and the near misses."""
    ops = Counter(
        target_name(n) for n in gm.graph.nodes if n.op in ("call_function", "call_method")
    )
    key = _short(spec).lower()
    near = [t for t in ops if key and key in t.lower()]
    near += [t for t in difflib.get_close_matches(spec, list(ops), n=3, cutoff=0.6) if t not in near]
    msg = f"split op {spec!r} matches no node in the graph."
    if near:
        msg += (
            f" Near misses: {', '.join(near)}. vLLM splits only on call_function nodes whose "
            "target is that exact operator (a torch builtin such as torch.sigmoid is a "
            "different target); name what the graph calls, e.g. "
            f"{near[0]!r} as a dotted callable, or call the custom op in the model."
        )
    listed = ", ".join(f"{t} ×{c}" if c > 1 else t for t, c in ops.most_common(12))
    return msg + f" Ops in the graph: {listed or 'none'}."


def _is_empty_allocation(node: fx.Node) -> bool:
    if node.op == "call_method":
        return node.target == "new_empty"
    if node.op != "call_function":
        return False
    t = node.target
    if t in (torch.empty, torch.empty_like, torch.empty_strided):
        return True
    if isinstance(t, torch._ops.OpOverloadPacket):
        name = t._qualified_op_name
    elif isinstance(t, torch._ops.OpOverload):
        name = t._schema.name
    else:
        return False
    return name.startswith(("aten::empty", "aten::new_empty"))


def _merge_empty_only(assign: dict[fx.Node, int], splitting: set[int]) -> None:
    by_id: dict[int, list[fx.Node]] = defaultdict(list)
    for node, gid in assign.items():
        by_id[gid].append(node)
    prev_non_splitting: int | None = None
    for gid in sorted(by_id):
        nodes = by_id[gid]
        merged = False
        if prev_non_splitting is not None and len(nodes) == 1 and _is_empty_allocation(nodes[0]):
            node = nodes[0]
            if all(i.op == "placeholder" or assign[i] <= prev_non_splitting for i in node.all_input_nodes):
                assign[node] = prev_non_splitting
                merged = True
        if not merged and gid not in splitting:
            prev_non_splitting = gid


def _is_tuple_unpack(node: fx.Node, assign: dict[fx.Node, int]) -> bool:
    """The safe policy's getitem rule: tuple/list unpacking whose inputs all
    exist in the producer's piece."""
    producer = node.args[0]
    assert isinstance(producer, fx.Node)
    value = example_value(producer)
    if isinstance(value, torch.Size) or isinstance(value, torch.Tensor):
        return False
    if not isinstance(value, (tuple, list)) and not _returns_tuple(producer):
        return False
    home = assign[producer]
    return all(
        i.op == "placeholder" or (i in assign and assign[i] <= home) for i in node.all_input_nodes
    )


def _returns_tuple(node: fx.Node) -> bool:
    """Whether an operator's schema returns several values or a list."""
    t = node.target
    if isinstance(t, torch._ops.OpOverload):
        returns = t._schema.returns
        return len(returns) > 1 or (len(returns) == 1 and str(returns[0].type).endswith("[]"))
    return False


def _assign(gm: fx.GraphModule, matchers: Sequence[_Matcher], policy: Policy) -> tuple[dict[fx.Node, int], set[int]]:
    def should_split(node: fx.Node) -> bool:
        return node.op == "call_function" and any(m.match(node) for m in matchers)

    assign: dict[fx.Node, int] = {}
    splitting: set[int] = set()
    gid = 0
    for node in gm.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        if node.op == "call_function" and node.target is operator.getitem:
            producer = node.args[0]
            if isinstance(producer, fx.Node) and producer.op != "placeholder":
                if policy == "vllm" or _is_tuple_unpack(node, assign):
                    assign[node] = assign[producer]
                    continue
        if should_split(node):
            gid += 1
            assign[node] = gid
            splitting.add(gid)
            # consecutive splitting ops share one piece: the next one increments again
            gid += -1 if should_split(node.next) else 1
        else:
            assign[node] = gid
    _merge_empty_only(assign, splitting)
    return assign, splitting


def _failure(exc: Exception, gm: fx.GraphModule, assign: dict[fx.Node, int], policy: str) -> SplitFailure:
    """Find the nodes whose piece comes before a piece they read from."""
    culprits: list[str] = []
    lines: list[str] = []
    for node, gid in assign.items():
        for inp in node.all_input_nodes:
            if inp.op != "placeholder" and assign.get(inp, -1) > gid:
                culprits.append(node.name)
                why = (
                    " (vLLM keeps every getitem with its producer)"
                    if node.target is operator.getitem
                    else ""
                )
                lines.append(
                    f"  {node.name} was placed in piece submod_{gid}{why} but reads "
                    f"{inp.name}, computed later in piece submod_{assign[inp]}"
                )
                break
    msg = f"split_module rejected this partition: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if lines:
        msg += "\n" + "\n".join(lines)
        if policy == "vllm":
            msg += (
                "\nThis is vLLM's getitem rule applied to tensor indexing; "
                "split with policy='safe' (CLI: --policy safe), which only keeps tuple "
                "unpacking with its producer."
            )
    return SplitFailure(message=msg, nodes=culprits, error=f"{type(exc).__name__}: {exc}")


def split(
    gm: fx.GraphModule,
    split_ops: Iterable[SplitOp] | str,
    policy: Policy = "vllm",
    *,
    example_inputs: Sequence[Any] | None = None,
) -> Split:
    """Split ``gm`` at ``split_ops`` the way vLLM does (see the module doc).

    Never mutates ``gm``. A partition that ``split_module`` rejects comes back
    as a ``Split`` with ``failure`` set instead of raising.
    """
    if policy not in ("vllm", "safe"):
        raise SplitOpError(f"unknown policy {policy!r}; use 'vllm' or 'safe'")
    matchers = parse_split_ops(split_ops)
    if not matchers:
        raise SplitOpError("no split ops given; name at least one, e.g. 'aten::sigmoid'")
    specs = [m.spec for m in matchers]
    unmatched = {
        m.spec: unmatched_message(m.spec, gm)
        for m in matchers
        if not any(m.match(n) for n in gm.graph.nodes)
    }
    inputs = list(example_inputs) if example_inputs is not None else None
    assign, splitting = _assign(gm, matchers, policy)
    try:
        split_gm = split_module(gm, None, lambda n: assign[n], keep_original_order=True)
    except Exception as exc:
        return Split(gm, specs, policy, None, [], {}, _failure(exc, gm, assign, policy), unmatched, inputs)

    members: dict[int, list[str]] = defaultdict(list)
    for node, gid in assign.items():
        members[gid].append(node.name)
    pieces = []
    for name, module in split_gm.named_children():
        if not name.startswith("submod_"):
            continue
        gid = int(name.removeprefix("submod_"))
        assert isinstance(module, fx.GraphModule)
        pieces.append(Piece(name, gid, gid in splitting, module, members[gid]))
    pieces.sort(key=lambda p: p.graph_id)
    node_to_piece = {node.name: f"submod_{gid}" for node, gid in assign.items()}
    return Split(gm, specs, policy, split_gm, pieces, node_to_piece, None, unmatched, inputs)
