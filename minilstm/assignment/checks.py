"""The check of each part, run by the grader in its own process.

A check calls the student's code through a ``Session`` (see ``session``: the calls run
in a bounded process of their own, which never holds the reference) and compares what
comes back with the library's results. It returns when the part passes, or raises
``PartFailed`` saying what failed.
"""

import numpy as np

from minilstm import dense, losses, optimizers, seq2seq
from minilstm.assignment import mistakes
from minilstm.assignment.checks_attention import ATTENTION_CHECKS
from minilstm.assignment.checks_cells import CELL_CHECKS
from minilstm.assignment.checks_lstm import (
    check_bptt,
    check_lstm_step_backward,
    check_lstm_step_forward,
    lstm_inputs,
)
from minilstm.assignment.compare import (
    LIKELY,
    PartFailed,
    compare_gradients,
    fail,
    mismatch,
    name_mistake,
    unpack,
)
from minilstm.assignment.session import Session
from minilstm.data import make_windows
from minilstm.gradcheck import numerical_gradient


def check_dense_backward(s: Session) -> None:
    """dense_backward: dx, dkernel and dbias."""
    rng = s.rng(40)
    for N, T, H, O in [(3, 4, 5, 2), (1, 2, 3, 1), (2, 1, 2, 3)]:
        dense_backward_once(s, rng, N, T, H, O)


def dense_backward_once(
    s: Session, rng: np.random.Generator, N: int, T: int, H: int, O: int
) -> None:
    """One shape of ``check_dense_backward``."""
    where = f"with N={N}, T={T}, H={H}, O={O}"
    inputs = [rng.normal(size=(N, T, H)), rng.normal(size=(H, O)), rng.normal(size=O)]
    dy = rng.normal(size=(N, T, O))
    _, cache = dense.dense_forward(*inputs)
    want = dense.dense_backward(dy, cache)
    result = s.call("dense_backward", s.dense.dense_backward, dy.copy(), cache)
    got = unpack("dense_backward", result, 3)
    numeric = [
        numerical_gradient(lambda: dense.dense_forward(*inputs)[0], a, dy)
        for a in inputs
    ]
    problems = compare_gradients(("dx", "dkernel", "dbias"), got, want, numeric)
    hint = ""
    if problems and not mismatch("dx", got[0], want[0]):
        hint = (
            " The kernel and bias serve every step: "
            "sum their gradients over batch and time."
        )
    fail(f"dense_backward {where}", problems, hint)


def check_mse_backward(s: Session) -> None:
    """mse_backward, for several shapes and values of dloss."""
    rng = s.rng(50)
    for shape, dloss in [((3, 4, 2), 1.0), ((1, 5, 1), 0.5), ((2, 2, 3), 2.0)]:
        mse_backward_once(s, rng, shape, dloss)


def mse_backward_once(
    s: Session, rng: np.random.Generator, shape: tuple, dloss: float
) -> None:
    """One shape of ``check_mse_backward``."""
    where = f"with y_pred of shape {shape} and dloss={dloss}"
    y_pred, y_true = rng.normal(size=shape), rng.normal(size=shape)
    _, cache = losses.mse_forward(y_pred, y_true)
    want = losses.mse_backward(dloss, cache)
    got = s.call("mse_backward", s.losses.mse_backward, dloss, cache)
    numeric = dloss * numerical_gradient(
        lambda: losses.mse_forward(y_pred, y_true)[0], y_pred
    )
    problems = compare_gradients(("dy_pred",), (got,), (want,), (numeric,))
    fail(
        f"mse_backward {where}",
        problems,
        mse_hint(got, want, dloss, shape) if problems else "",
    )


def mse_hint(got: object, want: np.ndarray, dloss: float, shape: tuple) -> str:
    """Name the MSE mistake behind a gradient off by a constant factor, if known."""
    if np.shape(got) != want.shape:
        return ""
    got = np.asarray(got, dtype=float)
    k = float(np.sum(got * want) / np.sum(want * want))
    if mismatch("", got, k * want):
        return ""
    for text, factor in mistakes.mse_factors(shape, dloss):
        if np.isclose(k, factor, rtol=1e-6):
            return f"{LIKELY}{text}."
    return ""


def check_adam(s: Session) -> None:
    """Adam.update_step: four steps against the library's Adam, default and other
    settings."""
    rng = s.rng(60)
    w0s = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    grads = [[rng.normal(size=w.shape) for w in w0s] for _ in range(4)]
    # A large epsilon makes the place of epsilon in the formula visible in the numbers.
    for settings in [
        {},
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 0.1},
    ]:
        where = f"with Adam({', '.join(f'{k}={v}' for k, v in settings.items())})"
        reference = optimizers.Adam(**settings)
        student = s.call(f"Adam({settings})", s.optimizers.Adam, **settings)
        want, got = [w.copy() for w in w0s], [w.copy() for w in w0s]
        for step, g in enumerate(grads, start=1):
            reference.apply([a.copy() for a in g], want)
            # apply updates got's arrays in place: the call brings them back as it left
            # them.
            grads_k = [a.copy() for a in g]
            s.call("Adam.update_step", student.apply, grads_k, got, record_args=True)
            problems = []
            for k, (w0, a, b) in enumerate(zip(w0s, got, want, strict=True)):
                if np.array_equal(a, w0):
                    problems.append(
                        f"weight {k} did not change: {mistakes.ADAM_NOT_IN_PLACE}"
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
    """Name the Adam mistake that explains the weights ``got`` after ``grads``, if
    known."""
    if not all(np.all(np.isfinite(a)) for a in got):
        return (
            " Is t = self.iterations + 1? (iterations counts the steps already taken.)"
        )
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


def check_predict(s: Session) -> None:
    """Seq2Seq.predict: autoregressive decoding against the library's, for several
    shapes."""
    rng = s.rng(70)
    for N, T_enc, D, O, H, steps in [
        (3, 5, 1, 1, 4, 7),
        (2, 4, 2, 3, 3, None),
        (1, 3, 1, 2, 2, 2),
    ]:
        where = f"with N={N}, T_enc={T_enc}, D={D}, O={O}, H={H}, steps={steps}"
        weights = [*lstm_inputs(rng, 1, D, H)[3:], *lstm_inputs(rng, 1, O, H)[3:]]
        weights += [rng.normal(size=(H, O)), rng.normal(size=O)]
        reference = seq2seq.Seq2Seq(units=H, input_dim=D, output_dim=O, seed=0)
        reference.set_weights(weights)
        model = s.call(
            "Seq2Seq", s.seq2seq.Seq2Seq, units=H, input_dim=D, output_dim=O, seed=0
        )
        s.call("Seq2Seq.set_weights", model.set_weights, weights)
        enc_x = rng.normal(size=(N, T_enc, D))
        want = reference.predict(enc_x, steps=steps)
        args = {} if steps is None else {"steps": steps}
        got = s.call("Seq2Seq.predict", model.predict, enc_x.copy(), **args)
        problem = mismatch("y", got, want)
        if problem:
            fail(
                f"Seq2Seq.predict {where}",
                [problem],
                predict_hint(got, reference, enc_x, want),
            )


def predict_hint(
    got: object, reference: seq2seq.Seq2Seq, enc_x: np.ndarray, want: np.ndarray
) -> str:
    """Name the decoding mistake that explains ``got``, or the first step that is
    wrong."""
    steps = want.shape[1]
    if np.shape(got) != want.shape:
        return (
            f" predict returns (N, steps, O) = {want.shape}; steps defaults to T_enc."
        )
    named = name_mistake(
        mistakes.PREDICT,
        lambda **o: [mistakes.predict(reference, enc_x, steps, **o)],
        [got],
    )
    if named:
        return named
    wrong = [t for t in range(steps) if mismatch("", np.asarray(got)[:, t], want[:, t])]
    return f" The first wrong step is t={wrong[0]}." if wrong else ""


def check_end_to_end(s: Session) -> None:
    """A small model trained with the student's parts must train as the library's does.

    The grader brings the data and the initial weights (drawn anew for every run) and
    measures the loss with the library; the student's code only trains. Its trained
    weights must be the library's trained weights from the same start, so a ``fit``
    that does nothing, or hands back weights found elsewhere, fails; the student's
    ``predict`` is called only when it is a part handed out, and then compared with the
    library's on the trained weights."""
    rng = s.rng(80)
    arrays = grader_data(rng)
    start = seq2seq.Seq2Seq(units=8, seed=int(rng.integers(2**31))).get_weights()
    reference = seq2seq.Seq2Seq(units=8, seed=0)
    reference.set_weights(start)
    reference.fit(
        *arrays, epochs=10, batch_size=8, optimizer=optimizers.Adam(0.01), verbose=0
    )
    model = s.call("Seq2Seq", s.seq2seq.Seq2Seq, units=8, seed=0)
    s.call("Seq2Seq.set_weights", model.set_weights, start)
    optimizer = s.call("Adam", s.optimizers.Adam, learning_rate=0.01)
    s.call(
        "Seq2Seq.fit",
        model.fit,
        *arrays,
        epochs=10,
        batch_size=8,
        optimizer=optimizer,
        verbose=0,
    )
    trained = s.call("Seq2Seq.get_weights", model.get_weights)
    before, after = (library_loss(weights, arrays) for weights in (start, trained))
    # The library's code ends at 6% of the first loss or lower (30 draws of data and
    # weights): halving is a loose bar.
    if not np.isfinite(after) or after > 0.5 * before:
        raise PartFailed(
            f"10 epochs of training took the loss from {before:.3g} to {after:.3g}; "
            "it should at least halve"
        )
    want = reference.get_weights()
    problems = [
        p
        for k, (a, b) in enumerate(zip(trained, want, strict=True))
        if (p := mismatch(f"weight {k}", a, b, tol=E2E_TOL))
    ]
    if problems:
        raise PartFailed(
            "after 10 epochs from the grader's weights, your model's weights are not "
            f"those the library's training reaches: {problems[0]}",
            "training does not follow the library's",
        )
    if s.hands_out("predict"):
        y = s.call("Seq2Seq.predict", model.predict, arrays[0])
        reference.set_weights([np.asarray(w, dtype=np.float64) for w in trained])
        problem = mismatch("y", y, reference.predict(arrays[0]))
        if problem:
            raise PartFailed(f"predict after training: {problem}")


# Correct code in another order of operations than the library's (MSE and Dense
# backward, five draws of data and weights) trains to weights 5e-15 from its own.
E2E_TOL = 1e-6


def grader_data(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """enc_x, dec_x, dec_y of the end-to-end check: sin -> cos windows at a random
    phase and amplitude, so that no answer can be prepared for them."""
    x = np.linspace(0, 4 * np.pi, 40) + rng.uniform(0, 2 * np.pi)
    amplitude = rng.uniform(0.7, 1.0)
    return make_windows(amplitude * np.sin(x), amplitude * np.cos(x), 8)


def library_loss(weights: object, arrays: tuple[np.ndarray, ...]) -> float:
    """The loss of the student's weights on ``arrays``, measured with the library."""
    model = seq2seq.Seq2Seq(units=8, seed=0)
    shapes = [w.shape for w in model.get_weights()]
    if (
        not isinstance(weights, list | tuple)
        or [np.shape(w) for w in weights] != shapes
    ):
        raise PartFailed(f"get_weights must return arrays of the shapes {shapes}")
    model.set_weights([np.asarray(w, dtype=np.float64) for w in weights])
    return float(model.evaluate(*arrays))


CHECKS = {
    "lstm_step_forward": check_lstm_step_forward,
    "lstm_step_backward": check_lstm_step_backward,
    "bptt": check_bptt,
    "dense_backward": check_dense_backward,
    "mse_backward": check_mse_backward,
    "adam": check_adam,
    "predict": check_predict,
    **CELL_CHECKS,
    **ATTENTION_CHECKS,
    "end_to_end": check_end_to_end,
}
