"""The article's Keras model, rebuilt for Keras 3 and corrected.

Three pieces, as in the article:

- the training model: an encoder LSTM that returns its final states, a decoder LSTM that
  starts from them and returns every step, and a Dense layer on each decoder step;
- the inference pair: an encoder model (window -> [h, c]) and a one-step decoder model
  ([previous value, h, c] -> [prediction, h, c]) that reuse the trained layers;
- the autoregressive decode, which feeds each prediction back as the next input.

Shapes: N windows, T time steps, D = input_dim, O = output_dim, H = units. The decoder
reads the previous target value, so its input has O features.

Where this code departs from the article's listing, a comment marked "Article:" says how
and why. The listing's other errors are outside a model: its first plot labels sin and
cos as "exp x" and "log x", its section titles name the curve pairs wrongly
(the last task maps x^2 to sqrt(x), not the reverse), and several lines end in a stray
full stop that is not Python. Not an error but worth knowing: its 100 points make 77
windows of 24, of which it uses the first 76 (``minilstm.data`` keeps 76, to match its
figures).

The weights have the same shapes, gate order (i, f, c, o) and order as
``minilstm.Seq2Seq.get_weights()``, so ``weights_to_keras`` and ``weights_from_keras``
copy them unchanged.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from typing import TYPE_CHECKING

import keras  # after the log level: TensorFlow reads it when imported
import numpy as np

from minilstm import article

if TYPE_CHECKING:
    from minilstm import Seq2Seq

# Article: it imported from ``tensorflow.keras`` (Keras 2 inside TensorFlow 2.4).
# Keras 3 is its own package; with the TensorFlow backend the layers and their weights
# are alike.

ENCODER, DECODER, DENSE = "encoder_lstm", "decoder_lstm", "dense"
# The Keras layer of each ``minilstm.Seq2Seq(cell=...)`` and the names of its states.
# (The layers keep their "_lstm" names whatever the cell, so that one lookup finds
# them.)
KERAS_CELLS = {
    "lstm": (keras.layers.LSTM, ("h", "c")),
    "gru": (keras.layers.GRU, ("h",)),
    "rnn": (keras.layers.SimpleRNN, ("h",)),
}


# --8<-- [start:training_model]
def build_training_model(
    units: int = article.UNITS,
    input_dim: int = 1,
    output_dim: int = 1,
    window: int | None = article.WINDOW,
    optimizer: "str | keras.optimizers.Optimizer" = article.OPTIMIZER,
    cell: str = "lstm",
) -> keras.Model:
    """The teacher-forced encoder-decoder, compiled with the mean squared error.

    Article: its sizes were globals (NUM_MID, NUM_LSTM) and every input had one feature;
    here they are the settings of ``minilstm.Seq2Seq`` so that both models can be built
    alike. The layers take Keras's global dtype policy, which Keras fixes from
    ``floatx()`` when the first layer is made: for a float64 model call both
    ``keras.config.set_floatx("float64")`` and
    ``keras.config.set_dtype_policy("float64")`` first (the optimizer's learning rate
    takes ``floatx()``).

    Args:
        units: H, the units of both LSTMs.
        input_dim: D, features of the encoder input.
        output_dim: O, features of the target (and so of the decoder input).
        window: T, the length of the input windows (None: any length).
        optimizer: a Keras optimizer or its name; the article's is Adam.
        cell: "lstm" (the article's), "gru" (Keras's default ``GRU``) or "rnn"
            (``SimpleRNN``), as ``minilstm.Seq2Seq``'s ``cell``.

    Returns:
        a compiled ``keras.Model`` mapping [enc_x (N, T, D), dec_x (N, T, O)] to
        y (N, T, O). Its layers are named "encoder_lstm", "decoder_lstm" and "dense".
    """
    enc_x = keras.Input(shape=(window, input_dim), name="enc_x")
    dec_x = keras.Input(shape=(window, output_dim), name="dec_x")
    # Article: its layers were unnamed globals; names let the inference models and the
    # weight transfer find them in any model this function made.
    layer = KERAS_CELLS[cell][0]
    encoder = layer(units, return_state=True, name=ENCODER)
    decoder = layer(units, return_sequences=True, return_state=True, name=DECODER)
    dense = keras.layers.Dense(output_dim, name=DENSE)
    _, *states = encoder(enc_x)
    hs, *_ = decoder(dec_x, initial_state=states)
    model = keras.Model([enc_x, dec_x], dense(hs), name="seq2seq")
    # Article: its second half compiles with categorical cross-entropy, a classification
    # loss. Keras first divides the outputs by their sum over the last axis, which for a
    # single output is y / y = 1: the loss is constant, its gradient zero, and that
    # model never trains (measured: three epochs leave every weight unchanged). The
    # regression loss is the MSE.
    model.compile(optimizer=optimizer, loss="mean_squared_error")
    return model


# --8<-- [end:training_model]


# --8<-- [start:inference_models]
def build_inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """The encoder model and the one-step decoder model, sharing ``model``'s layers.

    Article: it built these from global layer variables, so in its "various seq2seq"
    section the pictures of every new task came from the first (sin -> cos) model. Here
    they are made from the model passed in, and nothing else.

    Args:
        model: a model from ``build_training_model`` (trained or not).

    Returns:
        encoder_model: enc_x (N, T, D) -> [h (N, H), c (N, H)];
        decoder_model: [y_prev (N, 1, O), h (N, H), c (N, H)] -> [y (N, 1, O), h, c].
        (Without c for a GRU or a plain RNN.)
    """
    encoder, decoder, dense = _layers(model)
    settings = keras_settings(model)
    H, O = settings["units"], settings["output_dim"]
    names = KERAS_CELLS[settings["cell"]][1]

    enc_x = keras.Input(shape=(settings["window"], settings["input_dim"]), name="enc_x")
    _, *states = encoder(enc_x)
    encoder_model = keras.Model(enc_x, states, name="encoder")

    y_prev = keras.Input(shape=(1, O), name="y_prev")
    states_in = [keras.Input(shape=(H,), name=name) for name in names]
    hs, *states_out = decoder(y_prev, initial_state=states_in)
    decoder_model = keras.Model(
        [y_prev, *states_in], [dense(hs), *states_out], name="decoder_step"
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
    """Autoregressive decoding of a batch: zero first input, then each prediction fed
    back.

    Args:
        encoder_model: the encoder model from ``build_inference_models``.
        decoder_model: the decoder model from ``build_inference_models``.
        enc_x: (N, T, D) encoder windows.
        steps: how many values to generate (default T).

    Returns:
        y: (N, steps, O) the predictions.
    """
    y_spec = decoder_model.outputs[0]
    enc_x = np.asarray(enc_x, dtype=y_spec.dtype)
    steps = enc_x.shape[1] if steps is None else int(steps)
    O = y_spec.shape[-1]
    # Article: it called ``predict`` once per window and per step. ``predict`` sets up a
    # whole input pipeline on every call; calling the models directly on the whole batch
    # runs each step once for all windows.
    states = encoder_model(enc_x, training=False)
    states = states if isinstance(states, list | tuple) else [states]  # one state: bare
    y_prev = keras.ops.zeros((len(enc_x), 1, O), dtype=enc_x.dtype)
    ys = []
    for _ in range(steps):
        # Article: it wrote each prediction into the training targets (``dy``) instead
        # of its own input buffer, so the decoder read zeros at every step and the first
        # training target was overwritten. The prediction must become the next input.
        y_prev, *states = decoder_model([y_prev, *states], training=False)
        ys.append(keras.ops.convert_to_numpy(y_prev))
    return np.concatenate(ys, axis=1)


# --8<-- [end:decode]


def keras_settings(model: keras.Model) -> dict[str, int | None]:
    """The settings a model from ``build_training_model`` was built with.

    Returns:
        {"units": H, "input_dim": D, "output_dim": O, "window": T (None: any length),
        "cell": "lstm", "gru" or "rnn"}.
    """
    encoder, _, dense = _layers(model)
    cell = next(name for name, (cls, _) in KERAS_CELLS.items() if type(encoder) is cls)
    return {
        "cell": cell,
        "units": encoder.units,
        "input_dim": encoder.cell.kernel.shape[0],
        "output_dim": dense.units,
        "window": model.inputs[0].shape[1],
    }


# --8<-- [start:weights_to_keras]
def weights_to_keras(seq2seq: "Seq2Seq", model: keras.Model) -> None:
    """Copy a ``minilstm.Seq2Seq``'s 8 weights into a Keras model, unchanged.

    Raises:
        ValueError: when the cell, units, input_dim or output_dim differ.
    """
    check_same_settings(seq2seq, model)
    if seq2seq.attention is not None:
        raise ValueError(
            "the minilstm model has attention: copy its weights with "
            "reference_keras.attention.weights_to_keras"
        )
    for keras_layer, layer in zip(_layers(model), seq2seq.layers, strict=True):
        keras_layer.set_weights(layer.get_weights())


# --8<-- [end:weights_to_keras]


def weights_from_keras(model: keras.Model, seq2seq: "Seq2Seq") -> None:
    """Copy a Keras model's 8 weights into a ``minilstm.Seq2Seq``, unchanged.

    Raises:
        ValueError: when the cell, units, input_dim or output_dim differ.
    """
    check_same_settings(seq2seq, model)
    seq2seq.set_weights([w for layer in _layers(model) for w in layer.get_weights()])


def _layers(model: keras.Model) -> tuple[keras.layers.Layer, ...]:
    # By name rather than by position in model.get_weights(): when D == O the two LSTM
    # kernels have the same shape, and a model built in another order would swap them.
    try:
        return tuple(model.get_layer(name) for name in (ENCODER, DECODER, DENSE))
    except ValueError as error:
        raise ValueError(
            f"expected a model from build_training_model with layers {ENCODER!r}, "
            f"{DECODER!r} and {DENSE!r}: {error}"
        ) from error


def check_same_settings(seq2seq: "Seq2Seq", model: keras.Model) -> None:
    """Raise ``ValueError`` naming every setting (cell, units, input_dim, output_dim)
    in which the two models differ."""
    keras_side = keras_settings(model)
    differ = [
        f"{name}: minilstm {getattr(seq2seq, name)}, Keras {keras_side[name]}"
        for name in ("cell", "units", "input_dim", "output_dim")
        if getattr(seq2seq, name) != keras_side[name]
    ]
    if differ:
        raise ValueError(
            "the two models have different settings (" + "; ".join(differ) + ")"
        )
