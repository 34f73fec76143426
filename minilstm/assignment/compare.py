"""What every check uses: comparing a student's arrays with the expected ones, in words
that point at the mistake, and turning what their code raises into a verdict.

The messages name what differs (a shape that is the transpose of the right one, a result
off by a constant factor, the LSTM gate whose block of a (.., 4H) gradient is wrong)
rather than only reporting a number.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minilstm.assignment.mistakes import TRANSPOSED
from minilstm.assignment.parts import STUB_MESSAGE
from minilstm.gradcheck import rel_error

if TYPE_CHECKING:
    from minilstm.assignment.sandbox import Limits

# Correct code agrees with the reference to about 1e-15 and with central differences
# (h = 1e-6, float64) to about 1e-9; the mistakes the tests plant measure 9e-2 or more.
TOL = 1e-7
GATES = {
    "i": "input gate (i)",
    "f": "forget gate (f)",
    "g": "candidate (g)",
    "o": "output gate (o)",
}


LIKELY = " Likely mistake: "  # starts the sentence that names a known mistake


class PartFailed(Exception):
    """The verdict of a failed check: the message says what failed, ``summary`` in a few
    words (the likely mistake when it is known)."""

    def __init__(self, message: str, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = summary or message


def mismatch(name: str, got: object, want: np.ndarray, tol: float = TOL) -> str | None:
    """None when ``got`` matches ``want``, else a sentence on how it differs.

    Args:
        name: what the array is, e.g. "dkernel".
        got: the student's value (anything; it should be an array shaped like want).
        want: the expected array.
    """
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{name} is not an array of numbers (got {type(got).__name__})"
    if got.shape != want.shape:
        message = f"{name} has shape {got.shape}, expected {want.shape}"
        if got.ndim == 2 and got.shape == want.shape[::-1]:
            message += f": {TRANSPOSED}"
        return message
    # NaN or inf where ``want`` has none is wrong; where ``want`` has them too (a
    # mistake model that overflows), the finite entries are compared.
    finite = np.isfinite(want)
    if not np.array_equal(np.isfinite(got), finite):
        return f"{name} contains NaN or inf"
    got, want = got[finite], want[finite]
    err = rel_error(got, want)
    if err < tol:
        return None
    message = f"{name} is wrong (relative error {err:.1e})"
    scale = float(np.sum(want * want))
    if scale > 0:
        k = float(np.sum(got * want)) / scale
        if rel_error(got, k * want) < tol and abs(k) > 1e-12:
            message += f": it is {k:.4g} times the right value"
    else:
        message += ": it should be zero"
    return message


def wrong_gates(got: np.ndarray, want: np.ndarray, tol: float = TOL) -> list[str]:
    """The gates (i, f, g, o) whose block of the last axis (4H wide) differs."""
    H = want.shape[-1] // 4
    return [
        gate
        for k, gate in enumerate(GATES)
        if rel_error(got[..., k * H : (k + 1) * H], want[..., k * H : (k + 1) * H])
        >= tol
    ]


def gated_mismatch(name: str, got: object, want: np.ndarray) -> str | None:
    """Like ``mismatch`` for an LSTM array whose last axis holds the gate blocks i, f,
    g, o (4H wide): when the shape is right, say which gates' blocks are wrong."""
    problem = mismatch(name, got, want)
    if problem is None or np.shape(got) != want.shape or problem.endswith("NaN or inf"):
        return problem
    gates = wrong_gates(np.asarray(got, dtype=np.float64), want)
    if len(gates) == 4:
        return f"{name} is wrong in every gate's block"
    if not gates:
        return problem
    listed = ", ".join(GATES[g] for g in gates)
    return (
        f"{name} is wrong in the block of the {listed} only "
        "(blocks in order i, f, g, o)"
    )


def describe_error(label: str, error: dict, limits: "Limits | None" = None) -> str:
    """How a student's call ended (an error record of ``child.describe``), in words."""
    kind, text, where = error["kind"], error["message"], error["where"]
    stub = STUB_MESSAGE.match(text)
    if error["type"] == "NotImplementedError" and stub:
        part, function = stub.groups()
        if function == label:
            return f"{function} is not written yet; it still raises NotImplementedError"
        return f"{function} (part {part}) is not written yet; {label} stopped there"
    if kind == "exit":
        message = (
            f"{label} called sys.exit({error['code']!r}) (SystemExit): a function must "
            "return its result, not end the program"
        )
    elif kind == "interrupt":
        message = f"{label} raised KeyboardInterrupt"
    elif kind == "memory":
        allowed = (
            f"; the grader allows {limits.memory_mb} MB per part" if limits else ""
        )
        message = f"{label} ran out of memory (MemoryError: {text}){allowed}"
    else:
        message = f"{label} raised {error['type']}: {text}"
    if where:
        message += f" (at {where[0]}:{where[1]}: {where[2]})"
    if "matmul" in text or "not aligned" in text or "could not be broadcast" in text:
        message += (
            ". The shapes do not fit: a product with a transposed (or wrong) operand?"
        )
    return message


def call(label: str, fn: Callable, *args: object, **kwargs: object) -> Any:
    """Call one of the library's functions on what a student's code returned (a cache);
    turn anything it raises into a ``PartFailed``."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        error = {"kind": "exception", "type": type(exc).__name__, "where": None}
        error["message"] = (str(exc).strip().splitlines() or [""])[0]
        raise PartFailed(describe_error(label, error)) from None


def unpack(label: str, result: object, count: int) -> tuple:
    """A student's result as a tuple of ``count`` items, or a ``PartFailed`` saying why
    not."""
    if not isinstance(result, tuple | list) or len(result) != count:
        got = len(result) if isinstance(result, tuple | list) else type(result).__name__
        raise PartFailed(f"{label} must return {count} values; got {got}")
    return tuple(result)


def name_mistake(
    candidates: list[tuple[str, dict]], compute: Callable[..., Sequence], got: Sequence
) -> str:
    """The description of the first mistake model whose result matches ``got``, or
    ''."""
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
