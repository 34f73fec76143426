"""The Dense layer applied at every time step: y = x W + b on the last axis, as pure
functions and as the ``Dense`` layer that wraps them with Keras's interface.

Keras applies a Dense layer to a (N, T, H) input step by step with the same weights; a
matrix product on the last axis does exactly that for all steps at once
(docs/dense-mse.md).
"""

from typing import NamedTuple

import numpy as np

from minilstm.initializers import glorot_uniform
from minilstm.validation import (
    check_array,
    check_dtype,
    check_int,
    check_seed,
    check_weights,
)

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


# --8<-- [start:layer]


class Dense:
    """Keras's ``Dense(units)`` with a linear activation, applied at every step.

    Args:
        units: O, the number of outputs.
        seed: seed of the initial kernel (Glorot uniform; the bias starts at zero).
        dtype: float64 (default) or float32.
    """

    def __init__(
        self, units: int, seed: int | None = None, dtype: np.dtype = np.float64
    ) -> None:
        self.units = check_int(units, "units")
        self.seed = check_seed(seed)
        self.dtype = check_dtype(dtype)
        self.kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.grads: dict[str, np.ndarray] = {}
        self._cache: DenseCache | None = None

    weight_names = ("kernel", "bias")  # Keras's, in Keras's order

    @staticmethod
    def weight_shapes(input_dim: int, units: int) -> list[tuple[int, ...]]:
        """The shapes of [kernel, bias]: (H, O) and (O,).

        Args:
            input_dim: H, the number of input features.
            units: O.
        """
        return [(input_dim, units), (units,)]

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """[kernel, bias] themselves (not copies); [] before build."""
        return [self.kernel, self.bias] if self.built else []

    def build(self, input_dim: int) -> None:
        """Make the weights for H = input_dim input features.

        Args:
            input_dim: H, the number of input features.
        """
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        kernel, bias = self.weight_shapes(input_dim, self.units)
        self.kernel = glorot_uniform(kernel, rng, self.dtype)
        self.bias = np.zeros(bias, dtype=self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """[kernel (H, O), bias (O,)], copies; [] before build."""
        return [w.copy() for w in self.trainable_weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights, copying them; before ``build`` any H is taken.

        Args:
            weights: [kernel (H, O), bias (O,)].
        """
        H = self.kernel.shape[0] if self.built else "H"
        shapes = self.weight_shapes(H, self.units)
        self.kernel, self.bias = check_weights(weights, "weights", shapes, self.dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply the layer at every step: check x, build if needed, then ``call``.

        Args:
            x: (N, T, H) inputs.

        Returns:
            y: (N, T, O).
        """
        H = self.kernel.shape[0] if self.built else "H"
        x = check_array(x, "x", ("N", "T", H), self.dtype)
        if not self.built:
            self.build(x.shape[-1])
        return self.call(x)

    def call(self, x: np.ndarray) -> np.ndarray:
        """``dense_forward`` with this layer's weights, unchecked.

        Args:
            x: (N, T, H) inputs.

        Returns:
            y: (N, T, O).
        """
        y, self._cache = dense_forward(x, self.kernel, self.bias)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Backward of the last ``forward``: check dy, then ``backprop``; sets
        ``grads``.

        Args:
            dy: (N, T, O) gradient on y.

        Returns:
            dx: (N, T, H).
        """
        if self._cache is None:
            raise RuntimeError("Dense.backward called before forward")
        N, T, _ = self._cache.x.shape
        sizes = {"N": (N, "the last forward"), "T": (T, "the last forward")}
        # NaN is let through, as in LSTM.backward.
        dy = check_array(
            dy, "dy", ("N", "T", self.units), self.dtype, sizes, finite=False
        )
        return self.backprop(dy)

    def backprop(self, dy: np.ndarray) -> np.ndarray:
        """``dense_backward`` of the last ``call``, unchecked; sets ``grads``.

        Args:
            dy: (N, T, O) gradient on y.

        Returns:
            dx: (N, T, H).
        """
        dx, *dweights = dense_backward(dy, self._cache)
        self.grads = dict(zip(self.weight_names, dweights, strict=True))
        return dx


# --8<-- [end:layer]
