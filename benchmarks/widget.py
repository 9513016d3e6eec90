"""Explorer interactivity on the demo model: Python time per user action.

Goal (issue #4): switching views or toggling decomposition under 300 ms in
Python on the 32-block demo with cached renders. Every widget message is
JSON-encoded as a kernel would send it (a recording comm replaces the dummy
one), so the time includes serialising the SVG and the tables. Each action is
timed warm (renders cached, both analyses made) as the median of
``--repeat`` runs; the cold first toggle (re-analysis and layouts) and the
explorer's creation are shown apart.

    python benchmarks/widget.py [--blocks 8,32] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import comm
import torch

import splitviz
from splitviz.demo import SPLIT_OPS, DemoModel, make_inputs

GOAL_MS = 300.0


class RecordingComm(comm.base_comm.BaseComm):
    """Encodes every message as JSON, as the kernel's session does, and counts the bytes."""

    sent_bytes = 0

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any) -> None:
        RecordingComm.sent_bytes += len(json.dumps({"data": data, "metadata": metadata, **keys}, default=str))


def timed(action: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> tuple[float, int]:
    """Median milliseconds over ``repeat`` runs (``before`` runs untimed ahead
    of each) and the bytes one run sends."""
    times, sent = [], 0
    for _ in range(repeat):
        if before is not None:
            before()
        RecordingComm.sent_bytes = 0
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
        sent = RecordingComm.sent_bytes
    return statistics.median(times), sent


def bench(blocks: int, repeat: int) -> list[tuple[str, float, int, bool]]:
    from splitviz.widget import Explorer

    torch.manual_seed(0)
    analysis = splitviz.analyze(DemoModel(blocks).eval(), make_inputs(), split_ops=SPLIT_OPS, device="cpu")
    rows: list[tuple[str, float, int, bool]] = []
    start = time.perf_counter()
    ex = Explorer(analysis)
    rows.append(("create the explorer (cold: layouts)", (time.perf_counter() - start) * 1000, 0, False))
    piece = next(v for v in ex.views if v.startswith("piece:"))
    start = time.perf_counter()
    ex.decompose = False
    rows.append(("first toggle (cold: re-analysis, layouts)", (time.perf_counter() - start) * 1000, 0, False))
    ex.decompose = True
    for dec in (False, True):  # warm every layout the timed actions show
        ex.decompose = dec
        for v in ("whole", "overview", piece, "diff"):
            if v in ex.views:
                ex.view = v
    ex.view = "overview"

    for name, view in (("switch to the whole graph", "whole"), ("switch to the overview", "overview"),
                       ("switch to a piece", piece), ("switch to the diff", "diff")):
        away = "overview" if view != "overview" else "whole"
        ms, sent = timed(lambda v=view: setattr(ex, "view", v), repeat, before=lambda a=away: setattr(ex, "view", a))
        rows.append((name, ms, sent, True))
    for view in ("overview", "whole"):
        ex.view = view

        def toggle() -> None:
            ex.decompose = not ex.decompose

        ms, sent = timed(toggle, repeat)
        rows.append((f"toggle decomposition on the {view} view", ms, sent, True))
    names = [n.name for n in ex.graph.graph.nodes][::37]
    it = iter(names * (repeat + 1))
    ms, sent = timed(lambda: setattr(ex, "selected", next(it)), repeat)
    rows.append(("select a node (details)", ms, sent, False))
    queries = iter(["view", "sym_size", "softmax", "linear", "add", "topk", "mul", "rsqrt"] * repeat)
    ms, sent = timed(lambda: (setattr(ex, "search", next(queries)), ex.matches), repeat)
    rows.append(("search (and list matches)", ms, sent, False))
    ex.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", default="8,32", help="comma-separated block counts")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    comm.create_comm = RecordingComm  # type: ignore[assignment]
    print(f"torch {torch.__version__} · goal: view switch and toggle under {GOAL_MS:g} ms (warm)\n")
    for blocks in (int(b) for b in args.blocks.split(",")):
        rows = bench(blocks, args.repeat)
        print(f"demo, {blocks} blocks")
        print("| action | Python ms | sent | vs goal |")
        print("|---|---:|---:|---:|")
        for name, ms, sent, goal in rows:
            ratio = f"{ms / GOAL_MS:.2f}× of goal" if goal else ""
            print(f"| {name} | {ms:,.1f} | {sent / 1024:,.0f} KiB | {ratio} |")
        print(flush=True)


if __name__ == "__main__":
    main()
