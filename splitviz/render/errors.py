"""Errors of the diagram layer, each saying what to do next."""

from __future__ import annotations

from ..errors import SplitvizError

__all__ = ["RenderError", "DotNotFound", "LayoutTimeout", "INSTALL_HINT"]

INSTALL_HINT = (
    "Install Graphviz with one of:\n"
    "  apt-get install graphviz      (Debian, Ubuntu)\n"
    "  brew install graphviz         (macOS)\n"
    "  conda install python-graphviz (conda)"
)


class RenderError(SplitvizError, ValueError):
    """A view that cannot be drawn as asked (unknown view, piece or format)."""


class DotNotFound(SplitvizError):
    """Graphviz's ``dot`` is not on ``PATH``; the DOT source is kept in ``dot_source``."""

    def __init__(self, dot_source: str | None = None) -> None:
        self.dot_source = dot_source
        super().__init__(
            "Graphviz's `dot` program was not found on PATH; splitviz needs it to lay out "
            f"diagrams.\n{INSTALL_HINT}\n"
            "The DOT source is still available: write to a .dot file, or read .dot_source."
        )


class LayoutTimeout(SplitvizError):
    """``dot`` did not finish within the time allowed; the process was killed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"dot did not finish within {seconds:g} s")
