"""The checks of the SimpleRNN and GRU step parts, forward and backward.

Written as the LSTM step checks (``checks_lstm``): the student's functions are called
through the ``Session``, their results compared with the library's and, for gradients,
with central differences, on three shapes (a batch of one and a single input feature
among them); a failure names the classic mistake it matches, when it matches one.
"""

from collections.abc import Sequence

import numpy as np

from minilstm import gru, simple_rnn
from minilstm.assignment import mistakes
from minilstm.assignment.compare import (
    LIKELY,
    call,
    fail,
    mismatch,
    name_mistake,
    unpack,
)
from minilstm.assignment.session import Session
from minilstm.gradcheck import numerical_gradient

SHAPES = [(3, 4, 5), (1, 2, 3), (2, 1, 2)]  # (N, D, H)
STEP_GRADS = ("dx", "dh_prev", "dkernel", "drecurrent_kernel", "dbias")
GRU_BLOCKS = {"z": "update gate (z)", "r": "reset gate (r)", "h": "candidate (h)"}
GRU_GATED = ("da", "du", "dkernel", "drecurrent_kernel", "dbias")  # 3H wide


def step_inputs(
    rng: np.random.Generator, N: int, D: int, H: int, blocks: int, bias_rows: int
) -> list[np.ndarray]:
    """x (N, D), h_prev (N, H), kernel, recurrent_kernel and bias of ``blocks`` H-wide
    blocks, the bias with ``bias_rows`` rows (0: a vector): unit scale, so that tanh
    and the gates saturate in places and a mix-up cannot hide in a near-linear range."""
    width = blocks * H
    bias_shape = (bias_rows, width) if bias_rows else (width,)
    return [
        rng.normal(size=(N, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(D, width)),
        rng.normal(size=(H, width)),
        rng.normal(size=bias_shape),
    ]


def gru_mismatch(name: str, got: object, want: np.ndarray) -> str | None:
    """Like ``mismatch`` for a GRU array whose last axis holds the blocks z, r, h (3H
    wide): when the shape is right, say which blocks are wrong."""
    problem = mismatch(name, got, want)
    if problem is None or np.shape(got) != want.shape or problem.endswith("NaN or inf"):
        return problem
    got = np.asarray(got, dtype=np.float64)
    H = want.shape[-1] // 3
    wrong = [
        block
        for k, block in enumerate(GRU_BLOCKS)
        if mismatch("", got[..., k * H : (k + 1) * H], want[..., k * H : (k + 1) * H])
    ]
    if len(wrong) in (0, 3):
        return problem
    listed = ", ".join(GRU_BLOCKS[b] for b in wrong)
    return (
        f"{name} is wrong in the block of the {listed} only (blocks in order z, r, h)"
    )


def compare_step_gradients(
    got: Sequence, want: Sequence[np.ndarray], numeric: Sequence[np.ndarray], gru_: bool
) -> list[str]:
    """Problems of a step's five gradients against the library and against central
    differences; GRU gradients block by block."""
    problems = []
    for name, a, ref, num in zip(STEP_GRADS, got, want, numeric, strict=True):
        compare = gru_mismatch if gru_ and name in GRU_GATED else mismatch
        problem = compare(name, a, ref) or mismatch(
            f"{name} (against central differences)", a, num
        )
        if problem:
            problems.append(problem)
    return problems


def check_rnn_step_forward(s: Session) -> None:
    """rnn_step_forward: h, and a cache the library's backward can use."""
    rng = s.rng(110)
    for N, D, H in SHAPES:
        rnn_forward_once(s, rng, N, D, H)


def rnn_forward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_rnn_step_forward``."""
    where = f"with N={N}, D={D}, H={H}"
    inputs = step_inputs(rng, N, D, H, blocks=1, bias_rows=0)
    x, h_prev, kernel, recurrent_kernel, bias = inputs
    dh = rng.normal(size=(N, H))
    want_h, ref_cache = simple_rnn.rnn_step_forward(*inputs)
    result = s.call(
        "rnn_step_forward",
        s.simple_rnn.rnn_step_forward,
        *(arg.copy() for arg in inputs),
    )
    h, cache = unpack("rnn_step_forward", result, 2)
    problems = [p for p in (mismatch("h", h, want_h),) if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.RNN_STEP_FORWARD,
            lambda **o: [mistakes.rnn_step_forward(*inputs, **o)],
            [h],
        )
    fail(f"rnn_step_forward {where}", problems, hint)
    want = simple_rnn.rnn_step_backward(dh, ref_cache)
    got = call(
        "rnn_step_backward (the library's) on your StepCache",
        simple_rnn.rnn_step_backward,
        dh,
        cache,
    )
    problems = [p for p in map(mismatch, STEP_GRADS, got, want) if p]
    hint = ""
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    cached = cache[-1] if isinstance(cache, tuple) and len(cache) else None
    if problems and cached is not None and not mismatch("", cached, z):
        hint = f"{LIKELY}{mistakes.RNN_CACHE_HOLDS_Z}."
    fail(
        f"the StepCache of your rnn_step_forward {where} does not give the library's "
        "rnn_step_backward what it needs",
        problems,
        hint,
    )


def check_rnn_step_backward(s: Session) -> None:
    """rnn_step_backward: its five gradients."""
    rng = s.rng(120)
    for N, D, H in SHAPES:
        rnn_backward_once(s, rng, N, D, H)


def rnn_backward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_rnn_step_backward``."""
    where = f"with N={N}, D={D}, H={H}"
    inputs = step_inputs(rng, N, D, H, blocks=1, bias_rows=0)
    dh = rng.normal(size=(N, H))
    _, cache = simple_rnn.rnn_step_forward(*inputs)
    want = simple_rnn.rnn_step_backward(dh, cache)
    result = s.call(
        "rnn_step_backward", s.simple_rnn.rnn_step_backward, dh.copy(), cache
    )
    got = unpack("rnn_step_backward", result, 5)
    numeric = [
        numerical_gradient(lambda: simple_rnn.rnn_step_forward(*inputs)[0], arg, dh)
        for arg in inputs
    ]
    problems = compare_step_gradients(got, want, numeric, gru_=False)
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.RNN_STEP_BACKWARD,
            lambda **o: mistakes.rnn_step_backward(dh, *inputs, **o),
            got,
        )
    fail(f"rnn_step_backward {where}", problems, hint)


def check_gru_step_forward(s: Session) -> None:
    """gru_cell_forward, gru_step_forward: h, and caches the library's backward can
    use."""
    rng = s.rng(130)
    for N, D, H in SHAPES:
        gru_forward_once(s, rng, N, D, H)


def gru_forward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_gru_step_forward``."""
    where = f"with N={N}, D={D}, H={H}"
    inputs = step_inputs(rng, N, D, H, blocks=3, bias_rows=2)
    x, h_prev, kernel, recurrent_kernel, bias = inputs
    dh = rng.normal(size=(N, H))
    a = x @ kernel + bias[0]
    u = h_prev @ recurrent_kernel + bias[1]
    want_h, ref_cell = gru.gru_cell_forward(a, u, h_prev)
    result = s.call(
        "gru_cell_forward", s.gru.gru_cell_forward, a.copy(), u.copy(), h_prev.copy()
    )
    h, cell = unpack("gru_cell_forward", result, 2)
    problems = [p for p in (mismatch("h", h, want_h),) if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.GRU_CELL_FORWARD,
            lambda **o: [mistakes.gru_cell_forward(a, u, h_prev, **o)],
            [h],
        )
    fail(f"gru_cell_forward {where}", problems, hint)
    want = gru.gru_cell_backward(dh, ref_cell)
    got = call(
        "gru_cell_backward (the library's) on your CellCache",
        gru.gru_cell_backward,
        dh,
        cell,
    )
    problems = [p for p in map(mismatch, ("da", "du", "dh_prev"), got, want) if p]
    fail(
        f"the CellCache of your gru_cell_forward {where} does not give the library's "
        "gru_cell_backward what it needs",
        problems,
    )

    result = s.call(
        "gru_step_forward", s.gru.gru_step_forward, *(arg.copy() for arg in inputs)
    )
    h, cache = unpack("gru_step_forward", result, 2)
    problems = [p for p in (mismatch("h", h, want_h),) if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.GRU_STEP_FORWARD,
            lambda **o: [mistakes.gru_step_forward(*inputs, **o)],
            [h],
        )
    fail(f"gru_step_forward {where}", problems, hint)
    want = gru.gru_step_backward(dh, gru.gru_step_forward(*inputs)[1])
    got = call(
        "gru_step_backward (the library's) on your StepCache",
        gru.gru_step_backward,
        dh,
        cache,
    )
    problems = [p for p in map(mismatch, STEP_GRADS, got, want) if p]
    fail(
        f"the StepCache of your gru_step_forward {where} does not give the library's "
        "gru_step_backward what it needs",
        problems,
    )


def check_gru_step_backward(s: Session) -> None:
    """gru_cell_backward (da and du block by block, dh_prev) and the five gradients of
    gru_step_backward."""
    rng = s.rng(140)
    for N, D, H in SHAPES:
        gru_backward_once(s, rng, N, D, H)


def gru_backward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_gru_step_backward``."""
    where = f"with N={N}, D={D}, H={H}"
    inputs = step_inputs(rng, N, D, H, blocks=3, bias_rows=2)
    x, h_prev, kernel, recurrent_kernel, bias = inputs
    dh = rng.normal(size=(N, H))
    a = x @ kernel + bias[0]
    u = h_prev @ recurrent_kernel + bias[1]
    _, cell = gru.gru_cell_forward(a, u, h_prev)
    want = gru.gru_cell_backward(dh, cell)
    result = s.call("gru_cell_backward", s.gru.gru_cell_backward, dh.copy(), cell)
    got = unpack("gru_cell_backward", result, 3)
    checked = (
        gru_mismatch("da", got[0], want[0]),
        gru_mismatch("du", got[1], want[1]),
        mismatch("dh_prev", got[2], want[2]),
    )
    problems = [p for p in checked if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.GRU_CELL_BACKWARD,
            lambda **o: mistakes.gru_cell_backward(dh, a, u, h_prev, **o),
            got,
        )
    fail(f"gru_cell_backward {where}", problems, hint)

    _, cache = gru.gru_step_forward(*inputs)
    want = gru.gru_step_backward(dh, cache)
    result = s.call("gru_step_backward", s.gru.gru_step_backward, dh.copy(), cache)
    got = unpack("gru_step_backward", result, 5)
    numeric = [
        numerical_gradient(lambda: gru.gru_step_forward(*inputs)[0], arg, dh)
        for arg in inputs
    ]
    problems = compare_step_gradients(got, want, numeric, gru_=True)
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.GRU_STEP_BACKWARD,
            lambda **o: mistakes.gru_step_backward(dh, *inputs, **o),
            got,
        )
    fail(f"gru_step_backward {where}", problems, hint)


CELL_CHECKS = {
    "rnn_step_forward": check_rnn_step_forward,
    "rnn_step_backward": check_rnn_step_backward,
    "gru_step_forward": check_gru_step_forward,
    "gru_step_backward": check_gru_step_backward,
}
