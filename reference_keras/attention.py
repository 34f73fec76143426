"""The encoder-decoder with attention in Keras 3: the reference for minilstm's.

The model of ``reference_keras.model`` with one change: the encoder returns every
step's h as well as its final states, and the Dense layer reads each decoder step's h
beside a context vector, the attention over the encoder's steps:

    enc_out, *states = encoder(enc_x)                     (N, T_enc, H)
    dec_out = decoder(dec_x, initial_state=states)        (N, T_dec, H)
    context = Attention()([dec_out, enc_out])             (N, T_dec, H)
    y = Dense(O)(Concatenate()([dec_out, context]))       (N, T_dec, O)

(``AdditiveAttention()`` in place of ``Attention()`` for the additive score.) The
weights, in the order ``keras_weights`` returns them: encoder 3, decoder 3, the
attention's (``scale`` (H,), additive only), Dense 2 with a kernel (2H, O) whose first
H rows read h and last H rows the context.

For autoregressive decoding the encoder runs once, and a step decoder takes the
encoder's outputs as an extra input, which every step attends over.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from typing import TYPE_CHECKING

import keras  # after the log level: TensorFlow reads it when imported
import numpy as np

from minilstm import article
from reference_keras.model import (
    DECODER,
    DENSE,
    ENCODER,
    KERAS_CELLS,
    check_same_settings,
)

if TYPE_CHECKING:
    from minilstm.seq2seq import Seq2Seq

ATTENTION = "attention"
# The Keras layer of each kind of attention, by the names minilstm gives them.
KERAS_ATTENTION = {
    "dot": keras.layers.Attention,
    "additive": keras.layers.AdditiveAttention,
}
LAYERS = (ENCODER, DECODER, ATTENTION, DENSE)


# --8<-- [start:training_model]
def build_training_model(
    units: int = article.UNITS,
    input_dim: int = 1,
    output_dim: int = 1,
    window: int | None = article.WINDOW,
    optimizer: "str | keras.optimizers.Optimizer" = article.OPTIMIZER,
    cell: str = "lstm",
    attention: str = "dot",
) -> keras.Model:
    """The teacher-forced encoder-decoder with attention, compiled with the MSE.

    As ``reference_keras.model.build_training_model`` (same settings, same dtype
    rules), with the attention between the decoder and the Dense layer.

    Args:
        units: H, the units of both recurrent layers (and the attention's dim).
        input_dim: D, features of the encoder input.
        output_dim: O, features of the target (and so of the decoder input).
        window: T, the length of the windows (None: any length).
        optimizer: a Keras optimizer or its name; the article's is Adam.
        cell: "lstm", "gru" or "rnn", as ``minilstm.Seq2Seq``'s ``cell``.
        attention: "dot" (``keras.layers.Attention()``) or "additive"
            (``keras.layers.AdditiveAttention()``).

    Returns:
        a compiled ``keras.Model`` mapping [enc_x (N, T, D), dec_x (N, T, O)] to
        y (N, T, O), with layers named "encoder_lstm", "decoder_lstm", "attention"
        and "dense".
    """
    if attention not in KERAS_ATTENTION:
        raise ValueError(
            f"attention must be one of {list(KERAS_ATTENTION)}; got {attention!r}"
        )
    enc_x = keras.Input(shape=(window, input_dim), name="enc_x")
    dec_x = keras.Input(shape=(window, output_dim), name="dec_x")
    layer = KERAS_CELLS[cell][0]
    encoder = layer(units, return_sequences=True, return_state=True, name=ENCODER)
    decoder = layer(units, return_sequences=True, return_state=True, name=DECODER)
    attend = KERAS_ATTENTION[attention](name=ATTENTION)
    dense = keras.layers.Dense(output_dim, name=DENSE)
    enc_out, *states = encoder(enc_x)
    dec_out, *_ = decoder(dec_x, initial_state=states)
    context = attend([dec_out, enc_out])
    y = dense(keras.layers.Concatenate()([dec_out, context]))
    model = keras.Model([enc_x, dec_x], y, name="seq2seq_attention")
    model.compile(optimizer=optimizer, loss="mean_squared_error")
    return model


# --8<-- [end:training_model]


# --8<-- [start:inference_models]
def build_inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The encoder model and the one-step decoder model, sharing ``model``'s layers.

    Args:
        model: a model from ``build_training_model`` (trained or not).

    Returns:
        encoder_model: enc_x (N, T, D) -> [enc_out (N, T, H), h (N, H), c (N, H)];
        decoder_model: [y_prev (N, 1, O), enc_out (N, T, H), h, c] ->
        [y (N, 1, O), h, c].
        (Without c for a GRU or a plain RNN.)
    """
    encoder, decoder, attend, dense = layers(model)
    H, O = encoder.units, dense.units
    window, input_dim = model.inputs[0].shape[1:]
    names = next(n for cls, n in KERAS_CELLS.values() if type(encoder) is cls)

    enc_x = keras.Input(shape=(window, input_dim), name="enc_x")
    encoder_model = keras.Model(enc_x, encoder(enc_x), name="encoder")

    y_prev = keras.Input(shape=(1, O), name="y_prev")
    enc_out = keras.Input(shape=(window, H), name="enc_out")
    states_in = [keras.Input(shape=(H,), name=name) for name in names]
    h, *states_out = decoder(y_prev, initial_state=states_in)
    # The query is this one step's h: the same context as in the teacher-forced model.
    context = attend([h, enc_out])
    y = dense(keras.layers.Concatenate()([h, context]))
    decoder_model = keras.Model(
        [y_prev, enc_out, *states_in], [y, *states_out], name="decoder_step"
    )
    return encoder_model, decoder_model


# --8<-- [end:inference_models]


# --8<-- [start:decode]
def decode(
    encoder_model: keras.Model,
    decoder_model: keras.Model,
    enc_x: np.ndarray,
    steps: int | None = None,
) -> np.ndarray:
    """Autoregressive decoding: the encoder runs once, then each prediction is fed
    back as the next step's input while every step attends over the encoder's outputs.

    Args:
        encoder_model: the encoder model from ``build_inference_models``.
        decoder_model: the step decoder from ``build_inference_models``.
        enc_x: (N, T, D) encoder windows.
        steps: how many values to generate (default T).

    Returns:
        y: (N, steps, O) the predictions.
    """
    y_spec = decoder_model.outputs[0]
    enc_x = np.asarray(enc_x, dtype=y_spec.dtype)
    steps = enc_x.shape[1] if steps is None else int(steps)
    enc_out, *states = encoder_model(enc_x, training=False)
    y_prev = keras.ops.zeros((len(enc_x), 1, y_spec.shape[-1]), dtype=enc_x.dtype)
    ys = []
    for _ in range(steps):
        y_prev, *states = decoder_model([y_prev, enc_out, *states], training=False)
        ys.append(keras.ops.convert_to_numpy(y_prev))
    return np.concatenate(ys, axis=1)


# --8<-- [end:decode]


def layers(model: keras.Model) -> tuple[keras.layers.Layer, ...]:
    """The encoder, decoder, attention and Dense layers of a model from
    ``build_training_model``, found by name."""
    try:
        return tuple(model.get_layer(name) for name in LAYERS)
    except ValueError as error:
        raise ValueError(
            f"expected a model from reference_keras.attention.build_training_model "
            f"with layers {', '.join(map(repr, LAYERS))}: {error}"
        ) from error


def keras_weights(model: keras.Model) -> list[np.ndarray]:
    """The weights in minilstm's order: encoder 3, decoder 3, the attention's
    (``scale``, additive only), Dense 2."""
    return [w for layer in layers(model) for w in layer.get_weights()]


def set_keras_weights(model: keras.Model, weights: list[np.ndarray]) -> None:
    """Set the weights from a list in ``keras_weights``'s order, unchanged.

    Raises:
        ValueError: when the list is not as long as the model's, or a shape differs.
    """
    parts = [len(layer.get_weights()) for layer in layers(model)]
    if len(weights) != sum(parts):
        raise ValueError(
            f"weights must be a list of {sum(parts)} arrays; got {len(weights)}"
        )
    start = 0
    for layer, count in zip(layers(model), parts, strict=True):
        layer.set_weights(list(weights[start : start + count]))
        start += count


def weights_to_keras(seq2seq: "Seq2Seq", model: keras.Model) -> None:
    """Copy the weights of a ``minilstm.Seq2Seq`` with attention into a model from
    ``build_training_model``, unchanged.

    Raises:
        ValueError: when the attention, the cell, units, input_dim or output_dim
            differ.
    """
    _check_same_attention(seq2seq, model)
    set_keras_weights(model, seq2seq.get_weights())


def weights_from_keras(model: keras.Model, seq2seq: "Seq2Seq") -> None:
    """Copy the weights of a model from ``build_training_model`` into a
    ``minilstm.Seq2Seq`` with the same attention, unchanged.

    Raises:
        ValueError: when the attention, the cell, units, input_dim or output_dim
            differ.
    """
    _check_same_attention(seq2seq, model)
    seq2seq.set_weights(keras_weights(model))


def _check_same_attention(seq2seq: "Seq2Seq", model: keras.Model) -> None:
    attend = layers(model)[2]
    kind = next(k for k, cls in KERAS_ATTENTION.items() if type(attend) is cls)
    if seq2seq.attention != kind:
        raise ValueError(
            f"the two models attend differently (attention: minilstm "
            f"{seq2seq.attention}, Keras {kind})"
        )
    check_same_settings(seq2seq, model)
