"""Engine cost on the demo model, as ratios against a baseline in the same run.

Baseline: vLLM's own work, the split (``split_module``) of the captured graph.
We report what splitviz adds on top: the size decomposition, the ledger, and a
full re-analysis (what the widget's decomposition toggle costs).

    python benchmarks/engine.py [BLOCKS ...]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import splitviz as sv
from splitviz.demo import SPLIT_OPS, DemoModel, make_inputs


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(blocks: int) -> str:
    """One table row: capture time, split time, and the others as ratios to it."""
    start = time.perf_counter()
    cap = sv.capture(DemoModel(blocks).eval(), make_inputs())
    capture_s = time.perf_counter() - start
    g = cap[0]
    split_s = best_of(lambda: sv.split(g.gm, SPLIT_OPS))
    decompose_s = best_of(lambda: sv.decompose_sizes(g.gm))
    s = sv.split(g.gm, SPLIT_OPS)
    ledger_s = best_of(lambda: sv.ledger(s))
    reanalyze_s = best_of(lambda: sv.analyze_graph(g, SPLIT_OPS, decompose=True))
    return (
        f"{blocks:>6} {g.num_nodes:>6} {capture_s:>9.2f} {split_s * 1e3:>9.1f} "
        f"{decompose_s / split_s:>9.2f}x {ledger_s / split_s:>7.2f}x {reanalyze_s / split_s:>9.2f}x"
    )


def main(blocks: list[int]) -> None:
    print(f"{'blocks':>6} {'nodes':>6} {'capture s':>9} {'split ms':>9} {'decompose':>10} {'ledger':>8} {'reanalyze':>10}")
    for n in blocks:
        print(measure(n))
    print("decompose / ledger / reanalyze: time relative to split_module on the same graph")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 8, 32])
