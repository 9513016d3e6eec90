"""What a node or edge says, and how to say it without breaking ``dot``.

Two string worlds meet here. Labels are HTML-like (``<...>``): ``&``, ``<``,
``>`` and ``"`` become entities. Tooltips are escStrings, whose quotes are
escaped when the DOT line is written. In both, ``dot`` expands backslash
escapes (``\\N`` is the node's name, ``\\G`` the graph's, even inside HTML),
so every backslash is doubled. Control characters are replaced in both, since
``dot`` would copy them into XML that no parser accepts. Long texts are
shortened in labels and kept whole in tooltips.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.fx as fx

from .._values import describe, example_value, has_example_value, node_kind, sym_expr
from ..split import op_name, target_name
from .styles import MUTED

__all__ = [
    "html",
    "esc",
    "shorten",
    "short_target",
    "value_text",
    "module_path",
    "param_name",
    "source_line",
    "node_label",
    "node_tooltip",
    "NodeText",
    "MAX_LINE",
]

#: characters per label line before it is shortened
MAX_LINE = 44
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_HTML_SPECIAL = re.compile(r'[\\&<>"]')
_HTML_ENTITIES = {"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def _clean(text: Any) -> str:
    """``str(text)`` with newlines and tabs as spaces and other control characters replaced."""
    s = str(text)
    if s.isprintable():
        return s
    return _CONTROL.sub("\ufffd", s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " "))


def html(text: Any, limit: int | None = MAX_LINE) -> str:
    """Text for an HTML-like label: shortened to ``limit`` and entity-escaped.
    Backslashes are doubled: ``dot`` expands ``\\N``, ``\\G`` even inside HTML."""
    s = _clean(text)
    if limit is not None and len(s) > limit:
        s = shorten(s, limit)
    return _HTML_SPECIAL.sub(lambda m: _HTML_ENTITIES[m.group(0)], s)


def esc(text: Any) -> str:
    """Text for an escString attribute (tooltip, plain label): literal backslashes.

    Lines of a multi-line ``text`` are kept as ``dot`` newlines (``\\n``).
    """
    lines = str(text).split("\n")
    return "\\n".join(_clean(line.rstrip("\r")).replace("\\", "\\\\") for line in lines)


def shorten(text: str, limit: int = MAX_LINE) -> str:
    """Cut the middle out of long text, keeping both ends (``blocks.0.at…qkv``)."""
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 2
    head = limit - 1 - tail
    return text[:head] + "…" + text[len(text) - tail:]


def short_target(node: fx.Node) -> str:
    """What a node does, in a few characters: ``linear``, ``.view``,
    ``aten.sym_size.int``, ``[0]``, ``input``."""
    if node.op == "placeholder":
        return "input"
    if node.op == "output":
        return "output"
    if node.op == "get_attr":
        return f"attr {node.target}"
    if node.op == "call_module":
        return f"module {node.target}"
    if node.op == "call_method":
        return f".{node.target}"
    target = node.target
    if target is operator.getitem and len(node.args) == 2 and not isinstance(node.args[1], fx.Node):
        return f"[{_index(node.args[1])}]"
    registered = op_name(target)
    if registered is not None:
        return registered.removesuffix(".default").replace("::", ".")
    name = target_name(node)
    for prefix in ("operator.", "torch.nn.functional.", "torch._C._nn.", "torch."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _index(idx: Any) -> str:
    if isinstance(idx, slice):
        parts = ["" if x is None else str(x) for x in (idx.start, idx.stop, idx.step)]
        return ":".join(parts[:2] if idx.step is None else parts)
    if isinstance(idx, tuple):
        return ", ".join(_index(i) for i in idx)
    return repr(idx) if not isinstance(idx, int) else str(idx)


_EXPRS: dict[Any, str] = {}


def _dim(d: Any) -> str:
    """``sym_expr`` with the sympy printing memoised: most of a big graph's dims
    are the same few expressions, and printing one costs ~30 µs."""
    if isinstance(d, torch.SymInt):
        expr = d.node.expr
        text = _EXPRS.get(expr)
        if text is None:
            text = _EXPRS[expr] = sym_expr(d)
            if len(_EXPRS) > 4096:
                _EXPRS.clear()
        return text
    return str(d)


def _describe(value: Any) -> str:
    """``_values.describe``, same text, faster for tensors and sizes."""
    if isinstance(value, torch.Tensor):
        return f"{str(value.dtype).removeprefix('torch.')}[{', '.join(_dim(d) for d in value.shape)}]"
    if isinstance(value, torch.Size):
        return f"Size[{', '.join(_dim(d) for d in value)}]"
    return describe(value)


def value_text(node: fx.Node) -> str:
    """The value a node produces: ``float32[2, s77, 32]``, ``SymInt s77``, ``Size[s77, 8]``."""
    if not has_example_value(node):
        return ""
    value = example_value(node)
    kind = node_kind(node)
    if isinstance(value, (tuple, list)) and len(value) > 1:
        parts = {_describe(v) for v in value}
        if len(parts) == 1:  # unbind, split, chunk: say it once
            open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
            return f"{open_}{len(value)} × {parts.pop()}{close}"
    text = _describe(value)
    if kind == "symint":
        return f"SymInt {text}"
    if kind in ("int", "float", "bool") and not isinstance(value, (int, float, bool)):
        return f"{kind} {text}"
    return text


def module_path(node: fx.Node) -> str | None:
    """The module that produced the node (``blocks.3.attn.qkv``), when Dynamo recorded it."""
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return None
    path = list(stack.values())[-1][0]
    path = str(path).replace("L['self'].", "").replace("L['self']", "").replace("L__self__", "self")
    path = re.sub(r"\._modules\['([^']*)'\]", r".\1", path)
    return path or None


_PARAM_PARTS = re.compile(r"_(?:modules|parameters|buffers)_")


def param_name(node: fx.Node) -> str:
    """A readable name for a parameter placeholder: ``blocks.0.attn.qkv.weight``."""
    return param_name_of(str(node.target) if node.op == "get_attr" else node.name)


def param_name_of(name: str) -> str:
    m = re.match(r"^[lL]_self_(?:modules_|parameters_|buffers_)?(.*?)_?$", name)
    if not m:
        return name
    return _PARAM_PARTS.sub(".", m.group(1)).strip(".")


def source_line(node: fx.Node) -> str | None:
    """The user's line of code behind a node, from Dynamo's stack trace."""
    trace = node.meta.get("stack_trace")
    if not trace:
        return None
    for line in reversed(str(trace).rstrip().rsplit("\n", 8)):  # the user's line is near the end
        line = line.strip()
        if line and not line.startswith("File ") and not set(line) <= {"^", "~", " "}:
            return line
    return None


def _muted(text: str) -> str:
    return f'<font point-size="8" color="{MUTED}">{text}</font>'


@dataclass(frozen=True)
class NodeText:
    """The texts of one node, computed once (describing SymInts is not free)."""

    name: str
    op: str
    target: str
    full_target: str
    value: str
    path: str | None
    source: str | None

    @classmethod
    def of(cls, node: fx.Node) -> NodeText:
        return cls(node.name, node.op, short_target(node), target_name(node), value_text(node),
                   module_path(node), source_line(node))

    @property
    def param(self) -> str:
        return param_name_of(self.full_target if self.op == "get_attr" else self.name)


def node_label(text: NodeText, *, params: Sequence[NodeText] = (), extra: Sequence[str] = ()) -> str:
    """An HTML-like label: name and target, value, module path, folded parameters.

    ``extra`` lines are already-escaped HTML (diff arguments, boundary notes).
    """
    head = f"<b>{html(text.name, 32)}</b>"
    if text.op not in ("placeholder", "output") and text.target != text.name:
        head += f' <font color="{MUTED}">{html(text.target, 28)}</font>'
    lines = [head]
    if text.value and text.op != "output":
        lines.append(html(text.value))
    path = text.path if text.op not in ("placeholder", "output") else None
    if path:
        lines.append(_muted(html(path)))
    prefix = (path + ".") if path else None
    for p in params[:3]:
        pname = p.param
        if prefix and pname.startswith(prefix):
            pname = pname[len(prefix):]
        lines.append(_muted("+ " + html(f"{pname} {p.value}")))
    if len(params) > 3:
        lines.append(_muted(f"+ {len(params) - 3} more parameters"))
    lines.extend(extra)
    return "<" + "<br/>".join(lines) + ">"


def node_tooltip(
    text: NodeText, *, piece: str | None = None, params: Sequence[NodeText] = (), more: Sequence[str] = ()
) -> str:
    """Everything the label had to shorten, as an escString."""
    lines = [f"{text.name} = {text.full_target}"]
    if text.value:
        lines.append(text.value)
    if piece:
        lines.append(f"piece {piece}")
    if text.path:
        lines.append(f"module {text.path}")
    if text.source:
        lines.append(text.source)
    lines += [f"parameter {p.param} {p.value}" for p in params]
    lines.extend(more)
    return esc("\n".join(lines))
