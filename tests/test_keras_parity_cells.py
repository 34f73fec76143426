"""The GRU and the plain RNN compute what Keras's ``GRU`` and ``SimpleRNN`` compute.

The same checks as tests/test_keras_parity.py makes for the LSTM, in float64 (Keras
switched to float64 for this module, restored after), on the encoder-decoder built with
each cell: the forward pass and the encoder's state, the gradients, a short ``fit`` and
the autoregressive decoding. Relative errors are max |a - b| / max |b| per array.
Measured (the larger of the two cells): 8e-16 for outputs and states, 2.9e-14 for
gradients (the RNN's), 2.1e-15 for losses, weights and decoding after three epochs of
Adam. The bounds, those of the LSTM's tests (1e-12, and 1e-10 for gradients), leave
room for rounding to add up; a real difference (a gate order, the reset gate applied
before the product, z and 1 - z swapped) shows at 1e-3 or more.
"""

import numpy as np
import pytest
from keras_session import BETA_1, BETA_2, keras, relative, tf

import minilstm as ml
import reference_keras as rk

# Slow: loads TensorFlow and trains in Keras; Keras in float64 for every test of this
# module, set up once and restored after.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("keras_float64")]

DATA = ml.data.load_task("sin_cos")
CELLS = ("gru", "rnn")


def random_pair(cell, rng, units=5, input_dim=3, output_dim=2):
    """Both models with unit-normal weights (some gates saturate), any window length."""
    model = ml.Seq2Seq(units, input_dim, output_dim, seed=0, cell=cell)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    keras_model = rk.build_training_model(units, input_dim, output_dim, None, cell=cell)
    rk.weights_to_keras(model, keras_model)
    return model, keras_model


@pytest.mark.parametrize("cell", CELLS)
def test_keras_layer_has_the_same_weight_shapes_and_order(cell):
    model = ml.Seq2Seq(units=4, input_dim=3, output_dim=2, seed=0, cell=cell)
    keras_model = rk.build_training_model(4, 3, 2, window=None, cell=cell)
    assert [w.shape for w in keras_model.get_weights()] == [
        w.shape for w in model.get_weights()
    ]
    assert rk.keras_settings(keras_model)["cell"] == cell
    with pytest.raises(ValueError, match="cell"):
        rk.weights_to_keras(ml.Seq2Seq(units=4, input_dim=3, output_dim=2), keras_model)


@pytest.mark.parametrize("cell", CELLS)
def test_forward_and_encoder_state_agree_to_1e_12(cell):
    rng = np.random.default_rng(3)
    model, keras_model = random_pair(cell, rng)
    enc_x, dec_x = rng.normal(size=(4, 7, 3)), rng.normal(size=(4, 5, 2))
    y_keras = keras_model([enc_x, dec_x], training=False)
    assert relative(y_keras, model.forward(enc_x, dec_x)) < 1e-12
    encoder_model, _ = rk.build_inference_models(keras_model)
    _, h = model.encoder.forward(enc_x)
    assert relative(encoder_model(enc_x, training=False), h) < 1e-12


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_agree_to_1e_10(cell):
    rng = np.random.default_rng(4)
    model, keras_model = random_pair(cell, rng)
    enc_x, dec_x = rng.normal(size=(4, 7, 3)), rng.normal(size=(4, 5, 2))
    dec_y = rng.normal(size=(4, 5, 2))
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    mse = keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        keras_loss = mse(dec_y, keras_model([enc_x, dec_x], training=True))
    keras_grads = tape.gradient(keras_loss, keras_model.trainable_weights)
    assert float(keras_loss) == pytest.approx(loss, rel=1e-12)
    assert len(keras_grads) == len(grads) == 8
    for keras_grad, grad in zip(keras_grads, grads, strict=True):
        assert relative(keras_grad, grad) < 1e-10


@pytest.mark.parametrize("cell", CELLS)
def test_fit_then_decoding_agree_to_1e_12(cell):
    """Three epochs of Adam without shuffling from Keras's initializers (float32-exact
    betas, see tests/test_keras_parity.py), then decoding the 76 windows."""
    model = ml.Seq2Seq(units=16, seed=0, cell=cell)
    adam = keras.optimizers.Adam(beta_1=BETA_1, beta_2=BETA_2)
    keras_model = rk.build_training_model(16, window=24, optimizer=adam, cell=cell)
    rk.weights_to_keras(model, keras_model)
    inference_models = rk.build_inference_models(keras_model)
    settings = {"epochs": 3, "batch_size": 10, "shuffle": False, "verbose": 0}
    keras_history = keras_model.fit([DATA.enc_x, DATA.dec_x], DATA.dec_y, **settings)
    optimizer = ml.Adam(beta_1=BETA_1, beta_2=BETA_2)
    history = model.fit(
        DATA.enc_x, DATA.dec_x, DATA.dec_y, optimizer=optimizer, **settings
    )
    assert relative(keras_history.history["loss"], history.history["loss"]) < 1e-12
    for a, b in zip(keras_model.get_weights(), model.get_weights(), strict=True):
        assert relative(a, b) < 1e-12
    y_keras = rk.decode(*inference_models, DATA.enc_x)
    assert relative(y_keras, model.predict(DATA.enc_x)) < 1e-12
