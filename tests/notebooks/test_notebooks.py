"""The teaching notebooks run top to bottom in a fresh kernel, and show what they say.

Each notebook is executed with nbclient in a new ``python3`` kernel of this
interpreter, in a scratch directory, with ``SPLITVIZ_NOTEBOOK_OUT`` pointing at
the test's temporary directory (reports and model files go there, never next
to the notebooks). A cell that raises fails the test: the notebooks' own
``assert`` cells check their claims. This file then checks a few outputs that
the story depends on.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = [
    "01_the_size_bug.ipynb",
    "02_the_fix.ipynb",
    "03_a_real_model.ipynb",
    "04_debug_your_own_model.ipynb",
]
#: the issue's budget for one notebook on a 2-core CPU
BUDGET_S = 300


def test_every_notebook_is_listed() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_saved_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name} has no code cells"
    for cell in code:
        assert cell.outputs == [], f"{name}: a cell was saved with outputs:\n{cell.source[:200]}"
        assert cell.execution_count is None, f"{name}: a cell was saved with an execution count"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "a notebook opens with its title"


def _kernel_runs_this_python() -> None:
    """nbclient starts the ``python3`` kernelspec; make sure that is this venv's
    interpreter (jupyter_client replaces a bare ``python`` with ``sys.executable``)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.fail("no 'python3' kernelspec: pip install ipykernel into this environment")
    exe = spec.argv[0]
    bare = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
    if exe not in bare and Path(exe).resolve() != Path(sys.executable).resolve():
        pytest.fail(f"the python3 kernelspec runs {exe}, not this interpreter ({sys.executable}); "
                    f"run `{sys.executable} -m ipykernel install --sys-prefix`")


def _text(nb: object) -> str:
    """Every text a reader sees in the executed notebook's outputs."""
    parts = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(str(out.data.get("text/plain", "")))
    return "\n".join(parts)


def _count(nb: object, mime: str) -> int:
    return sum(
        1
        for cell in nb.cells  # type: ignore[attr-defined]
        for out in cell.get("outputs", [])
        if out.output_type in ("execute_result", "display_data") and mime in out.data
    )


def _execute(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, float]:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    _kernel_runs_this_python()
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.setenv("SPLITVIZ_NOTEBOOK_OUT", str(out))  # the kernel inherits it
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=BUDGET_S, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first cell that fails
    elapsed = time.perf_counter() - start
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    assert not any(work.iterdir()), f"{name} wrote into its working directory: {list(work.iterdir())}"
    return nb, elapsed


@pytest.mark.slow
@pytest.mark.timeout(BUDGET_S)  # a guard for the 5-minute budget, not a measurement
def test_01_the_size_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb, _ = _execute("01_the_size_bug.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    assert re.search(r"!! size\s+size\s+submod_0\s+submod_2\s+Size\[s\d+, 8\]", text), "the hazard row of the ledger"
    assert "AssertionError: output spec mismatch" in text, "the real error from Inductor"
    assert "TreeSpec(Size, None, [*" in text
    assert _count(nb, "image/svg+xml") >= 3, "the diagrams are shown statically too"
    assert _count(nb, "application/vnd.jupyter.widget-view+json") >= 1, "the Explorer is shown"


@pytest.mark.slow
@pytest.mark.timeout(BUDGET_S)  # a guard for the 5-minute budget, not a measurement
def test_02_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb, _ = _execute("02_the_fix.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    assert "+    sym_size_int = torch.ops.aten.sym_size.int(l_x_, 0)" in text, "the diff shows the new node"
    assert "view((sym_size_int, 8))" in text, "the static dim became a literal"
    assert "decompose=False: 1 hazard(s)" in text and "decompose=True: 0 hazard(s)" in text
    assert re.search(r"VerifyResult\(ok=True, .*sizes=\[\{'s\d+': 4\}, \{'s\d+': 7\}\]\)", text), "verified at a second size"
    assert "full() takes 2 positional arguments but 3 were given" in text, "the naive splice breaks full()"


@pytest.mark.slow
@pytest.mark.timeout(BUDGET_S)  # a guard for the 5-minute budget, not a measurement
def test_03_a_real_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb, _ = _execute("03_a_real_model.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    report = tmp_path / "out" / "demo-report.html"
    assert report.is_file() and report.stat().st_size > 10_000, "the notebook exports its report"
    assert f"report: {report}" in text
    assert "33 pieces (16 splitting ops)" in text and "crossings, 8 hazards" in text
    assert "17/17 pieces compiled" in text


@pytest.mark.slow
@pytest.mark.timeout(BUDGET_S)  # a guard for the 5-minute budget, not a measurement
def test_04_debug_your_own_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb, _ = _execute("04_debug_your_own_model.ipynb", tmp_path, monkeypatch)
    text = _text(nb)
    out = tmp_path / "out"
    assert (out / "my_model.py").is_file(), "the model file goes to the scratch directory"
    assert "cycle exists between partitions!" in text
    assert text.count("exit code 1") == 2 and "exit code 0" in text, "splitviz check fails, then passes"
    result = json.loads((out / "splitviz-check.json").read_text())
    assert result["ok"] is True and result["graphs"][0]["verify"]["ok"] is True
