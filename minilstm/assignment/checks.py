"""The check of each part, run by the worker in a process of its own.

A check gets the student's modules (``Student``) and returns when the part passes, or
raises ``PartFailed`` saying what failed. The reference code is bound here at import time,
before the worker loads the student's package under the same name ``minilstm``: nothing
in this package may import from minilstm later.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import numpy as np

from minilstm import dense, losses, lstm, optimizers, seq2seq
from minilstm.assignment import mistakes
from minilstm.assignment.compare import (
    PartFailed,
    call,
    gated_mismatch,
    mismatch,
    unpack,
)
from minilstm.data import load_task
from minilstm.gradcheck import numerical_gradient

LIKELY = " Likely mistake: "
LSTM_WEIGHTS = ("dkernel", "drecurrent_kernel", "dbias")  # each with i, f, g, o blocks


class Student(NamedTuple):
    """The student's modules, and the folder they came from (to point at their lines)."""

    root: Path
    lstm: ModuleType
    dense: ModuleType
    losses: ModuleType
    optimizers: ModuleType
    seq2seq: ModuleType


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


def name_mistake(
    candidates: list[tuple[str, dict]], compute: Callable[..., Sequence], got: Sequence
) -> str:
    """The description of the first mistake model whose result matches ``got``, or ''."""
    for description, options in candidates:
        expected = compute(**options)
        if all(mismatch("", a, b) is None for a, b in zip(got, expected, strict=True)):
            return f"{LIKELY}{description}."
    return ""


def compare_gradients(
    names: Sequence[str],
    got: Sequence,
    reference: Sequence[np.ndarray],
    numeric: Sequence[np.ndarray],
    gated: Sequence[str] = (),
) -> list[str]:
    """Problems of each gradient against the reference and against central differences;
    for the names in ``gated`` (LSTM gradients, 4H wide), which gates' blocks differ."""
    problems = []
    for name, a, ref, num in zip(names, got, reference, numeric, strict=True):
        problem = (gated_mismatch if name in gated else mismatch)(name, a, ref)
        if problem is None:
            problem = mismatch(f"{name} (against central differences)", a, num)
        if problem:
            problems.append(problem)
    return problems


def fail(where: str, problems: list[str], hint: str = "") -> None:
    """Raise ``PartFailed`` listing the problems, if there are any."""
    if problems:
        text = "; ".join(problems)
        summary = hint.removeprefix(LIKELY) if hint.startswith(LIKELY) else problems[0]
        message = f"{where}: {text}{'' if text.endswith(('.', '?')) else '.'}{hint}"
        raise PartFailed(message, summary)


def check_lstm_step_forward(s: Student) -> None:
    rng = np.random.default_rng(10)
    for N, D, H in [(3, 4, 5), (1, 2, 3), (2, 1, 2)]:
        step_forward_once(s, rng, N, D, H)


def step_forward_once(s: Student, rng: np.random.Generator, N: int, D: int, H: int) -> None:
    where = f"with N={N}, D={D}, H={H}"
    x, h_prev, c_prev, kernel, recurrent_kernel, bias = inputs = lstm_inputs(rng, N, D, H)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    want_h, want_c, ref_cache = lstm.lstm_cell_forward(z, c_prev)
    result = call("lstm_cell_forward", s.root, s.lstm.lstm_cell_forward, z.copy(), c_prev.copy())
    h, c, cache = unpack("lstm_cell_forward", result, 3)
    problems = [p for p in (mismatch("c", c, want_c), mismatch("h", h, want_h)) if p]
    hint = (
        name_mistake(
            mistakes.CELL_FORWARD, lambda **o: mistakes.cell_forward(z, c_prev, **o), (h, c)
        )
        if problems
        else ""
    )
    fail(f"lstm_cell_forward {where}", problems, hint)
    want = lstm.lstm_cell_backward(dh, dc, ref_cache)
    got = call(
        "lstm_cell_backward (the library's) on your CellCache",
        s.root,
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

    result = call(
        "lstm_step_forward", s.root, s.lstm.lstm_step_forward, *(a.copy() for a in inputs)
    )
    states, cache = unpack("lstm_step_forward", result, 2)
    h, c = unpack("the (h, c) of lstm_step_forward", states, 2)
    problems = [p for p in (mismatch("c", c, want_c), mismatch("h", h, want_h)) if p]
    fail(f"lstm_step_forward {where}", problems)
    want = lstm.lstm_step_backward(dh, dc, lstm.lstm_step_forward(*inputs)[1])
    got = call(
        "lstm_step_backward (the library's) on your StepCache",
        s.root,
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


STEP_GRADS = ("dx", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")


def check_lstm_step_backward(s: Student) -> None:
    rng = np.random.default_rng(20)
    for N, D, H in [(3, 4, 5), (1, 2, 3), (2, 1, 2)]:
        step_backward_once(s, rng, N, D, H)


def step_backward_once(s: Student, rng: np.random.Generator, N: int, D: int, H: int) -> None:
    where = f"with N={N}, D={D}, H={H}"
    x, h_prev, c_prev, kernel, recurrent_kernel, bias = inputs = lstm_inputs(rng, N, D, H)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    _, _, cell_cache = lstm.lstm_cell_forward(z, c_prev)
    want_dz, want_dc_prev = lstm.lstm_cell_backward(dh, dc, cell_cache)
    result = call(
        "lstm_cell_backward", s.root, s.lstm.lstm_cell_backward, dh.copy(), dc.copy(), cell_cache
    )
    dz, dc_prev = unpack("lstm_cell_backward", result, 2)
    checked = (gated_mismatch("dz", dz, want_dz), mismatch("dc_prev", dc_prev, want_dc_prev))
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
    result = call(
        "lstm_step_backward", s.root, s.lstm.lstm_step_backward, dh.copy(), dc.copy(), cache
    )
    got = unpack("lstm_step_backward", result, 6)

    def f():
        (h, c), _ = lstm.lstm_step_forward(*inputs)
        return np.concatenate([h, c], axis=1)

    dout = np.concatenate([dh, dc], axis=1)
    numeric = [numerical_gradient(f, a, dout) for a in inputs]
    problems = compare_gradients(STEP_GRADS, got, want, numeric, LSTM_WEIGHTS)
    fail(f"lstm_step_backward {where}", problems)


def check_bptt(s: Student) -> None:
    rng = np.random.default_rng(30)
    for N, T, D, H in [(2, 5, 3, 4), (1, 3, 1, 2), (3, 1, 2, 3)]:
        bptt_once(s, rng, N, T, D, H)


def bptt_once(s: Student, rng: np.random.Generator, N: int, T: int, D: int, H: int) -> None:
    where = f"with N={N}, T={T}, D={D}, H={H}"
    x, h0, c0, kernel, recurrent_kernel, bias = lstm_inputs(rng, N, D, H)
    x = rng.normal(size=(N, T, D))
    inputs = [x, h0, c0, kernel, recurrent_kernel, bias]
    dhs, dh, dc = rng.normal(size=(N, T, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    _, cache = lstm.lstm_forward(*inputs)
    want = lstm.lstm_backward(dhs, dh, dc, cache)
    result = call(
        "lstm_backward", s.root, s.lstm.lstm_backward, dhs.copy(), dh.copy(), dc.copy(), cache
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
                g for k, g in enumerate(mistakes.bptt(*inputs, dhs, dh, dc, **o)) if k not in (1, 2)
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
            f" dx is right at the last step but wrong at steps {wrong}: a gradient is not"
            " carried back correctly from each step to the one before."
        )
    return ""


def check_dense_backward(s: Student) -> None:
    rng = np.random.default_rng(40)
    for N, T, H, O in [(3, 4, 5, 2), (1, 2, 3, 1), (2, 1, 2, 3)]:
        dense_backward_once(s, rng, N, T, H, O)


def dense_backward_once(
    s: Student, rng: np.random.Generator, N: int, T: int, H: int, O: int
) -> None:
    where = f"with N={N}, T={T}, H={H}, O={O}"
    inputs = [rng.normal(size=(N, T, H)), rng.normal(size=(H, O)), rng.normal(size=O)]
    dy = rng.normal(size=(N, T, O))
    _, cache = dense.dense_forward(*inputs)
    want = dense.dense_backward(dy, cache)
    result = call("dense_backward", s.root, s.dense.dense_backward, dy.copy(), cache)
    got = unpack("dense_backward", result, 3)
    numeric = [numerical_gradient(lambda: dense.dense_forward(*inputs)[0], a, dy) for a in inputs]
    problems = compare_gradients(("dx", "dkernel", "dbias"), got, want, numeric)
    hint = ""
    if problems and not mismatch("dx", got[0], want[0]):
        hint = " The kernel and bias serve every step: sum their gradients over batch and time."
    fail(f"dense_backward {where}", problems, hint)


def check_mse_backward(s: Student) -> None:
    rng = np.random.default_rng(50)
    for shape, dloss in [((3, 4, 2), 1.0), ((1, 5, 1), 0.5), ((2, 2, 3), 2.0)]:
        mse_backward_once(s, rng, shape, dloss)


def mse_backward_once(s: Student, rng: np.random.Generator, shape: tuple, dloss: float) -> None:
    where = f"with y_pred of shape {shape} and dloss={dloss}"
    y_pred, y_true = rng.normal(size=shape), rng.normal(size=shape)
    _, cache = losses.mse_forward(y_pred, y_true)
    want = losses.mse_backward(dloss, cache)
    got = call("mse_backward", s.root, s.losses.mse_backward, dloss, cache)
    numeric = dloss * numerical_gradient(lambda: losses.mse_forward(y_pred, y_true)[0], y_pred)
    problems = compare_gradients(("dy_pred",), (got,), (want,), (numeric,))
    fail(f"mse_backward {where}", problems, mse_hint(got, want, dloss, shape) if problems else "")


def mse_hint(got: object, want: np.ndarray, dloss: float, shape: tuple) -> str:
    """Name the MSE mistake behind a gradient off by a constant factor, if known."""
    if np.shape(got) != want.shape:
        return ""
    got = np.asarray(got, dtype=float)
    k = float(np.sum(got * want) / np.sum(want * want))
    if mismatch("", got, k * want):
        return ""
    size, N = np.prod(shape), shape[0]
    known = [
        (0.5, "the factor 2 of d/dy (y - t)^2 = 2 (y - t) is missing"),
        (-1.0, "the sign is flipped: the gradient is 2 (y_pred - y_true) / size"),
        (size / N, "it divides by N, the batch size; the mean is over every element (size)"),
        (1 / dloss, "dloss is not used: the chain rule multiplies by it"),
    ]
    for factor, text in known:
        if np.isclose(k, factor, rtol=1e-6) and factor != 1.0:
            return f"{LIKELY}{text}."
    return ""


def check_adam(s: Student) -> None:
    rng = np.random.default_rng(60)
    w0s = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    grads = [[rng.normal(size=w.shape) for w in w0s] for _ in range(4)]
    # A large epsilon makes the place of epsilon in the formula visible in the numbers.
    for settings in [{}, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 0.1}]:
        where = f"with Adam({', '.join(f'{k}={v}' for k, v in settings.items())})"
        reference = optimizers.Adam(**settings)
        student = call(f"Adam({settings})", s.root, s.optimizers.Adam, **settings)
        want, got = [w.copy() for w in w0s], [w.copy() for w in w0s]
        for step, g in enumerate(grads, start=1):
            reference.apply([a.copy() for a in g], want)
            call("Adam.update_step", s.root, student.apply, [a.copy() for a in g], got)
            problems = []
            for k, (w0, a, b) in enumerate(zip(w0s, got, want, strict=True)):
                if np.array_equal(a, w0):
                    problems.append(
                        f"weight {k} did not change: update `variable` in place "
                        "(variable -= ...); binding the name to a new array does "
                        "not change the model's weights"
                    )
                elif p := mismatch(f"the change of weight {k}", a - w0, b - w0):
                    problems.append(p)
            if problems:
                hint = adam_hint(w0s, grads[:step], got, reference)
                fail(f"{where}, after step {step}", problems, hint)


def adam_hint(
    w0s: list[np.ndarray],
    grads: list[list[np.ndarray]],
    got: list[np.ndarray],
    reference: optimizers.Adam,
) -> str:
    """Name the Adam mistake that explains the weights ``got`` after ``grads``, if known."""
    if not all(np.all(np.isfinite(a)) for a in got):
        return " Is t = self.iterations + 1? (iterations counts the steps already taken.)"
    settings = {k: getattr(reference, k) for k in ("beta_1", "beta_2", "epsilon")}
    settings["learning_rate"] = reference.learning_rate
    candidates = [
        (text, {**options, "correction": options.get("correction", "keras")})
        for text, options in mistakes.ADAM
    ]
    return name_mistake(
        candidates,
        lambda **o: [
            mistakes.adam(w0, [g[k] for g in grads], **settings, **o) - w0
            for k, w0 in enumerate(w0s)
        ],
        [a - w0 for a, w0 in zip(got, w0s, strict=True)],
    )


def check_predict(s: Student) -> None:
    rng = np.random.default_rng(70)
    for N, T_enc, D, O, H, steps in [(3, 5, 1, 1, 4, 7), (2, 4, 2, 3, 3, None), (1, 3, 1, 2, 2, 2)]:
        where = f"with N={N}, T_enc={T_enc}, D={D}, O={O}, H={H}, steps={steps}"
        weights = [*lstm_inputs(rng, 1, D, H)[3:], *lstm_inputs(rng, 1, O, H)[3:]]
        weights += [rng.normal(size=(H, O)), rng.normal(size=O)]
        reference = seq2seq.Seq2Seq(units=H, input_dim=D, output_dim=O, seed=0)
        reference.set_weights(weights)
        model = call(
            "Seq2Seq", s.root, s.seq2seq.Seq2Seq, units=H, input_dim=D, output_dim=O, seed=0
        )
        call("Seq2Seq.set_weights", s.root, model.set_weights, weights)
        enc_x = rng.normal(size=(N, T_enc, D))
        want = reference.predict(enc_x, steps=steps)
        args = {} if steps is None else {"steps": steps}
        got = call("Seq2Seq.predict", s.root, model.predict, enc_x.copy(), **args)
        problem = mismatch("y", got, want)
        if problem:
            fail(f"Seq2Seq.predict {where}", [problem], predict_hint(got, reference, enc_x, want))


def predict_hint(
    got: object, reference: seq2seq.Seq2Seq, enc_x: np.ndarray, want: np.ndarray
) -> str:
    """Name the decoding mistake that explains ``got``, or the first step that is wrong."""
    N, steps, O = want.shape
    if np.shape(got) != want.shape:
        return f" predict returns (N, steps, O) = {want.shape}; steps defaults to T_enc."
    # Decoding that never feeds back reads a zero input at every step.
    if not mismatch("", got, reference.forward(enc_x, np.zeros((N, steps, O)))):
        return (
            f"{LIKELY}the prediction is not fed back; each step's input must be the previous"
            " step's prediction (zero only at the first step)."
        )
    weights = reference.get_weights()
    # Zero encoder weights make the encoder hand over h = c = 0.
    reference.set_weights([0 * w for w in weights[:3]] + weights[3:])
    cold = reference.predict(enc_x, steps=steps)
    reference.set_weights(weights)
    if not mismatch("", got, cold):
        return f"{LIKELY}the decoder does not start from the encoder's final (h, c)."
    wrong = [t for t in range(steps) if mismatch("", np.asarray(got)[:, t], want[:, t])]
    return f" The first wrong step is t={wrong[0]}." if wrong else ""


def check_end_to_end(s: Student) -> None:
    """A small model trained with all of the student's code must learn something."""
    data = load_task("sin_cos", num_points=40, window=8)
    arrays = (data.enc_x, data.dec_x, data.dec_y)
    model = call("Seq2Seq", s.root, s.seq2seq.Seq2Seq, units=8, seed=0)
    before = call("Seq2Seq.evaluate", s.root, model.evaluate, *arrays)
    optimizer = call("Adam", s.root, s.optimizers.Adam, learning_rate=0.01)
    call(
        "Seq2Seq.fit",
        s.root,
        model.fit,
        *arrays,
        epochs=10,
        batch_size=8,
        optimizer=optimizer,
        verbose=0,
    )
    after = call("Seq2Seq.evaluate", s.root, model.evaluate, *arrays)
    # The library's code goes from 0.49 to 0.0057 in these 10 epochs: halving is a loose bar.
    if not np.isfinite(after) or after > 0.5 * before:
        raise PartFailed(
            f"10 epochs of training took the loss from {before:.3g} to {after:.3g}; "
            "it should at least halve"
        )
    y = call("Seq2Seq.predict", s.root, model.predict, data.enc_x)
    if np.shape(y) != data.dec_y.shape or not np.all(np.isfinite(y)):
        raise PartFailed(
            f"predict after training gave shape {np.shape(y)} (expected "
            f"{data.dec_y.shape}) or values that are not finite"
        )


CHECKS = {
    "lstm_step_forward": check_lstm_step_forward,
    "lstm_step_backward": check_lstm_step_backward,
    "bptt": check_bptt,
    "dense_backward": check_dense_backward,
    "mse_backward": check_mse_backward,
    "adam": check_adam,
    "predict": check_predict,
    "end_to_end": check_end_to_end,
}
