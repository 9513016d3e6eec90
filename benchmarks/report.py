"""The HTML report of the demo model: file size and load time in headless Chromium.

Goal (issue #5), at 32 blocks: under 5 MB, first paint under 1.5 s. The
demo pipeline runs as ``splitviz demo`` runs it (both variants compiled and
verified), the report is written, then opened from ``file://`` with every
other request aborted, ``--repeat`` times in fresh pages (median):

* first paint: the browser's first-contentful-paint (the page's title);
* painted: the explorer drew its first diagram (``performance.mark``), the
  time compared with the goal;
* ready: everything is usable (a large report inflates its pack first).

    python benchmarks/report.py [--blocks 8,32] [--repeat 3] [--no-compile]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

GOAL_BYTES = 5 * 1024 * 1024
GOAL_PAINT_MS = 1500.0
CHROMIUM = "/usr/bin/chromium"


def build(blocks: int, out: Path, compile: bool) -> tuple[float, dict[str, int]]:
    """Seconds to analyse (and compile, verify) and write the report; what it holds."""
    import json
    import re

    from splitviz import analyze, demo
    from splitviz.report import export_html

    start = time.perf_counter()
    model, inputs = demo.make(blocks)
    fixed = analyze(model, *inputs, split_ops=demo.SPLIT_OPS, decompose=True, device="cpu")
    broken = fixed.reanalyze(decompose=False)
    if compile:
        for a in (broken, fixed):
            for g in a.graphs:
                g.compile(a.device, progress=False)
                g.verify()
    t_analyse = time.perf_counter() - start
    start = time.perf_counter()
    export_html([fixed, broken], out)
    t_write = time.perf_counter() - start
    text = out.read_text()
    data = json.loads(re.search(r'id="sv-data">(.*?)</script>', text, re.S).group(1))
    packed = re.search(r'id="sv-pack">(.*?)</script>', text, re.S)
    return t_write, {
        "analyse_s": round(t_analyse, 1),
        "diagrams": len(data["svgs"]),
        "literal": sum(s is not None for s in data["svgs"]),
        "pack_bytes": len(packed.group(1)) if packed else 0,
    }


def load_times(path: Path, repeat: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[float]] = {"first paint": [], "painted": [], "ready": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:")) else r.abort())
            page.goto(path.as_uri())
            page.wait_for_selector(".sv-explorer[data-sv-ready]", timeout=60_000)
            marks = page.evaluate("""() => ({
                fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime,
                painted: (performance.getEntriesByName('sv-painted')[0] || {}).startTime,
                ready: (performance.getEntriesByName('sv-ready')[0] || {}).startTime,
            })""")
            runs["first paint"].append(marks["fcp"] or float("nan"))
            runs["painted"].append(marks["painted"])
            runs["ready"].append(marks["ready"])
            page.close()
        browser.close()
    return {k: statistics.median(v) for k, v in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", default="8,32")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="diagrams and ledger only")
    args = parser.parse_args()
    if shutil.which("dot") is None or not Path(CHROMIUM).exists():
        raise SystemExit("benchmarks/report.py needs Graphviz's dot and /usr/bin/chromium")
    print(f"torch {torch.__version__} · goal at 32 blocks: < {GOAL_BYTES / 2**20:g} MiB, first paint < {GOAL_PAINT_MS:g} ms\n")
    print("| blocks | pipeline s | write s | diagrams (literal) | size | vs 5 MiB | first paint ms | painted ms | ready ms | painted vs 1.5 s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for blocks in (int(b) for b in args.blocks.split(",")):
            out = Path(tmp) / f"demo{blocks}.html"
            t_write, info = build(blocks, out, not args.no_compile)
            size = out.stat().st_size
            t = load_times(out, args.repeat)
            print(f"| {blocks} | {info['analyse_s']:.1f} | {t_write:.1f} | {info['diagrams']} ({info['literal']}) "
                  f"| {size / 2**20:.2f} MiB | {size / GOAL_BYTES:.2f}× | {t['first paint']:.0f} | {t['painted']:.0f} "
                  f"| {t['ready']:.0f} | {t['painted'] / GOAL_PAINT_MS:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
