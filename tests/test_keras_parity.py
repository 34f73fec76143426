"""minilstm and the Keras reference compute the same thing, number by number.

From identical weights: the same forward pass, the same gradients, the same optimizer
steps, the same ``fit`` history, the same autoregressive decoding; all in float64
(Keras switched to float64 for this module and restored after), and the forward pass in
float32.

Relative errors here are max |a - b| / max |b| per array: stricter than a norm ratio,
and meaningful because no reference array is close to zero everywhere. In float64 every
comparison below measured 1e-15 or less (a few units of float64 rounding); the bounds,
1e-12 and 1e-10 for gradients, leave room for rounding to add up, and a real difference
of computation shows at 1e-3 or more.
"""

import numpy as np
import pytest
from conftest import lstm_weights
from keras_session import BETA_1, BETA_2, MOMENTUM, keras, keras_float, relative, tf

import minilstm as ml
import reference_keras as rk

# Slow: loads TensorFlow and trains in Keras; Keras in float64 for every test of this
# module, set up once and restored after.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("keras_float64")]

DATA = ml.data.load_task("sin_cos")


def article_pair(seed: int = 0):
    """The article's model in minilstm and in Keras, with the same weights.

    minilstm draws its weights from the seed as Keras's initializers do.
    """
    model = ml.Seq2Seq(units=75, input_dim=1, output_dim=1, seed=seed)
    keras_model = rk.build_training_model(
        units=75, input_dim=1, output_dim=1, window=24
    )
    rk.weights_to_keras(model, keras_model)
    return model, keras_model


def random_pair(rng, units, input_dim, output_dim):
    """Both models, random weights large enough to saturate some gates (any length)."""
    model = ml.Seq2Seq(units=units, input_dim=input_dim, output_dim=output_dim, seed=0)
    enc = lstm_weights(rng, input_dim, units)
    dec = lstm_weights(rng, output_dim, units)
    model.set_weights(
        [*enc, *dec, rng.normal(size=(units, output_dim)), rng.normal(size=output_dim)]
    )
    keras_model = rk.build_training_model(units, input_dim, output_dim, window=None)
    rk.weights_to_keras(model, keras_model)
    return model, keras_model


# --- weights: same layout, moved unchanged ------------------------------------------


def test_keras_weights_have_minilstm_shapes_and_order():
    model, keras_model = article_pair()
    keras_weights = keras_model.get_weights()
    assert [w.shape for w in keras_weights] == [w.shape for w in model.get_weights()]
    # The whole model's order is the layers' order: encoder, decoder, dense.
    by_layer = [
        w
        for name in ("encoder_lstm", "decoder_lstm", "dense")
        for w in keras_model.get_layer(name).get_weights()
    ]
    for a, b, c in zip(keras_weights, by_layer, model.get_weights(), strict=True):
        assert np.array_equal(a, b)
        assert np.array_equal(a, c)


def test_weights_move_both_ways_unchanged():
    rng = np.random.default_rng(7)
    model, keras_model = random_pair(rng, units=5, input_dim=3, output_dim=2)
    back = ml.Seq2Seq(units=5, input_dim=3, output_dim=2, seed=1)
    rk.weights_from_keras(keras_model, back)
    for a, b in zip(back.get_weights(), model.get_weights(), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"units": 6, "input_dim": 3, "output_dim": 2}, "units"),
        ({"units": 5, "input_dim": 2, "output_dim": 2}, "input_dim"),
        ({"units": 5, "input_dim": 3, "output_dim": 1}, "output_dim"),
    ],
)
def test_weight_transfer_between_different_settings_is_a_clear_error(settings, named):
    keras_model = rk.build_training_model(
        units=5, input_dim=3, output_dim=2, window=None
    )
    model = ml.Seq2Seq(**settings, seed=0)
    with pytest.raises(ValueError, match=named):
        rk.weights_to_keras(model, keras_model)
    with pytest.raises(ValueError, match=named):
        rk.weights_from_keras(keras_model, model)


# --- 1. forward ---------------------------------------------------------------------


def test_teacher_forced_outputs_and_encoder_states_agree_to_1e_12():
    model, keras_model = article_pair()
    encoder_model, _ = rk.build_inference_models(keras_model)
    y_keras = keras_model([DATA.enc_x, DATA.dec_x], training=False)
    assert relative(y_keras, model.forward(DATA.enc_x, DATA.dec_x)) < 1e-12
    h_keras, c_keras = encoder_model(DATA.enc_x, training=False)
    _, h, c = model.encoder.forward(DATA.enc_x)
    assert relative(h_keras, h) < 1e-12
    assert relative(c_keras, c) < 1e-12


# --- 2. gradients -------------------------------------------------------------------


def keras_loss_and_grads(keras_model, enc_x, dec_x, dec_y):
    """The compiled loss (Keras's MSE) and its weights' gradient, by GradientTape."""
    mse = keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        loss = mse(dec_y, keras_model([enc_x, dec_x], training=True))
    return float(loss), tape.gradient(loss, keras_model.trainable_weights)


def test_gradients_agree_to_1e_10_on_the_article_shapes():
    model, keras_model = article_pair()
    batch = slice(0, 10)
    arrays = DATA.enc_x[batch], DATA.dec_x[batch], DATA.dec_y[batch]
    loss, grads = model.loss_and_grads(*arrays)
    keras_loss, keras_grads = keras_loss_and_grads(keras_model, *arrays)
    assert keras_loss == pytest.approx(loss, rel=1e-12)
    assert len(keras_grads) == len(grads) == 8
    for keras_grad, grad in zip(keras_grads, grads, strict=True):
        assert relative(keras_grad, grad) < 1e-10


@pytest.mark.parametrize(
    ("N", "T_enc", "T_dec", "units", "input_dim", "output_dim"),
    [(4, 7, 5, 6, 3, 2), (3, 5, 9, 4, 2, 4)],
)
def test_gradients_agree_to_1e_10_on_random_shapes(
    N, T_enc, T_dec, units, input_dim, output_dim
):
    rng = np.random.default_rng(N * 100 + units)
    model, keras_model = random_pair(rng, units, input_dim, output_dim)
    enc_x = rng.normal(size=(N, T_enc, input_dim))
    dec_x = rng.normal(size=(N, T_dec, output_dim))
    dec_y = rng.normal(size=(N, T_dec, output_dim))
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    keras_loss, keras_grads = keras_loss_and_grads(keras_model, enc_x, dec_x, dec_y)
    assert keras_loss == pytest.approx(loss, rel=1e-12)
    for keras_grad, grad in zip(keras_grads, grads, strict=True):
        assert relative(keras_grad, grad) < 1e-10


# --- 3. optimizers ------------------------------------------------------------------


class AdamWithKerasPowers(ml.Adam):
    """Adam as Keras 3 runs it with Python-float betas: the bias correction's powers use
    the betas rounded to float32, the moment updates the betas themselves."""

    def update_step(self, gradient, variable, slots, lr):
        m, v = slots["m"], slots["v"]
        t = self.iterations + 1
        beta_1, beta_2 = float(np.float32(self.beta_1)), float(np.float32(self.beta_2))
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (gradient - m) * (1 - self.beta_1)
        v += (np.square(gradient) - v) * (1 - self.beta_2)
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)


def train_both(keras_optimizer, optimizer, steps=20, batch_size=10):
    """``steps`` optimizer steps on the same batches (consecutive windows, cycling);
    returns the change of every weight in Keras and in minilstm."""
    model = ml.Seq2Seq(units=75, seed=0)
    start = model.get_weights()
    keras_model = rk.build_training_model(
        units=75, window=24, optimizer=keras_optimizer
    )
    rk.weights_to_keras(model, keras_model)
    for step in range(steps):
        first = step * batch_size % (len(DATA.enc_x) - batch_size)
        batch = slice(first, first + batch_size)
        arrays = DATA.enc_x[batch], DATA.dec_x[batch], DATA.dec_y[batch]
        keras_model.train_on_batch(list(arrays[:2]), arrays[2])
        optimizer.apply(model.loss_and_grads(*arrays)[1], model.trainable_weights)
    keras_change = [
        w - w0 for w, w0 in zip(keras_model.get_weights(), start, strict=True)
    ]
    change = [w - w0 for w, w0 in zip(model.get_weights(), start, strict=True)]
    return keras_change, change


@pytest.mark.parametrize(
    ("keras_optimizer", "optimizer"),
    [
        (
            lambda: keras.optimizers.Adam(beta_1=BETA_1, beta_2=BETA_2),
            lambda: ml.Adam(beta_1=BETA_1, beta_2=BETA_2),
        ),
        (lambda: keras.optimizers.RMSprop(), lambda: ml.RMSprop()),
        (
            lambda: keras.optimizers.SGD(0.01, momentum=0.9),
            lambda: ml.SGD(0.01, momentum=MOMENTUM),
        ),
    ],
    ids=["adam", "rmsprop", "sgd_momentum"],
)
def test_twenty_optimizer_steps_end_with_the_same_weights(keras_optimizer, optimizer):
    """Both runs end with the same weights once they use the same constants.

    Compared: the change of each weight over the run, which the shared starting weights
    cannot hide. What drifts, and why: with Python-float defaults on both sides
    (Adam(), SGD(0.01, momentum=0.9)) the changes after these 20 steps differ by a
    relative 1.3e-5 for Adam and 5.2e-6 for SGD with momentum, but only 7.6e-15 for
    RMSprop. Keras 3 casts ``beta_1`` and ``beta_2`` (in Adam's bias correction) and
    SGD's ``momentum`` to the variables' dtype with ``ops.cast``, which on TensorFlow
    first makes a float32 tensor of the Python float: 0.999 becomes 0.999000013, so 1 -
    beta_2^t (about t/1000 early on) moves by a relative 1.3e-5 and Adam's step size
    alpha by 6.5e-6, at every step. The moment updates use 1 - beta as a Python float,
    unrounded. RMSprop uses ``rho`` as a Python float, so nothing is rounded.
    ``learning_rate`` is a variable of the ``floatx()`` current when the optimizer is
    made: float64 here; made in float32, 1e-3 becomes 1.0000000475e-3 and the changes
    differ by 9.3e-8 (measured with the float32 constants below).

    So the constants here are float32 numbers (float(np.float32(0.9)) ...), which the
    cast leaves unchanged, and the runs differ by rounding alone: measured 5.6e-15
    (Adam), 7.6e-15 (RMSprop), 1.7e-14 (SGD). The 1e-12 bound is 60 times the largest of
    these and 10^5 times below the smallest constants effect
    (the learning rate's 9.3e-8). Keras's SGD(momentum=0.9) runs with the rounded
    momentum, so it matches ml.SGD(momentum=MOMENTUM) as it is.
    """
    keras_change, change = train_both(keras_optimizer(), optimizer())
    for a, b in zip(keras_change, change, strict=True):
        assert relative(a, b) < 1e-12


def test_keras_default_adam_is_adam_with_float32_powers():
    """The whole drift of Keras's default Adam() is the float32 rounding of the betas in
    the bias correction (see the test above): reproduce that rounding and the 1.3e-5
    drift falls to 1.1e-14."""
    keras_change, change = train_both(keras.optimizers.Adam(), AdamWithKerasPowers())
    for a, b in zip(keras_change, change, strict=True):
        assert relative(a, b) < 1e-12


# --- 4. fit -------------------------------------------------------------------------


def test_fit_without_shuffling_gives_the_same_loss_history_and_model():
    """Three epochs of 76 windows in batches of 10 (the last batch has 6): both
    frameworks average each epoch's batch losses weighted by batch size. Same tolerance
    as the optimizer runs, for the same reason (float32-exact Adam constants)."""
    model = ml.Seq2Seq(units=75, seed=0)
    keras_model = rk.build_training_model(
        units=75,
        window=24,
        optimizer=keras.optimizers.Adam(beta_1=BETA_1, beta_2=BETA_2),
    )
    rk.weights_to_keras(model, keras_model)
    # Made before training, so that decoding after it shows they share the trained
    # layers.
    inference_models = rk.build_inference_models(keras_model)
    settings = {"epochs": 3, "batch_size": 10, "shuffle": False, "verbose": 0}
    keras_history = keras_model.fit([DATA.enc_x, DATA.dec_x], DATA.dec_y, **settings)
    history = model.fit(
        DATA.enc_x,
        DATA.dec_x,
        DATA.dec_y,
        optimizer=ml.Adam(beta_1=BETA_1, beta_2=BETA_2),
        **settings,
    )
    assert len(history.history["loss"]) == 3
    assert relative(keras_history.history["loss"], history.history["loss"]) < 1e-12
    for a, b in zip(keras_model.get_weights(), model.get_weights(), strict=True):
        assert relative(a, b) < 1e-12
    y_keras = rk.decode(*inference_models, DATA.enc_x)
    assert relative(y_keras, model.predict(DATA.enc_x)) < 1e-12


# --- 5. autoregressive decoding -----------------------------------------------------


def test_decoding_the_article_windows_gives_the_same_predictions():
    model, keras_model = article_pair()
    encoder_model, decoder_model = rk.build_inference_models(keras_model)
    y_keras = rk.decode(encoder_model, decoder_model, DATA.enc_x)
    assert y_keras.shape == (76, 24, 1)
    assert relative(y_keras, model.predict(DATA.enc_x)) < 1e-12


def test_decoding_more_steps_with_several_features_gives_the_same_predictions():
    rng = np.random.default_rng(5)
    model, keras_model = random_pair(rng, units=6, input_dim=3, output_dim=2)
    enc_x = rng.normal(size=(4, 7, 3))
    y_keras = rk.decode(*rk.build_inference_models(keras_model), enc_x, steps=11)
    assert y_keras.shape == (4, 11, 2)
    assert relative(y_keras, model.predict(enc_x, steps=11)) < 1e-12


# --- 6. float32 ---------------------------------------------------------------------


def test_float32_forward_agrees_to_float32_rounding():
    """In float32 (Keras's default) the two forward passes differ by rounding alone.

    Both run from the same float32 weights and are compared with a float64 pass from
    those weights, exact by comparison. Measured on the sin -> cos windows
    (relative errors): Keras float32 3.1e-7 and minilstm float32 1.9e-7 from the float64
    result, 4.1e-7 from each other; over 8 weight sets (4 seeds of Keras's initializers,
    4 random sets with outputs up to 6.5) at most 6.8e-7, 5.6e-7 and 1.1e-6. That is 3
    to 20 times float32's unit roundoff 2^-24 = 6e-8, rounding gathered over 48
    recurrent steps. The bounds are those maxima rounded up (1e-6 and 2e-6); a real
    difference of computation (a gate or a bias mixed up) moves the outputs by 1e-2 or
    more.
    """
    model32 = ml.Seq2Seq(units=75, seed=0, dtype=np.float32)
    model64 = ml.Seq2Seq(units=75, seed=0)
    model64.set_weights(model32.get_weights())
    with keras_float("float32"):
        keras_model = rk.build_training_model(units=75, window=24)
    rk.weights_to_keras(model32, keras_model)
    assert all(w.dtype == np.float32 for w in keras_model.get_weights())
    enc_x, dec_x = DATA.enc_x.astype(np.float32), DATA.dec_x.astype(np.float32)
    y_keras = keras.ops.convert_to_numpy(keras_model([enc_x, dec_x], training=False))
    y32 = model32.forward(enc_x, dec_x)
    y64 = model64.forward(DATA.enc_x, DATA.dec_x)
    assert y_keras.dtype == y32.dtype == np.float32
    assert relative(y_keras, y64) < 1e-6
    assert relative(y32, y64) < 1e-6
    assert relative(y_keras, y32) < 2e-6
