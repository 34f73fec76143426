"""The whole encoder-decoder: its gradient on all 8 weights, layout and decoding."""

import numpy as np
import pytest
from conftest import lstm_weights

import minilstm as ml
from minilstm.gradcheck import numerical_gradient, rel_error

TOL = 1e-7  # see test_lstm.py: correct backwards measure about 1e-9 or better


def random_model(rng, units, input_dim, output_dim):
    model = ml.Seq2Seq(units=units, input_dim=input_dim, output_dim=output_dim, seed=0)
    enc = lstm_weights(rng, input_dim, units)
    dec = lstm_weights(rng, output_dim, units)
    dense = [rng.normal(size=(units, output_dim)), rng.normal(size=output_dim)]
    model.set_weights([*enc, *dec, *dense])
    return model


@pytest.mark.parametrize(
    ("N", "T_enc", "T_dec", "units", "input_dim", "output_dim"),
    [(3, 4, 4, 3, 1, 1), (2, 3, 5, 4, 2, 3), (1, 5, 2, 2, 3, 2)],
)
def test_loss_and_grads_match_central_differences(
    N, T_enc, T_dec, units, input_dim, output_dim
):
    rng = np.random.default_rng(N * 100 + units)
    model = random_model(rng, units, input_dim, output_dim)
    enc_x = rng.normal(size=(N, T_enc, input_dim))
    dec_x = rng.normal(size=(N, T_dec, output_dim))
    dec_y = rng.normal(size=(N, T_dec, output_dim))
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    # the same forward and the same mean: measured equal; rel=1e-15 allows one rounding
    assert loss == pytest.approx(
        np.mean((model.forward(enc_x, dec_x) - dec_y) ** 2), rel=1e-15
    )
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        numeric = numerical_gradient(
            lambda: model.loss_and_grads(enc_x, dec_x, dec_y)[0], weight
        )
        assert grad.shape == weight.shape
        assert rel_error(grad, numeric) < TOL


def test_article_model_has_46276_parameters_in_keras_order():
    model = ml.Seq2Seq(units=75, input_dim=1, output_dim=1, seed=0)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [
        (1, 300),
        (75, 300),
        (300,),
        (1, 300),
        (75, 300),
        (300,),
        (75, 1),
        (1,),
    ]
    assert model.count_params() == 46_276


def test_get_weights_returns_copies_and_set_weights_round_trips(rng):
    model = ml.Seq2Seq(units=4, seed=1)
    weights = model.get_weights()
    weights[0][...] = 123.0
    assert not np.any(model.get_weights()[0] == 123.0)
    other = ml.Seq2Seq(units=4, seed=2)
    other.set_weights(model.get_weights())
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_weights_rejects_wrong_shapes():
    model = ml.Seq2Seq(units=4, seed=1)
    weights = model.get_weights()
    weights[1] = np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(4, 16\)"):
        model.set_weights(weights)


def test_predict_feeds_each_prediction_back_as_the_next_input(rng):
    """Teacher forcing with the decoder input built from predict's own output must
    reproduce predict exactly: that is what feeding the prediction back means."""
    model = random_model(rng, units=5, input_dim=2, output_dim=3)
    enc_x = rng.normal(size=(4, 6, 2))
    y = model.predict(enc_x, steps=7)
    assert y.shape == (4, 7, 3)
    dec_x = np.concatenate([np.zeros((4, 1, 3)), y[:, :-1]], axis=1)
    # the sequence adds b to x W before h U, a single step after: measured 3.3e-16 apart
    np.testing.assert_allclose(model.forward(enc_x, dec_x), y, rtol=1e-12, atol=1e-14)


def test_predict_is_batched_each_window_decoded_independently(rng):
    model = random_model(rng, units=4, input_dim=1, output_dim=1)
    enc_x = rng.normal(size=(5, 3, 1))
    together = model.predict(enc_x)
    # BLAS may sum a batch of 1 and of 5 in different orders: measured 2.2e-16 apart
    for k in range(5):
        np.testing.assert_allclose(
            model.predict(enc_x[k : k + 1]), together[k : k + 1], rtol=1e-13
        )
