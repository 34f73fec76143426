"""The encoder-decoder with attention, in minilstm and in Keras (reference_keras's
attention model), number by number in float64: forward, loss, every gradient, a
3-epoch fit and autoregressive decoding against the Keras step decoder.

Relative errors are max |a - b| / max |b| per array; the bounds are
test_keras_parity.py's (1e-12, and 1e-10 for gradients), each test saying what it
measured.
"""

import numpy as np
import pytest
from keras_session import BETA_1, BETA_2, keras, relative, tf

import minilstm as ml
import reference_keras as rk
import reference_keras.attention as rka

# Keras in float64 for every test of this module, set up once and restored after.
pytestmark = pytest.mark.usefixtures("keras_float64")

DATA = ml.data.load_task("sin_cos")
KINDS = ["dot", "additive"]


def article_pair(attention, cell="lstm", optimizer="adam"):
    """The article's model with attention in minilstm and in Keras, same weights."""
    model = ml.Seq2Seq(units=75, seed=0, cell=cell, attention=attention)
    keras_model = rka.build_training_model(
        units=75, window=24, cell=cell, attention=attention, optimizer=optimizer
    )
    rka.set_keras_weights(keras_model, model.get_weights())
    return model, keras_model


@pytest.mark.parametrize("attention", KINDS)
def test_forward_loss_and_gradients_agree(attention):
    """Measured: outputs 6.1e-16, losses equal, gradients 1.4e-15 at most."""
    model, keras_model = article_pair(attention)
    y_keras = keras_model([DATA.enc_x, DATA.dec_x], training=False)
    assert relative(model.forward(DATA.enc_x, DATA.dec_x), y_keras) < 1e-12
    batch = slice(0, 10)
    arrays = DATA.enc_x[batch], DATA.dec_x[batch], DATA.dec_y[batch]
    loss, grads = model.loss_and_grads(*arrays)
    with tf.GradientTape() as tape:
        keras_loss = keras.losses.MeanSquaredError()(
            arrays[2], keras_model(list(arrays[:2]), training=True)
        )
    by_layer = [w for layer in rka.layers(keras_model) for w in layer.trainable_weights]
    keras_grads = tape.gradient(keras_loss, by_layer)
    assert float(keras_loss) == pytest.approx(loss, rel=1e-12)
    assert len(keras_grads) == len(grads) == (9 if attention == "additive" else 8)
    for grad, keras_grad in zip(grads, keras_grads, strict=True):
        assert relative(grad, keras_grad) < 1e-10


@pytest.mark.parametrize("attention", KINDS)
def test_three_epochs_of_fit_give_the_same_history_weights_and_decoding(attention):
    """Measured: losses 1.9e-16, weights 5.3e-16, decoded windows 5.9e-16 at most."""
    model, keras_model = article_pair(
        attention, optimizer=keras.optimizers.Adam(beta_1=BETA_1, beta_2=BETA_2)
    )
    inference_models = rka.build_inference_models(keras_model)
    settings = {"epochs": 3, "batch_size": 10, "shuffle": False, "verbose": 0}
    keras_history = keras_model.fit([DATA.enc_x, DATA.dec_x], DATA.dec_y, **settings)
    history = model.fit(
        DATA.enc_x,
        DATA.dec_x,
        DATA.dec_y,
        optimizer=ml.Adam(beta_1=BETA_1, beta_2=BETA_2),
        **settings,
    )
    assert relative(history.history["loss"], keras_history.history["loss"]) < 1e-12
    for a, b in zip(model.get_weights(), rka.keras_weights(keras_model), strict=True):
        assert relative(a, b) < 1e-12
    y_keras = rka.decode(*inference_models, DATA.enc_x)
    assert relative(model.predict(DATA.enc_x), y_keras) < 1e-12


@pytest.mark.parametrize("attention", KINDS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_decoding_agrees_with_the_keras_step_decoder(cell, attention):
    """Random weights, several features, more steps than the window. Measured:
    9.1e-16 at most."""
    rng = np.random.default_rng(5)
    model = ml.Seq2Seq(
        units=6, input_dim=3, output_dim=2, cell=cell, attention=attention
    )
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    keras_model = rka.build_training_model(
        6, 3, 2, window=None, cell=cell, attention=attention
    )
    rka.set_keras_weights(keras_model, model.get_weights())
    enc_x = rng.normal(size=(4, 7, 3))
    y_keras = rka.decode(*rka.build_inference_models(keras_model), enc_x, steps=11)
    assert y_keras.shape == (4, 11, 2)
    assert relative(model.predict(enc_x, steps=11), y_keras) < 1e-12


@pytest.mark.parametrize("attention", KINDS)
def test_weights_move_both_ways_and_another_attention_is_refused(attention):
    model = ml.Seq2Seq(units=5, seed=1, attention=attention)
    keras_model = rka.build_training_model(5, window=None, attention=attention)
    rka.weights_to_keras(model, keras_model)
    for a, b in zip(rka.keras_weights(keras_model), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    back = ml.Seq2Seq(units=5, seed=2, attention=attention)
    rka.weights_from_keras(keras_model, back)
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = "dot" if attention == "additive" else "additive"
    with pytest.raises(ValueError, match=f"attention: minilstm {other}, Keras"):
        rka.weights_to_keras(ml.Seq2Seq(units=5, attention=other), keras_model)
    with pytest.raises(ValueError, match=r"attention\.weights_to_keras"):
        rk.weights_to_keras(model, keras_model)
