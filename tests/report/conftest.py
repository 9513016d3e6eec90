"""Fixtures for the HTML report: a small demo capture, a report written by the
real ``splitviz demo`` command (run once), a model whose source lines hold
markup, and headless Chromium that may load ``file:`` URLs and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import needs_browser, needs_dot  # noqa: F401  (re-exported for test modules)

#: a model whose source lines (kept in the report as node details) are markup and script
MARKUP_MODEL = textwrap.dedent(
    '''
    import torch

    def model(x):
        shape = x.shape  # <script>window.__pwned = 1</script> & <!-- not a comment -->
        y = torch.ops.aten.sigmoid.default(x)  # </script><img src=x onerror="window.__pwned=2"><b>bold</b>
        return y.clone().view(shape)  # \u2028 "double" 'single' `${window.__pwned = 3}`

    def make():
        x = torch.randn(4, 8)
        torch._dynamo.mark_dynamic(x, 0)
        return model, (x,)

    make.split_ops = ["aten::sigmoid"]
    '''
)
MARKUP = '</script><img src=x onerror="window.__pwned=2"><b>bold</b>'


@dataclass
class DemoRun:
    path: Path
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``splitviz demo`` end to end, as the README's first command runs it (only the output path differs)."""
    needs_dot()
    out = tmp_path_factory.mktemp("demo") / "nested" / "demo.html"
    exe = Path(sys.executable).with_name("splitviz")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "splitviz"]
    env = {**os.environ, "TORCHINDUCTOR_COMPILE_THREADS": "1"}
    proc = subprocess.run([*cmd, "demo", "--quiet", "-o", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)
    return DemoRun(out, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture()
def markup_target(tmp_path: Path) -> str:
    path = tmp_path / "markup_model.py"
    path.write_text(MARKUP_MODEL, encoding="utf-8")
    return f"{path}:make"


@dataclass
class Opened:
    """A page opened offline, with what it tried to fetch and what it complained about."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture()
def open_report(browser: Any) -> Iterator[Any]:
    """Open a report from ``file://`` with every other request aborted and recorded."""
    contexts: list[Any] = []

    def opener(path: Path) -> Opened:
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        opened = Opened(page)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                opened.blocked.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: opened.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: opened.errors.append(f"pageerror: {e}"))
        page.goto(Path(path).resolve().as_uri())
        page.wait_for_selector(".sv-explorer[data-sv-ready]", timeout=20_000)
        return opened

    yield opener
    for ctx in contexts:
        ctx.close()
