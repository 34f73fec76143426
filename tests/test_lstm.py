"""LSTM cell, step and sequence: central differences, state hand-off, golden values."""

import numpy as np
import pytest
from conftest import lstm_weights

from minilstm import LSTM
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

# A correct backward agrees with central differences (h = 1e-6) to about 1e-9 in
# float64; a bound of 1e-7 leaves a margin of 100 and still catches any real mistake
# (those give 1e-3 or more).
TOL = 1e-7


def test_step_backward_matches_central_differences(rng):
    N, D, H = 3, 4, 5
    x, h_prev, c_prev = (
        rng.normal(size=(N, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    kernel, recurrent_kernel, bias = lstm_weights(rng, D, H)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    inputs = [x, h_prev, c_prev, kernel, recurrent_kernel, bias]

    _, cache = lstm_step_forward(*inputs)
    grads = lstm_step_backward(dh, dc, cache)

    def f():
        (h, c), _ = lstm_step_forward(*inputs)
        return np.concatenate([h, c], axis=1)

    dout = np.concatenate([dh, dc], axis=1)
    for array, grad in zip(inputs, grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


def test_some_gates_saturate_with_the_test_weights(rng):
    """The gradient checks use weights that push some |z| past 3: if none did, a gate
    mix-up could hide in the linear part of the activations."""
    N, D, H = 3, 4, 5
    kernel, recurrent_kernel, bias = lstm_weights(rng, D, H)
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    z = x @ kernel + h @ recurrent_kernel + bias
    assert np.mean(np.abs(z) > 3) > 0.1


def test_sequence_backward_with_initial_states_and_final_state_gradients(rng):
    N, T, D, H = 2, 5, 3, 4
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    kernel, recurrent_kernel, bias = lstm_weights(rng, D, H)
    dhs, dh, dc = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    inputs = [x, h0, c0, kernel, recurrent_kernel, bias]

    _, cache = lstm_forward(*inputs)
    grads = lstm_backward(dhs, dh, dc, cache)

    def f():
        (hs, c), _ = lstm_forward(*inputs)
        return np.concatenate([hs.reshape(N, -1), hs[:, -1], c], axis=1)

    dout = np.concatenate([dhs.reshape(N, -1), dh, dc], axis=1)
    for array, grad in zip(inputs, grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


def test_sequence_forward_equals_steps_handing_on_their_states(rng):
    N, T, D, H = 3, 6, 2, 4
    x = rng.normal(size=(N, T, D))
    h, c = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = lstm_weights(rng, D, H)
    (hs, c_last), _ = lstm_forward(x, h, c, *weights)
    # The two add x W, h U and b in different orders: measured 6e-17 apart
    # (1.5e-15 relative).
    for t in range(T):
        (h, c), _ = lstm_step_forward(x[:, t], h, c, *weights)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(c_last, c, rtol=1e-14, atol=1e-15)


def test_sequence_backward_equals_step_backwards_in_reverse(rng):
    N, T, D, H = 2, 4, 3, 3
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    weights = lstm_weights(rng, D, H)
    dhs, dh, dc = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    _, cache = lstm_forward(x, h0, c0, *weights)
    dx, dh0, dc0, *dweights = lstm_backward(dhs, dh, dc, cache)

    caches, h, c = [], h0, c0
    for t in range(T):
        (h, c), step_cache = lstm_step_forward(x[:, t], h, c, *weights)
        caches.append(step_cache)
    # The sequence sums the weight gradients over steps in one product, the loop one
    # step at a time: measured 2.4e-16 apart at most (1.2e-13 relative, on entries near
    # zero).
    total = [np.zeros_like(w) for w in weights]
    for t in reversed(range(T)):
        dx_t, dh, dc, *dw = lstm_step_backward(dhs[:, t] + dh, dc, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        total = [a + b for a, b in zip(total, dw, strict=True)]
    np.testing.assert_allclose(dh0, dh, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc0, dc, rtol=1e-12, atol=1e-14)
    for got, want in zip(dweights, total, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_golden_values_from_constant_weights():
    """With every weight 0.1, one input 1 and zero states, each pre-activation is z =
    0.1 * 1 + 0 + 0.1 = 0.2, so by hand: i = f = o = sigmoid(0.2), g = tanh(0.2), c = i
    g and h = o tanh(c). The cell's sigmoid is this very formula: measured equal to the
    last bit in both steps; rtol 1e-15 and 1e-14 leave room for another libm's exp."""
    D, H = 1, 2
    x = np.ones((1, D))
    zeros = np.zeros((1, H))
    weights = (np.full((D, 4 * H), 0.1), np.full((H, 4 * H), 0.1), np.full(4 * H, 0.1))
    (h, c), _ = lstm_step_forward(x, zeros, zeros, *weights)
    s = 1 / (1 + np.exp(-0.2))
    c_expected = s * np.tanh(0.2)
    np.testing.assert_allclose(c, np.full((1, H), c_expected), rtol=1e-15)
    np.testing.assert_allclose(h, np.full((1, H), s * np.tanh(c_expected)), rtol=1e-15)
    # A second step now sees h: z = 0.1 + 0.1 * (h_1 + h_2) + 0.1.
    (h2, c2), _ = lstm_step_forward(x, h, c, *weights)
    z2 = 0.2 + 0.1 * 2 * h[0, 0]
    s2 = 1 / (1 + np.exp(-z2))
    c2_expected = s2 * c_expected + s2 * np.tanh(z2)
    np.testing.assert_allclose(c2, np.full((1, H), c2_expected), rtol=1e-14)
    np.testing.assert_allclose(
        h2, np.full((1, H), s2 * np.tanh(c2_expected)), rtol=1e-14
    )


@pytest.mark.parametrize(
    ("return_sequences", "return_state"),
    [(False, False), (True, False), (False, True), (True, True)],
)
def test_layer_output_structure_follows_keras(return_sequences, return_state, rng):
    N, T, D, H = 4, 3, 2, 5
    layer = LSTM(
        H, return_sequences=return_sequences, return_state=return_state, seed=0
    )
    out = layer.forward(rng.normal(size=(N, T, D)))
    y_shape = (N, T, H) if return_sequences else (N, H)
    if return_state:
        y, h, c = out
        assert y.shape == y_shape and h.shape == (N, H) and c.shape == (N, H)
        np.testing.assert_array_equal(h, y[:, -1] if return_sequences else y)
    else:
        assert out.shape == y_shape


def test_layer_backward_matches_central_differences_on_all_weights(rng):
    N, T, D, H = 2, 4, 3, 3
    layer = LSTM(H, return_sequences=True, return_state=True, seed=3)
    layer.build(D)
    layer.set_weights(lstm_weights(rng, D, H))
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dy, dh, dc = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    layer.forward(x, initial_state=(h0, c0))
    dx, dh0, dc0 = layer.backward(dy, dh, dc)

    def f():
        y, h, c = layer.forward(x, initial_state=(h0, c0))
        return np.concatenate([y.reshape(N, -1), h, c], axis=1)

    dout = np.concatenate([dy.reshape(N, -1), dh, dc], axis=1)
    grads = dict(layer.grads)
    for name, array in (
        ("kernel", layer.kernel),
        ("recurrent_kernel", layer.recurrent_kernel),
        ("bias", layer.bias),
    ):
        assert rel_error(grads[name], numerical_gradient(f, array, dout)) < TOL
    for array, grad in ((x, dx), (h0, dh0), (c0, dc0)):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


def test_weights_follow_keras_layout_and_initializers():
    D, H = 3, 8
    layer = LSTM(H, seed=0)
    layer.build(D)
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert kernel.shape == (D, 4 * H) and recurrent_kernel.shape == (H, 4 * H)
    assert np.abs(kernel).max() <= np.sqrt(6 / (D + 4 * H))  # Glorot uniform's limit
    # QR's rounding: measured 7e-16 off the identity
    np.testing.assert_allclose(
        recurrent_kernel @ recurrent_kernel.T, np.eye(H), atol=1e-12
    )
    np.testing.assert_array_equal(bias, np.r_[np.zeros(H), np.ones(H), np.zeros(2 * H)])


def test_same_seed_gives_same_weights_and_float32_stays_float32(rng):
    a, b = LSTM(4, seed=7), LSTM(4, seed=7)
    a.build(2)
    b.build(2)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    layer = LSTM(4, return_sequences=True, seed=0, dtype=np.float32)
    y = layer.forward(rng.normal(size=(2, 3, 2)))
    dx, dh0, dc0 = layer.backward(np.ones_like(y))
    assert {y.dtype, dx.dtype, dh0.dtype, dc0.dtype} == {np.dtype(np.float32)}
    assert {g.dtype for g in layer.grads.values()} == {np.dtype(np.float32)}
