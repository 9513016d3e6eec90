"""Every colour, shape and CSS class the diagrams use, in one table.

Colours are fixed per role (opcode, value kind, piece role, diff status), never
derived from ``hash()``, so the same graph looks the same in every run, in the
widget, the report and a file written by the CLI. The class helpers build the
SVG contract documented in :mod:`splitviz.render`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "FONT",
    "GRAPH",
    "NODE",
    "EDGE",
    "OP",
    "SPLITTING_OP",
    "KIND_COLOR",
    "HAZARD_COLOR",
    "PIECE",
    "SPLITTING_PIECE",
    "COMPILE_OK",
    "COMPILE_FAILED",
    "DIFF",
    "PROXY",
    "FOLD",
    "BOUNDARY",
    "MUTED",
    "classes",
    "kind_color",
    "large_graph_attrs",
]

FONT = "Helvetica"
#: secondary text (module paths, folded parameters)
MUTED = "#6b7280"

GRAPH: dict[str, str] = {
    "rankdir": "TB",
    "fontname": FONT,
    "fontsize": "11",
    "nodesep": "0.18",
    "ranksep": "0.32",
    "bgcolor": "transparent",
    "labeljust": "l",
}
NODE: dict[str, str] = {
    "shape": "box",
    "style": "rounded,filled",
    "fillcolor": "#ffffff",
    "color": "#64748b",
    "fontname": FONT,
    "fontsize": "10",
    "margin": "0.08,0.04",
    "height": "0.3",
    "penwidth": "1",
}
EDGE: dict[str, str] = {"color": "#9ca3af", "arrowsize": "0.6", "penwidth": "1", "fontname": FONT, "fontsize": "9"}

#: node style per FX opcode
OP: dict[str, dict[str, str]] = {
    "placeholder": {"fillcolor": "#dbeafe", "color": "#3b82f6"},
    "get_attr": {"fillcolor": "#e0e7ff", "color": "#6366f1"},
    "call_function": {},  # the node defaults: most nodes, so their DOT lines stay short
    "call_method": {"fillcolor": "#ffffff", "color": "#0f766e"},
    "call_module": {"fillcolor": "#ffffff", "color": "#7c3aed"},
    "output": {"fillcolor": "#e5e7eb", "color": "#374151", "penwidth": "1.5"},
}
#: the node of a splitting op itself (attention, ...): what the split is about
SPLITTING_OP: dict[str, str] = {"fillcolor": "#fed7aa", "color": "#c2410c", "penwidth": "2"}

#: edge colour per value kind (see ``splitviz._values.KINDS``)
KIND_COLOR: dict[str, str] = {
    "tensor": "#2563eb",
    "symint": "#15803d",
    "int": "#0d9488",
    "float": "#0d9488",
    "bool": "#0d9488",
    "size": "#dc2626",
    "tuple": "#7e22ce",
    "list": "#7e22ce",
    "none": "#78716c",
    "other": "#78716c",
}
HAZARD_COLOR = "#dc2626"

#: compiled (Inductor) piece: cluster in the whole view, node in the overview
PIECE: dict[str, str] = {"style": "rounded,filled", "fillcolor": "#f8fafc", "color": "#94a3b8", "penwidth": "1.2"}
#: splitting piece: runs eagerly between compiled ones; visibly different
SPLITTING_PIECE: dict[str, str] = {
    "style": "rounded,filled,dashed",
    "fillcolor": "#fff7ed",
    "color": "#ea580c",
    "penwidth": "2",
}
COMPILE_OK: dict[str, str] = {"color": "#16a34a", "penwidth": "2"}
COMPILE_FAILED: dict[str, str] = {"color": "#dc2626", "fillcolor": "#fef2f2", "penwidth": "2.5"}

#: diff view: created / erased / changed nodes and edges
DIFF: dict[str, dict[str, str]] = {
    "added": {"color": "#16a34a", "fillcolor": "#dcfce7", "penwidth": "2"},
    "removed": {"color": "#dc2626", "fillcolor": "#fee2e2", "penwidth": "2", "style": "rounded,filled,dashed"},
    "changed": {"color": "#d97706", "fillcolor": "#fef3c7", "penwidth": "2"},
}
#: an input drawn again at each use instead of one node with hundreds of edges
PROXY: dict[str, str] = {
    "shape": "box",
    "style": "rounded,dashed",
    "fontsize": "9",
    "height": "0.2",
    "margin": "0.04,0.02",
    "color": "#3b82f6",
    "fontcolor": "#1e3a8a",
}
#: a run of repeated blocks drawn as one node
FOLD: dict[str, str] = {"shape": "box3d", "style": "filled", "fillcolor": "#f1f5f9", "color": "#475569", "penwidth": "1.5"}
#: a value entering or leaving the piece shown in a piece view
BOUNDARY: dict[str, str] = {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#ecfeff", "color": "#0891b2"}


def kind_color(kind: str) -> str:
    return KIND_COLOR.get(kind, KIND_COLOR["other"])


def classes(*names: str | None | Iterable[str]) -> str:
    """Join class names, dropping empties and duplicates, keeping their order."""
    out: list[str] = []
    for name in names:
        items = [name] if isinstance(name, str) or name is None else list(name)
        for item in items:
            if item and item not in out:
                out.append(item)
    return " ".join(out)


def large_graph_attrs(num_nodes: int) -> dict[str, str]:
    """Layout limits for ``dot`` on large graphs.

    ``nslimit``/``nslimit1`` bound the network-simplex passes that place ranks
    and x coordinates, ``mclimit`` the crossing-minimisation iterations,
    ``remincross`` skips the second crossing pass over clusters, and polyline
    edges skip spline fitting. On the 1,300-node demo they cut ``dot``'s time
    by half or more; the drawing stays a readable top-down flow (measured with
    ``benchmarks/render.py``).
    """
    if num_nodes < 200:
        return {}
    attrs = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.5", "remincross": "false", "splines": "polyline"}
    if num_nodes >= 1500:
        attrs["mclimit"] = "0.2"
    return attrs
