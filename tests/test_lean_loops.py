"""The experiment on docs/performance.md ("How far NumPy can go") times lean rewrites of
the sequence forward and BPTT against the library's. That comparison only means something
if the lean loops compute the same numbers; this checks that they do, and that the
experiment runs."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from conftest import lstm_weights

from minilstm.lstm import lstm_backward, lstm_forward

ROOT = Path(__file__).resolve().parents[1]

# The lean forward gives the library's results to the last bit: its gate scales are powers
# of two, so applying them to the weights instead of to each step's z changes no rounding.
# The lean backward adds the same terms in another order: over 20 seeds of these shapes
# the largest difference was 7e-15 of the largest gradient, so 1e-12 leaves a margin of
# over 100, and a real mistake (a gate mixed up, a gradient not carried back) gives 1e-2.
TOL = 1e-12


@pytest.fixture(scope="module")
def lean():
    path = ROOT / "docs" / "experiments" / "lean_loops.py"
    spec = importlib.util.spec_from_file_location("lean_loops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("N", "T", "D", "H"), [(10, 24, 1, 75), (3, 5, 4, 6), (1, 1, 2, 3)])
def test_lean_loops_compute_what_the_library_computes(lean, rng, N, T, D, H):
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = lstm_weights(rng, D, H)
    dhs, dh, dc = rng.normal(size=(N, T, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))

    (hs, c), cache = lstm_forward(x, h0, c0, *weights)
    (lean_hs, lean_c), lean_cache = lean.lean_forward(x, h0, c0, *weights)
    grads = lstm_backward(dhs, dh, dc, cache)
    dc_before = dc.copy()
    lean_grads = lean.lean_backward(dhs, dh, dc, lean_cache)

    np.testing.assert_array_equal(lean_hs, hs)
    np.testing.assert_array_equal(lean_c, c)
    for lean_grad, grad in zip(lean_grads, grads, strict=True):
        assert lean_grad.shape == grad.shape
        np.testing.assert_allclose(lean_grad, grad, rtol=0, atol=TOL * max(1, np.abs(grad).max()))
    np.testing.assert_array_equal(dc, dc_before)  # the caller's gradient is left alone


def test_the_experiment_prints_its_table(lean, capsys):
    lean.main(rounds=1, epochs=1)
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| ") and "seconds" not in line]
    names = [row.split(" | ")[0].lstrip("| ") for row in rows]
    assert names == [
        "matrix products alone (the floor)",
        "library",
        "lean",
        "lean, without Adam and the checks",
    ]
    assert all(float(row.split(" | ")[1]) > 0 for row in rows)
