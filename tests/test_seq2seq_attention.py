"""The encoder-decoder with attention: its gradient on every weight, its weights' order
and shapes, and autoregressive decoding that attends with one step at a time."""

import numpy as np
import pytest

import minilstm as ml
from minilstm import divergence
from minilstm.gradcheck import numerical_gradient, rel_error

# As test_seq2seq.py: correct backwards measure about 1e-9 (here at most 1.9e-8, on a
# loss whose gradients are small next to it); mistakes 1e-3 or more.
TOL = 1e-7
KINDS = ["dot", "additive"]


def random_model(rng, cell, attention, units, input_dim, output_dim):
    """Unit-normal weights: saturated gates, and scores of a few units."""
    model = ml.Seq2Seq(units, input_dim, output_dim, cell=cell, attention=attention)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("attention", KINDS)
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize(
    ("N", "T_enc", "T_dec", "units", "input_dim", "output_dim"),
    [(3, 4, 4, 3, 1, 1), (2, 3, 5, 4, 2, 3)],
)
def test_loss_and_grads_match_central_differences(
    cell, attention, N, T_enc, T_dec, units, input_dim, output_dim
):
    rng = np.random.default_rng(N * 100 + units)
    model = random_model(rng, cell, attention, units, input_dim, output_dim)
    enc_x = rng.normal(size=(N, T_enc, input_dim))
    dec_x = rng.normal(size=(N, T_dec, output_dim))
    dec_y = rng.normal(size=(N, T_dec, output_dim))
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    assert loss == pytest.approx(
        np.mean((model.forward(enc_x, dec_x) - dec_y) ** 2), rel=1e-15
    )
    assert len(grads) == (9 if attention == "additive" else 8)
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        numeric = numerical_gradient(
            lambda: model.loss_and_grads(enc_x, dec_x, dec_y)[0], weight
        )
        assert grad.shape == weight.shape
        assert rel_error(grad, numeric) < TOL


@pytest.mark.parametrize("attention", KINDS)
def test_weights_come_in_keras_order_with_a_wider_dense_kernel(attention):
    model = ml.Seq2Seq(units=75, attention=attention)
    scale = [(75,)] if attention == "additive" else []
    assert [w.shape for w in model.get_weights()] == [
        (1, 300),
        (75, 300),
        (300,),
        (1, 300),
        (75, 300),
        (300,),
        *scale,
        (150, 1),
        (1,),
    ]
    # The Dense layer's 75 more kernel rows, and scale's 75 numbers.
    assert model.count_params() == 46_276 + 75 + len(scale) * 75


def test_attention_leaves_the_other_weights_as_the_seed_makes_them():
    """Encoder and decoder start the same with and without attention; the model
    without attention starts as it did before attention existed."""
    plain, dot, additive = (
        ml.Seq2Seq(units=6, seed=3, attention=kind) for kind in (None, *KINDS)
    )
    for model in (dot, additive):
        for a, b in zip(model.get_weights()[:6], plain.get_weights()[:6], strict=True):
            np.testing.assert_array_equal(a, b)
    assert np.all(np.abs(additive.get_weights()[6]) <= np.sqrt(3 / 6))


def test_an_unknown_attention_is_named():
    with pytest.raises(ValueError, match=r"attention must be one of \[None, 'dot'"):
        ml.Seq2Seq(units=4, attention="luong")


@pytest.mark.parametrize("attention", KINDS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_predict_feeds_each_prediction_back_and_attends_as_the_forward(cell, attention):
    """Teacher forcing with the decoder input built from predict's own output gives
    predict's output: attending with one query step at a time, over encoder outputs
    computed step by step, is the batched forward. Measured: 2.8e-16 at most
    relative."""
    rng = np.random.default_rng(4)
    model = random_model(rng, cell, attention, units=5, input_dim=2, output_dim=3)
    enc_x = rng.normal(size=(4, 6, 2))
    y = model.predict(enc_x, steps=7)
    scores = model.attention_layer.attention_scores
    assert y.shape == (4, 7, 3) and scores.shape == (4, 7, 6)
    np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-12)
    dec_x = np.concatenate([np.zeros((4, 1, 3)), y[:, :-1]], axis=1)
    np.testing.assert_allclose(model.forward(enc_x, dec_x), y, rtol=1e-12, atol=1e-14)
    # The teacher-forced pass attended the same way, step for step.
    np.testing.assert_allclose(
        model.attention_layer.attention_scores, scores, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_array_equal(model.predict(enc_x, steps=7), y)


@pytest.mark.parametrize("attention", KINDS)
def test_a_diverging_model_with_attention_stops_with_its_weights_kept(attention):
    """fit refuses the non-finite step and names the weights by layer, the
    attention's scale among them."""
    data = ml.data.load_task("sin_cos")
    model = ml.Seq2Seq(units=4, attention=attention)
    model.set_weights([w * 1e200 for w in model.get_weights()])
    before = model.get_weights()
    with pytest.raises(ml.TrainingDivergedError, match="epoch 1/1, batch 1/1"):
        model.fit(data.enc_x[:10], data.dec_x[:10], data.dec_y[:10], verbose=0)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    scale = ["weights[6] (attention scale)"] if attention == "additive" else []
    k = len(scale) + 6
    assert divergence.weight_names(model._named_layers())[6:] == [
        *scale,
        f"weights[{k}] (dense kernel)",
        f"weights[{k + 1}] (dense bias)",
    ]


@pytest.mark.parametrize("attention", KINDS)
def test_float32_model_trains_in_float32(attention):
    data = ml.data.load_task("sin_cos")
    model = ml.Seq2Seq(units=8, attention=attention, dtype=np.float32)
    history = model.fit(
        data.enc_x, data.dec_x, data.dec_y, epochs=2, batch_size=10, verbose=0
    )
    assert history.history["loss"][1] < history.history["loss"][0]
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert model.predict(data.enc_x[:3]).dtype == np.float32


@pytest.mark.parametrize("attention", KINDS)
def test_saved_and_loaded_model_resumes_as_if_never_stopped(attention, tmp_path):
    data = ml.data.load_task("sin_cos")
    arrays = data.enc_x[:30], data.dec_x[:30], data.dec_y[:30]
    settings = {"batch_size": 10, "verbose": 0}
    straight = ml.Seq2Seq(units=6, seed=2, cell="gru", attention=attention)
    straight.fit(*arrays, epochs=2, **settings)
    first = ml.Seq2Seq(units=6, seed=2, cell="gru", attention=attention)
    first.fit(*arrays, epochs=1, **settings)
    first.save(tmp_path / "model.npz")
    loaded = ml.Seq2Seq.load(tmp_path / "model.npz")
    assert loaded.attention == attention and loaded.cell == "gru"
    loaded.fit(*arrays, epochs=2, initial_epoch=loaded.completed_epochs, **settings)
    for a, b in zip(loaded.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
