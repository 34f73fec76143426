"""The GRU and the plain RNN, as the LSTM is tested: central differences for every
backward, steps equal to the sequence, the layer's contract and Keras's layout."""

import numpy as np
import pytest

from minilstm import GRU, SimpleRNN
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from minilstm.simple_rnn import (
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

# As in test_lstm.py: a correct backward agrees with central differences (h = 1e-6) to
# about 1e-9 in float64 (measured here: 4.5e-10 at most); a mistake gives 1e-3 or more.
TOL = 1e-7

# The step and sequence functions of each cell, and its weight shapes for D and H.
CELLS = {
    "gru": (
        gru_step_forward,
        gru_step_backward,
        gru_forward,
        gru_backward,
        lambda D, H: [(D, 3 * H), (H, 3 * H), (2, 3 * H)],
    ),
    "rnn": (
        rnn_step_forward,
        rnn_step_backward,
        rnn_forward,
        rnn_backward,
        lambda D, H: [(D, H), (H, H), (H,)],
    ),
}
LAYERS = {"gru": GRU, "rnn": SimpleRNN}


def random_weights(rng, cell, D, H):
    """Unit-normal weights: with unit-normal inputs some pre-activations pass |z| = 3,
    so a gate mix-up cannot hide in the linear part of the activations."""
    return [rng.normal(size=shape) for shape in CELLS[cell][4](D, H)]


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_step_backward_matches_central_differences(cell, rng):
    step_forward, step_backward, *_ = CELLS[cell]
    N, D, H = 3, 4, 5
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    inputs = [x, h_prev, *random_weights(rng, cell, D, H)]
    dh = rng.normal(size=(N, H))
    _, cache = step_forward(*inputs)
    grads = step_backward(dh, cache)
    assert len(grads) == len(inputs)
    for array, grad in zip(inputs, grads, strict=True):
        assert grad.shape == array.shape
        num = numerical_gradient(lambda: step_forward(*inputs)[0], array, dh)
        assert rel_error(grad, num) < TOL


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_sequence_backward_with_initial_state_and_final_state_gradient(cell, rng):
    *_, forward, backward, _ = CELLS[cell]
    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    inputs = [x, h0, *random_weights(rng, cell, D, H)]
    dhs, dh = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    _, cache = forward(*inputs)
    grads = backward(dhs, dh, cache)

    def f():
        hs, _ = forward(*inputs)
        return np.concatenate([hs.reshape(N, -1), hs[:, -1]], axis=1)

    dout = np.concatenate([dhs.reshape(N, -1), dh], axis=1)
    for array, grad in zip(inputs, grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_sequence_equals_steps_forward_and_backward(cell, rng):
    step_forward, step_backward, forward, backward, _ = CELLS[cell]
    N, T, D, H = 3, 6, 2, 4
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    weights = random_weights(rng, cell, D, H)
    dhs, dh = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    hs, cache = forward(x, h0, *weights)
    dx, dh0, *dweights = backward(dhs, dh, cache)

    h, caches = h0, []
    for t in range(T):
        h, step_cache = step_forward(x[:, t], h, *weights)
        caches.append(step_cache)
        # The two add x W, h U and b in different orders: measured 1.1e-16 apart at
        # most.
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-14, atol=1e-15)
    total = [np.zeros_like(w) for w in weights]
    for t in reversed(range(T)):
        dx_t, dh, *dw = step_backward(dhs[:, t] + dh, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        total = [a + b for a, b in zip(total, dw, strict=True)]
    np.testing.assert_allclose(dh0, dh, rtol=1e-12, atol=1e-14)
    # One product over all steps against a sum of per-step products: measured 5e-16.
    for got, want in zip(dweights, total, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_plain_rnn_golden_values_by_hand():
    """Weights 0.1, input 1, zero state: h = tanh(0.1 + 0 + 0.1) = tanh(0.2); then
    h2 = tanh(0.1 + 0.1 * 2 * h + 0.1) for H = 2."""
    x, zeros = np.ones((1, 1)), np.zeros((1, 2))
    weights = (np.full((1, 2), 0.1), np.full((2, 2), 0.1), np.full(2, 0.1))
    h, _ = rnn_step_forward(x, zeros, *weights)
    np.testing.assert_allclose(h, np.full((1, 2), np.tanh(0.2)), rtol=1e-15)
    h2, _ = rnn_step_forward(x, h, *weights)
    np.testing.assert_allclose(h2, np.tanh(0.2 + 0.2 * h), rtol=1e-15)


def test_gru_golden_values_follow_keras_equations():
    """Weights 0.1, input 1, previous state 0.5 (H = 1): every block of x W + b is 0.2
    and of h U + b' is 0.15, so z = r = sigmoid(0.35), h~ = tanh(0.2 + r * 0.15) (the
    reset gate after the product) and h = z * 0.5 + (1 - z) * h~."""
    x, h_prev = np.ones((1, 1)), np.full((1, 1), 0.5)
    weights = (np.full((1, 3), 0.1), np.full((1, 3), 0.1), np.full((2, 3), 0.1))
    h, _ = gru_step_forward(x, h_prev, *weights)
    s = 1 / (1 + np.exp(-0.35))
    h_tilde = np.tanh(0.2 + s * 0.15)
    np.testing.assert_allclose(h, [[s * 0.5 + (1 - s) * h_tilde]], rtol=1e-15)


@pytest.mark.parametrize("cell", sorted(LAYERS))
@pytest.mark.parametrize(
    ("return_sequences", "return_state"),
    [(False, False), (True, False), (False, True), (True, True)],
)
def test_layer_output_structure_follows_keras(
    cell, return_sequences, return_state, rng
):
    N, T, D, H = 4, 3, 2, 5
    layer = LAYERS[cell](
        H, return_sequences=return_sequences, return_state=return_state, seed=0
    )
    out = layer.forward(rng.normal(size=(N, T, D)))
    y_shape = (N, T, H) if return_sequences else (N, H)
    if return_state:
        y, h = out  # one state: [y, h], as Keras's GRU and SimpleRNN
        assert y.shape == y_shape and h.shape == (N, H)
        np.testing.assert_array_equal(h, y[:, -1] if return_sequences else y)
    else:
        assert out.shape == y_shape


@pytest.mark.parametrize("cell", sorted(LAYERS))
def test_layer_backward_matches_central_differences_on_all_weights(cell, rng):
    N, T, D, H = 2, 4, 3, 3
    layer = LAYERS[cell](H, return_sequences=True, return_state=True, seed=3)
    layer.set_weights(random_weights(rng, cell, D, H))
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    dy, dh = rng.normal(size=(N, T, H)), rng.normal(size=(N, H))
    layer.forward(x, initial_state=[h0])
    dx, dh0 = layer.backward(dy, dh)
    grads = dict(layer.grads)
    assert sorted(grads) == ["bias", "kernel", "recurrent_kernel"]

    def f():
        y, h = layer.forward(x, initial_state=[h0])
        return np.concatenate([y.reshape(N, -1), h], axis=1)

    dout = np.concatenate([dy.reshape(N, -1), dh], axis=1)
    for name in ("kernel", "recurrent_kernel", "bias"):
        num = numerical_gradient(f, getattr(layer, name), dout)
        assert rel_error(grads[name], num) < TOL
    for array, grad in ((x, dx), (h0, dh0)):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


@pytest.mark.parametrize(
    ("cell", "shapes"),
    [
        ("gru", [(3, 24), (8, 24), (2, 24)]),
        ("rnn", [(3, 8), (8, 8), (8,)]),
    ],
)
def test_weights_follow_keras_layout_and_initializers(cell, shapes):
    D, H = 3, 8
    layer = LAYERS[cell](H, seed=0)
    layer.build(D)
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert [kernel.shape, recurrent_kernel.shape, bias.shape] == shapes
    assert np.abs(kernel).max() <= np.sqrt(6 / sum(kernel.shape))  # Glorot uniform
    # Orthogonal rows: QR's rounding measured 7e-16 off the identity.
    np.testing.assert_allclose(
        recurrent_kernel @ recurrent_kernel.T, np.eye(H), atol=1e-12
    )
    np.testing.assert_array_equal(bias, np.zeros(shapes[2]))  # Keras's "zeros"


@pytest.mark.parametrize("cell", sorted(LAYERS))
def test_initial_state_must_be_a_list_of_one_array(cell, rng):
    layer = LAYERS[cell](4, seed=0)
    x, h0 = rng.normal(size=(2, 3, 2)), np.zeros((2, 4))
    with pytest.raises(TypeError, match=r"a list \[h\] of one array; got 2 items"):
        layer.forward(x, initial_state=[h0, h0])
    with pytest.raises(ValueError, match=r"initial_state\[0\]"):
        layer.forward(x, initial_state=[np.zeros((2, 5))])
    with pytest.raises(RuntimeError, match="backward called before forward"):
        LAYERS[cell](4).backward(np.ones((2, 4)))


@pytest.mark.parametrize("cell", sorted(LAYERS))
def test_float32_stays_float32(cell, rng):
    layer = LAYERS[cell](4, return_sequences=True, seed=0, dtype=np.float32)
    y = layer.forward(rng.normal(size=(2, 3, 2)))
    dx, dh0 = layer.backward(np.ones_like(y))
    assert {y.dtype, dx.dtype, dh0.dtype} == {np.dtype(np.float32)}
    assert {g.dtype for g in layer.grads.values()} == {np.dtype(np.float32)}
