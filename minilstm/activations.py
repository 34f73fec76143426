"""Activation functions of the LSTM, each with the derivative its backward pass needs.

The derivatives are written in terms of the activation's *output*, because that is what
the forward pass keeps in its cache: sigma'(z) = s (1 - s) and tanh'(z) = 1 - t^2 (see
docs/lstm-cell.md).
"""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^-z), stable for any z.

    With e = exp(-|z|), which is in (0, 1] and so never overflows, the sigmoid is
    1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0. The plain 1 / (1 + np.exp(-z))
    overflows for z < -709; the shortcut 0.5 (1 + tanh(z / 2)) loses all relative
    precision for very negative z, where 1 + tanh cancels.

    Args:
        z: any shape.

    Returns:
        same shape as z, values in [0, 1].
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at the point whose output is s: s (1 - s). Shape of s."""
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent. Same shape as z, values in [-1, 1]."""
    return np.tanh(z)


def tanh_grad(t: np.ndarray) -> np.ndarray:
    """Derivative of tanh at the point whose output is t: 1 - t^2. Shape of t."""
    return 1.0 - t * t
