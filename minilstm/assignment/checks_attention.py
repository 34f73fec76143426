"""The checks of the two attention parts, forward and backward, dot and additive.

Written as the LSTM and cell checks (``checks_lstm``, ``checks_cells``): the student's
functions are called through the ``Session``, their results compared with the
library's and, for gradients, with central differences, on three shapes (a batch of
one, a single feature and a single query step, as when decoding, among them); a
failure names the classic mistake it matches, when it matches one.
"""

import numpy as np

from minilstm import attention
from minilstm.assignment import mistakes
from minilstm.assignment.compare import (
    call,
    compare_gradients,
    fail,
    mismatch,
    name_mistake,
    unpack,
)
from minilstm.assignment.session import Session
from minilstm.gradcheck import numerical_gradient

SHAPES = [(3, 4, 5, 3), (1, 2, 3, 1), (2, 1, 4, 2)]  # (N, Tq, Tv, dim)
# Each kind's backward returns the gradients of its forward's inputs, in order.
GRADS = {"dot": ("dquery", "dvalue"), "additive": ("dquery", "dvalue", "dscale")}


def attention_inputs(
    rng: np.random.Generator, N: int, Tq: int, Tv: int, dim: int
) -> dict[str, tuple[np.ndarray, ...]]:
    """Each kind's forward inputs, query (N, Tq, dim), value (N, Tv, dim) and, for the
    additive one, scale (dim,): unit scale, so that the weights spread over several
    value steps without being equal, and a mistake cannot hide in a near-uniform
    softmax."""
    query, value = rng.normal(size=(N, Tq, dim)), rng.normal(size=(N, Tv, dim))
    return {"dot": (query, value), "additive": (query, value, rng.normal(size=dim))}


def check_attention_forward(s: Session) -> None:
    """softmax, dot_attention_forward, additive_attention_forward: the weights, the
    contexts, and caches the library's backward can use."""
    rng = s.rng(150)
    for N, Tq, Tv, dim in SHAPES:
        attention_forward_once(s, rng, N, Tq, Tv, dim)


def attention_forward_once(
    s: Session, rng: np.random.Generator, N: int, Tq: int, Tv: int, dim: int
) -> None:
    """One shape of ``check_attention_forward``."""
    where = f"with N={N}, Tq={Tq}, Tv={Tv}, dim={dim}"
    scores = rng.normal(size=(N, Tq, Tv))
    softmax_once(s, scores, f"softmax {where}")
    # Scores this large, which a dot product of long vectors can reach, overflow e^s
    # in float64 (above about 709) unless each row's largest score is subtracted.
    softmax_once(s, scores + 800.0, f"softmax of scores near 800 {where}")
    dcontext = rng.normal(size=(N, Tq, dim))
    for kind, inputs in attention_inputs(rng, N, Tq, Tv, dim).items():
        forward_once(s, kind, inputs, dcontext, where)


def softmax_once(s: Session, scores: np.ndarray, where: str) -> None:
    """The student's softmax of ``scores`` (N, Tq, Tv) against the library's."""
    got = s.call("softmax", s.attention.softmax, scores.copy())
    problems = [p for p in (mismatch("a", got, attention.softmax(scores)),) if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.SOFTMAX, lambda **o: [mistakes.softmax(scores, **o)], [got]
        )
    fail(where, problems, hint)


def forward_once(
    s: Session, kind: str, inputs: tuple, dcontext: np.ndarray, where: str
) -> None:
    """The context of one kind's forward ("dot" or "additive"), and its cache through
    the library's backward."""
    label, backward = f"{kind}_attention_forward", f"{kind}_attention_backward"
    library_backward = getattr(attention, backward)
    want_context, ref_cache = getattr(attention, label)(*inputs)
    result = s.call(label, getattr(s.attention, label), *(a.copy() for a in inputs))
    context, cache = unpack(label, result, 2)
    problems = [p for p in (mismatch("context", context, want_context),) if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.SOFTMAX,
            lambda **o: [mistakes.attention_forward(*inputs, **o)],
            [context],
        )
    fail(f"{label} {where}", problems, hint)
    cache_name = type(ref_cache).__name__
    want = library_backward(dcontext, ref_cache)
    got = call(
        f"{backward} (the library's) on your {cache_name}",
        library_backward,
        dcontext,
        cache,
    )
    problems = [p for p in map(mismatch, GRADS[kind], got, want) if p]
    fail(
        f"the {cache_name} of your {label} {where} does not give the library's "
        f"{backward} what it needs",
        problems,
    )


def check_attention_backward(s: Session) -> None:
    """softmax_backward, dot_attention_backward, additive_attention_backward: every
    gradient, against the library and against central differences."""
    rng = s.rng(160)
    for N, Tq, Tv, dim in SHAPES:
        attention_backward_once(s, rng, N, Tq, Tv, dim)


def attention_backward_once(
    s: Session, rng: np.random.Generator, N: int, Tq: int, Tv: int, dim: int
) -> None:
    """One shape of ``check_attention_backward``."""
    where = f"with N={N}, Tq={Tq}, Tv={Tv}, dim={dim}"
    scores, da = rng.normal(size=(N, Tq, Tv)), rng.normal(size=(N, Tq, Tv))
    a = attention.softmax(scores)
    want = attention.softmax_backward(da, a)
    got = s.call("softmax_backward", s.attention.softmax_backward, da.copy(), a.copy())
    numeric = numerical_gradient(lambda: attention.softmax(scores), scores, da)
    problems = compare_gradients(("ds",), (got,), (want,), (numeric,))
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.SOFTMAX_BACKWARD,
            lambda **o: [mistakes.softmax_backward(da, a, **o)],
            [got],
        )
    fail(f"softmax_backward {where}", problems, hint)
    dcontext = rng.normal(size=(N, Tq, dim))
    for kind, inputs in attention_inputs(rng, N, Tq, Tv, dim).items():
        backward_once(s, kind, inputs, dcontext, where)


# The mistakes each kind's backward can be named by.
BACKWARD_MISTAKES = {
    "dot": (mistakes.DOT_ATTENTION_BACKWARD, mistakes.dot_attention_backward),
    "additive": (
        mistakes.ADDITIVE_ATTENTION_BACKWARD,
        mistakes.additive_attention_backward,
    ),
}


def backward_once(
    s: Session, kind: str, inputs: tuple, dcontext: np.ndarray, where: str
) -> None:
    """The gradients of one kind's backward ("dot" or "additive"), on the cache of the
    library's forward."""
    label = f"{kind}_attention_backward"
    forward = getattr(attention, f"{kind}_attention_forward")
    _, cache = forward(*inputs)
    want = getattr(attention, label)(dcontext, cache)
    result = s.call(label, getattr(s.attention, label), dcontext.copy(), cache)
    got = unpack(label, result, len(GRADS[kind]))
    numeric = [
        numerical_gradient(lambda: forward(*inputs)[0], arg, dcontext) for arg in inputs
    ]
    problems = compare_gradients(GRADS[kind], got, want, numeric)
    hint = ""
    if problems:
        table, model = BACKWARD_MISTAKES[kind]
        hint = name_mistake(table, lambda **o: model(dcontext, *cache, **o), got)
    fail(f"{label} {where}", problems, hint)


ATTENTION_CHECKS = {
    "attention_forward": check_attention_forward,
    "attention_backward": check_attention_backward,
}
