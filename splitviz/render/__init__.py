"""Diagrams of a split graph: engine objects in, ``graphviz.Digraph`` or SVG out.

Views (:func:`views` lists those of one graph):

* ``whole``: the analysed graph, each piece a cluster, crossing edges coloured
  by kind, hazards labelled in red. Large graphs fold repeated blocks
  (``fold=None`` decides by size; ``True``/``False`` force it).
* ``overview``: one node per piece; each edge lists the values crossing it
  (name, kind, shape or SymInt expression); each hazard is an edge of its own.
* ``piece:NAME``: one piece, the values entering it above, leaving it below.
* ``diff``: the size decomposition: created, erased, changed nodes (only the
  changes and their neighbours on large graphs).

:func:`build` is pure (no ``dot``); :func:`render_svg`, :func:`render` and
:func:`write` run ``dot`` with a timeout, fall back to a simpler drawing with a
``message`` when it does not finish, and cache their results.

SVG contract (graphviz writes each node, cluster and edge as a ``<g>`` with
these classes and a ``<title>``):

* FX node: class ``sv-node sv-op-<opcode>``; ``<title>`` is the FX node name.
  Extras: ``sv-splitting-op`` (the splitting op itself), ``sv-hazard`` (it
  produces a hazard), ``sv-culprit`` (named by a failed split),
  ``sv-boundary sv-boundary-in`` / ``sv-boundary-out`` (piece view).
  Parameters are not drawn: they are listed in their consumers' labels and
  tooltips.
* Stand-ins: an input drawn at each use, a value with many users drawn in each
  consumer piece, and a piece view's output marker have class ``sv-proxy
  sv-value-<fx name>`` (+ ``sv-spread``, ``sv-boundary-out``) and a
  ``<title>`` of the form ``<fx name>@<where>``. FX names never contain ``@``:
  every title with an ``@`` is synthetic.
* Piece: a cluster (``whole``, ``piece``, ``diff``; ``<title>`` is
  ``cluster_<piece name>``) or a node (``overview``; ``<title>`` is the piece
  name), class ``sv-piece`` (+ ``sv-splitting``; + ``sv-compile-ok`` or
  ``sv-compile-failed`` once the graph was compiled).
* Crossing edge: class ``sv-crossing sv-kind-<kind> sv-value-<fx name>``
  (+ ``sv-hazard``). An overview edge carries every value it lists, so it may
  have several ``sv-kind-*`` and ``sv-value-*`` classes.
* Folded blocks: one node of class ``sv-fold`` (+ ``sv-hazard`` when a
  hazard is inside), ``<title>`` ``fold@<first hidden piece>``.
* Diff: ``sv-added``, ``sv-removed``, ``sv-changed`` on nodes and edges.
* Others: ``sv-inputs`` and ``sv-output`` (overview), ``sv-note`` (fallback
  note); the root ``<g>`` has ``sv-view sv-view-<whole|overview|piece|diff|note>``.

Graphviz escapes ``-`` in class attributes as ``&#45;``; any XML parser or
the browser's DOM reads them back as ``-``.
"""

from __future__ import annotations

from .builders import build, views
from .errors import DotNotFound, LayoutTimeout, RenderError
from .layout import (
    DEFAULT_TIMEOUT,
    FORMATS,
    Rendered,
    clear_cache,
    dot_available,
    render,
    render_svg,
    run_dot,
    write,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "DotNotFound",
    "LayoutTimeout",
    "RenderError",
    "Rendered",
    "build",
    "clear_cache",
    "dot_available",
    "render",
    "render_svg",
    "run_dot",
    "views",
    "write",
]
