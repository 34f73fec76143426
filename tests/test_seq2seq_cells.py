"""Seq2Seq with a GRU or a plain RNN in place of the LSTM: the same model around
another cell, its gradients, its decoding and its file."""

import json
import zipfile

import numpy as np
import pytest

import minilstm as ml
from minilstm.gradcheck import numerical_gradient, rel_error

CELLS = ("gru", "rnn")
SHAPES = {  # units 3, input_dim 2, output_dim 1
    "gru": [(2, 9), (3, 9), (2, 9), (1, 9), (3, 9), (2, 9), (3, 1), (1,)],
    "rnn": [(2, 3), (3, 3), (3,), (1, 3), (3, 3), (3,), (3, 1), (1,)],
}


def small_model(cell, rng):
    model = ml.Seq2Seq(units=3, input_dim=2, output_dim=1, seed=0, cell=cell)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("cell", CELLS)
def test_weights_are_the_cells_in_keras_model_order(cell):
    model = ml.Seq2Seq(units=3, input_dim=2, output_dim=1, seed=0, cell=cell)
    assert [w.shape for w in model.get_weights()] == SHAPES[cell]
    assert type(model.encoder) is type(model.decoder) is ml.layers.CELLS[cell]


@pytest.mark.parametrize("cell", CELLS)
def test_loss_gradients_match_central_differences(cell, rng):
    model = small_model(cell, rng)
    enc_x, dec_x, dec_y = (
        rng.normal(size=(2, T, D)) for T, D in ((4, 2), (3, 1), (3, 1))
    )
    _, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        num = numerical_gradient(lambda: model.evaluate(enc_x, dec_x, dec_y), weight)
        # Measured 2e-9 at most (on the encoder, whose gradient passes the most steps).
        assert rel_error(grad, num) < 1e-7


@pytest.mark.parametrize("cell", CELLS)
def test_predict_feeds_each_prediction_back(cell, rng):
    """Decoding equals a teacher-forced pass whose decoder inputs are the decoded values
    shifted right by one step (with a zero first input)."""
    model = small_model(cell, rng)
    enc_x = rng.normal(size=(3, 5, 2))
    y = model.predict(enc_x, steps=4)
    dec_x = np.concatenate([np.zeros((3, 1, 1)), y[:, :-1]], axis=1)
    # Step by step against the sequence function: measured 1e-16 apart.
    np.testing.assert_allclose(model.forward(enc_x, dec_x), y, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_fit_lowers_the_loss(cell):
    data = ml.data.load_task("sin_cos")
    model = ml.Seq2Seq(units=8, seed=0, cell=cell)
    history = model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=10, verbose=0)
    # Measured: 0.54 -> 0.35 (GRU) and 0.29 -> 0.15 (RNN) in 10 epochs.
    assert history.history["loss"][-1] < 0.75 * history.history["loss"][0]


@pytest.mark.parametrize("cell", CELLS)
def test_save_and_load_keep_the_cell_weights_and_optimizer(cell, tmp_path, rng):
    model = small_model(cell, rng)
    enc_x, dec_x, dec_y = (
        rng.normal(size=(4, T, D)) for T, D in ((4, 2), (3, 1), (3, 1))
    )
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
