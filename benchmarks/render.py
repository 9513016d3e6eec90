"""Diagram cost on the demo model: splitviz against ``FxGraphDrawer`` + ``dot``.

The baseline is what one reaches for first: torch's ``FxGraphDrawer`` on the
captured graph, laid out by ``dot -Tsvg`` (capped at ``--cap`` seconds). It
fails on real models because one SymInt placeholder feeds every block and a
few shared nodes with hundreds of edges wreck ``dot``'s layout. splitviz is
timed end to end, from the analysed graph to inline SVG, every cache emptied
first (best of ``--repeat``): the whole graph, the same with repeated blocks
folded, the overview, the largest piece and the diff.

    python benchmarks/render.py [--blocks 1,4,8,16,32] [--cap 60] [--repeat 3]

Needs ``pydot`` for the baseline (``pip install pydot``); without it the
baseline column says so and the splitviz columns are still measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from collections.abc import Callable

import torch

import splitviz
from splitviz import render
from splitviz.demo import SPLIT_OPS, DemoModel, make_inputs
from splitviz.pipeline import GraphAnalysis


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Cold timing: every cache is emptied before each run."""
    times = []
    for _ in range(repeat):
        render.clear_cache()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline(ga: GraphAnalysis, cap: float, repeat: int) -> float | None:
    """FxGraphDrawer + dot -Tsvg on the captured graph; ``inf`` past ``cap`` seconds,
    ``None`` when pydot is missing."""
    try:
        from torch.fx.passes.graph_drawer import FxGraphDrawer

        FxGraphDrawer(ga.captured.gm, "probe")
    except RuntimeError:  # FxGraphDrawer requires pydot
        return None
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        source = FxGraphDrawer(ga.captured.gm, "demo").get_dot_graph().to_string()
        try:
            subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True,
                           timeout=max(0.1, cap - (time.perf_counter() - start)))
        except subprocess.TimeoutExpired:
            return float("inf")
        times.append(time.perf_counter() - start)
        if times[-1] > 5:
            break  # slow enough that one run says it all
    return min(times)


def splitviz_times(ga: GraphAnalysis, cap: float, repeat: int) -> dict[str, float]:
    largest = max(ga.split.pieces, key=lambda p: len(p.nodes)).name

    def view(name: str, fold: bool | None = None) -> Callable[[], object]:
        def run() -> None:
            r = render.render_svg(ga, name, fold=fold, timeout=cap)
            assert not r.fallback, r.message

        return run

    return {
        "whole": best_of(view("whole"), repeat),
        "folded": best_of(view("whole", True), repeat),
        "overview": best_of(view("overview"), repeat),
        "piece": best_of(view(f"piece:{largest}"), repeat),
        "diff": best_of(view("diff"), repeat),
    }


def _s(seconds: float | None, cap: float) -> str:
    if seconds is None:
        return "n/a (pip install pydot)"
    return f"> {cap:g} s" if seconds == float("inf") else f"{seconds:.3f} s"


def _ratio(base: float | None, ours: float, cap: float) -> str:
    if base is None:
        return "n/a"
    return f"> {cap / ours:,.0f}×" if base == float("inf") else f"{base / ours:,.1f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", default="1,4,8,16,32", help="comma-separated block counts")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before the baseline is stopped")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("dot") is None:
        raise SystemExit("benchmarks/render.py needs Graphviz's dot (apt-get install graphviz)")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"torch {torch.__version__} · {subprocess.run(['dot', '-V'], capture_output=True, text=True).stderr.strip()}"
          f" · {cpus} CPUs · best of {args.repeat}, caches emptied\n")
    header = ["blocks", "nodes", "FxGraphDrawer + dot", "whole", "ratio", "whole, folded", "overview",
              "largest piece", "diff", "slowest view"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    for blocks in (int(b) for b in args.blocks.split(",")):
        torch.manual_seed(0)
        ga = splitviz.analyze(DemoModel(blocks).eval(), make_inputs(), split_ops=SPLIT_OPS).graphs[0]
        base = baseline(ga, args.cap, args.repeat)
        t = splitviz_times(ga, args.cap, args.repeat)
        row = [str(blocks), f"{ga.captured.num_nodes:,}", _s(base, args.cap), _s(t["whole"], args.cap),
               _ratio(base, t["whole"], args.cap), *(_s(t[k], args.cap) for k in ("folded", "overview", "piece", "diff")),
               _s(max(t.values()), args.cap)]
        print("| " + " | ".join(row) + " |", flush=True)
    print("\nratio: baseline time / splitviz whole-graph time (cold: analysed graph to inline SVG)")


if __name__ == "__main__":
    main()
