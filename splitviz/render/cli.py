"""``splitviz render``: one view of one graph to an SVG, PNG, PDF or DOT file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli import EXIT_OK, EXIT_USAGE, UsageError, add_target_arguments, analysis_from_args, command
from .builders import parse_view
from .errors import DotNotFound
from .layout import DEFAULT_TIMEOUT, FORMATS, write

__all__: list[str] = []


def _add(p: argparse.ArgumentParser) -> None:
    add_target_arguments(p)
    p.add_argument("--view", default="whole", help="whole (default), overview, piece:NAME or diff")
    p.add_argument("--graph", type=int, default=0, metavar="N", help="which Dynamo graph, after graph breaks (default 0)")
    p.add_argument("--fold", action=argparse.BooleanOptionalAction, default=None,
                   help="fold repeated blocks (default: only when the graph is large)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds a layout may take before a simpler drawing is used (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file; its extension picks the format: " + ", ".join(FORMATS))


@command("render", _add)
def _render(args: argparse.Namespace) -> int:
    """Draw the graph, its split, one piece or the decomposition diff (SVG, PNG, PDF, DOT)."""
    out = Path(args.output)
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"-o {args.output}: the extension picks the format; use one of {', '.join(FORMATS)}")
    if args.view == "diff" and args.no_decompose:
        raise UsageError("--view diff shows the size decomposition; drop --no-decompose")
    analysis = analysis_from_args(args)
    if not 0 <= args.graph < len(analysis.graphs):
        raise UsageError(f"--graph {args.graph}: the target has {len(analysis.graphs)} graph(s), 0 to {len(analysis.graphs) - 1}")
    ga = analysis.graphs[args.graph]
    parse_view(ga, args.view)
    try:
        result = write(ga, args.view, out, fold=args.fold, timeout=args.timeout)
    except DotNotFound as exc:
        dot_path = out.with_suffix(".dot")
        if exc.dot_source is not None:
            dot_path.write_text(exc.dot_source, encoding="utf-8")
            print(f"splitviz: {exc}\nwrote the DOT source to {dot_path}", file=sys.stderr)
        else:
            print(f"splitviz: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if result.message:
        print(f"splitviz: {result.message}", file=sys.stderr)
    print(f"wrote {out} ({result.drawn or args.view}, {result.seconds:.2f} s)")
    return EXIT_OK
