"""Mean squared error, the loss of the article's regression (docs/dense-mse.md)."""

from typing import NamedTuple

import numpy as np

# --8<-- [start:mse]


class MSECache(NamedTuple):
    """What ``mse_backward`` needs from ``mse_forward``."""

    diff: np.ndarray  # y_pred - y_true, any shape


def mse_forward(y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, MSECache]:
    """Mean of (y_pred - y_true)^2 over every element.

    Keras's ``mean_squared_error`` averages over the last axis, then over the rest of
    the batch: for equal-sized axes that is the same single mean.

    Args:
        y_pred: the predictions, any shape, e.g. (N, T, O).
        y_true: the targets, the shape of y_pred.

    Returns:
        the loss (a float) and the cache for ``mse_backward``.
    """
    diff = y_pred - y_true
    return float(np.mean(diff * diff)), MSECache(diff)


# assignment: mse_backward
def mse_backward(dloss: float, cache: MSECache) -> np.ndarray:
    """Backward of ``mse_forward``: the gradient on y_pred, 2 (y_pred - y_true) / size.

    Args:
        dloss: gradient on the loss (1.0 when the MSE is the final loss).
        cache: the forward's ``MSECache``.

    Returns:
        dy_pred, shaped like y_pred. (y_true is data, so it gets no gradient.)
    """
    diff = cache.diff
    return dloss * 2.0 * diff / diff.size


# --8<-- [end:mse]
