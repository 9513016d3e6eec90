"""The explorer in a real JupyterLab, driven by headless Chromium: the diagram
appears, a click fills the details (a round trip through the kernel), the
decomposition toggle changes the picture, search highlights a match; an
explorer made with a malformed split op shows its message and draws once the
op is fixed in place. Everything stays on localhost."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]

CELL = """\
from splitviz import demo
from splitviz.widget import explore

model, inputs = demo.make(1)
ex = explore(model, *inputs, split_ops=demo.SPLIT_OPS, device="cpu")
ex
"""

BAD_CELL = """\
import torch
from splitviz.widget import explore

def f(x):
    return torch.ops.aten.sigmoid.default(x) * 2

bad = explore(f, torch.randn(3, 4), split_ops="sigmoid", device="cpu")
bad
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str, proc: subprocess.Popen[bytes]) -> None:
        self.url, self.token, self.proc = url, token, proc


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with its own config, data and runtime folders,
    shared by the tests of this module (one notebook each)."""
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "root"
    root.mkdir()
    for name, cell in (("explorer.ipynb", CELL), ("bad.ipynb", BAD_CELL)):
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell(cell))
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / name)
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "TORCHINDUCTOR_COMPILE_THREADS": "1",
    }
    jupyter = Path(sys.executable).with_name("jupyter")
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", f"--port={port}", f"--ServerApp.token={token}",
         "--ServerApp.ip=127.0.0.1", "--allow-root", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield Lab(url, token, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


def _run_first_cell(page: Any) -> None:
    """Shift+Enter in the first cell until the kernel takes it: a cell run in
    the moment between "kernel idle" and the session being wired is dropped."""
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    for _ in range(20):
        dialog = page.locator(".jp-Dialog")
        if dialog.count():  # "Select Kernel" shows up when kernel specs load late; its default is ours
            assert "Python 3" in dialog.inner_text(), dialog.inner_text()
            dialog.locator(".jp-mod-accept").click()
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.locator(".jp-Cell .cm-content").first.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function("p => /\\[(\\*|\\d+)\\]/.test(p.textContent)", arg=prompt.element_handle(), timeout=3000)
            return
        except Exception:  # playwright's TimeoutError: not taken yet, try again
            continue
    raise AssertionError("the notebook's kernel never ran the cell")


def test_explorer_in_jupyterlab(lab: Lab, browser: Any) -> None:
    blocked: list[str] = []
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    try:

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith((lab.url, "data:", "blob:")):
                r.continue_()
            else:
                blocked.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "anywidget" in m.text else None)
        page.goto(f"{lab.url}/lab/tree/explorer.ipynb?token={lab.token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        _run_first_cell(page)

        canvas = page.locator(".sv-explorer[data-sv-ready] .sv-canvas")
        canvas.locator("svg g.sv-node").first.wait_for(timeout=120_000)
        assert canvas.locator("svg g.sv-node").count() > 10
        assert canvas.locator("svg .sv-hazard").count() == 0  # decomposed: nothing breaks

        # a click selects the node in Python, which sends its details back
        canvas.locator("g.sv-node[data-sv-name='l_x_']").first.click()
        name = page.locator(".sv-explorer .sv-details .sv-node-name")
        name.wait_for(timeout=20_000)
        assert name.inner_text() == "l_x_"
        assert "placeholder" in page.inner_text(".sv-explorer .sv-details")

        # the decomposition toggle re-analyses: the Size crossing comes back as a hazard
        page.locator(".widget-toggle-button").filter(has_text="decompose").click()
        canvas.locator("svg .sv-hazard").first.wait_for(timeout=30_000)
        page.locator(".sv-explorer .sv-ledger tr.sv-row-hazard").first.wait_for(timeout=10_000)

        # search highlights matches
        page.fill(".sv-explorer .sv-search", "softmax")
        canvas.locator("g.sv-node.sv-match").first.wait_for(timeout=10_000)
        assert "match" in page.inner_text(".sv-explorer .sv-count")
    finally:
        page.close()
    assert problems == []
    assert all(not u.startswith(("http:", "https:")) or u.startswith(lab.url) for u in blocked)


def test_a_bad_split_op_is_shown_and_fixed_in_jupyterlab(lab: Lab, browser: Any) -> None:
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((lab.url, "data:", "blob:")) else r.abort())
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        # a workspace of its own: the shared server would restore the other test's tab
        page.goto(f"{lab.url}/lab/workspaces/bad/tree/bad.ipynb?token={lab.token}&reset")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        _run_first_cell(page)

        error = page.locator(".sv-widget-error")
        error.wait_for(timeout=60_000)
        assert "split op 'sigmoid' is malformed" in error.inner_text()
        assert "press Analyse" in error.inner_text()
        assert page.locator(".sv-explorer[data-sv-ready] .sv-canvas svg g.sv-node").count() == 0

        page.locator(".widget-text").filter(has_text="split ops").locator("input").fill("aten::sigmoid")
        page.locator(".widget-button").filter(has_text="Analyse").click()
        canvas = page.locator(".sv-explorer[data-sv-ready] .sv-canvas")
        canvas.locator("svg g.sv-node.sv-splitting-op").first.wait_for(timeout=30_000)
        error.wait_for(state="hidden", timeout=10_000)
    finally:
        page.close()
    assert problems == []
