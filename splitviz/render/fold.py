"""Find runs of repeated blocks, so "32 identical decoder layers" can be drawn once.

Pieces are the unit: a decoder layer split at attention and MoE is a fixed
sequence of pieces, repeated. Each piece gets a signature that is independent
of its position and of block numbers (opcodes, targets, values, module paths
with digits erased, crossings as relative piece offsets). A run of ``repeats``
equal windows of ``period`` signatures is a fold: the first window is drawn,
the rest becomes one node.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["Run", "find_runs"]


@dataclass(frozen=True)
class Run:
    """``repeats`` consecutive windows of ``period`` equal units from ``start``."""

    start: int
    period: int
    repeats: int

    @property
    def stop(self) -> int:
        return self.start + self.period * self.repeats

    @property
    def hidden(self) -> range:
        """The units a fold hides: every window but the first."""
        return range(self.start + self.period, self.stop)


def _best(keys: Sequence[Hashable], lo: int, hi: int, max_period: int, min_repeats: int) -> Run | None:
    best: Run | None = None
    for p in range(1, min(max_period, (hi - lo) // min_repeats) + 1):
        i = lo
        while i + p < hi:
            if keys[i] != keys[i + p]:
                i += 1
                continue
            j = i
            while j + p < hi and keys[j] == keys[j + p]:
                j += 1
            repeats = (j - i + p) // p  # keys[i:j+p] has period p
            if repeats >= min_repeats:
                run = Run(i, p, repeats)
                covered, best_covered = len(run.hidden), len(best.hidden) if best else -1
                if covered > best_covered:
                    best = run
            i = j + 1
    return best


def find_runs(keys: Sequence[Hashable], *, max_period: int = 16, min_repeats: int = 3) -> list[Run]:
    """Non-overlapping periodic runs of ``keys``, in order, each hiding as many
    units as possible (the shortest period wins a tie)."""
    runs: list[Run] = []
    pending = [(0, len(keys))]
    while pending:
        lo, hi = pending.pop()
        run = _best(keys, lo, hi, max_period, min_repeats)
        if run is None:
            continue
        runs.append(run)
        pending += [(lo, run.start), (run.stop, hi)]
    return sorted(runs, key=lambda r: r.start)
