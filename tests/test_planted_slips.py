"""The slips the BPTT and gradient-check pages name, planted one at a time in the LSTM's
backward, and what the site's gradient check says of each at which weight scale.

The wrong backwards are in docs/examples/planted_slips.py, which the site build also
runs for the numbers the pages quote, so a page and this test read the same code. The
bounds below are measured (seeds 0 to 2), with a margin of ten unless said otherwise.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "examples"))
import planted_slips as slips

import minilstm.lstm

pytestmark = pytest.mark.slow  # the docs' gradient-check tables, every scale

SCALES = slips.SCALES  # 0.001, 0.01, 1.5


@pytest.fixture(scope="module")
def zero_states() -> dict[str, dict[float, float]]:
    return slips.table(random_states=False)


@pytest.fixture(scope="module")
def random_states() -> dict[str, dict[float, float]]:
    return slips.table(random_states=True)


def test_the_slips_are_planted_and_removed():
    """Each slip changes the gradients; the library's cell backward is back after."""
    rng = np.random.default_rng(0)
    x, h0, c0 = (
        rng.normal(size=(2, 3, 2)),
        rng.normal(size=(2, 5)),
        rng.normal(size=(2, 5)),
    )
    w = rng.normal(size=(2, 20)), rng.normal(size=(5, 20)), rng.normal(size=20)
    _, cache = minilstm.lstm.lstm_forward(x, h0, c0, *w)
    args = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    right = minilstm.lstm.lstm_backward(*args, cache)
    for name, backward in slips.BACKWARDS.items():
        wrong = backward(*args, cache)
        differs = any(not np.allclose(a, b) for a, b in zip(right, wrong, strict=True))
        assert differs == (name != "correct"), name
    assert minilstm.lstm.lstm_cell_backward is slips.lstm_cell_backward


def test_correct_backward_passes_at_every_scale(zero_states, random_states):
    for scale in SCALES:
        assert zero_states["correct"][scale] < 1e-8, scale  # measured at most 1.6e-9
    for scale in (0.01, 1.5):
        assert random_states["correct"][scale] < slips.TOLERANCE / 10  # at most 6.9e-9


def test_small_weights_bring_correct_code_near_the_tolerance(random_states):
    """The gradients on x and h0 pass through W and U, so they shrink with the weights
    while the rounding noise of the central differences does not: at scale 0.001 correct
    code comes within a factor of two of the tolerance."""
    assert 1e-8 < random_states["correct"][0.001] < 3e-7  # measured 4.6e-8 to 6.7e-8


@pytest.mark.parametrize("name", ["forget gate uses c_t", "dh^next dropped"])
def test_slip_caught_at_every_scale_error_in_proportion(zero_states, name):
    """The forget gate with c_t, or no dh^next: off by about 0.3 times the weight scale,
    so even weights of 0.001 leave the error thousands of times above the tolerance."""
    errors = zero_states[name]
    assert errors[0.001] > 2e-5  # measured 2.2e-4 to 5.0e-4
    assert errors[0.01] > 2e-4  # measured 2.2e-3 to 5.0e-3
    assert errors[1.5] > 1e-2  # measured 0.18 to 0.78
    assert 5 < errors[0.01] / errors[0.001] < 20  # measured 10


def test_carried_dc_dropped_caught_at_every_scale(zero_states):
    for scale in SCALES:
        assert zero_states["carried dc dropped"][scale] > 0.05  # measured 0.46 to 0.69


def test_tanh_grad_of_c_hides_at_small_weights(zero_states, random_states):
    """1 - c**2 for 1 - tanh(c)**2 differs by about c**4: with zero initial states and
    small weights c stays small, and the check passes; large weights or non-zero
    states catch it."""
    errors = zero_states["tanh'(c) as 1 - c^2"]
    assert errors[0.001] < slips.TOLERANCE / 10  # measured at most 8.0e-10
    assert errors[0.01] < slips.TOLERANCE  # measured 3.5e-9 to 3.6e-8
    assert errors[1.5] > 1e-2  # measured 0.10 to 0.20
    caught = random_states["tanh'(c) as 1 - c^2"]
    for scale in SCALES:
        assert caught[scale] > 1e-3  # measured 1.5e-2 or more


def test_every_slip_caught_with_random_initial_states(random_states):
    """The site's own check starts from random states: nothing hides there."""
    for name, errors in random_states.items():
        if name != "correct":
            for scale in SCALES:
                assert errors[scale] > 100 * slips.TOLERANCE, (name, scale)
