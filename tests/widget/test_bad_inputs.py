"""The explorer's bad-input matrix, at the Python level: every bad input gives
a message that names the problem and the way out, shown in the widget, and the
widget stays alive and usable (no exception out of ``explore``, no dead
widget, nothing the user had lost). One test per row, plus the engine's
``Analysis.reanalyze(split_ops=...)`` the explorer relies on."""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import traitlets

import splitviz
from splitviz import CaptureError, SplitOpError, SplitvizError, analyze, demo
from splitviz.compile import CompileResult
from splitviz.widget import Explorer, explore

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _size(x: torch.Tensor) -> torch.Tensor:
    shape = x.shape  # a torch.Size read before the split op ...
    y = torch.ops.aten.sigmoid.default(x)
    return y.clone().view(shape)  # ... and used after it


def _indexing(x: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    y = x * 2
    idx = torch.ops.aten.sigmoid.default(src).argsort()  # an index computed after the split op
    return y[idx] + 1


@pytest.fixture()
def opened() -> Iterator[list[Explorer]]:
    """Explorers a test makes, closed afterwards (their comms go with them)."""
    made: list[Explorer] = []
    yield made
    for ex in made:
        ex.close()


def _explore(opened: list[Explorer], *args: object, **kwargs: object) -> Explorer:
    kwargs.setdefault("device", "cpu")
    ex = explore(*args, **kwargs)  # type: ignore[arg-type]
    opened.append(ex)
    return ex


def _assert_empty_surface(ex: Explorer) -> None:
    """No analysis, and every property still answers."""
    assert ex.analysis is None and ex.graph_analysis is None
    assert ex.graph is None and ex.split is None and ex.ledger is None
    assert ex.views == [] and ex.hazards == [] and ex.notices == []
    assert ex.svg == "" and ex.details is None
    ex.search = "sigmoid"
    assert ex.matches == []
    ex.search = ""
    assert ex.diagram.ledger == [] and ex.diagram.index == {} and ex.diagram.views == []
    assert ex._compile_btn.disabled and ex._verify_btn.disabled
    assert not ex._analyse_btn.disabled and not ex._ops_text.disabled and not ex._policy_dd.disabled
    assert repr(ex).startswith("Explorer(no analysis: ")
    bundle = ex._repr_mimebundle_()
    assert ex.error in bundle["text/plain"] and "image/svg+xml" not in bundle
    with pytest.raises(SplitvizError, match="nothing to compile"):
        ex.compile()
    with pytest.raises(SplitvizError, match="nothing to verify"):
        ex.verify()


def _shown(ex: Explorer) -> str:
    """The error area's text, as the user reads it."""
    assert ex._error_box.layout.display is None, "the error area is hidden"
    return html.unescape(ex._error_html.value)


# ----------------------------------------------------------------------------- the engine's part


def test_reanalyze_takes_new_split_ops() -> None:
    a = analyze(_size, torch.randn(4, 8), split_ops="aten::sigmoid", device="cpu")
    b = a.reanalyze(split_ops="aten::cos, aten::sigmoid")
    assert b.capture is a.capture and b.split_ops == ["aten::cos", "aten::sigmoid"]
    assert [p.is_splitting for p in b.graphs[0].split.pieces] == [True, False]
    assert len(b.unmatched) == 1 and "aten::cos" in b.unmatched[0]
    c = a.reanalyze(split_ops=["aten::cos"], policy="safe", decompose=False)
    assert (c.policy, c.decompose) == ("safe", False)
    assert len(c.unmatched) == 1 and "aten::cos" in c.unmatched[0]
    d = a.reanalyze(split_ops=(op for op in [torch.ops.aten.sigmoid.default]))  # a generator is read once
    assert d.split_ops == [torch.ops.aten.sigmoid.default] and len(d.graphs[0].split.pieces) == 2
    with pytest.raises(SplitOpError, match="malformed"):
        a.reanalyze(split_ops="sigmoid")
    assert a.split_ops == ["aten::sigmoid"] and a.reanalyze().split_ops == ["aten::sigmoid"]


# ----------------------------------------------------------------------------- the matrix


def test_malformed_op_is_shown_and_fixed_in_place(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="sigmoid", dynamic={0: 0})
    assert ex.error.startswith("SplitOpError: split op 'sigmoid' is malformed: write 'namespace::op'")
    shown = _shown(ex)
    assert "is malformed" in shown and "press Analyse" in shown and "traceback" not in shown
    _assert_empty_surface(ex)
    assert ex.split_ops == ["sigmoid"] and ex._ops_text.value == "sigmoid"
    assert "Nothing to show yet" in ex.diagram.message
    with pytest.raises(SplitvizError, match="nothing to export"):
        ex.export_html(Path("never-written.html"))
    assert not Path("never-written.html").exists()

    ex._ops_text.value = "aten::sigmoid"  # the user fixes the field and presses Analyse
    ex._analyse_btn.click()
    assert ex.error == "" and ex._error_box.layout.display == "none"
    assert ex.split_ops == ["aten::sigmoid"] and ex.analysis is not None
    assert ex.views[:2] == ["whole", "overview"] and "sv-node" in ex.svg
    assert not ex._compile_btn.disabled and ex.notices == []
    assert "captured and analysed" in ex._status.value


def test_unknown_op_is_shown_and_a_later_bad_op_keeps_the_analysis(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::nope")
    assert "SplitOpError: split op 'aten::nope' is unknown to torch" in ex.error
    assert "Import the library that defines it" in ex.error and "press Analyse" in _shown(ex)
    _assert_empty_surface(ex)

    ex.split_ops = "aten::sigmoid"  # from Python: re-analyses
    assert ex.error == "" and "sv-node" in ex.svg
    shown_analysis, shown_svg, capture = ex.analysis, ex.svg, ex.analysis.capture
    ex.view = "overview"

    ex.split_ops = "aten::sigmoid.nope"  # a bad op later: shown, not raised; nothing lost
    assert "has no overload 'nope'; it has default, out" in ex.error
    assert "Still showing the previous analysis (split ops aten::sigmoid, policy vllm)" in _shown(ex)
    assert ex.analysis is shown_analysis and ex.split_ops == ["aten::sigmoid"] and ex.view == "overview"
    assert ex._ops_text.value == "aten::sigmoid.nope"  # the field keeps what was typed, to correct it
    ex.view = "whole"
    assert ex.svg == shown_svg

    ex.split_ops = ["aten::sigmoid", "aten::cos"]
    assert ex.error == "" and ex.analysis.capture is capture  # the same capture, split again
    assert ex.split_ops == ["aten::sigmoid", "aten::cos"] and "aten::cos" in ex.notices[0]
    ex.split_ops = "aten::sigmoid"
    assert ex.analysis is shown_analysis  # kept per setting: back to it, instantly

    with pytest.raises(TypeError, match="split_ops must be a string"):
        ex.split_ops = 5  # type: ignore[assignment]
    with pytest.raises(traitlets.TraitError):
        ex.policy = "nope"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="split_ops must be a string"):
        explore(_size, torch.randn(4, 8), split_ops=3)  # type: ignore[arg-type]


def test_an_op_that_matches_nothing_is_a_warning(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::cos")
    assert ex.error == "" and ex.analysis is not None
    assert len(ex.notices) == 1
    notice = ex.notices[0]
    assert notice.startswith("split op 'aten::cos' matches no node in the graph.")
    assert "Ops in the graph: aten::sigmoid.default" in notice and "edit the split ops above" in notice
    assert ex.diagram.message_kind == "warning" and notice in ex.diagram.message
    assert repr(ex) == "Explorer(graph 0 of 1, view='whole', decompose=True, 1 piece, 1 crossing, 0 hazards)"

    ex._ops_text.value = "aten::sigmoid, aten::cos"  # only the op that matches nothing anywhere is named
    ex._analyse_btn.click()
    assert [n.split(" matches")[0] for n in ex.notices] == ["split op 'aten::cos'"]
    ex._ops_text.value = "aten::sigmoid"
    ex._analyse_btn.click()
    assert ex.notices == [] and ex.diagram.message == ""


def test_untraceable_function_is_a_capture_error_and_analyse_captures_again(opened: list[Explorer]) -> None:
    state = {"traceable": False}

    def f(x: torch.Tensor) -> torch.Tensor:
        if not state["traceable"]:
            torch._dynamo.graph_break()
            return x  # nothing after the break: Dynamo records no graph at all
        return torch.ops.aten.sigmoid.default(x) * 2

    ex = _explore(opened, f, torch.randn(3, 4), split_ops="aten::sigmoid")
    assert ex.error.startswith("CaptureError: Dynamo captured no graph for ")
    assert "fell back to eager" in ex.error and "Make the code Dynamo trips on traceable" in ex.error
    assert "call splitviz.explore(...) again" in _shown(ex)
    _assert_empty_surface(ex)
    ex.decompose = False  # settings still take, nothing breaks
    ex.decompose = True

    ex.split_ops = "aten::sigmoid"  # the same function, still untraceable: the same message
    assert ex.error.startswith("CaptureError: Dynamo captured no graph")
    state["traceable"] = True
    ex._analyse_btn.click()  # no capture to reuse: captures again
    assert ex.error == "" and ex.analysis is not None
    assert [p.is_splitting for p in ex.split.pieces] == [True, False]


def test_graph_breaks_are_a_notice_on_every_graph(opened: list[Explorer]) -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        y = torch.ops.aten.sigmoid.default(x) + 1
        torch._dynamo.graph_break()
        y = torch.ops.aten.sigmoid.default(y) * 2
        torch._dynamo.graph_break()
        return y - 1

    ex = _explore(opened, f, torch.randn(3, 4), split_ops="aten::sigmoid")
    assert ex.error == "" and len(ex.analysis.graphs) == 3
    assert ex._graph_dd.layout.display is None and len(ex._graph_dd.options) == 3
    for i in range(3):
        ex._graph_dd.value = i
        [notice] = [n for n in ex.notices if n.startswith("graph break")]
        assert "3 graphs captured; pick one in the graph menu" in notice
        assert "fullgraph=True" in notice and "graph_break" in notice
        assert ex.diagram.message_kind == "warning"
    # graph 2 has no split op: a per-graph miss is no warning, the op matches elsewhere
    assert ex.analysis.unmatched == [] and len(ex.notices) == 1


def test_rejected_split_is_a_notice_and_policy_safe_fixes_it(opened: list[Explorer]) -> None:
    ex = _explore(opened, _indexing, torch.randn(4, 3), torch.randn(4), split_ops="aten::sigmoid")
    assert ex.error == "" and ex.split.failure is not None
    [notice] = ex.notices
    assert notice.startswith("the split failed: split_module rejected this partition: cycle exists")
    assert "reads idx, computed later in piece submod_2" in notice
    assert "pick policy 'safe' above (ex.policy = 'safe')" in notice
    assert ex.diagram.message_kind == "error" and "sv-culprit" in ex.svg
    assert "split failed" in repr(ex)
    capture = ex.analysis.capture

    ex.policy = "safe"
    assert ex.error == "" and ex.split.failure is None and ex.notices == []
    assert ex.analysis.capture is capture and ex.analysis.policy == "safe"
    assert ex._policy_dd.value == "safe" and "overview" in ex.views
    assert [r.ok for r in ex.compile()] == [True, True]
    assert ex.verify().ok

    ex._policy_dd.value = "vllm"  # as a user picking it: the failure comes back, then goes
    assert ex.policy == "vllm" and ex.split.failure is not None
    ex._policy_dd.value = "safe"
    assert ex.split.failure is None and ex.graph_analysis.compile_results  # compiled work kept


def test_a_piece_inductor_rejects_fails_alone_from_the_compile_button(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", dynamic={0: 0}, decompose=False)
    assert [h.kind for h in ex.hazards] == ["size"]
    ex._compile_btn.click()
    assert ex.error == "" and not ex._compile_btn.disabled and not ex._running
    rows = {r["piece"]: r for r in ex.diagram.results["compile"]}
    assert set(rows) == {"submod_0", "submod_2"}
    assert rows["submod_2"]["ok"] is True and rows["submod_2"]["error"] is None
    bad = rows["submod_0"]
    assert bad["ok"] is False and "output spec" in bad["error"]["message"] and bad["error"]["text"]
    assert "1 failed (submod_0)" in ex._status.value and ex._progress.bar_style == "danger"
    assert "sv-compile-failed" in ex.svg and "sv-compile-ok" in ex.svg
    ex._decompose_tb.value = True  # the way out: decompose the Size
    assert ex.hazards == [] and all(r.ok for r in ex.compile())


def test_a_piece_that_raises_during_verification_is_named(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", dynamic={0: 0})
    ga = ex.graph_analysis

    def boom(*args: object) -> object:
        raise RuntimeError("compiled piece blew up at run time")

    ga.compile_results = [CompileResult(p.name, True, 0.0, compiled=boom) for p in ex.split.pieces if not p.is_splitting]
    ex._verify_btn.click()
    assert ex.error == "" and not ex._verify_btn.disabled
    v = ex.diagram.results["verify"]
    assert v["ok"] is False and v["compiled_pieces"] == ["submod_0", "submod_2"]
    check = v["checks"][0]
    assert check["piece"] == "submod_0"
    assert check["error"]["type"] == "RuntimeError" and "blew up at run time" in check["error"]["message"]
    assert "verify FAILED" in ex._status.value and "raised in submod_0" in ex._status.value
    ex.view = "overview"  # still usable
    assert "sv-piece" in ex.svg


def test_missing_dot_is_shown_and_drawing_resumes(opened: list[Explorer], monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    from splitviz import render

    path = Path(shutil.which("dot") or "").parent
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: dot is nowhere
    render.clear_cache()  # layouts are cached by DOT text: forget those other tests made
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", dynamic={0: 0})
    assert ex.error.startswith("DotNotFound: Graphviz's `dot` program was not found on PATH")
    shown = _shown(ex)
    assert "apt-get install graphviz" in shown and "once Graphviz is installed, pick a view" in shown
    assert ex.svg == "" and ex.analysis is not None and ex.views[:2] == ["whole", "overview"]
    assert ex.ledger is not None and len(ex.diagram.ledger) == len(ex.ledger.crossings)
    ex.view = "overview"  # still no dot: the same message, nothing raised
    assert ex.error.startswith("DotNotFound") and ex.svg == ""
    ex.fold = True
    assert ex.error.startswith("DotNotFound")

    monkeypatch.setenv("PATH", f"{path}:{tmp_path}")  # Graphviz "installed"
    ex.view = "whole"
    assert "sv-node" in ex.svg and ex.error == "" and ex._error_box.layout.display == "none"


def test_no_splitviz_call_changes_the_users_model_params_or_inputs(opened: list[Explorer], tmp_path: Path) -> None:
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(8, 8)
            self.register_buffer("scale", torch.full((8,), 0.5))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            shape = x.shape
            y = torch.ops.aten.sigmoid.default(self.lin(x) * self.scale)
            return (y + 1).reshape(shape)

    torch.manual_seed(0)
    model = Net().train()
    x = torch.randn(4, 8)
    params = {n: (p, p.detach().clone(), p.requires_grad) for n, p in model.named_parameters()}
    buffers = {n: (b, b.clone()) for n, b in model.named_buffers()}
    x_before = x.clone()

    ex = _explore(opened, model, x, split_ops="sigmoid", dynamic={0: 0})  # bad op first
    assert ex.analysis is None
    ex.split_ops = "aten::sigmoid"
    ex.decompose = False
    ex.compile()
    ex.decompose = True
    ex.policy = "safe"
    assert all(r.ok for r in ex.compile()) and ex.verify().ok
    ex.export_html(tmp_path / "report.html")
    ex.split_ops = "aten::nope"

    assert model.training and torch.equal(x, x_before) and not x.requires_grad
    assert not hasattr(x, "_dynamo_dynamic_indices")  # dynamic= marked an alias, not the user's tensor
    now = dict(model.named_parameters())
    for n, (p, value, grad) in params.items():
        assert now[n] is p and torch.equal(p, value) and p.requires_grad == grad and p.grad is None
    now_buffers = dict(model.named_buffers())
    for n, (b, value) in buffers.items():
        assert now_buffers[n] is b and torch.equal(b, value)


def test_fold_control_folds_repeated_blocks(opened: list[Explorer]) -> None:
    model, inputs = demo.make(8)
    ex = _explore(opened, model, *inputs, split_ops=demo.SPLIT_OPS)
    assert ex.fold is None and ex._fold_tb.value == "auto" and "sv-fold" not in ex.svg
    unfolded = len(ex.svg)
    ex._fold_tb.value = "on"  # the toggle, as a teacher clicks it
    assert ex.fold is True and "sv-fold" in ex.svg and len(ex.svg) < unfolded / 2
    ex.view = "overview"
    assert "sv-fold" in ex.svg
    ex.fold = False
    assert ex._fold_tb.value == "off" and "sv-fold" not in ex.svg
    with pytest.raises(traitlets.TraitError):
        ex.fold = "yes"  # type: ignore[assignment]
    folded = _explore(opened, model, *inputs, split_ops=demo.SPLIT_OPS, fold=True)
    assert folded._fold_tb.value == "on" and "sv-fold" in folded.svg


def test_other_bad_inputs_to_explore(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", policy="nope")
    assert ex.error == "SplitOpError: unknown policy 'nope'; use 'vllm' or 'safe'" and ex.analysis is None
    ex._policy_dd.value = "safe"
    assert ex.error == "" and ex.analysis.policy == "safe"

    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", device="nope")
    assert ex.error.startswith("DeviceError: unknown device 'nope'") and "device='cpu'" in _shown(ex)
    _assert_empty_surface(ex)

    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", dynamic={3: 0})
    assert ex.error.startswith("CaptureError: ") and "dynamic=" in ex.error

    ex = _explore(opened, _size, torch.randn(4, 8), split_ops=[])
    assert ex.error == "SplitOpError: no split ops given; name at least one, e.g. 'aten::sigmoid'"
    with pytest.raises(CaptureError):  # the engine itself still raises, as any Python call should
        splitviz.analyze(_size, split_ops="aten::sigmoid", device="cpu")


def test_repr_counts_in_words(opened: list[Explorer]) -> None:
    ex = _explore(opened, _size, torch.randn(4, 8), split_ops="aten::sigmoid", dynamic={0: 0}, decompose=False)
    assert repr(ex) == "Explorer(graph 0 of 1, view='whole', decompose=False, 3 pieces, 3 crossings, 1 hazard)"
    ex.split_ops = "aten::cos"
    assert "1 piece, 1 crossing, 0 hazards" in repr(ex)


def test_callable_split_ops_survive_the_text_field(opened: list[Explorer]) -> None:
    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(torch.ops.aten.sigmoid.default(x)) * 2

    sigmoid = torch.ops.aten.sigmoid.default
    ex = _explore(opened, f, torch.randn(3, 4), split_ops=[sigmoid, torch.sigmoid])
    assert ex._ops_text.value == "aten::sigmoid.default, torch.sigmoid"
    first = ex.analysis
    ex._analyse_btn.click()  # the field unchanged: the same ops, the same analysis
    assert ex.error == "" and ex.analysis is first and ex.split_ops == [sigmoid, torch.sigmoid]
    ex._ops_text.value = "torch.sigmoid, aten::mul"  # edited: known labels keep their objects, new ones are names
    ex._analyse_btn.click()
    assert ex.split_ops == [torch.sigmoid, "aten::mul"] and sum(p.is_splitting for p in ex.split.pieces) == 1
