"""The known mistakes for one call of a student's function, for the self-check.

The grader names a mistake by recomputing, with ``mistakes``' tables and models, what
each known mistake would have returned, and comparing. The self-check cannot do that: it
runs without the library. So ``likely`` applies the same tables and models to each call
the self-check records, when ``init`` writes the workspace, and the results go into the
self-check's data next to the library's; the script then only compares. Each function
of a part is known by the label the checks give its calls.
"""

from typing import NamedTuple

import numpy as np

from minilstm.assignment.mistakes import (
    ADAM,
    ADAM_NOT_IN_PLACE,
    ADDITIVE_ATTENTION_BACKWARD,
    BPTT,
    CELL_BACKWARD,
    CELL_FORWARD,
    DOT_ATTENTION_BACKWARD,
    GRU_CELL_BACKWARD,
    GRU_CELL_FORWARD,
    GRU_STEP_BACKWARD,
    GRU_STEP_FORWARD,
    PREDICT,
    RNN_CACHE_HOLDS_Z,
    RNN_STEP_BACKWARD,
    RNN_STEP_FORWARD,
    SOFTMAX,
    SOFTMAX_BACKWARD,
    adam,
    additive_attention_backward,
    attention_forward,
    bptt_from_caches,
    cell_backward_from_gates,
    cell_forward,
    dot_attention_backward,
    gru_cell_backward_from_gates,
    gru_cell_forward,
    gru_step_backward_from_gates,
    gru_step_forward,
    mse_factors,
    predict,
    rnn_step_backward_from_output,
    rnn_step_forward,
    softmax,
    softmax_backward,
)
from minilstm.lstm import StepCache

# Where a wrong array has a block per gate (the last axis), the blocks' names in order.
LSTM_BLOCKS = [
    "input gate (i)",
    "forget gate (f)",
    "candidate (g)",
    "output gate (o)",
]
GRU_BLOCKS = ["update gate (z)", "reset gate (r)", "candidate (h)"]
_LSTM_WEIGHTS = {"dkernel": LSTM_BLOCKS, "drecurrent_kernel": LSTM_BLOCKS}
_GRU_WEIGHTS = {"dkernel": GRU_BLOCKS, "drecurrent_kernel": GRU_BLOCKS}
BLOCKS: dict[str, dict[str, list[str]]] = {
    "lstm_cell_backward": {"dz": LSTM_BLOCKS},
    "lstm_step_backward": {**_LSTM_WEIGHTS, "dbias": LSTM_BLOCKS},
    "lstm_backward": {**_LSTM_WEIGHTS, "dbias": LSTM_BLOCKS},
    "gru_cell_backward": {"da": GRU_BLOCKS, "du": GRU_BLOCKS},
    "gru_step_backward": {**_GRU_WEIGHTS, "dbias": GRU_BLOCKS},
}


class Likely(NamedTuple):
    """A known mistake for one call: what it is, and what the call would give with it
    (None where the mistake says nothing about an output)."""

    text: str
    result: object
    args: object = None  # the arguments after the call, for an update in place


def likely(
    label: str,
    args: list,
    kwargs: dict | None = None,
    owner: object = None,
    earlier: list | None = None,
) -> list[Likely]:
    """The known mistakes for one call of a handed-out function, from the tables above.

    Args:
        label: the function, as the checks name it ("lstm_cell_backward",
            "Adam.update_step", ...).
        args: the call's arguments, as the library's function takes them.
        kwargs: its keyword arguments.
        owner: the library's object whose method is called (an Adam, a Seq2Seq).
        earlier: for "Adam.update_step", the optimizer's calls so far, this one last:
            each the (grads, variables before the call) it got.

    Returns:
        the mistakes in the tables' order; [] for a function without known mistakes.
    """
    kwargs = kwargs or {}
    if label == "lstm_cell_forward":
        z, c_prev = args
        return [
            Likely(text, [list(cell_forward(z, c_prev, **o)), None])
            for text, o in CELL_FORWARD
        ]
    if label == "lstm_cell_backward":
        dh, dc, cache = args
        gates = (cache.c_prev, cache.i, cache.f, cache.g, cache.o)
        return [
            Likely(text, list(cell_backward_from_gates(dh, dc, *gates, **o)))
            for text, o in CELL_BACKWARD
        ]
    if label == "lstm_backward":
        dhs, dh, dc, cache = args
        caches = [
            StepCache(
                cache.x[:, t], cache.hs[t], cache.kernel, cache.recurrent_kernel, c
            )
            for t, c in enumerate(cache.cells)
        ]
        found = []
        for text, o in BPTT:
            grads = list(bptt_from_caches(caches, dhs, dh, dc, **o))
            found.append(Likely(text, [grads[0], None, None, *grads[3:]]))
        return found
    if label == "mse_backward":
        dloss, cache = args
        right = dloss * 2.0 * cache.diff / cache.diff.size
        return [
            Likely(text, k * right) for text, k in mse_factors(cache.diff.shape, dloss)
        ]
    if label == "Adam.update_step":
        return _adam_likely(owner, earlier or [])
    if label == "Seq2Seq.predict":
        (enc_x,) = args
        steps = kwargs.get("steps")
        return [Likely(text, predict(owner, enc_x, steps, **o)) for text, o in PREDICT]
    if label == "rnn_step_forward":
        x, h_prev, kernel, recurrent_kernel, bias = args
        z = x @ kernel + h_prev @ recurrent_kernel + bias
        cache = StepCacheFields(None, None, None, None, z)
        return [
            Likely(text, [rnn_step_forward(*args, **o), None])
            for text, o in RNN_STEP_FORWARD
        ] + [Likely(RNN_CACHE_HOLDS_Z, [None, cache])]
    if label == "rnn_step_backward":
        dh, cache = args
        return [
            Likely(text, list(rnn_step_backward_from_output(dh, *cache, **o)))
            for text, o in RNN_STEP_BACKWARD
        ]
    if label == "gru_cell_forward":
        return [
            Likely(text, [gru_cell_forward(*args, **o), None])
            for text, o in GRU_CELL_FORWARD
        ]
    if label == "gru_step_forward":
        return [
            Likely(text, [gru_step_forward(*args, **o), None])
            for text, o in GRU_STEP_FORWARD
        ]
    if label == "gru_cell_backward":
        dh, cell = args
        return [
            Likely(text, list(gru_cell_backward_from_gates(dh, *cell, **o)))
            for text, o in GRU_CELL_BACKWARD
        ]
    if label == "gru_step_backward":
        dh, (x, kernel, recurrent_kernel, cell) = args
        return [
            Likely(
                text,
                list(
                    gru_step_backward_from_gates(
                        dh, x, kernel, recurrent_kernel, tuple(cell), **o
                    )
                ),
            )
            for text, o in GRU_STEP_BACKWARD
        ]
    if label == "softmax":
        (s,) = args
        return [Likely(text, softmax(s, **o)) for text, o in SOFTMAX]
    if label in ("dot_attention_forward", "additive_attention_forward"):
        # A softmax over the wrong axis, written into the forward itself.
        return [
            Likely(text, [attention_forward(*args, **o), None]) for text, o in SOFTMAX
        ]
    if label == "softmax_backward":
        da, a = args
        return [
            Likely(text, softmax_backward(da, a, **o)) for text, o in SOFTMAX_BACKWARD
        ]
    if label == "dot_attention_backward":
        dcontext, cache = args
        return [
            Likely(text, list(dot_attention_backward(dcontext, *cache, **o)))
            for text, o in DOT_ATTENTION_BACKWARD
        ]
    if label == "additive_attention_backward":
        dcontext, cache = args
        return [
            Likely(text, list(additive_attention_backward(dcontext, *cache, **o)))
            for text, o in ADDITIVE_ATTENTION_BACKWARD
        ]
    return []


class StepCacheFields(NamedTuple):
    """The fields of the SimpleRNN's StepCache, for a mistake that says what one of
    them holds (None: nothing said)."""

    x: object
    h_prev: object
    kernel: object
    recurrent_kernel: object
    h: object


def _adam_likely(optimizer: object, earlier: list) -> list[Likely]:
    """The Adam mistakes for the last of ``earlier``'s calls, as the step each makes.

    Adam's step does not depend on the weights, so each mistake's step at call t is
    the difference of its weights after t and after t - 1 steps from the first call's.
    """
    settings = {k: getattr(optimizer, k) for k in ("beta_1", "beta_2", "epsilon")}
    settings["learning_rate"] = optimizer.learning_rate
    w0s = earlier[0][1]
    history = [grads for grads, _ in earlier]
    found = []
    for text, options in ADAM:
        options = {"correction": "keras", **options}
        steps = [
            adam(w0, [g[k] for g in history], **settings, **options)
            - adam(w0, [g[k] for g in history[:-1]], **settings, **options)
            for k, w0 in enumerate(w0s)
        ]
        found.append(Likely(text, None, [None, steps]))
    unchanged = [np.zeros_like(w) for w in w0s]
    found.append(
        Likely(
            f"the weights did not change: {ADAM_NOT_IN_PLACE}", None, [None, unchanged]
        )
    )
    return found
