"""The whole encoder-decoder, the same specification for every cell: one path from the
data through its layers, its gradient on all 8 weights, its layout, decoding, training
and its file."""

import json
import zipfile

import numpy as np
import pytest

import minilstm as ml
from minilstm.gradcheck import numerical_gradient, rel_error

# A correct backward agrees with central differences to about 1e-9 in float64
# (measured here: 2e-9 at most, on the encoder, whose gradient passes the most steps).
TOL = 1e-7
CELLS = ("lstm", "gru", "rnn")
LAYERS = {"lstm": ml.LSTM, "gru": ml.GRU, "rnn": ml.SimpleRNN}
SHAPES = {  # units 3, input_dim 2, output_dim 1, in Keras's model.get_weights() order
    "lstm": [(2, 12), (3, 12), (12,), (1, 12), (3, 12), (12,), (3, 1), (1,)],
    "gru": [(2, 9), (3, 9), (2, 9), (1, 9), (3, 9), (2, 9), (3, 1), (1,)],
    "rnn": [(2, 3), (3, 3), (3,), (1, 3), (3, 3), (3,), (3, 1), (1,)],
}


def random_model(rng, cell, units=3, input_dim=2, output_dim=1):
    """Unit-normal weights: with unit-normal inputs some gates saturate, so that a
    mix-up cannot hide in the linear part of the activations."""
    model = ml.Seq2Seq(units, input_dim, output_dim, seed=0, cell=cell)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model


def data(rng, N, T_enc, T_dec, input_dim=2, output_dim=1):
    return (
        rng.normal(size=(N, T_enc, input_dim)),
        rng.normal(size=(N, T_dec, output_dim)),
        rng.normal(size=(N, T_dec, output_dim)),
    )


@pytest.mark.parametrize("cell", CELLS)
def test_weights_are_the_layers_in_keras_model_order(cell):
    model = ml.Seq2Seq(units=3, input_dim=2, output_dim=1, seed=0, cell=cell)
    assert [w.shape for w in model.get_weights()] == SHAPES[cell]
    assert ml.Seq2Seq.weight_shapes(3, 2, 1, cell) == SHAPES[cell]
    assert [type(layer) for layer in model.layers] == [LAYERS[cell]] * 2 + [ml.Dense]
    assert model.layers == [model.encoder, model.decoder, model.dense]


@pytest.mark.parametrize("cell", CELLS)
def test_forward_is_the_layers_forward_in_turn(cell, rng):
    """The encoder's final states start the decoder, whose every step goes through the
    Dense layer: the layers' own forward, called by hand, give the model's output."""
    model = random_model(rng, cell)
    enc_x, dec_x, _ = data(rng, N=2, T_enc=4, T_dec=3)
    _, *states = model.encoder.forward(enc_x)
    hs, *_ = model.decoder.forward(dec_x, initial_state=states)
    np.testing.assert_array_equal(model.forward(enc_x, dec_x), model.dense.forward(hs))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    ("N", "T_enc", "T_dec", "units", "input_dim", "output_dim"),
    [(3, 4, 4, 3, 1, 1), (2, 3, 5, 4, 2, 3), (1, 5, 2, 2, 3, 2)],
)
def test_loss_and_grads_match_central_differences(
    cell, N, T_enc, T_dec, units, input_dim, output_dim
):
    rng = np.random.default_rng(N * 100 + units)
    model = random_model(rng, cell, units, input_dim, output_dim)
    enc_x, dec_x, dec_y = data(rng, N, T_enc, T_dec, input_dim, output_dim)
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


@pytest.mark.parametrize("cell", CELLS)
def test_the_gradients_are_the_layers_grads_in_weight_order(cell, rng):
    model = random_model(rng, cell)
    _, grads = model.loss_and_grads(*data(rng, N=2, T_enc=4, T_dec=3))
    by_layer = [g for layer in model.layers for g in layer.grads.values()]
    assert len(grads) == len(by_layer) == 8
    for got, want in zip(grads, by_layer, strict=True):
        assert got is want


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


@pytest.mark.parametrize("cell", CELLS)
def test_get_weights_returns_copies_and_set_weights_round_trips(cell):
    model = ml.Seq2Seq(units=4, seed=1, cell=cell)
    weights = model.get_weights()
    weights[0][...] = 123.0
    assert not np.any(model.get_weights()[0] == 123.0)
    other = ml.Seq2Seq(units=4, seed=2, cell=cell)
    other.set_weights(model.get_weights())
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_set_weights_checks_all_before_setting_any(cell):
    model = ml.Seq2Seq(units=4, seed=1, cell=cell)
    before = model.get_weights()
    weights = [np.zeros_like(w) for w in before]
    weights[7] = np.zeros(5)
    with pytest.raises(ValueError, match=r"weights\[7\] must have shape \(1,\)"):
        model.set_weights(weights)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_predict_feeds_each_prediction_back_as_the_next_input(cell, rng):
    """Teacher forcing with the decoder input built from predict's own output must
    reproduce predict: that is what feeding the prediction back means."""
    model = random_model(rng, cell, units=5, input_dim=2, output_dim=3)
    enc_x = rng.normal(size=(4, 6, 2))
    y = model.predict(enc_x, steps=7)
    assert y.shape == (4, 7, 3)
    dec_x = np.concatenate([np.zeros((4, 1, 3)), y[:, :-1]], axis=1)
    # the sequence adds b to x W before h U, a single step after: measured 3.3e-16 apart
    np.testing.assert_allclose(model.forward(enc_x, dec_x), y, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", CELLS)
def test_predict_is_batched_each_window_decoded_independently(cell, rng):
    model = random_model(rng, cell, units=4, input_dim=1, output_dim=1)
    enc_x = rng.normal(size=(5, 3, 1))
    together = model.predict(enc_x)
    # BLAS may sum a batch of 1 and of 5 in different orders: measured 2.2e-16 apart
    for k in range(5):
        np.testing.assert_allclose(
            model.predict(enc_x[k : k + 1]), together[k : k + 1], rtol=1e-13
        )


@pytest.mark.parametrize("cell", CELLS)
def test_fit_lowers_the_loss(cell):
    task = ml.data.load_task("sin_cos")
    model = ml.Seq2Seq(units=8, seed=0, cell=cell)
    history = model.fit(task.enc_x, task.dec_x, task.dec_y, epochs=10, verbose=0)
    # Measured: 0.55 -> 0.29 (LSTM), 0.54 -> 0.35 (GRU), 0.29 -> 0.15 (RNN) in 10
    # epochs.
    assert history.history["loss"][-1] < 0.75 * history.history["loss"][0]


@pytest.mark.parametrize("cell", CELLS)
def test_save_and_load_keep_the_cell_weights_and_optimizer(cell, tmp_path, rng):
    model = random_model(rng, cell)
    enc_x, dec_x, dec_y = data(rng, N=4, T_enc=4, T_dec=3)
    model.fit(enc_x, dec_x, dec_y, epochs=2, batch_size=2, verbose=0)
    model.save(tmp_path / "m.npz")
    back = ml.Seq2Seq.load(tmp_path / "m.npz")
    assert back.cell == cell
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.fit(enc_x, dec_x, dec_y, epochs=3, initial_epoch=2, batch_size=2, verbose=0)
    back.fit(enc_x, dec_x, dec_y, epochs=3, initial_epoch=2, batch_size=2, verbose=0)
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_lstm_file_has_no_cell_setting_and_loads_as_an_lstm(tmp_path):
    """So that an LSTM's file stays readable by a minilstm from before the other
    cells."""
    ml.Seq2Seq(units=3, seed=0).save(tmp_path / "m.npz")
    with (
        zipfile.ZipFile(tmp_path / "m.npz") as archive,
        archive.open("metadata.npy") as f,
    ):
        metadata = json.loads(str(np.lib.format.read_array(f)))
    assert "cell" not in metadata["config"]
    assert ml.Seq2Seq.load(tmp_path / "m.npz").cell == "lstm"


def test_an_unknown_cell_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"cell must be one of \['lstm', 'gru', 'rnn'\]"
    ):
        ml.Seq2Seq(units=3, cell="transformer")


def test_a_numpy_string_scalar_is_taken_as_its_text():
    """What a setting read back with np.load looks like: np.array("gru") is "gru"."""
    for cell in (np.array("gru"), np.str_("gru")):
        model = ml.Seq2Seq(units=3, cell=cell)
        assert model.cell == "gru" and type(model.cell) is str
        assert type(model.encoder) is ml.GRU


def test_an_array_of_several_cells_is_refused_naming_cell():
    with pytest.raises(ValueError, match=r"cell must be one of .*; got an array"):
        ml.Seq2Seq(units=3, cell=np.array(["gru", "rnn"]))
