"""Weight initializers, the Keras defaults of an LSTM and a Dense layer.

Each takes a NumPy ``Generator`` so that a seed fixes every weight of a model.
Why these three: docs/lstm-cell.md, "Initialisation".
"""

import numpy as np


def glorot_uniform(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype = np.float64
) -> np.ndarray:
    """Uniform on [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)).

    Keeps the variance of activations and gradients about the same from layer to layer.

    Args:
        shape: (fan_in, fan_out), e.g. a kernel (D, 4H).
        rng: the random generator to draw from.

    Returns:
        (fan_in, fan_out) array of ``dtype``.
    """
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def orthogonal(
    shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype = np.float64
) -> np.ndarray:
    """A matrix with orthonormal rows (or columns), as Keras's ``Orthogonal``
    initializer.

    A recurrent kernel applied again at every step neither blows up nor shrinks a vector
    when it is orthogonal, since all its singular values are one.

    Args:
        shape: (rows, cols), e.g. a recurrent kernel (H, 4H).
        rng: the random generator to draw from.

    Returns:
        (rows, cols) array of ``dtype``: rows orthonormal when rows <= cols, else
        columns.
    """
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    # The sign fix makes q uniformly distributed over orthogonal matrices
    # (QR alone is not).
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    # C order, not the transposed view: h U runs at every step, and OpenBLAS multiplies
    # by a Fortran-order U about half as fast (docs/performance.md).
    return np.ascontiguousarray(q, dtype=dtype)


def unit_forget_bias(units: int, dtype: np.dtype = np.float64) -> np.ndarray:
    """LSTM bias (4H,): zeros, but ones in the forget gate's block
    (the second of i, f, c, o).

    A forget gate that starts near sigmoid(1) = 0.73 keeps the cell state at first, so
    gradients can flow through many steps from the start of training.
    """
    bias = np.zeros(4 * units, dtype=dtype)
    bias[units : 2 * units] = 1.0
    return bias
