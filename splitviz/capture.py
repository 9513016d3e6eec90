"""Stage 1: capture the Dynamo graph(s) of a function or ``nn.Module``.

We install a recording backend with ``torch.compile`` and run the callable
once. Dynamo hands the backend one ``GraphModule`` per graph (graph breaks
give several) together with the example inputs, where dynamic sizes appear as
``SymInt`` s. We keep the hints of those SymInts so every graph can be run
again on concrete values.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx

from ._values import example_value, is_symbolic
from .errors import CaptureError

__all__ = ["CapturedGraph", "Capture", "capture"]

DynamicSpec = Mapping[int | str, int | Sequence[int]]


@dataclass
class CapturedGraph:
    """One Dynamo graph and the concrete inputs it received."""

    index: int
    gm: fx.GraphModule
    example_inputs: list[Any]
    #: placeholder name -> dims that are symbolic (dynamic) in that input
    dynamic_dims: dict[str, tuple[int, ...]]
    break_reason: str | None = None

    @property
    def placeholders(self) -> list[str]:
        return [n.name for n in self.gm.graph.find_nodes(op="placeholder")]

    @property
    def num_nodes(self) -> int:
        return len(self.gm.graph.nodes)

    @property
    def device(self) -> torch.device | None:
        """The device of the first tensor input (graphs bake devices in)."""
        for value in self.example_inputs:
            if isinstance(value, torch.Tensor):
                return value.device
        return None


@dataclass
class Capture:
    """All graphs Dynamo produced for one call, in the order they ran."""

    graphs: list[CapturedGraph]
    break_reasons: list[str] = field(default_factory=list)
    name: str = "fn"

    def __len__(self) -> int:
        return len(self.graphs)

    def __iter__(self) -> Iterator[CapturedGraph]:
        return iter(self.graphs)

    def __getitem__(self, index: int) -> CapturedGraph:
        return self.graphs[index]

    def __repr__(self) -> str:
        sizes = ", ".join(str(g.num_nodes) for g in self.graphs)
        return f"Capture({self.name!r}, graphs={len(self.graphs)}, nodes=[{sizes}])"


def _hint(value: Any) -> Any:
    """A SymInt's concrete hint so a captured graph can run on real values."""
    if isinstance(value, torch.SymInt):
        concrete = value.node.hint
        if concrete is None:
            raise CaptureError(
                f"input SymInt {value} has no concrete hint (an unbacked size); "
                "splitviz needs graphs whose inputs can be replayed"
            )
        return int(concrete)
    if isinstance(value, (torch.SymFloat, torch.SymBool)):
        return value.node.hint
    return value


def _dynamic_dims(gm: fx.GraphModule) -> dict[str, tuple[int, ...]]:
    dims: dict[str, tuple[int, ...]] = {}
    for node in gm.graph.find_nodes(op="placeholder"):
        value = example_value(node)
        if isinstance(value, torch.Tensor):
            sym = tuple(i for i, d in enumerate(value.shape) if is_symbolic(d))
            if sym:
                dims[node.name] = sym
    return dims


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    target = fn.forward if isinstance(fn, torch.nn.Module) else fn
    try:
        params = list(inspect.signature(target).parameters)
    except (TypeError, ValueError):
        return []
    return params[:count]


def _mark_dynamic(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], dynamic: DynamicSpec
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Apply ``dynamic=`` to *aliases* of the inputs, so the user's tensors keep
    no Dynamo markings after we return."""
    args_list, kwargs = list(args), dict(kwargs)
    names = _argument_names(fn, len(args))
    for key, dims in dynamic.items():
        dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
        if isinstance(key, int):
            if not 0 <= key < len(args_list):
                raise CaptureError(
                    f"dynamic= names argument {key}, but only {len(args_list)} positional "
                    "argument(s) were given"
                )
            container, slot = args_list, key
        elif key in kwargs:
            container, slot = kwargs, key
        elif key in names:
            container, slot = args_list, names.index(key)
        else:
            raise CaptureError(
                f"dynamic= names argument {key!r}, which is not among the inputs "
                f"({', '.join(names + list(kwargs)) or 'none'})"
            )
        value = container[slot]  # type: ignore[index]
        if not isinstance(value, torch.Tensor):
            raise CaptureError(f"dynamic= names argument {key!r}, which is not a tensor")
        for d in dims_t:
            if not -value.dim() <= d < value.dim():
                raise CaptureError(
                    f"dynamic= asks for dim {d} of argument {key!r}, which has {value.dim()} dims"
                )
        alias = value.detach() if not value.requires_grad else value.view_as(value)
        for d in dims_t:
            torch._dynamo.mark_dynamic(alias, d % value.dim())
        container[slot] = alias  # type: ignore[index]
    return tuple(args_list), kwargs


_BREAK_COUNTERS = ("graph_break", "unimplemented")


def _break_counts() -> dict[str, int]:
    from torch._dynamo.utils import counters

    return {
        reason: n for key in _BREAK_COUNTERS for reason, n in counters.get(key, {}).items()
    }


def _graph_break_reasons(before: Mapping[str, int]) -> list[str]:
    """Reasons Dynamo gave for breaking or skipping during our call, first line
    each. Both counters matter: a break Dynamo cannot resume from (inside a
    loop, say) is counted as ``unimplemented`` and runs the frame eagerly."""
    reasons: list[str] = []
    for reason, n in _break_counts().items():
        if n > before.get(reason, 0):
            first = reason.strip().splitlines()[0]
            if first not in reasons:
                reasons.append(first)
    return reasons


def capture(
    fn: Callable[..., Any],
    *args: Any,
    dynamic: DynamicSpec | None = None,
    **kwargs: Any,
) -> Capture:
    """Capture the Dynamo graph(s) of ``fn(*args, **kwargs)``.

    ``dynamic`` maps an argument (index or name) to the dims to treat as
    dynamic; ``torch._dynamo.mark_dynamic`` on the inputs is honoured too.
    The call runs under ``torch.no_grad()``: splitviz analyses inference
    graphs, as vLLM compiles them.
    """
    if not callable(fn):
        raise CaptureError(
            f"capture() needs a function or nn.Module, got {type(fn).__name__}; "
            "pass the model itself, then its example inputs"
        )
    if dynamic:
        args, kwargs = _mark_dynamic(fn, args, kwargs, dynamic)

    recorded: list[tuple[fx.GraphModule, list[Any]]] = []

    def recording_backend(gm: fx.GraphModule, inputs: list[Any]) -> Callable[..., Any]:
        recorded.append((gm, list(inputs)))
        return gm.forward

    before = _break_counts()
    compiled = torch.compile(fn, backend=recording_backend, dynamic=None)
    try:
        # No automatic dynamic shapes: what is dynamic is exactly what was marked,
        # whatever was captured before.
        with torch.no_grad(), torch._dynamo.config.patch(automatic_dynamic_shapes=False):
            compiled(*args, **kwargs)
    except Exception as exc:  # the user's program failed under Dynamo
        raise CaptureError(
            f"running {_name(fn)} under torch.compile failed: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}\n"
            "Check that the example inputs match the signature and that the function runs "
            "eagerly first."
        ) from exc
    finally:
        _forget(fn)
    reasons = _graph_break_reasons(before)

    if not recorded:
        raise CaptureError(
            f"Dynamo captured no graph for {_name(fn)}: it fell back to eager for the whole "
            "call" + (f": {reasons[0]}" if reasons else "") + ". Make the code Dynamo trips "
            "on traceable (no .item()/print/data-dependent Python control flow inside the "
            "model), or move it out of the captured function."
        )

    graphs = []
    for i, (gm, inputs) in enumerate(recorded):
        graphs.append(
            CapturedGraph(
                index=i,
                gm=gm,
                example_inputs=[_hint(v) for v in inputs],
                dynamic_dims=_dynamic_dims(gm),
                # graph i > 0 starts where break i - 1 happened
                break_reason=reasons[i - 1] if 0 < i <= len(reasons) else None,
            )
        )
    return Capture(graphs=graphs, break_reasons=reasons, name=_name(fn))


def _name(fn: Any) -> str:
    if isinstance(fn, torch.nn.Module):
        return type(fn).__name__
    return getattr(fn, "__qualname__", getattr(fn, "__name__", type(fn).__name__))


def _forget(fn: Any) -> None:
    """Drop the cache entries our recording backend left on ``fn``'s code, so the
    user's own later ``torch.compile`` starts from a clean slate."""
    target = fn.forward if isinstance(fn, torch.nn.Module) else fn
    code = getattr(getattr(target, "__func__", target), "__code__", None)
    if code is not None:
        torch._dynamo.reset_code(code)
