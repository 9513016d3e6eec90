"""splitviz: see, fix and verify vLLM-style piecewise ``torch.compile`` splits.

The pipeline is the architecture: :func:`capture` → :func:`split` →
:func:`ledger` → passes (:func:`decompose_sizes`) → :func:`compile_pieces` /
:func:`verify`; :func:`analyze` runs it all. Rendering, the widget and the
report build on these and are imported lazily.
"""

from .capture import Capture, CapturedGraph, capture
from .compile import CompileResult, ErrorInfo, compile_pieces
from .errors import CaptureError, DeviceError, SplitOpError, SplitvizError, TargetError
from .ledger import Crossing, Ledger, ledger
from .passes import Rewrites, SizeRewrite, decompose_sizes
from .pipeline import Analysis, GraphAnalysis, analyze, analyze_graph
from .split import Piece, Split, SplitFailure, split
from .verify import SizeCheck, VerifyResult, verify

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
    "ledger",
    "split",
    "verify",
]
