"""compile_pieces(): real Inductor, isolated failures, devices."""

from __future__ import annotations

import pytest
import torch

import splitviz as sv
from splitviz.compile import record_piece_inputs
from tests import models as m
from tests.models import SPLIT, dyn


def _split(fn, *args, decompose=False):
    g = sv.capture(fn, *args)[0]
    gm = sv.decompose_sizes(g.gm)[0] if decompose else g.gm
    return sv.split(gm, SPLIT, example_inputs=g.example_inputs)


def test_the_size_bug_fails_the_producer_piece_only():
    s = _split(m.whole_shape_boundary, dyn(4, 8))
    results = sv.compile_pieces(s, progress=False)
    assert [(r.piece, r.ok) for r in results] == [("submod_0", False), ("submod_2", True)]
    bad = results[0]
    assert bad.error.type == "AssertionError"
    assert bad.error.message.startswith("output spec mismatch")
    assert "TreeSpec(Size" in bad.error.text or "Size" in bad.error.text
    assert bad.compiled is None and bad.seconds > 0
    assert "decompose" in bad.error.hint


def test_compiled_pieces_run_at_new_sizes_and_carry_code():
    s = _split(m.whole_shape_boundary, dyn(4, 8), decompose=True)
    results = sv.compile_pieces(s, progress=False)
    assert all(r.ok and r.dynamic for r in results)
    last = results[-1]
    # run the last piece at a size it was not compiled for, on what it really receives there
    seen, err = record_piece_inputs(s, [11, torch.rand(11, 8)])
    assert err is None
    args = seen["submod_2"]
    torch.testing.assert_close(last.compiled(*args), s.piece("submod_2").module(*args))
    assert last.compiled(*args).shape == (11, 8)
    assert all(r.code is None or "def call" in r.code for r in results)


def test_on_result_callback_and_silent_progress(capsys):
    s = _split(m.whole_shape_boundary, dyn(4, 8), decompose=True)
    seen = []
    sv.compile_pieces(s, progress=False, on_result=seen.append)
    assert [r.piece for r in seen] == ["submod_0", "submod_2"]
    assert capsys.readouterr().err == ""


def test_device_checks():
    s = _split(m.whole_shape_boundary, dyn(4, 8))
    if not torch.cuda.is_available():
        with pytest.raises(sv.DeviceError, match="no CUDA GPU"):
            sv.compile_pieces(s, device="cuda", progress=False)
    with pytest.raises(sv.DeviceError, match="unknown device"):
        sv.compile_pieces(s, device="tpu9", progress=False)


def test_needs_inputs():
    g = sv.capture(m.whole_shape_boundary, dyn(4, 8))[0]
    with pytest.raises(ValueError, match="inputs="):
        sv.compile_pieces(sv.split(g.gm, SPLIT), progress=False)


def test_piece_that_raises_while_recording_inputs():
    def f(x):
        y = x * 2
        z = torch.ops.aten.sigmoid.default(y)
        return z + 1

    g = sv.capture(f, torch.randn(3))[0]
    s = sv.split(g.gm, SPLIT, example_inputs=[torch.randn(5)])  # wrong size: runs, different shape
    assert all(r.ok for r in sv.compile_pieces(s, progress=False))
    s_bad = sv.split(g.gm, SPLIT, example_inputs=["not a tensor"])
    results = sv.compile_pieces(s_bad, progress=False)
    assert results[-1].error.type == "NotReached" and "before reaching" in results[-1].error.message
