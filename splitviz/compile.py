"""Stage 5: compile every non-splitting piece with Inductor, as vLLM does.

Each piece goes through ``torch._inductor.standalone_compile`` with
``dynamic_shapes="from_example_inputs"``. The example inputs are the piece's
placeholder values from the capture (fake tensors with symbolic sizes, and
SymInts), with the capture's own fake mode, so a piece compiles once for all
sizes, exactly like vLLM's piecewise backend. Pieces without such metadata are
compiled on the real values they receive, which specializes them. Either way
we first run the split module on the captured inputs to record what each piece
really receives. A failing piece never stops the others.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx as fx

from ._values import example_value, has_example_value
from .errors import DeviceError
from .split import Split

__all__ = ["ErrorInfo", "CompileResult", "compile_pieces", "resolve_device", "record_piece_inputs"]


_MAX_MESSAGE = 300

#: (substring of the error text, what it usually means and what to do)
_HINTS = (
    ("output spec mismatch",
     "the piece returns a non-flat value (a torch.Size, tuple or list; see the ledger's hazards): "
     "decompose sizes (decompose=True, or drop --no-decompose)"),
    ("assert_size_stride",
     "a piece input's size or stride differs from what the piece was compiled for: usually a "
     "splitting op whose fake (meta) kernel disagrees with its eager kernel about strides"),
    ("cannot extract sympy expressions",
     "an opaque Python object crosses a boundary; compute it on both sides instead"),
    ("GuardOnDataDependentSymNode",
     "the piece branches on a data-dependent size; torch._check() the size or move the branch "
     "into a splitting op"),
)


def _readable(line: str) -> str:
    """Drop what only a debugger of torch itself reads: object addresses, and
    aot_autograd's list of internal functions before the outputs it rejects."""
    line = re.sub(r"\[<function .*?\], (?=outs=)", "", line)
    line = re.sub(r"outs_descs=[\[(](?:[^\[\]()]|\([^()]*\))*[\])], ", "", line)
    line = re.sub(
        r"FunctionalTensor\(_to_functional_tensor\(FakeTensor\(\.\.\., size=(\([^)]*\))(?:, dtype=torch\.(\w+))?\)\)\)",
        lambda m: f"Tensor{m[1]}" + (f":{m[2]}" if m[2] else ""),
        line,
    )
    return re.sub(r" at 0x[0-9a-f]+>", ">", line)


@dataclass
class ErrorInfo:
    """An exception, reduced to what a user reads first and what they may read next."""

    type: str
    message: str
    text: str
    #: what the error usually means, for errors splitviz recognises
    hint: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        first = _readable(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        if len(first) > _MAX_MESSAGE:
            first = first[: _MAX_MESSAGE - 1] + "…"
        hint = next((h for needle, h in _HINTS if needle in text), None)
        return cls(type=type(exc).__name__, message=first, text=text, hint=hint)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


@dataclass
class CompileResult:
    """The outcome of compiling one piece."""

    piece: str
    ok: bool
    seconds: float
    error: ErrorInfo | None = None
    compiled: Callable[..., Any] | None = None
    #: Inductor's generated code, where it gave any
    code: str | None = None
    #: whether the piece was compiled with symbolic (dynamic) sizes
    dynamic: bool = False

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"FAILED ({self.error.type if self.error else '?'})"
        return f"CompileResult({self.piece}, {status}, {self.seconds:.2f}s)"


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` means CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise DeviceError(f"unknown device {device!r}; use auto, cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu or auto")
    return dev


def _input_device(inputs: Sequence[Any]) -> torch.device | None:
    for value in inputs:
        if isinstance(value, torch.Tensor):
            return value.device
    return None


class _Recorder(fx.Interpreter):
    """Runs the split module and records the arguments each piece receives."""

    def __init__(self, gm: fx.GraphModule) -> None:
        super().__init__(gm)
        self.seen: dict[str, tuple[Any, ...]] = {}

    def call_module(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.seen[str(target)] = args
        return super().call_module(target, args, kwargs)


def record_piece_inputs(
    split: Split, inputs: Sequence[Any]
) -> tuple[dict[str, tuple[Any, ...]], ErrorInfo | None]:
    """The real arguments each piece gets when the split module runs on ``inputs``."""
    assert split.split_gm is not None
    rec = _Recorder(split.split_gm)
    try:
        with torch.no_grad():
            rec.run(*inputs)
    except Exception as exc:
        return rec.seen, ErrorInfo.from_exception(exc)
    return rec.seen, None


def _symbolic_inputs(module: fx.GraphModule) -> tuple[list[Any], Any] | None:
    """The piece's placeholder values from the capture and their fake mode."""
    from torch._guards import detect_fake_mode

    placeholders = list(module.graph.find_nodes(op="placeholder"))
    if not all(has_example_value(p) for p in placeholders):
        return None
    values = [example_value(p) for p in placeholders]
    mode = detect_fake_mode(values)
    if mode is None or mode.shape_env is None:
        return None
    return values, mode


class _PieceRunner:
    """Calls a compiled artifact with the piece's calling convention: a graph
    that returns one value gets that value back, not a one-element list."""

    def __init__(self, artifact: Callable[..., Any], returns_tuple: bool) -> None:
        self.artifact = artifact
        self.returns_tuple = returns_tuple

    def __call__(self, *args: Any) -> Any:
        out = self.artifact(*args)
        if self.returns_tuple or not isinstance(out, (tuple, list)):
            return out
        return out[0]


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _compile_one(module: fx.GraphModule, real_args: Sequence[Any]) -> tuple[Callable[..., Any], str | None, bool]:
    from torch._inductor import standalone_compile
    from torch._inductor.compile_fx import graph_returns_tuple
    from torch._inductor.utils import run_and_get_code

    symbolic = _symbolic_inputs(module)
    kwargs: dict[str, Any] = {"dynamic_shapes": "from_example_inputs"}
    if symbolic is not None:
        args, kwargs["fake_mode"] = symbolic
    else:
        args = list(real_args)
    with _quiet("torch._inductor.standalone_compile"):  # "cannot save": we never save
        artifact, codes = run_and_get_code(standalone_compile, module, args, **kwargs)
    code = "\n\n".join(codes) if codes else None
    return _PieceRunner(artifact, graph_returns_tuple(module)), code, symbolic is not None


def compile_pieces(
    split: Split,
    device: str | torch.device = "auto",
    *,
    inputs: Sequence[Any] | None = None,
    progress: bool = True,
    on_result: Callable[[CompileResult], None] | None = None,
) -> list[CompileResult]:
    """Compile each non-splitting piece with ``standalone_compile``.

    ``inputs`` default to the capture's example inputs. ``on_result`` is called
    after every piece (the widget uses it for live progress).
    """
    if split.split_gm is None:
        raise ValueError(f"cannot compile a split that failed: {split.failure}")
    inputs = list(inputs) if inputs is not None else split.example_inputs
    if inputs is None:
        raise ValueError("compile_pieces() needs the graph's inputs: pass inputs=, or split a captured graph")
    target = resolve_device(device)
    actual = _input_device(inputs)
    if actual is not None and actual.type != target.type:
        raise DeviceError(
            f"the graph was captured with inputs on {actual}, but compiling for {target} was asked: "
            "graphs bake devices in. Move the model and inputs to the target device before capturing "
            f"(splitviz.analyze(..., device={target.type!r}) does this for you)."
        )
    seen, run_error = record_piece_inputs(split, inputs)
    todo = [p for p in split.pieces if not p.is_splitting]
    results: list[CompileResult] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="compile", unit="piece", leave=False)
    try:
        for piece in todo:
            start = time.perf_counter()
            if piece.name not in seen:
                err = ErrorInfo(
                    "NotReached",
                    "the split module failed before reaching this piece, so its inputs are unknown",
                    run_error.text if run_error else "",
                )
                result = CompileResult(piece.name, False, 0.0, err)
            else:
                try:
                    with torch.no_grad():
                        fn, code, dynamic = _compile_one(piece.module, seen[piece.name])
                    result = CompileResult(piece.name, True, time.perf_counter() - start, None, fn, code, dynamic)
                except Exception as exc:
                    result = CompileResult(
                        piece.name, False, time.perf_counter() - start, ErrorInfo.from_exception(exc)
                    )
            results.append(result)
            if bar is not None:
                bar.set_postfix_str(f"{piece.name} {'ok' if result.ok else 'FAILED'}")
                bar.update(1)
            if on_result is not None:
                on_result(result)
    finally:
        if bar is not None:
            bar.close()
    return results
