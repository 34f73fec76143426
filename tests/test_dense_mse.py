import numpy as np

from minilstm import Dense
from minilstm.dense import dense_backward, dense_forward
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.losses import mse_backward, mse_forward

TOL = 1e-7  # see test_cells.py: correct backwards measure about 1e-9 or better


def test_dense_backward_matches_central_differences(rng):
    N, T, H, O = 3, 4, 5, 2
    x, kernel, bias = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(H, O)),
        rng.normal(size=O),
    )
    dy = rng.normal(size=(N, T, O))
    _, cache = dense_forward(x, kernel, bias)
    grads = dense_backward(dy, cache)
    for array, grad in zip((x, kernel, bias), grads, strict=True):
        f = lambda: dense_forward(x, kernel, bias)[0]  # noqa: E731
        assert rel_error(grad, numerical_gradient(f, array, dy)) < TOL


def test_dense_applies_the_same_weights_at_every_step(rng):
    layer = Dense(3, seed=0)
    x = rng.normal(size=(2, 5, 4))
    y = layer.forward(x)
    for t in range(5):  # measured equal; rtol=1e-14 allows BLAS another summation order
        np.testing.assert_allclose(
            y[:, t], x[:, t] @ layer.kernel + layer.bias, rtol=1e-14
        )


def test_mse_value_and_backward(rng):
    y_pred, y_true = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    loss, cache = mse_forward(y_pred, y_true)
    assert loss == np.mean((y_pred - y_true) ** 2)
    dy = mse_backward(1.0, cache)
    numeric = numerical_gradient(lambda: mse_forward(y_pred, y_true)[0], y_pred)
    assert rel_error(dy, numeric) < TOL


def test_mse_golden_value():
    loss, cache = mse_forward(
        np.array([1.0, 2.0, 4.0, 0.0]), np.array([0.0, 0.0, 1.0, 0.0])
    )
    assert loss == (1 + 4 + 9) / 4
    np.testing.assert_array_equal(mse_backward(2.0, cache), [1.0, 2.0, 3.0, 0.0])
