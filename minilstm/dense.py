"""The Dense layer applied at every time step: y = x W + b on the last axis.

Keras applies a Dense layer to a (N, T, H) input step by step with the same weights;
a matrix product on the last axis does exactly that for all steps at once (docs/dense-mse.md).
"""

from typing import NamedTuple

import numpy as np

from minilstm.initializers import glorot_uniform
from minilstm.validation import check_array, check_dtype, check_int, check_seed, check_weights

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
        x: (N, T, H). kernel: (H, O). bias: (O,).

    Returns:
        y (N, T, O) and the cache for ``dense_backward``.
    """
    y = x @ kernel
    y += bias  # in place: see lstm_forward on `x @ W + b` with large temporaries
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
    # np.dot on 2-D arrays: with O = 1, NumPy's matmul of (N, T, 1) by (1, H) skips BLAS
    # and is 6x slower.
    dx = np.dot(dy, kernel.T).reshape(x.shape)
    # Every step uses the same kernel: its gradient sums over batch and time.
    dkernel = x.reshape(-1, H).T @ dy
    dbias = dy.sum(axis=0)
    return dx, dkernel, dbias


# --8<-- [end:functions]
# --8<-- [start:layer]


class Dense:
    """Keras's ``Dense(units)`` with a linear activation, applied at every step.

    Args:
        units: O, the number of outputs.
        seed: seed of the initial kernel (Glorot uniform; the bias starts at zero).
        dtype: float64 (default) or float32.
    """

    def __init__(self, units: int, seed: int | None = None, dtype: np.dtype = np.float64) -> None:
        self.units = check_int(units, "units")
        self.seed = check_seed(seed)
        self.dtype = check_dtype(dtype)
        self.kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.grads: dict[str, np.ndarray] = {}
        self._cache: DenseCache | None = None

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    def _input_dim(self) -> int | str:
        # H once the weights exist; until then any number of features builds the layer.
        return self.kernel.shape[0] if self.built else "H"

    def build(self, input_dim: int) -> None:
        """Make the weights for H = input_dim input features."""
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        self.kernel = glorot_uniform((input_dim, self.units), rng, self.dtype)
        self.bias = np.zeros(self.units, dtype=self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """[kernel (H, O), bias (O,)], copies; [] before build."""
        if not self.built:
            return []
        return [self.kernel.copy(), self.bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set [kernel (H, O), bias (O,)], copying them."""
        shapes = [(self._input_dim(), self.units), (self.units,)]
        self.kernel, self.bias = check_weights(weights, "weights", shapes, self.dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, T, H) -> y: (N, T, O)."""
        x = check_array(x, "x", ("N", "T", self._input_dim()), self.dtype)
        if not self.built:
            self.build(x.shape[-1])
        return self._forward(x)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        # forward on an input known to be valid, for the models that checked it already.
        y, self._cache = dense_forward(x, self.kernel, self.bias)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy: (N, T, O) -> dx: (N, T, H); sets ``grads``."""
        if self._cache is None:
            raise RuntimeError("Dense.backward called before forward")
        N, T, _ = self._cache.x.shape
        sizes = {"N": (N, "the last forward"), "T": (T, "the last forward")}
        # Not checked for NaN: see LSTM.backward.
        dy = check_array(dy, "dy", ("N", "T", self.units), self.dtype, sizes, finite=False)
        return self._backward(dy)

    def _backward(self, dy: np.ndarray) -> np.ndarray:
        # backward on a gradient known to be valid, for the models that made it.
        dx, dkernel, dbias = dense_backward(dy, self._cache)
        self.grads = {"kernel": dkernel, "bias": dbias}
        return dx


# --8<-- [end:layer]
