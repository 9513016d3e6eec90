"""``splitviz`` on the command line.

Exit codes: 0 all is well, 1 problems found (hazards, split or compile
failures, verification mismatches, untraceable programs), 2 usage errors (bad
target, malformed split op, unavailable device).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import CaptureError, SplitvizError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

#: subcommand name -> (add arguments, run); other stages register theirs here
_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, add: Callable[[argparse.ArgumentParser], None]) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        _COMMANDS[name] = (add, run)
        return run

    return register


def add_target_arguments(p: argparse.ArgumentParser, *, target_required: bool = True) -> None:
    """The arguments every analysing command shares."""
    if target_required:
        p.add_argument("target", help="path/to/file.py:NAME or package.module:NAME")
    p.add_argument("--split-ops", default=None, help="comma-separated ops, e.g. aten::sigmoid,vllm::unified_attention")
    p.add_argument("--no-decompose", action="store_true", help="do not decompose torch.Size values")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--policy", default="vllm", choices=["vllm", "safe"])


def add_stage_arguments(p: argparse.ArgumentParser) -> None:
    """``--compile``, ``--verify`` and ``--quiet``, for the commands that run them."""
    p.add_argument("--compile", action="store_true", help="compile every non-splitting piece with Inductor")
    p.add_argument("--verify", action="store_true", help="check the split program against the original")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run_stages(analysis: Any, args: argparse.Namespace) -> None:
    """Compile and/or verify every graph that split, as the arguments ask."""
    if args.compile:
        analysis.compile(progress=not args.quiet)
    if args.verify:
        analysis.verify()


def analysis_from_args(args: argparse.Namespace, target_spec: str | None = None) -> Any:
    from .pipeline import analyze
    from .target import load_target

    target = load_target(target_spec or args.target)
    ops = args.split_ops or (",".join(target.split_ops) if target.split_ops else None)
    if not ops:
        raise UsageError("name the ops to split at with --split-ops (e.g. --split-ops aten::sigmoid)")
    return analyze(
        target.fn, *target.args, kwargs=target.kwargs, split_ops=ops, policy=args.policy,
        decompose=not args.no_decompose, device=args.device,
    )


class UsageError(SplitvizError):
    """A command line that cannot be run as given."""


def _fmt_seconds(s: float) -> str:
    return f"{s:.2f}s"


def summary(analysis: Any) -> str:
    """The human-readable report of ``splitviz check``."""
    import torch

    lines = [
        f"torch {torch.__version__} · device {analysis.device} · policy {analysis.policy} · "
        f"decomposition {'on' if analysis.decompose else 'off'}"
    ]
    for msg in analysis.unmatched:
        lines.append(f"! {msg}")
    reasons = analysis.capture.break_reasons
    if reasons:
        lines.append(f"! Dynamo broke the graph or ran code eagerly ({len(analysis.graphs)} graph(s) captured):")
        lines.extend(f"    {r}" for r in reasons)
    for g in analysis.graphs:
        s = g.split
        head = f"graph {g.index}: {g.captured.num_nodes} nodes"
        if g.captured.break_reason:
            head += f" (after graph break: {g.captured.break_reason})"
        lines.append(head)
        if s.failure:
            lines.append("  split FAILED: " + str(s.failure).replace("\n", "\n  "))
            continue
        n_split = sum(p.is_splitting for p in s.pieces)
        lines.append(f"  {len(s.pieces)} pieces ({n_split} splitting): " + " ".join(
            f"[{p.name}]" if p.is_splitting else p.name for p in s.pieces))
        if g.rewrites is not None:
            lines.append(f"  decomposition: {g.rewrites.summary()}")
        lines.append(f"  crossings: {len(g.ledger)} value(s), {len(g.ledger.hazards)} hazard(s)")
        for c in g.ledger.hazards:
            lines.append(f"  ! HAZARD {c.name} ({c.description}) {c.producer} -> {', '.join(c.consumers)}")
            lines.append(f"      {c.why}")
            if c.source:
                lines.append(f"      from: {c.source}")
        for r in g.compile_results or []:
            status = "ok" if r.ok else f"FAILED  {r.error}"
            lines.append(f"  compile {r.piece:<10} {_fmt_seconds(r.seconds):>7}  {status}")
            if r.error is not None and r.error.hint:
                lines.append(f"      hint: {r.error.hint}")
        v = g.verify_result
        if v is not None:
            where = ", ".join(" ".join(f"{k}={val}" for k, val in sz.items()) or "static" for sz in v.sizes)
            if v.ok:
                lines.append(f"  verify ok: max |diff| {v.max_abs_diff:.3g} at {where}")
            else:
                err = f" ({v.error}{' in ' + next((c.piece for c in v.checks if c.piece), '') if any(c.piece for c in v.checks) else ''})" if v.error else ""
                lines.append(f"  verify FAILED: max |diff| {v.max_abs_diff:.3g} at {where}{err}")
    lines.append("OK" if analysis.ok else "PROBLEMS FOUND")
    return "\n".join(lines)


def _add_check(p: argparse.ArgumentParser) -> None:
    add_target_arguments(p)
    add_stage_arguments(p)
    p.add_argument("--json", metavar="PATH", default=None, help="also write the result as JSON")


@command("check", _add_check)
def _check(args: argparse.Namespace) -> int:
    """Analyse a target; print the pieces, crossings, hazards and results."""
    analysis = analysis_from_args(args)
    run_stages(analysis, args)
    print(summary(analysis))
    if args.json:
        Path(args.json).write_text(json.dumps(analysis.as_json(), indent=2))
    return EXIT_OK if analysis.ok else EXIT_PROBLEMS


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = argparse.ArgumentParser(prog="splitviz", description="See, fix and verify piecewise torch.compile splits.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add, run) in _COMMANDS.items():
        p = sub.add_parser(name, help=(run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else None)
        add(p)
        p.set_defaults(run=run)
    return parser


def _load_commands() -> None:
    """Import the modules that register further subcommands (render, report, demo)."""
    import importlib

    for module in ("splitviz.render.cli", "splitviz.report"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if not (exc.name and module.startswith(exc.name)):
                raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        return int(args.run(args))
    except CaptureError as exc:
        print(f"splitviz: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except SplitvizError as exc:
        print(f"splitviz: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
