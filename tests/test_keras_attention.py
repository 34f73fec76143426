"""minilstm's attention layers compute what Keras's do, number by number.

From the same inputs and weights, in float64 (Keras switched to float64 for this module
and restored after): the contexts, the attention weights, and the gradients on the
query, the value and ``scale``, Keras's taken with ``tf.GradientTape`` of
sum(context * dcontext).

Then the reference model with attention (reference_keras/attention.py): its weights
in minilstm's order, and its step decoder, which gives the teacher-forced outputs when
fed the true values.

Relative errors are max |a - b| / max |b| per array, as in test_keras_parity.py.
"""

import numpy as np
import pytest
from keras_session import keras, keras_float, relative, tf

import minilstm as ml
import reference_keras.attention as rka

# Keras in float64 for every test of this module, set up once and restored after.
pytestmark = pytest.mark.usefixtures("keras_float64")

KERAS_LAYERS = {ml.Attention: "Attention", ml.AdditiveAttention: "AdditiveAttention"}


def keras_attention(layer: type, query, value, dcontext, weights):
    """Keras's layer with ``weights``: its context, weights, and the gradients of
    sum(context * dcontext) on query, value and its own weights, as NumPy arrays."""
    keras_layer = getattr(keras.layers, KERAS_LAYERS[layer])()
    query, value = tf.constant(query), tf.constant(value)
    keras_layer([query, value])  # builds it
    keras_layer.set_weights(weights)
    with tf.GradientTape() as tape:
        tape.watch([query, value])
        context, scores = keras_layer([query, value], return_attention_scores=True)
        loss = tf.reduce_sum(context * dcontext)
    grads = tape.gradient(loss, [query, value, *keras_layer.trainable_weights])
    return [keras.ops.convert_to_numpy(t) for t in (context, scores, *grads)]


@pytest.mark.parametrize("layer", list(KERAS_LAYERS))
@pytest.mark.parametrize(
    ("N", "Tq", "Tv", "dim"), [(4, 24, 24, 75), (3, 1, 7, 5), (2, 6, 3, 2)]
)
def test_context_weights_and_gradients_agree_with_keras(layer, N, Tq, Tv, dim):
    """Measured: at most 3.6e-15 for the contexts, the weights and the gradients
    alike (float64 rounding, gathered over sums of up to 75 features and 24 steps).
    The bounds are test_keras_parity.py's, 1e-12 (outputs) and 1e-10 (gradients); a
    real difference (a wrong axis, a missing term) shows at 1e-2 or more."""
    rng = np.random.default_rng(N * 1000 + Tq * 10 + dim)
    query, value = rng.normal(size=(N, Tq, dim)), rng.normal(size=(N, Tv, dim))
    dcontext = rng.normal(size=(N, Tq, dim))
    attention = layer()
    context, scores = attention.forward(query, value, return_attention_scores=True)
    if layer is ml.AdditiveAttention:
        # Larger than Glorot's start, so that the scores reach a few units.
        attention.set_weights([rng.normal(size=dim)])
        context, scores = attention.forward(query, value, return_attention_scores=True)
    grads = [*attention.backward(dcontext), *attention.grads.values()]
    keras_context, keras_scores, *keras_grads = keras_attention(
        layer, query, value, dcontext, attention.get_weights()
    )
    assert len(keras_grads) == len(grads) == (3 if layer is ml.AdditiveAttention else 2)
    assert relative(context, keras_context) < 1e-12
    assert relative(scores, keras_scores) < 1e-12
    for grad, keras_grad in zip(grads, keras_grads, strict=True):
        assert relative(grad, keras_grad) < 1e-10


def test_additive_scale_has_keras_shape_and_start_range():
    """Keras makes ``scale`` (dim,) with Glorot uniform, as minilstm does: both within
    sqrt(3 / dim), and (300 draws each) with variances within 20% of each other."""
    dim = 300
    keras_layer = keras.layers.AdditiveAttention()
    keras_layer.build([(None, 2, dim), (None, 3, dim)])
    (keras_scale,) = keras_layer.get_weights()
    attention = ml.AdditiveAttention(seed=0)
    attention.build(dim)
    (scale,) = attention.get_weights()
    assert keras_scale.shape == scale.shape == (dim,)
    limit = np.sqrt(3 / dim)
    assert np.max(np.abs(keras_scale)) <= limit and np.max(np.abs(scale)) <= limit
    assert np.var(scale) == pytest.approx(np.var(keras_scale), rel=0.2)


def test_dot_attention_has_no_weights_in_keras_either():
    keras_layer = keras.layers.Attention()
    keras_layer.build([(None, 2, 5), (None, 3, 5)])
    assert keras_layer.get_weights() == ml.Attention().get_weights() == []


@pytest.mark.parametrize(
    ("layer", "bound"), [(ml.Attention, 1e-5), (ml.AdditiveAttention, 1e-6)]
)
def test_float32_agrees_with_keras_float32(layer, bound):
    """Both in float32 from the same float32 inputs and weights, 4 windows of 24 steps
    and 75 features. Measured over 10 seeds, between the two contexts: 3.1e-7 at most
    for the additive score, whose tanh keeps every score within |scale|_1; 2.4e-6 for
    the dot product, whose scores over 75 unit-normal features reach 30 and more, so
    that their float32 rounding (1e-7 relative, some 1e-6 absolute) moves the weights
    e^s by as much. The bounds are those rounded up by about 3."""
    rng = np.random.default_rng(3)
    query = rng.normal(size=(4, 24, 75)).astype(np.float32)
    value = rng.normal(size=(4, 24, 75)).astype(np.float32)
    attention = layer(dtype=np.float32)
    context = attention.forward(query, value)
    with keras_float("float32"):
        keras_layer = getattr(keras.layers, KERAS_LAYERS[layer])()
        keras_layer([query, value])
        keras_layer.set_weights(attention.get_weights())
        keras_context = keras.ops.convert_to_numpy(keras_layer([query, value]))
    assert keras_context.dtype == context.dtype == np.float32
    assert relative(context, keras_context) < bound


# --- the reference model with attention ---------------------------------------------


def expected_shapes(cell, attention, units, input_dim, output_dim):
    """minilstm's weight order: encoder 3, decoder 3, scale (additive only), Dense 2."""
    blocks = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    G = blocks * units
    bias = (2, G) if cell == "gru" else (G,)
    recurrent = [(units, G), bias]
    scale = [(units,)] if attention == "additive" else []
    return [
        (input_dim, G),
        *recurrent,
        (output_dim, G),
        *recurrent,
        *scale,
        (2 * units, output_dim),
        (output_dim,),
    ]


def random_weights(rng, model):
    """Unit-normal weights for a model: large enough for saturated gates and scores
    of a few units."""
    return [rng.normal(size=w.shape) for w in rka.keras_weights(model)]


@pytest.mark.parametrize("attention", ["dot", "additive"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reference_weights_come_in_minilstm_order(cell, attention):
    model = rka.build_training_model(
        units=5, input_dim=3, output_dim=2, window=None, cell=cell, attention=attention
    )
    shapes = [w.shape for w in rka.keras_weights(model)]
    assert shapes == expected_shapes(cell, attention, 5, 3, 2)
    # Keras's own order for the whole model is the same.
    assert [w.shape for w in model.get_weights()] == shapes
    rng = np.random.default_rng(0)
    weights = random_weights(rng, model)
    rka.set_keras_weights(model, weights)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=f"weights must be a list of {len(shapes)}"):
        rka.set_keras_weights(model, weights[:-1])


def test_reference_refuses_an_unknown_attention():
    with pytest.raises(ValueError, match="attention must be one of"):
        rka.build_training_model(attention="luong")


@pytest.mark.parametrize("attention", ["dot", "additive"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_decoder_fed_the_true_values_gives_the_teacher_forced_outputs(
    cell, attention
):
    """The step decoder, reading dec_x one step at a time with the encoder's outputs
    computed once, reproduces the training model's outputs. Measured: at most 2.9e-16
    relative; bound 1e-12 as for the model without attention."""
    rng = np.random.default_rng(1)
    N, T, D, O, H = 3, 6, 2, 2, 5
    model = rka.build_training_model(H, D, O, window=T, cell=cell, attention=attention)
    rka.set_keras_weights(model, random_weights(rng, model))
    encoder_model, decoder_model = rka.build_inference_models(model)
    enc_x, dec_x = rng.normal(size=(N, T, D)), rng.normal(size=(N, T, O))
    y = keras.ops.convert_to_numpy(model([enc_x, dec_x], training=False))
    enc_out, *states = encoder_model(enc_x, training=False)
    steps = []
    for t in range(T):
        y_t, *states = decoder_model(
            [tf.constant(dec_x[:, t : t + 1]), enc_out, *states], training=False
        )
        steps.append(keras.ops.convert_to_numpy(y_t))
    assert relative(np.concatenate(steps, axis=1), y) < 1e-12


def test_decode_feeds_each_prediction_back_for_any_number_of_steps():
    """decode's first step reads the start value 0, each later one the step before's
    prediction: the teacher-forced model fed that shifted sequence gives the same.
    Measured: 1.6e-16 relative; bound 1e-12."""
    rng = np.random.default_rng(2)
    model = rka.build_training_model(4, 1, 1, window=None, attention="additive")
    rka.set_keras_weights(model, random_weights(rng, model))
    enc_x = rng.normal(size=(2, 5, 1))
    y = rka.decode(*rka.build_inference_models(model), enc_x, steps=8)
    assert y.shape == (2, 8, 1)
    dec_x = np.concatenate([np.zeros((2, 1, 1)), y[:, :-1]], axis=1)
    teacher = keras.ops.convert_to_numpy(model([enc_x, dec_x], training=False))
    assert relative(y, teacher) < 1e-12
