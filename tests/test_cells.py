"""The recurrent cells, LSTM, GRU and plain RNN, held to one specification: central
differences for every backward, steps equal to the sequence, golden values by hand, and
the layers' Keras interface and layout. A new cell is one more row of ``CELLS`` (and
its golden values)."""

from typing import NamedTuple

import numpy as np
import pytest

from minilstm import GRU, LSTM, SimpleRNN, gru, lstm, simple_rnn
from minilstm.gradcheck import numerical_gradient, rel_error

# A correct backward agrees with central differences (h = 1e-6) to about 1e-9 in
# float64 (measured here: 4.5e-10 at most); a bound of 1e-7 leaves a margin of 100 and
# still catches any real mistake (those give 1e-3 or more).
TOL = 1e-7


class Cell(NamedTuple):
    layer: type
    step_forward: object
    step_backward: object
    forward: object
    backward: object
    shapes: list  # the weights' shapes for D = 3, H = 8, in Keras's layout
    initial_bias: np.ndarray  # Keras's initial bias for H = 8


CELLS = {
    "lstm": Cell(
        LSTM,
        lstm.lstm_step_forward,
        lstm.lstm_step_backward,
        lstm.lstm_forward,
        lstm.lstm_backward,
        [(3, 32), (8, 32), (32,)],
        np.r_[np.zeros(8), np.ones(8), np.zeros(16)],  # unit_forget_bias
    ),
    "gru": Cell(
        GRU,
        gru.gru_step_forward,
        gru.gru_step_backward,
        gru.gru_forward,
        gru.gru_backward,
        [(3, 24), (8, 24), (2, 24)],
        np.zeros((2, 24)),
    ),
    "rnn": Cell(
        SimpleRNN,
        simple_rnn.rnn_step_forward,
        simple_rnn.rnn_step_backward,
        simple_rnn.rnn_forward,
        simple_rnn.rnn_backward,
        [(3, 8), (8, 8), (8,)],
        np.zeros(8),
    ),
}
cells = pytest.mark.parametrize("cell", sorted(CELLS))


def random_weights(rng, cell, D, H):
    """Unit-normal weights: with unit-normal inputs some pre-activations pass |z| = 3,
    so a gate mix-up cannot hide in the linear part of the activations."""
    return [rng.normal(size=shape) for shape in CELLS[cell].layer.weight_shapes(D, H)]


def random_states(rng, cell, N, H):
    return tuple(rng.normal(size=(N, H)) for _ in CELLS[cell].layer.states)


# The modules return the LSTM's two states as a pair and the others' one state bare;
# these put every cell's states in a tuple, (h, c) or (h,).
def step(cell, x, states, weights):
    out, cache = CELLS[cell].step_forward(x, *states, *weights)
    return (out if isinstance(out, tuple) else (out,)), cache


def sequence(cell, x, states, weights):
    out, cache = CELLS[cell].forward(x, *states, *weights)
    hs, *rest = out if isinstance(out, tuple) else (out,)
    return hs, (hs[:, -1], *rest), cache


@cells
def test_some_gates_saturate_with_the_test_weights(cell, rng):
    """The gradient checks use weights that push some |z| past 3: if none did, a gate
    mix-up could hide in the linear part of the activations."""
    N, D, H = 3, 4, 5
    kernel, recurrent_kernel, bias = random_weights(rng, cell, D, H)
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    z = x @ kernel + h @ recurrent_kernel + bias.reshape(-1, kernel.shape[1]).sum(0)
    assert np.mean(np.abs(z) > 3) > 0.1


@cells
def test_step_backward_matches_central_differences(cell, rng):
    N, D, H = 3, 4, 5
    x, states = rng.normal(size=(N, D)), random_states(rng, cell, N, H)
    weights = random_weights(rng, cell, D, H)
    dstates = random_states(rng, cell, N, H)
    _, cache = step(cell, x, states, weights)
    grads = CELLS[cell].step_backward(*dstates, cache)
    inputs = [x, *states, *weights]
    assert len(grads) == len(inputs)

    def f():
        return np.concatenate(step(cell, x, states, weights)[0], axis=1)

    dout = np.concatenate(dstates, axis=1)
    for array, grad in zip(inputs, grads, strict=True):
        assert grad.shape == array.shape
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


@cells
def test_sequence_backward_with_initial_states_and_final_state_gradients(cell, rng):
    N, T, D, H = 2, 5, 3, 4
    x, states = rng.normal(size=(N, T, D)), random_states(rng, cell, N, H)
    weights = random_weights(rng, cell, D, H)
    dhs, dstates = rng.normal(size=(N, T, H)), random_states(rng, cell, N, H)
    _, _, cache = sequence(cell, x, states, weights)
    grads = CELLS[cell].backward(dhs, *dstates, cache)
    inputs = [x, *states, *weights]
    assert len(grads) == len(inputs)

    def f():
        hs, final, _ = sequence(cell, x, states, weights)
        return np.concatenate([hs.reshape(N, -1), *final], axis=1)

    dout = np.concatenate([dhs.reshape(N, -1), *dstates], axis=1)
    for array, grad in zip(inputs, grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


@cells
def test_sequence_equals_steps_forward_and_backward(cell, rng):
    N, T, D, H = 3, 6, 2, 4
    x, states0 = rng.normal(size=(N, T, D)), random_states(rng, cell, N, H)
    weights = random_weights(rng, cell, D, H)
    dhs, dfinal = rng.normal(size=(N, T, H)), random_states(rng, cell, N, H)
    hs, final, cache = sequence(cell, x, states0, weights)
    n = len(states0)
    dx, *rest = CELLS[cell].backward(dhs, *dfinal, cache)
    dstates0, dweights = rest[:n], rest[n:]

    states, caches = states0, []
    for t in range(T):
        states, step_cache = step(cell, x[:, t], states, weights)
        caches.append(step_cache)
        # The two add x W, h U and b in different orders: measured 6e-17 apart at most
        # (1.5e-15 relative).
        np.testing.assert_allclose(hs[:, t], states[0], rtol=1e-14, atol=1e-15)
    for got, want in zip(final, states, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    # The sequence sums the weight gradients over steps in one product, the loop one
    # step at a time: measured 5e-16 apart at most (1.2e-13 relative, on entries near
    # zero).
    total = [np.zeros_like(w) for w in weights]
    d = dfinal
    for t in reversed(range(T)):
        dx_t, *rest = CELLS[cell].step_backward(d[0] + dhs[:, t], *d[1:], caches[t])
        d, dw = rest[:n], rest[n:]
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        total = [a + b for a, b in zip(total, dw, strict=True)]
    for got, want in zip(dstates0, d, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    for got, want in zip(dweights, total, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_lstm_golden_values_from_constant_weights():
    """With every weight 0.1, one input 1 and zero states, each pre-activation is z =
    0.1 * 1 + 0 + 0.1 = 0.2, so by hand: i = f = o = sigmoid(0.2), g = tanh(0.2), c = i
    g and h = o tanh(c). The cell's sigmoid is this very formula: measured equal to the
    last bit in both steps; rtol 1e-15 and 1e-14 leave room for another libm's exp."""
    D, H = 1, 2
    x = np.ones((1, D))
    zeros = np.zeros((1, H))
    weights = (np.full((D, 4 * H), 0.1), np.full((H, 4 * H), 0.1), np.full(4 * H, 0.1))
    (h, c), _ = lstm.lstm_step_forward(x, zeros, zeros, *weights)
    s = 1 / (1 + np.exp(-0.2))
    c_expected = s * np.tanh(0.2)
    np.testing.assert_allclose(c, np.full((1, H), c_expected), rtol=1e-15)
    np.testing.assert_allclose(h, np.full((1, H), s * np.tanh(c_expected)), rtol=1e-15)
    # A second step now sees h: z = 0.1 + 0.1 * (h_1 + h_2) + 0.1.
    (h2, c2), _ = lstm.lstm_step_forward(x, h, c, *weights)
    z2 = 0.2 + 0.1 * 2 * h[0, 0]
    s2 = 1 / (1 + np.exp(-z2))
    c2_expected = s2 * c_expected + s2 * np.tanh(z2)
    np.testing.assert_allclose(c2, np.full((1, H), c2_expected), rtol=1e-14)
    np.testing.assert_allclose(
        h2, np.full((1, H), s2 * np.tanh(c2_expected)), rtol=1e-14
    )


def test_gru_golden_values_follow_keras_equations():
    """Weights 0.1, input 1, previous state 0.5 (H = 1): every block of x W + b is 0.2
    and of h U + b' is 0.15, so z = r = sigmoid(0.35), h~ = tanh(0.2 + r * 0.15) (the
    reset gate after the product) and h = z * 0.5 + (1 - z) * h~."""
    x, h_prev = np.ones((1, 1)), np.full((1, 1), 0.5)
    weights = (np.full((1, 3), 0.1), np.full((1, 3), 0.1), np.full((2, 3), 0.1))
    h, _ = gru.gru_step_forward(x, h_prev, *weights)
    s = 1 / (1 + np.exp(-0.35))
    h_tilde = np.tanh(0.2 + s * 0.15)
    np.testing.assert_allclose(h, [[s * 0.5 + (1 - s) * h_tilde]], rtol=1e-15)


def test_plain_rnn_golden_values_by_hand():
    """Weights 0.1, input 1, zero state: h = tanh(0.1 + 0 + 0.1) = tanh(0.2); then
    h2 = tanh(0.1 + 0.1 * 2 * h + 0.1) for H = 2."""
    x, zeros = np.ones((1, 1)), np.zeros((1, 2))
    weights = (np.full((1, 2), 0.1), np.full((2, 2), 0.1), np.full(2, 0.1))
    h, _ = simple_rnn.rnn_step_forward(x, zeros, *weights)
    np.testing.assert_allclose(h, np.full((1, 2), np.tanh(0.2)), rtol=1e-15)
    h2, _ = simple_rnn.rnn_step_forward(x, h, *weights)
    np.testing.assert_allclose(h2, np.tanh(0.2 + 0.2 * h), rtol=1e-15)


# The layers


@cells
@pytest.mark.parametrize(
    ("return_sequences", "return_state"),
    [(False, False), (True, False), (False, True), (True, True)],
)
def test_layer_output_structure_follows_keras(
    cell, return_sequences, return_state, rng
):
    N, T, D, H = 4, 3, 2, 5
    layer = CELLS[cell].layer(
        H, return_sequences=return_sequences, return_state=return_state, seed=0
    )
    out = layer.forward(rng.normal(size=(N, T, D)))
    y_shape = (N, T, H) if return_sequences else (N, H)
    if return_state:
        y, *states = out  # [y, h, c] for the LSTM, [y, h] for the others, as Keras
        assert len(states) == len(layer.states)
        assert y.shape == y_shape and {s.shape for s in states} == {(N, H)}
        np.testing.assert_array_equal(states[0], y[:, -1] if return_sequences else y)
    else:
        assert out.shape == y_shape


@cells
def test_layer_backward_matches_central_differences_on_all_weights(cell, rng):
    N, T, D, H = 2, 4, 3, 3
    layer = CELLS[cell].layer(H, return_sequences=True, return_state=True, seed=3)
    layer.set_weights(random_weights(rng, cell, D, H))
    x, states = rng.normal(size=(N, T, D)), random_states(rng, cell, N, H)
    dy, dstates = rng.normal(size=(N, T, H)), random_states(rng, cell, N, H)
    layer.forward(x, initial_state=list(states))
    dx, *dstates0 = layer.backward(dy, *dstates)
    grads = dict(layer.grads)
    assert list(grads) == ["kernel", "recurrent_kernel", "bias"]

    def f():
        y, *final = layer.forward(x, initial_state=list(states))
        return np.concatenate([y.reshape(N, -1), *final], axis=1)

    dout = np.concatenate([dy.reshape(N, -1), *dstates], axis=1)
    for name in grads:
        num = numerical_gradient(f, getattr(layer, name), dout)
        assert rel_error(grads[name], num) < TOL
    for array, grad in zip((x, *states), (dx, *dstates0), strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dout)) < TOL


@cells
def test_layer_call_backprop_and_step_run_the_module_functions(cell, rng):
    """What the model runs on every batch: call and backprop are the module's sequence
    functions on the layer's weights, None gradients mean zeros, and step is the
    module's step."""
    N, T, D, H = 2, 4, 3, 3
    layer = CELLS[cell].layer(H, seed=3)
    layer.set_weights(random_weights(rng, cell, D, H))
    x, states = rng.normal(size=(N, T, D)), random_states(rng, cell, N, H)
    hs, final = layer.call(x, states)
    want_hs, want_final, cache = sequence(cell, x, states, layer.trainable_weights)
    np.testing.assert_array_equal(hs, want_hs)
    for got, want in zip(final, want_final, strict=True):
        np.testing.assert_array_equal(got, want)
    dstates = random_states(rng, cell, N, H)
    dx, dstates0 = layer.backprop(None, dstates)
    dx_want, *rest = CELLS[cell].backward(np.zeros_like(hs), *dstates, cache)
    np.testing.assert_array_equal(dx, dx_want)
    n = len(states)
    for got, want in zip([*dstates0, *layer.grads.values()], rest, strict=True):
        np.testing.assert_array_equal(got, want)
    new = layer.step(x[:, 0], states)
    want_new, _ = step(cell, x[:, 0], states, layer.trainable_weights)
    assert len(new) == n
    for got, want in zip(new, want_new, strict=True):
        np.testing.assert_array_equal(got, want)


@cells
def test_weights_follow_keras_layout_and_initializers(cell):
    D, H = 3, 8
    layer = CELLS[cell].layer(H, seed=0)
    layer.build(D)
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert [kernel.shape, recurrent_kernel.shape, bias.shape] == CELLS[cell].shapes
    assert layer.weight_shapes(D, H) == CELLS[cell].shapes
    assert np.abs(kernel).max() <= np.sqrt(6 / sum(kernel.shape))  # Glorot uniform
    # Orthogonal rows: QR's rounding measured 7e-16 off the identity.
    np.testing.assert_allclose(
        recurrent_kernel @ recurrent_kernel.T, np.eye(H), atol=1e-12
    )
    np.testing.assert_array_equal(bias, CELLS[cell].initial_bias)


@cells
def test_same_seed_gives_same_weights(cell):
    a, b = CELLS[cell].layer(4, seed=7), CELLS[cell].layer(4, seed=7)
    a.build(2)
    b.build(2)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


@cells
def test_float32_stays_float32(cell, rng):
    layer = CELLS[cell].layer(4, return_sequences=True, seed=0, dtype=np.float32)
    y = layer.forward(rng.normal(size=(2, 3, 2)))
    grads = layer.backward(np.ones_like(y))
    assert {y.dtype, *(g.dtype for g in grads)} == {np.dtype(np.float32)}
    assert {g.dtype for g in layer.grads.values()} == {np.dtype(np.float32)}


@cells
def test_initial_state_must_hold_one_array_per_state(cell, rng):
    layer = CELLS[cell].layer(4, seed=0)
    x, h0 = rng.normal(size=(2, 3, 2)), np.zeros((2, 4))
    kind = r"a pair \(h, c\) of arrays" if cell == "lstm" else r"a list \[h\] of one"
    with pytest.raises(TypeError, match=rf"{kind}.*; got 3 items"):
        layer.forward(x, initial_state=[h0, h0, h0])
    with pytest.raises(ValueError, match=r"initial_state\[0\]"):
        layer.forward(x, initial_state=[np.zeros((2, 5))] * len(layer.states))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        CELLS[cell].layer(4).backward(np.ones((2, 4)))
