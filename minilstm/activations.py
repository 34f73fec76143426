"""Activation functions of the LSTM, each with the derivative its backward pass needs.

The derivatives are written in terms of the activation's *output*, because that is what
the forward pass keeps in its cache: sigma'(z) = s (1 - s) and tanh'(z) = 1 - t^2 (see
docs/lstm-cell.md).

Each takes an optional ``out=`` array, as NumPy's own functions do: the LSTM calls them
once per time step on small blocks, where every NumPy call costs about a microsecond
whatever its size, so writing into an existing block saves an allocation and a copy.
"""

import numpy as np


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z), accurate and warning-free for any z.

    The plain formula is accurate to a few units in the last place everywhere: for z >= 0
    e^-z is at most 1, and for z < 0 the sum 1 + e^-z is dominated by e^-z, whose reciprocal
    loses nothing. Its one flaw is that e^-z overflows to inf for z < -709 (float64) or
    z < -88 (float32); but 1 / (1 + inf) is exactly 0, the right limit, so that overflow is
    harmless and its warning is silenced. (The shortcut 0.5 (1 + tanh(z / 2)) would lose all
    relative precision for very negative z, where 1 + tanh cancels.) Four NumPy calls, all
    on the whole array, with no branch: this is the LSTM's hottest function.

    Args:
        z: any shape.
        out: optional array shaped like z to write the result into (may be z itself).

    Returns:
        same shape as z, values in [0, 1].
    """
    with np.errstate(over="ignore"):
        s = np.exp(np.negative(z), out=out)
    s += 1.0
    return np.reciprocal(s, out=out)


def sigmoid_grad(s: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Derivative of the sigmoid at the point whose output is s: s (1 - s). Shape of s;
    ``out`` must not be s itself."""
    d = np.subtract(1.0, s, out=out)
    d *= s
    return d


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent. Same shape as z, values in [-1, 1]."""
    return np.tanh(z, out=out)


def tanh_grad(t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Derivative of tanh at the point whose output is t: 1 - t^2. Shape of t."""
    d = np.multiply(t, t, out=out)
    return np.subtract(1.0, d, out=out)
