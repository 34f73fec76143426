"""The decoder one step at a time, as scheduled sampling trains it
(docs/scheduled-sampling.md): each step reads the true previous value or, where its coin
says so, the model's own previous prediction, held as a constant; then the backward of
those steps in reverse. ``output_step`` (a step's h to its prediction, through the
attention if the model has one) is the same one ``Seq2Seq.predict`` decodes with.

Shapes: N windows, T decoder steps, O outputs, H units, T_enc encoder steps.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from minilstm.attention import Attention
from minilstm.dense import Dense, DenseCache, dense_backward, dense_forward
from minilstm.layers import Recurrent
from minilstm.validation import check_float

# --8<-- [start:coins]


def coins(
    teacher_forcing: Callable[[int], float],
    step: int,
    seed: list[int],
    shape: tuple[int, int],
) -> np.ndarray | None:
    """One coin per window and decoder step: True (read the true value) with the
    schedule's probability at the optimizer's step.

    Args:
        teacher_forcing: the probability as a function of the step.
        step: the optimizer's step number.
        seed: e.g. [model seed, epoch, batch], so that a resumed run draws the coins an
            uninterrupted one drew.
        shape: (N, T), the windows and decoder steps of the batch.

    Returns:
        (N, T) booleans, or None at probability 1: the teacher-forced path.
    """
    p = check_float(
        teacher_forcing(step), f"teacher_forcing({step})", low_open=False, high=1.0
    )
    if p == 1.0:
        return None
    return np.random.default_rng(seed).random(shape) < p


# --8<-- [end:coins]


class OutputCache(NamedTuple):
    """What ``output_step_backprop`` needs from ``output_step``."""

    attention: tuple | None  # the attention step's cache; None without attention
    dense: DenseCache


class StepCache(NamedTuple):
    """One sampled decoder step: its recurrent step's cache and its output's."""

    decoder: tuple
    output: OutputCache


# --8<-- [start:sampled]
def output_step(
    attention: Attention | None, dense: Dense, h: np.ndarray, enc_hs: np.ndarray
) -> tuple[np.ndarray, OutputCache]:
    """One decoder step's h to its prediction: the Dense layer on [h, context] with
    attention (context attends from h over the encoder's steps), else on h alone.

    Args:
        attention: the model's attention layer, or None.
        dense: the model's Dense layer.
        h: (N, H) the decoder's hidden state at this step.
        enc_hs: (N, T_enc, H) the encoder's hidden states.

    Returns:
        y_t (N, O) and the cache for ``output_step_backprop``.
    """
    features, attention_cache = h, None
    if attention is not None:
        context, attention_cache = attention.step_call(h, enc_hs)
        features = np.concatenate((h, context), axis=-1)
    y, dense_cache = dense_forward(features, dense.kernel, dense.bias)
    return y, OutputCache(attention_cache, dense_cache)


def output_step_backprop(
    attention: Attention | None, dy: np.ndarray, cache: OutputCache
) -> tuple[np.ndarray, np.ndarray | None, list[np.ndarray], list[np.ndarray]]:
    """Backward of ``output_step``.

    Args:
        attention: the model's attention layer, or None.
        dy: (N, O) gradient on y_t.
        cache: the cache ``output_step`` returned.

    Returns:
        dh (N, H); the gradient on the encoder's states (N, T_enc, H), None without
        attention; the step's gradients of the Dense layer's [kernel, bias] and of the
        attention's weights.
    """
    dfeatures, *ddense = dense_backward(dy, cache.dense)
    if attention is None:
        return dfeatures, None, ddense, []
    H = dfeatures.shape[1] // 2
    dquery, denc_hs, dattention = attention.step_backprop(
        dfeatures[:, H:], cache.attention
    )
    # h went to the Dense layer and, as the query, to the attention.
    return dfeatures[:, :H] + dquery, denc_hs, ddense, dattention


def decode_sampled(
    decoder: Recurrent,
    attention: Attention | None,
    dense: Dense,
    dec_x: np.ndarray,
    states: tuple,
    teacher: np.ndarray,
    enc_hs: np.ndarray,
) -> tuple[np.ndarray, list[StepCache]]:
    """The decoder and its output run one step at a time, each step reading the true
    previous value where ``teacher`` says so, else the previous step's prediction,
    taken as a constant.

    Args:
        decoder: the model's decoder layer.
        attention: the model's attention layer, or None.
        dense: the model's Dense layer.
        dec_x: (N, T, O) the true previous values (step 0 reads dec_x[:, 0]).
        states: the decoder's initial states, each (N, H).
        teacher: (N, T) booleans, True where the true value is read.
        enc_hs: (N, T_enc, H) the encoder's hidden states.

    Returns:
        y (N, T, O), the prediction of every step, and the steps' caches for
        ``decode_sampled_backprop``.
    """
    N, T, O = dec_x.shape
    y = np.empty((N, T, O), dtype=dec_x.dtype)
    steps = []
    x = dec_x[:, 0]
    for t in range(T):
        if t > 0:
            # A new array: the fed-back value is data, never a gradient path.
            x = np.where(teacher[:, t, None], dec_x[:, t], y[:, t - 1])
        states, decoder_cache = decoder.step_call(x, states)
        y[:, t], output_cache = output_step(attention, dense, states[0], enc_hs)
        steps.append(StepCache(decoder_cache, output_cache))
    return y, steps


def decode_sampled_backprop(
    decoder: Recurrent,
    attention: Attention | None,
    dense: Dense,
    dy: np.ndarray,
    steps: list[StepCache],
) -> tuple[tuple, np.ndarray | None]:
    """BPTT through ``decode_sampled``: its steps in reverse, each output's backward,
    then the decoder step's; sets the layers' ``grads`` (sums over the steps).

    Args:
        decoder: the decoder layer ``decode_sampled`` ran.
        attention: its attention layer, or None.
        dense: its Dense layer.
        dy: (N, T, O) gradient on y.
        steps: the caches ``decode_sampled`` returned.

    Returns:
        the gradients on the decoder's initial states, each (N, H), and on the
        encoder's hidden states (N, T_enc, H) (None without attention).
    """
    ddecoder = [np.zeros_like(w) for w in decoder.trainable_weights]
    dattention = [] if attention is None else _zeros_like(attention)
    ddense = [np.zeros_like(w) for w in dense.trainable_weights]
    dstates, denc_hs = None, None
    for t in reversed(range(len(steps))):
        dh, denc_t, ddense_t, dattention_t = output_step_backprop(
            attention, dy[:, t], steps[t].output
        )
        if denc_t is not None:
            denc_hs = denc_t if denc_hs is None else denc_hs + denc_t
        # h_t went to the output and to step t+1 (whose dh_prev is dstates[0]).
        if dstates is None:
            dstates = (dh, *(np.zeros_like(dh) for _ in decoder.states[1:]))
        else:
            dstates = (dstates[0] + dh, *dstates[1:])
        # dx is dropped: the step read data or a prediction held constant.
        _, dstates, ddecoder_t = decoder.step_backprop(dstates, steps[t].decoder)
        for totals, grads in (
            (ddecoder, ddecoder_t),
            (dattention, dattention_t),
            (ddense, ddense_t),
        ):
            for total, g in zip(totals, grads, strict=True):
                total += g
    decoder.grads = dict(zip(decoder.weight_names, ddecoder, strict=True))
    if attention is not None:
        attention.grads = dict(zip(attention.weight_names, dattention, strict=True))
    dense.grads = dict(zip(dense.weight_names, ddense, strict=True))
    return dstates, denc_hs


# --8<-- [end:sampled]


def _zeros_like(layer: Attention) -> list[np.ndarray]:
    return [np.zeros_like(w) for w in layer.trainable_weights]
