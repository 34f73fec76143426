"""The checks of the three LSTM parts: the step forward, the step backward, and BPTT.

Run by the grader in its own process; the student's functions are called through the
``Session`` (see ``checks``).
"""

import numpy as np

from minilstm import lstm
from minilstm.assignment import mistakes
from minilstm.assignment.compare import (
    call,
    compare_gradients,
    fail,
    gated_mismatch,
    mismatch,
    name_mistake,
    unpack,
)
from minilstm.assignment.session import Session
from minilstm.gradcheck import numerical_gradient

LSTM_WEIGHTS = ("dkernel", "drecurrent_kernel", "dbias")  # each with i, f, g, o blocks
STEP_GRADS = ("dx", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


def lstm_inputs(rng: np.random.Generator, N: int, D: int, H: int) -> list[np.ndarray]:
    """x (N, D), h_prev, c_prev (N, H), kernel, recurrent_kernel, bias: unit scale, so
    that some gates saturate and a gate mix-up cannot hide in a near-linear range."""
    return [
        rng.normal(size=(N, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(D, 4 * H)),
        rng.normal(size=(H, 4 * H)),
        rng.normal(size=4 * H),
    ]


def check_lstm_step_forward(s: Session) -> None:
    """lstm_cell_forward, lstm_step_forward: h, c, and caches the library's backward can
    use."""
    rng = s.rng(10)
    for N, D, H in [(3, 4, 5), (1, 2, 3), (2, 1, 2)]:
        step_forward_once(s, rng, N, D, H)


def step_forward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_lstm_step_forward``."""
    where = f"with N={N}, D={D}, H={H}"
    x, h_prev, c_prev, kernel, recurrent_kernel, bias = inputs = lstm_inputs(
        rng, N, D, H
    )
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    (want_h, want_c), ref_cache = lstm.lstm_cell_forward(z, c_prev)
    result = s.call(
        "lstm_cell_forward", s.lstm.lstm_cell_forward, z.copy(), c_prev.copy()
    )
    states, cache = unpack("lstm_cell_forward", result, 2)
    h, c = unpack("the (h, c) of lstm_cell_forward", states, 2)
    problems = [p for p in (mismatch("c", c, want_c), mismatch("h", h, want_h)) if p]
    hint = (
        name_mistake(
            mistakes.CELL_FORWARD,
            lambda **o: mistakes.cell_forward(z, c_prev, **o),
            (h, c),
        )
        if problems
        else ""
    )
    fail(f"lstm_cell_forward {where}", problems, hint)
    want = lstm.lstm_cell_backward(dh, dc, ref_cache)
    got = call(
        "lstm_cell_backward (the library's) on your CellCache",
        lstm.lstm_cell_backward,
        dh,
        dc,
        cache,
    )
    problems = [p for p in map(mismatch, ("dz", "dc_prev"), got, want) if p]
    fail(
        f"the CellCache of your lstm_cell_forward {where} does not give the library's "
        "lstm_cell_backward what it needs",
        problems,
    )

    result = s.call(
        "lstm_step_forward", s.lstm.lstm_step_forward, *(a.copy() for a in inputs)
    )
    states, cache = unpack("lstm_step_forward", result, 2)
    h, c = unpack("the (h, c) of lstm_step_forward", states, 2)
    problems = [p for p in (mismatch("c", c, want_c), mismatch("h", h, want_h)) if p]
    fail(f"lstm_step_forward {where}", problems)
    want = lstm.lstm_step_backward(dh, dc, lstm.lstm_step_forward(*inputs)[1])
    got = call(
        "lstm_step_backward (the library's) on your StepCache",
        lstm.lstm_step_backward,
        dh,
        dc,
        cache,
    )
    problems = [p for p in map(mismatch, STEP_GRADS, got, want) if p]
    fail(
        f"the StepCache of your lstm_step_forward {where} does not give the library's "
        "lstm_step_backward what it needs",
        problems,
    )


def check_lstm_step_backward(s: Session) -> None:
    """lstm_cell_backward (dz gate by gate, dc_prev) and the six gradients of
    lstm_step_backward."""
    rng = s.rng(20)
    for N, D, H in [(3, 4, 5), (1, 2, 3), (2, 1, 2)]:
        step_backward_once(s, rng, N, D, H)


def step_backward_once(
    s: Session, rng: np.random.Generator, N: int, D: int, H: int
) -> None:
    """One shape of ``check_lstm_step_backward``."""
    where = f"with N={N}, D={D}, H={H}"
    x, h_prev, c_prev, kernel, recurrent_kernel, bias = inputs = lstm_inputs(
        rng, N, D, H
    )
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    _, cell_cache = lstm.lstm_cell_forward(z, c_prev)
    want_dz, want_dc_prev = lstm.lstm_cell_backward(dh, dc, cell_cache)
    result = s.call(
        "lstm_cell_backward",
        s.lstm.lstm_cell_backward,
        dh.copy(),
        dc.copy(),
        cell_cache,
    )
    dz, dc_prev = unpack("lstm_cell_backward", result, 2)
    checked = (
        gated_mismatch("dz", dz, want_dz),
        mismatch("dc_prev", dc_prev, want_dc_prev),
    )
    problems = [p for p in checked if p]
    hint = ""
    if problems:
        hint = name_mistake(
            mistakes.CELL_BACKWARD,
            lambda **o: mistakes.cell_backward(dh, dc, z, c_prev, **o),
            (dz, dc_prev),
        )
    fail(f"lstm_cell_backward {where}", problems, hint)

    _, cache = lstm.lstm_step_forward(*inputs)
    want = lstm.lstm_step_backward(dh, dc, cache)
    result = s.call(
        "lstm_step_backward", s.lstm.lstm_step_backward, dh.copy(), dc.copy(), cache
    )
    got = unpack("lstm_step_backward", result, 6)

    def f():
        (h, c), _ = lstm.lstm_step_forward(*inputs)
        return np.concatenate([h, c], axis=1)

    dout = np.concatenate([dh, dc], axis=1)
    numeric = [numerical_gradient(f, a, dout) for a in inputs]
    problems = compare_gradients(STEP_GRADS, got, want, numeric, LSTM_WEIGHTS)
    fail(f"lstm_step_backward {where}", problems)


def check_bptt(s: Session) -> None:
    """lstm_backward: six gradients, with initial states and gradients on the final
    state."""
    rng = s.rng(30)
    for N, T, D, H in [(2, 5, 3, 4), (1, 3, 1, 2), (3, 1, 2, 3)]:
        bptt_once(s, rng, N, T, D, H)


def bptt_once(
    s: Session, rng: np.random.Generator, N: int, T: int, D: int, H: int
) -> None:
    """One shape of ``check_bptt``."""
    where = f"with N={N}, T={T}, D={D}, H={H}"
    x, h0, c0, kernel, recurrent_kernel, bias = lstm_inputs(rng, N, D, H)
    x = rng.normal(size=(N, T, D))
    inputs = [x, h0, c0, kernel, recurrent_kernel, bias]
    dhs, dh, dc = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    _, cache = lstm.lstm_forward(*inputs)
    want = lstm.lstm_backward(dhs, dh, dc, cache)
    result = s.call(
        "lstm_backward", s.lstm.lstm_backward, dhs.copy(), dh.copy(), dc.copy(), cache
    )
    got = unpack("lstm_backward", result, 6)

    def f():
        (hs, c), _ = lstm.lstm_forward(*inputs)
        return np.concatenate([hs.reshape(N, -1), hs[:, -1], c], axis=1)

    dout = np.concatenate([dhs.reshape(N, -1), dh, dc], axis=1)
    numeric = [numerical_gradient(f, a, dout) for a in inputs]
    names = ("dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias")
    problems = compare_gradients(names, got, want, numeric, LSTM_WEIGHTS)
    hint = ""
    if problems:
        # dh0 and dc0 are left out: a mistaken loop can return many things for them.
        hint = name_mistake(
            mistakes.BPTT,
            lambda **o: [
                g
                for k, g in enumerate(mistakes.bptt(*inputs, dhs, dh, dc, **o))
                if k not in (1, 2)
            ],
            [g for k, g in enumerate(got) if k not in (1, 2)],
        ) or bptt_steps_hint(got[0], want[0])
    fail(f"lstm_backward {where}", problems, hint)


def bptt_steps_hint(dx: object, want: np.ndarray) -> str:
    """Where dx goes wrong over time, when that tells something."""
    if np.shape(dx) != want.shape:
        return ""
    T = want.shape[1]
    wrong = [t for t in range(T) if mismatch("", np.asarray(dx)[:, t], want[:, t])]
    if wrong and T - 1 not in wrong:
        return (
            f" dx is right at the last step but wrong at steps {wrong}: a gradient is "
            "not carried back correctly from each step to the one before."
        )
    return ""
