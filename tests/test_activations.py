import warnings

import numpy as np

from minilstm.activations import sigmoid, sigmoid_grad, tanh_grad
from minilstm.gradcheck import numerical_gradient, rel_error


def test_sigmoid_matches_the_logistic_formula_where_that_formula_is_safe():
    z = np.linspace(-30, 30, 601)
    # the same formula, measured equal to the last bit; rtol=1e-14 allows another exp()
    assert np.allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14, atol=1e-300)


def test_sigmoid_of_huge_inputs_is_exactly_0_or_1_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(np.array([-1e308, -1000.0, 1000.0, 1e308]))
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
