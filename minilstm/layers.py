"""The layers, with Keras's interface: each holds its weights and wraps the pure forward
and backward functions of its module (``minilstm.lstm``, ``minilstm.dense``).

A layer makes its weights on its first ``forward`` (or ``build``), when the number of
input features is known, as Keras does; ``forward`` checks its arguments and keeps the
cache of its last call; ``backward`` uses that cache and sets ``grads``, the gradients
of the weights by their Keras names.
"""

import numpy as np

from minilstm.dense import DenseCache, dense_backward, dense_forward
from minilstm.initializers import glorot_uniform, orthogonal, unit_forget_bias
from minilstm.lstm import SequenceCache, lstm_backward, lstm_forward
from minilstm.validation import (
    check_array,
    check_bool,
    check_dtype,
    check_int,
    check_pair,
    check_seed,
    check_weights,
)

# --8<-- [start:lstm]


class LSTM:
    """An LSTM layer as Keras's: ``units``, ``return_sequences``, ``return_state``.

    The weights are made on the first ``forward`` (or by ``build``), when the number of
    input features D is known, as Keras does. ``forward`` keeps the cache of its last
    call for ``backward``; ``grads`` holds the weight gradients of the last
    ``backward``.

    Args:
        units: H, the size of the hidden and cell states.
        return_sequences: return every step's h (N, T, H) instead of the last one
            (N, H).
        return_state: return [y, h, c] instead of y.
        seed: seed of the initial weights (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        seed: int | None = None,
        dtype: np.dtype = np.float64,
    ) -> None:
        self.units = check_int(units, "units")
        self.return_sequences = check_bool(return_sequences, "return_sequences")
        self.return_state = check_bool(return_state, "return_state")
        self.seed = check_seed(seed)
        self.dtype = check_dtype(dtype)
        self.kernel: np.ndarray | None = None
        self.recurrent_kernel: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.grads: dict[str, np.ndarray] = {}
        self._cache: SequenceCache | None = None

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    def build(self, input_dim: int) -> None:
        """Make the weights for D = input_dim input features (Keras's initializers).

        Args:
            input_dim: D, the number of input features.
        """
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        H = self.units
        self.kernel = glorot_uniform((input_dim, 4 * H), rng, self.dtype)
        self.recurrent_kernel = orthogonal((H, 4 * H), rng, self.dtype)
        self.bias = unit_forget_bias(H, self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of [kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)].

        An empty list before build.
        """
        if not self.built:
            return []
        return [self.kernel.copy(), self.recurrent_kernel.copy(), self.bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights, copying them; before ``build`` any D is taken.

        Args:
            weights: [kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)].
        """
        H4 = 4 * self.units
        D = self.kernel.shape[0] if self.built else "D"
        shapes = [(D, H4), (self.units, H4), (H4,)]
        self.kernel, self.recurrent_kernel, self.bias = check_weights(
            weights, "weights", shapes, self.dtype
        )

    def forward(
        self, x: np.ndarray, initial_state: list[np.ndarray] | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer over x.

        Args:
            x: (N, T, D) inputs.
            initial_state: [h0, c0], each (N, H); zeros if None.

        Returns:
            y, or [y, h, c] with ``return_state``: y is (N, T, H) with
            ``return_sequences``, else (N, H); h and c are (N, H), the final states.
        """
        sizes = {}
        D = self.kernel.shape[0] if self.built else "D"
        x = check_array(x, "x", ("N", "T", D), self.dtype, sizes)
        if not self.built:
            self.build(x.shape[2])
        if initial_state is None:
            h0 = c0 = np.zeros((x.shape[0], self.units), dtype=self.dtype)
        else:
            h0, c0 = (
                check_array(
                    s, f"initial_state[{k}]", ("N", self.units), self.dtype, sizes
                )
                for k, s in enumerate(check_pair(initial_state, "initial_state"))
            )
        (hs, c), self._cache = lstm_forward(
            x, h0, c0, self.kernel, self.recurrent_kernel, self.bias
        )
        h = hs[:, -1]
        y = hs if self.return_sequences else h
        return [y, h, c] if self.return_state else y

    def backward(
        self,
        dy: np.ndarray | None,
        dh: np.ndarray | None = None,
        dc: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backward of the last ``forward``; sets ``grads``.

        Args:
            dy: gradient on y, shaped like y (None: zero).
            dh: (N, H) gradient on the final h returned with ``return_state``
                (None: zero).
            dc: (N, H) gradient on the final c returned with ``return_state``
                (None: zero).

        Returns:
            dx (N, T, D), dh0 (N, H), dc0 (N, H).
        """
        if self._cache is None:
            raise RuntimeError("LSTM.backward called before forward")
        N, T, _ = self._cache.x.shape
        H = self.units
        sizes = {"N": (N, "the last forward"), "T": (T, "the last forward")}
        y_shape = ("N", "T", H) if self.return_sequences else ("N", H)
        # NaN is let through: it comes from a diverging training, which fit reports.
        dy, dh, dc = (
            None
            if g is None
            else check_array(g, name, shape, self.dtype, sizes, finite=False)
            for g, name, shape in (
                (dy, "dy", y_shape),
                (dh, "dh", ("N", H)),
                (dc, "dc", ("N", H)),
            )
        )
        zeros = np.zeros((N, H), dtype=self.dtype)
        dhs = np.zeros((N, T, H), dtype=self.dtype)
        if dy is not None and self.return_sequences:
            dhs += dy
        elif dy is not None:
            dhs[:, -1] += dy  # y is the last step's h
        dh = zeros if dh is None else dh
        dc = zeros if dc is None else dc
        dx, dh0, dc0, dkernel, drecurrent_kernel, dbias = lstm_backward(
            dhs, dh, dc, self._cache
        )
        self.grads = {
            "kernel": dkernel,
            "recurrent_kernel": drecurrent_kernel,
            "bias": dbias,
        }
        return dx, dh0, dc0


# --8<-- [end:lstm]


# --8<-- [start:dense]


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

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    def build(self, input_dim: int) -> None:
        """Make the weights for H = input_dim input features.

        Args:
            input_dim: H, the number of input features.
        """
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        self.kernel = glorot_uniform((input_dim, self.units), rng, self.dtype)
        self.bias = np.zeros(self.units, dtype=self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of [kernel (H, O), bias (O,)].

        An empty list before build.
        """
        if not self.built:
            return []
        return [self.kernel.copy(), self.bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights, copying them; before ``build`` any H is taken.

        Args:
            weights: [kernel (H, O), bias (O,)].
        """
        H = self.kernel.shape[0] if self.built else "H"
        shapes = [(H, self.units), (self.units,)]
        self.kernel, self.bias = check_weights(weights, "weights", shapes, self.dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply the layer at every step.

        Args:
            x: (N, T, H) inputs.

        Returns:
            y: (N, T, O).
        """
        H = self.kernel.shape[0] if self.built else "H"
        x = check_array(x, "x", ("N", "T", H), self.dtype)
        if not self.built:
            self.build(x.shape[-1])
        y, self._cache = dense_forward(x, self.kernel, self.bias)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Backward of the last ``forward``; sets ``grads``.

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
        dx, dkernel, dbias = dense_backward(dy, self._cache)
        self.grads = {"kernel": dkernel, "bias": dbias}
        return dx


# --8<-- [end:dense]
