"""The activations: the sigmoid at golden values, symmetric about one half, exactly 0 or
1 far out without a warning in either float; each derivative against central
differences."""

import warnings

import numpy as np
import pytest

from minilstm.activations import sigmoid, sigmoid_grad, tanh_grad
from minilstm.gradcheck import numerical_gradient, rel_error

# The logistic function at a few points, worked out in 40-digit decimal arithmetic.
GOLDEN = {
    0.5: 0.6224593312018545646,
    1.0: 0.7310585786300048793,
    -1.0: 0.2689414213699951207,
    2.0: 0.8807970779778824441,
    -30.0: 9.357622968839298954e-14,  # far in the tail, where 1 - sigmoid(30) is lost
}
DTYPES = [np.float32, np.float64]


def test_sigmoid_of_zero_is_one_half_exactly():
    assert sigmoid(np.float64(0.0)) == 0.5
    assert sigmoid(np.float32(0.0)) == 0.5


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_matches_golden_values_to_the_dtypes_rounding(dtype):
    z = np.array(list(GOLDEN), dtype=dtype)
    s = sigmoid(z)
    assert s.dtype == dtype
    # measured 1.3e-16 (float64) and 7.0e-8 (float32): within one machine epsilon
    # (2.2e-16, 1.2e-7) relative, in the tail too
    golden = np.array(list(GOLDEN.values()))
    assert np.max(np.abs(s - golden) / golden) < np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_is_symmetric_about_one_half(dtype):
    z = np.linspace(-30, 30, 601, dtype=dtype)
    # measured 1.6e-16 (float64) and 7.5e-8 (float32) at most: one rounding of 1 - s
    assert np.max(np.abs(sigmoid(-z) - (1 - sigmoid(z)))) <= np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_of_huge_inputs_is_exactly_0_or_1_without_warnings(dtype):
    info = np.finfo(dtype)
    z = np.array([info.min, -1000.0, 1000.0, info.max], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(z)
    assert out.dtype == dtype
    assert out.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_activation_derivatives_from_outputs_match_central_differences():
    z = np.linspace(-4, 4, 17)
    # measured 1e-10 (sigmoid) and 1.5e-11 (tanh); a wrong derivative is off by 1e-2 or
    # more
    for f, grad_from_output in ((sigmoid, sigmoid_grad), (np.tanh, tanh_grad)):
        numeric = numerical_gradient(lambda f=f: f(z), z, np.ones_like(z))
        assert rel_error(grad_from_output(f(z)), numeric) < 1e-9


def test_sigmoid_leaves_the_callers_error_state_as_it_was():
    with np.errstate(over="raise"):
        sigmoid(np.array([-1000.0]))  # silenced inside, whatever the caller's state
        assert np.geterr()["over"] == "raise"
