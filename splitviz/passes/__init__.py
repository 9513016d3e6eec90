"""Pure graph passes: each takes a ``GraphModule`` and returns a new one plus a
record of what it changed. The caller's graph is never touched."""

from .decompose_sizes import Rewrites, SizeRewrite, decompose_sizes

__all__ = ["Rewrites", "SizeRewrite", "decompose_sizes"]
