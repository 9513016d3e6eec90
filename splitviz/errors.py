"""Errors that name the problem and the way out.

Every error splitviz raises on bad input derives from :class:`SplitvizError`;
its message is meant to be shown to a user as is (CLI, widget, report).
"""

from __future__ import annotations

__all__ = ["SplitvizError", "CaptureError", "SplitOpError", "TargetError", "DeviceError"]


class SplitvizError(Exception):
    """Base class: a problem with the user's input, explained."""


class CaptureError(SplitvizError):
    """Dynamo could not produce a graph for the given callable and inputs."""


class SplitOpError(SplitvizError, ValueError):
    """A split op is malformed or unknown to torch."""


class TargetError(SplitvizError):
    """A CLI target (``file.py:NAME`` / ``module:NAME``) could not be loaded."""


class DeviceError(SplitvizError):
    """The requested device is not available, or inputs live elsewhere."""
