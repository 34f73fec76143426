"""Numerical gradients by central differences, to check backward passes (gradcheck.md).

    df/dx_k ~ (f(x + h e_k) - f(x - h e_k)) / (2 h)

has an error of order h^2, against order h for a one-sided difference. In float64, with
h = 1e-6, a correct backward agrees to a relative error near 1e-9 or better; a wrong one
is usually off by 1e-2 or more.

Example, checking your own backward of y = x W:

    x, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    dy = rng.normal(size=(4, 2))
    dW = x.T @ dy                               # your analytic gradient
    num = numerical_gradient(lambda: x @ W, W, dy)
    print(rel_error(dW, num))                   # about 1e-10
"""

from collections.abc import Callable, Mapping

import numpy as np

from minilstm.validation import check_float, show


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    f: Callable[[], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:
    """The gradient of sum(f() * dout) with respect to x, by central differences.

    ``f`` takes no argument: it reads ``x``, which is changed in place one element at a
    time (and restored), so ``f`` can be a closure over the arrays of a model.

    Args:
        f: returns a scalar, or an array of any shape.
        x: the array to differentiate with respect to (any shape, float64 advised).
        dout: the upstream gradient, shaped like f()'s result
            (None: f returns a scalar).
        h: the step.

    Returns:
        the numerical gradient, shaped like x.
    """
    # An integer x would silently round every x + h back to x, giving a zero gradient.
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            f"x must be a float NumPy array, changed in place; got {show(x)}"
        )
    h = check_float(h, "h")
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        k = it.multi_index
        old = x[k]
        x[k] = old + h
        plus = np.array(f(), dtype=np.float64, copy=True)
        x[k] = old - h
        minus = np.array(f(), dtype=np.float64, copy=True)
        x[k] = old
        diff = plus - minus if dout is None else np.sum((plus - minus) * dout)
        grad[k] = np.sum(diff) / (2 * h)
    return grad


# --8<-- [end:numerical_gradient]
# --8<-- [start:rel_error]
def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||) of two arrays of one shape.

    Measured on whole arrays rather than element by element, so that gradient entries
    that are almost zero do not turn rounding noise into huge ratios. 0 when both are
    zero.

    Args:
        a: an array, e.g. an analytic gradient.
        b: an array of the same shape, e.g. the numerical gradient.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


# --8<-- [end:rel_error]
def gradient_report(
    analytic: Mapping[str, np.ndarray],
    numeric: Mapping[str, np.ndarray],
    tol: float = 1e-7,
) -> str:
    """A table of each named gradient's relative error, flagging those above ``tol``.

    Args:
        analytic: gradients by name, e.g. {"kernel": (D, 4H) array, ...}.
        numeric: the same names, each with its gradient shaped like in analytic.
        tol: the largest relative error still reported as ok.

    Returns:
        the table as text, one line a gradient, e.g. ``kernel  (1, 300)  3.2e-11  ok``.
    """
    lines = [f"{'name':<20} {'shape':<12} {'rel. error':>10}  verdict"]
    for name, a in analytic.items():
        err = rel_error(a, numeric[name])
        verdict = "ok" if err < tol else "WRONG?"
        lines.append(f"{name:<20} {np.shape(a)!s:<12} {err:>10.1e}  {verdict}")
    return "\n".join(lines)
