"""The Dense layer applied at every time step: y = x W + b on the last axis.

Keras applies a Dense layer to a (N, T, H) input step by step with the same weights; a
matrix product on the last axis does exactly that for all steps at once
(docs/dense-mse.md).
"""

from typing import NamedTuple

import numpy as np

# --8<-- [start:functions]


class DenseCache(NamedTuple):
    """What ``dense_backward`` needs from ``dense_forward``."""

    x: np.ndarray  # (N, T, H)
    kernel: np.ndarray  # (H, O)


def dense_forward(
    x: np.ndarray, kernel: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, DenseCache]:
    """Linear layer on the last axis.

    Args:
        x: (N, T, H) inputs.
        kernel: (H, O) weights.
        bias: (O,) bias.

    Returns:
        y (N, T, O) and the cache for ``dense_backward``.
    """
    y = x @ kernel
    y += bias  # in place, as in lstm_step_forward (docs/performance.md)
    return y, DenseCache(x, kernel)


# assignment: dense_backward
def dense_backward(dy: np.ndarray, cache: DenseCache) -> tuple[np.ndarray, ...]:
    """Backward of ``dense_forward``.

    Args:
        dy: (N, T, O) gradient on y.
        cache: the forward's ``DenseCache``.

    Returns:
        dx (N, T, H), dkernel (H, O), dbias (O,).
    """
    x, kernel = cache
    H, O = kernel.shape
    dy = dy.reshape(-1, O)
    # np.dot, not @, which skips BLAS when O = 1 (docs/performance.md).
    dx = np.dot(dy, kernel.T).reshape(x.shape)
    # Every step uses the same kernel: its gradient sums over batch and time.
    dkernel = x.reshape(-1, H).T @ dy
    dbias = dy.sum(axis=0)
    return dx, dkernel, dbias


# --8<-- [end:functions]
