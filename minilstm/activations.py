"""Activation functions of the LSTM, each with the derivative its backward pass needs.

The derivatives are written in terms of the activation's *output*, because that is what
the forward pass keeps in its cache: sigma'(z) = s (1 - s) and tanh'(z) = 1 - t^2 (see
docs/lstm-cell.md).

``tanh`` and ``tanh_grad`` take an optional ``out=`` array, as NumPy's own functions do:
the LSTM calls them at every time step on small blocks, where every NumPy call costs
about a microsecond whatever its size, so writing into an existing block saves an
allocation and a copy. (The LSTM cell activates its gates with one tanh call; see
``lstm_cell_forward``.)
"""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z), accurate and warning-free for any z.

    The plain formula is accurate to a few units in the last place everywhere: for z >= 0
    e^-z is at most 1, and for z < 0 the sum 1 + e^-z is dominated by e^-z, whose reciprocal
    loses nothing. Its one flaw is that e^-z overflows to inf for z < -709 (float64) or
    z < -88 (float32); but 1 / (1 + inf) is exactly 0, the right limit, so that overflow is
    harmless and its warning is silenced. (The shortcut 0.5 (1 + tanh(z / 2)) loses the
    relative precision of the tiny values for very negative z, where 1 + tanh cancels.)

    Args:
        z: any shape.

    Returns:
        same shape as z, values in [0, 1].
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(np.negative(z)))


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at the point whose output is s: s (1 - s). Shape of s."""
    return s * (1.0 - s)


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Hyperbolic tangent. Same shape as z, values in [-1, 1]."""
    return np.tanh(z, out=out)


def tanh_grad(t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Derivative of tanh at the point whose output is t: 1 - t^2. Shape of t."""
    d = np.multiply(t, t, out=out)
    return np.subtract(1.0, d, out=out)
