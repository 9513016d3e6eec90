"""The single-file HTML report, and the ``report`` and ``demo`` commands.

A report is one offline file: every diagram inline as SVG, the explorer's ES
module and stylesheet (``static/``, the same front end the notebook widget
runs) inline, and everything else as JSON data. It makes no request at all: a
Content-Security-Policy forbids it, and allows only the one inline script,
named by its hash.

This module also turns engine objects into the JSON the front end reads
(:func:`graph_details`, :func:`crossing_rows`, :func:`compile_rows`,
:func:`verify_data`), which the widget reuses. It imports no widget library,
so the CLI works without one.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import hashlib
import html
import json
import math
import os
import platform
import re
import sys
import zlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add_stage_arguments,
    add_target_arguments,
    analysis_from_args,
    command,
    run_stages,
    summary,
)
from .compile import CompileResult, ErrorInfo
from .details import all_node_details, node_details
from .ledger import Ledger
from .pipeline import Analysis, GraphAnalysis
from .verify import VerifyResult

__all__ = [
    "STATIC",
    "report_data",
    "report_html",
    "export_html",
    "graph_details",
    "node_index",
    "crossing_rows",
    "compile_rows",
    "verify_data",
    "default_view",
    "svg_body",
    "minify_svg",
    "pack_data",
    "script_json",
]

#: the front end shared with the widget
STATIC = Path(__file__).parent / "static"

#: above this many nodes a graph opens on its overview rather than the whole graph
WHOLE_VIEW_LIMIT = 400


# --------------------------------------------------------------------------- engine -> JSON


def _finite(x: float | None) -> float | None:
    """JSON has no infinity or NaN: a structural mismatch becomes ``null``."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _error(e: ErrorInfo | None) -> dict[str, str] | None:
    return None if e is None else {"type": e.type, "message": e.message, "text": e.text}


def graph_details(ga: GraphAnalysis) -> dict[str, dict[str, Any]]:
    """What is known of every node of the analysed graph, plus the nodes the
    decomposition erased (from the captured graph), each marked with how the
    pass touched it, so the diff view can explain itself."""
    details = all_node_details(ga.graph, ga.split.node_to_piece)
    rw = ga.rewrites
    if rw is None:
        return details
    erased = set(rw.erased)
    if erased:
        for node in ga.captured.gm.graph.nodes:
            if node.name in erased and node.name not in details:
                info = node_details(node, None)
                info["diff"] = "removed"
                details[node.name] = info
    for name in rw.created:
        if name in details:
            details[name]["diff"] = "added"
    for name, (before, after) in rw.modified.items():
        if name in details:
            details[name].update(diff="changed", before=before, after=after)
    return details


def node_index(details: dict[str, dict[str, Any]]) -> dict[str, list[str | None]]:
    """name -> [op, target, value, piece, source line]: what search and
    tooltips need, small enough to send whole."""
    return {n: [d.get("op"), d.get("target"), d.get("value"), d.get("piece"), d.get("source")]
            for n, d in details.items()}


def crossing_rows(ledger: Ledger) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name, "kind": c.kind, "from": c.producer, "to": list(c.consumers), "what": c.description,
            "hazard": bool(c.hazard), "why": c.why, "source": c.source, "nbytes": c.nbytes,
        }
        for c in ledger.crossings
    ]


def compile_rows(results: Iterable[CompileResult] | None, *, code: bool = True) -> list[dict[str, Any]] | None:
    if results is None:
        return None
    return [
        {
            "piece": r.piece, "ok": bool(r.ok), "seconds": round(float(r.seconds), 4), "dynamic": bool(r.dynamic),
            "error": _error(r.error), "code": r.code if code else None,
        }
        for r in results
    ]


def verify_data(v: VerifyResult | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "ok": bool(v.ok),
        "max_abs_diff": _finite(v.max_abs_diff),
        "checks": [
            {"sizes": dict(c.sizes), "ok": bool(c.ok), "max_abs_diff": _finite(c.max_abs_diff),
             "error": _error(c.error), "piece": c.piece}
            for c in v.checks
        ],
        "compiled_pieces": list(v.compiled_pieces),
        "eager_pieces": list(v.eager_pieces),
    }


def default_view(ga: GraphAnalysis, views: Sequence[str]) -> str:
    """The whole graph when it is small enough to read, else the overview."""
    if ga.captured.num_nodes > WHOLE_VIEW_LIMIT and "overview" in views:
        return "overview"
    return "whole" if "whole" in views else views[0]


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BETWEEN_TAGS = re.compile(r">\s+<")


def svg_body(svg: str) -> str:
    """The ``<svg>`` element alone, without XML prolog, doctype or comments
    (which can hold user text and only cost bytes)."""
    svg = _PROLOG.sub("", svg, count=1)
    svg = _COMMENT.sub("", svg).replace("&#45;", "-")  # dot escapes every hyphen; outside comments it needs none
    return _BETWEEN_TAGS.sub("><", svg).strip()


_LINK_OPEN = re.compile(r'<g id="a_[^"]*"><a\b[^>]*>')
_LINK_CLOSE = "</a></g>"
_LAYOUT_IDS = re.compile(r' id="(?:node|edge|clust)\d+"')
_EDGE_TITLE = re.compile(r'(<g class="edge[^"]*">)<title>[^<]*</title>')
_GEOMETRY = re.compile(r' (d|points|x|y|cx|cy|rx|ry|width|height|viewBox|transform|font-size|stroke-width)="([^"]*)"')
_DECIMALS = re.compile(r"(\d)\.(\d)\d*")
_POINT_ZERO = re.compile(r"(\d)\.0\b")


def _round(m: re.Match[str]) -> str:
    value = _POINT_ZERO.sub(r"\1", _DECIMALS.sub(r"\1.\2", m.group(2)))
    return f' {m.group(1)}="{value}"'


def minify_svg(svg: str) -> str:
    """A smaller drawing of the same picture, for the report, which carries
    hundreds: no link wrappers or tooltips (the front end builds its own from
    the node data), no layout ids or edge titles, attributes that restate
    defaults or the stylesheet dropped, coordinates to a tenth of a point.
    Node and cluster ``<title>``s (FX names) and every ``sv-*`` class stay."""
    svg = svg_body(svg)
    if len(_LINK_OPEN.findall(svg)) == svg.count(_LINK_CLOSE):  # graphviz pairs them; if not, leave them
        svg = _LINK_OPEN.sub("", svg).replace(_LINK_CLOSE, "")
    svg = _LAYOUT_IDS.sub("", svg)
    svg = _EDGE_TITLE.sub(r"\1", svg)
    svg = svg.replace(' font-family="Helvetica,sans-Serif"', "").replace(' text-anchor="start"', "")
    return _GEOMETRY.sub(_round, svg)


# --------------------------------------------------------------------------- report data


def _render_all(jobs: list[tuple[GraphAnalysis, str]]) -> list[Any]:
    """Render every (graph, view) once; ``dot`` runs in parallel subprocesses."""
    from . import render

    if not jobs:
        return []

    def one(job: tuple[GraphAnalysis, str]) -> Any:
        try:
            return render.render_svg(job[0], job[1])
        except render.DotNotFound:
            raise
        except Exception as exc:  # one broken view must not lose the whole report
            return exc

    workers = max(1, min(8, (os.cpu_count() or 2)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


class _Pool:
    """Each distinct string once: identical diagrams or stack traces are shared."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._at: dict[str, int] = {}

    def add(self, s: str) -> int:
        at = self._at.get(s)
        if at is None:
            at = self._at[s] = len(self.items)
            self.items.append(s)
        return at


def _variant_label(decompose: bool) -> str:
    return "after decomposition" if decompose else "before decomposition (as captured)"


def report_data(analyses: Analysis | Sequence[Analysis], *, title: str | None = None) -> dict[str, Any]:
    """Everything the report shows, as JSON-ready data.

    ``analyses`` are analyses of the same capture with different settings
    (typically with and without decomposition, see :meth:`Analysis.reanalyze`);
    the first is the one the report opens on.
    """
    from . import render

    items = [analyses] if isinstance(analyses, Analysis) else list(analyses)
    if not items:
        raise ValueError("report_data() needs at least one Analysis")
    first = items[0]
    by_key: dict[bool, Analysis] = {}
    for a in items:
        by_key.setdefault(a.decompose, a)

    jobs: list[tuple[GraphAnalysis, str]] = []
    views_of: dict[int, list[str]] = {}
    for a in by_key.values():
        for ga in a.graphs:
            vs = list(render.views(ga))
            views_of[id(ga)] = vs
            jobs.extend((ga, v) for v in vs)
    rendered = dict(zip(((id(ga), v) for ga, v in jobs), _render_all(jobs)))

    svgs, strings = _Pool(), _Pool()
    graphs = []
    for i, cg in enumerate(first.capture):
        variants: dict[str, Any] = {}
        original_code = cg.gm.code
        for dec, a in by_key.items():
            ga = a.graphs[i]
            vs = views_of[id(ga)]
            views, messages = [], {}
            for v in vs:
                r = rendered[(id(ga), v)]
                if isinstance(r, Exception):
                    messages[v] = f"this view could not be drawn: {type(r).__name__}: {r}"
                    continue
                views.append([v, svgs.add(minify_svg(r.svg))])
                if r.message:
                    messages[v] = r.message
            nodes = graph_details(ga)
            for info in nodes.values():
                if info.get("stack_trace"):
                    info["stack_trace"] = strings.add(info["stack_trace"])
            key = "decomposed" if dec else "original"
            variants[key] = {
                "decompose": dec,
                "label": _variant_label(dec),
                "views": views,
                "default_view": default_view(ga, [name for name, _ in views]) if views else None,
                "messages": messages,
                "nodes": nodes,
                "ledger": crossing_rows(ga.ledger),
                "pieces": [{"name": p.name, "splitting": p.is_splitting, "nodes": len(p.nodes)} for p in ga.split.pieces],
                "split_error": str(ga.split.failure) if ga.split.failure else None,
                "rewrites": ga.rewrites.summary() if ga.rewrites is not None else None,
                "compile": compile_rows(ga.compile_results),
                "verify": verify_data(ga.verify_result),
                "code": ga.graph.code if dec else None,
            }
        graphs.append({
            "index": cg.index,
            "nodes": cg.num_nodes,
            "break_reason": cg.break_reason,
            "original_code": original_code,
            "variants": variants,
            "default_variant": "decomposed" if first.decompose else "original",
        })
    return {
        "title": title or f"splitviz report: {first.capture.name}",
        "environment": _environment(first),
        "unmatched": list(first.unmatched),
        "graphs": graphs,
        "svgs": svgs.items,
        "strings": strings.items,
    }


def _environment(a: Analysis) -> dict[str, str]:
    import torch

    from . import __version__

    env = {
        "torch": torch.__version__,
        "device": str(a.device),
        "policy": a.policy,
        "split ops": ", ".join(str(getattr(op, "__name__", op)) for op in a.split_ops),
        "python": platform.python_version(),
        "splitviz": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if a.device.type == "cuda":
        try:
            env["gpu"] = torch.cuda.get_device_name(a.device)
        except Exception:  # a report is still worth writing without the GPU's name
            pass
    return env


# --------------------------------------------------------------------------- HTML

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def script_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``,
    ``>`` or ``&`` survives literally, so no ``</script>`` or ``<!--`` can end
    or bend the block, whatever the strings hold."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def _module_script() -> str:
    js = (STATIC / "explorer.js").read_text(encoding="utf-8")
    code = js + (
        '\nmount(document.getElementById("sv-app"), JSON.parse(document.getElementById("sv-data").textContent),'
        ' document.getElementById("sv-pack")?.textContent);\n'
    )
    lowered = code.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise RuntimeError("static/explorer.js must not contain '</script' or '<!--' (it is inlined in the report)")
    return code


#: above this many characters of JSON, all but each graph's first picture travel deflated
PACK_ABOVE = 3_000_000
#: per variant, what waits in the pack (the ledger, views and verification stay readable)
_PACKED_FIELDS = ("nodes", "compile", "code")


def pack_data(data: dict[str, Any], *, above: int | None = None) -> tuple[dict[str, Any], str | None]:
    """Split a large report's data into what paints first and a deflated pack.

    Small reports stay as they are: every diagram literal SVG, every string
    readable in the file. Above ``above`` characters (default
    :data:`PACK_ABOVE`), each graph's first picture, the ledger and the
    results stay literal; the other diagrams, node details, compile output and
    graph code go into one zlib stream, base64-encoded, which the page
    inflates with the browser's own ``DecompressionStream`` (no network, no
    library) right after its first paint. Diagrams compress about eightfold.
    """
    limit = PACK_ABOVE if above is None else above
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if len(text) <= limit:
        return data, None
    data = json.loads(text)  # a copy to take apart
    keep = set()
    for g in data["graphs"]:
        v = g["variants"][g["default_variant"]]
        keep.update(i for name, i in v["views"] if name == v.get("default_view"))
    packed: dict[str, Any] = {"svgs": [], "graphs": [], "strings": data.pop("strings", [])}
    for i, svg in enumerate(data["svgs"]):
        if i not in keep:
            packed["svgs"].append([i, svg])
            data["svgs"][i] = None
    for g in data["graphs"]:
        pg: dict[str, Any] = {"original_code": g.pop("original_code", None), "variants": {}}
        for key, v in g["variants"].items():
            pg["variants"][key] = {f: v.pop(f) for f in _PACKED_FIELDS if f in v}
        packed["graphs"].append(pg)
    raw = json.dumps(packed, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    data["pack"] = {"encoding": "deflate", "bytes": len(raw)}
    return data, base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def report_html(data: dict[str, Any], *, pack_above: int | None = None) -> str:
    """The report page: inline style, inline data, inline module, strict CSP."""
    data, pack = pack_data(data, above=pack_above)
    css = (STATIC / "explorer.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise RuntimeError("static/explorer.css must not contain '</style'")
    script = _module_script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; font-src data:; "
        "connect-src 'none'; form-action 'none'; base-uri 'none'"
    )
    title = html.escape(str(data.get("title", "splitviz report")))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="splitviz">\n'
        f"<title>{title}</title>\n<style>\n{css}</style>\n</head>\n"
        '<body class="sv-page">\n'
        f'<div id="sv-app"><h1>{title}</h1><noscript><p class="sv-noscript">This report draws its diagrams '
        "with JavaScript, which is disabled here. Its data is inside this file, in the "
        '<code>sv-data</code> block.</p></noscript></div>\n'
        f'<script type="application/json" id="sv-data">{script_json(data)}</script>\n'
        + (f'<script type="application/octet-stream" id="sv-pack">{pack}</script>\n' if pack else "")
        + f'<script type="module">{script}</script>\n'
        "</body>\n</html>\n"
    )


def export_html(analyses: Analysis | Sequence[Analysis], path: str | Path, *, title: str | None = None,
                both: bool = True) -> Path:
    """Write the report of ``analyses`` to ``path`` and return its absolute path.

    With ``both`` (the default), a missing counterpart (with/without
    decomposition) is added by re-analysing the same capture, so the report
    always shows the graph before and after the pass.
    """
    items = [analyses] if isinstance(analyses, Analysis) else list(analyses)
    if both and items and len({a.decompose for a in items}) == 1:
        items.append(items[0].reanalyze(decompose=not items[0].decompose))
    out = Path(path).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(report_data(items, title=title)), encoding="utf-8")
    return out


# --------------------------------------------------------------------------- CLI


def _add_report(p: argparse.ArgumentParser) -> None:
    add_target_arguments(p)
    add_stage_arguments(p)
    p.add_argument("-o", "--output", default="splitviz-report.html", help="where to write the report")
    p.add_argument("--title", default=None, help="the report's title")


@command("report", _add_report)
def _report(args: argparse.Namespace) -> int:
    """Analyse a target and write a single-file HTML report."""
    analysis = analysis_from_args(args)
    run_stages(analysis, args)
    path = export_html(analysis, args.output, title=args.title)
    print(summary(analysis))
    print(f"report: {path}")
    return EXIT_OK if analysis.ok else EXIT_PROBLEMS


def _add_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", default="build/splitviz-demo.html", help="where to write the report")
    p.add_argument("--blocks", type=int, default=2, help="decoder blocks in the demo model (default 2)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--no-compile", action="store_true", help="skip compile and verify (diagrams and ledger only)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


@command("demo", _add_demo)
def _demo(args: argparse.Namespace) -> int:
    """Run the whole pipeline on the built-in demo model and write its report."""
    from . import demo
    from .cli import UsageError
    from .pipeline import analyze

    if args.blocks < 1:
        raise UsageError("--blocks must be at least 1")
    model, inputs = demo.make(args.blocks)
    fixed = analyze(model, *inputs, split_ops=demo.SPLIT_OPS, decompose=True, device=args.device)
    broken = fixed.reanalyze(decompose=False)
    for label, a in (("before decomposition", broken), ("after decomposition", fixed)):
        if not args.no_compile:
            print(f"-- {label}: compiling and verifying", file=sys.stderr, flush=True)
            a.compile(progress=not args.quiet)
            a.verify()
    path = export_html([fixed, broken], args.output,
                       title=f"splitviz demo: DemoModel({args.blocks} blocks), before and after decomposition")
    print("== before decomposition (as vLLM would split it)")
    print(summary(broken))
    print("== after decomposition")
    print(summary(fixed))
    print(f"report: {path}")
    return EXIT_OK if fixed.ok else EXIT_PROBLEMS
