"""Fixtures shared by every test directory: seeding, the one-block demo
capture, and headless Chromium (Debian's ``chromium``, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from splitviz import Analysis, analyze, demo

# Keep Inductor's compile threads in check on small CI machines.
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
needs_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def needs_dot() -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")


@pytest.fixture(scope="session")
def demo_analysis() -> Analysis:
    """The one-block demo model, captured once for the whole session."""
    needs_dot()
    torch.manual_seed(0)
    model, inputs = demo.make(1)
    return analyze(model, *inputs, split_ops=demo.SPLIT_OPS, decompose=True, device="cpu")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module: Playwright's sync API allows one running
    instance per thread, and other modules start their own."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
