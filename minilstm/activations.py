"""The LSTM's activation functions, each with the derivative its backward pass needs.

The derivatives are written in terms of the activation's *output*, because that is what
the forward pass keeps in its cache: sigma'(z) = s (1 - s) and tanh'(z) = 1 - t^2
(docs/lstm-cell.md).
"""

import numpy as np


# np.errstate as a decorator sets the error state around every call, like a with block
# inside the function, but without making a new context manager each time: the cell
# calls this three times a step (docs/performance.md).
@np.errstate(over="ignore")
def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + e^-z), accurate and warning-free for any z.

    For z >= 0, e^-z is at most 1; for z < 0 the sum 1 + e^-z is dominated by e^-z,
    whose reciprocal loses nothing: the formula is accurate to a few units in the last
    place everywhere. e^-z overflows to inf for z < -709 (float64) or z < -88 (float32),
    but 1 / (1 + inf) is exactly 0, the right limit, so that overflow's warning is
    silenced (the decorator above).

    Args:
        z: any shape.

    Returns:
        the sigmoid of each element: z's shape, values in [0, 1].
    """
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """The sigmoid's derivative, s (1 - s), at the point whose output is s.

    Args:
        s: any shape, sigmoid outputs.

    Returns:
        s's shape.
    """
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent.

    Args:
        z: any shape.

    Returns:
        z's shape, values in [-1, 1].
    """
    return np.tanh(z)


def tanh_grad(t: np.ndarray) -> np.ndarray:
    """The derivative of tanh, 1 - t^2, at the point whose output is t.

    Args:
        t: any shape, tanh outputs.

    Returns:
        t's shape.
    """
    return 1.0 - t * t
