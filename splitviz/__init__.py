"""splitviz: see, fix and verify vLLM-style piecewise ``torch.compile`` splits.

The pipeline is the architecture: :func:`capture` → :func:`split` →
:func:`ledger` → passes (:func:`decompose_sizes`) → :func:`compile_pieces` /
:func:`verify`; :func:`analyze` runs it all. Rendering, the widget and the
report build on these and are imported lazily.
"""

from typing import TYPE_CHECKING, Any

from .capture import Capture, CapturedGraph, capture
from .compile import CompileResult, ErrorInfo, compile_pieces
from .errors import CaptureError, DeviceError, SplitOpError, SplitvizError, TargetError
from .ledger import Crossing, Ledger, ledger
from .passes import Rewrites, SizeRewrite, decompose_sizes
from .pipeline import Analysis, GraphAnalysis, analyze, analyze_graph
from .split import Piece, Split, SplitFailure, split
from .verify import SizeCheck, VerifyResult, verify

if TYPE_CHECKING:
    from .widget import Explorer

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "Capture",
    "CaptureError",
    "CapturedGraph",
    "CompileResult",
    "Crossing",
    "DeviceError",
    "ErrorInfo",
    "Explorer",
    "GraphAnalysis",
    "Ledger",
    "Piece",
    "Rewrites",
    "SizeCheck",
    "SizeRewrite",
    "Split",
    "SplitFailure",
    "SplitOpError",
    "SplitvizError",
    "TargetError",
    "VerifyResult",
    "__version__",
    "analyze",
    "analyze_graph",
    "capture",
    "compile_pieces",
    "decompose_sizes",
    "explore",
    "ledger",
    "split",
    "verify",
]


def explore(fn_or_module: Any, *args: Any, **kwargs: Any) -> "Explorer":
    """Open the explorer widget on ``fn_or_module(*args)`` (or on an ``Analysis``).

    See :func:`splitviz.widget.explore`. ipywidgets is imported on first use,
    not by ``import splitviz``: the core never depends on the UI.
    """
    from .widget import explore as _explore

    return _explore(fn_or_module, *args, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "Explorer":  # the widget class, imported on first use
        from .widget import Explorer

        return Explorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
