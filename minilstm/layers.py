"""The layers, with Keras's interface: each holds its weights and wraps the pure forward
and backward functions of its module (``minilstm.lstm``, ``minilstm.gru``,
``minilstm.simple_rnn``, ``minilstm.dense``).

A layer makes its weights on its first ``forward`` (or ``build``), when the number of
input features is known, as Keras does; ``forward`` checks its arguments and keeps the
cache of its last call; ``backward`` uses that cache and sets ``grads``, the gradients
of the weights by their Keras names.
"""

from collections.abc import Callable

import numpy as np

from minilstm.dense import DenseCache, dense_backward, dense_forward
from minilstm.gru import gru_backward, gru_forward, gru_step_forward
from minilstm.initializers import glorot_uniform, orthogonal, unit_forget_bias
from minilstm.lstm import lstm_backward, lstm_forward, lstm_step_forward
from minilstm.simple_rnn import rnn_backward, rnn_forward, rnn_step_forward
from minilstm.validation import (
    check_array,
    check_bool,
    check_dtype,
    check_int,
    check_seed,
    check_states,
    check_weights,
)

# The states handed from step to step, (h, c) or (h,); the weights in Keras's order.
States = tuple[np.ndarray, ...]
Weights = tuple[np.ndarray, np.ndarray, np.ndarray]

# --8<-- [start:recurrent]


class Recurrent:
    """What the three recurrent layers share: Keras's interface around a cell's pure
    sequence functions. ``LSTM``, ``GRU`` and ``SimpleRNN`` each say only what differs:
    the number of gate blocks, the states, the initial bias and which functions to call.

    The weights are made on the first ``forward`` (or by ``build``), when the number of
    input features D is known, as Keras does. ``forward`` keeps the cache of its last
    call for ``backward``; ``grads`` holds the weight gradients of the last
    ``backward``.

    Args:
        units: H, the size of the hidden state (and of the LSTM's cell state).
        return_sequences: return every step's h (N, T, H) instead of the last one
            (N, H).
        return_state: return [y, *states] (the final states) instead of y.
        seed: seed of the initial weights (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    blocks: int  # gate blocks side by side in the kernels' columns
    states: tuple[str, ...] = ("h",)  # the names of the states handed from step to step

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
        self._cache = None

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    def initial_bias(self) -> np.ndarray:
        """The bias Keras starts this layer with (zeros unless a subclass says)."""
        return np.zeros(self.blocks * self.units, dtype=self.dtype)

    def build(self, input_dim: int) -> None:
        """Make the weights for D = input_dim input features (Keras's initializers).

        Args:
            input_dim: D, the number of input features.
        """
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        columns = self.blocks * self.units
        self.kernel = glorot_uniform((input_dim, columns), rng, self.dtype)
        self.recurrent_kernel = orthogonal((self.units, columns), rng, self.dtype)
        self.bias = self.initial_bias()

    def get_weights(self) -> list[np.ndarray]:
        """[kernel, recurrent_kernel, bias], copies; [] before build."""
        if not self.built:
            return []
        return [self.kernel.copy(), self.recurrent_kernel.copy(), self.bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights, copying them; before ``build`` any D is taken.

        Args:
            weights: [kernel, recurrent_kernel, bias], shaped as ``get_weights``.
        """
        columns = self.blocks * self.units
        D = self.kernel.shape[0] if self.built else "D"
        shapes = [(D, columns), (self.units, columns), self.initial_bias().shape]
        self.kernel, self.recurrent_kernel, self.bias = check_weights(
            weights, "weights", shapes, self.dtype
        )

    def forward(
        self, x: np.ndarray, initial_state: list[np.ndarray] | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer over x.

        Args:
            x: (N, T, D) inputs.
            initial_state: the initial states, each (N, H): [h0, c0] for the LSTM,
                [h0] for the others; zeros if None.

        Returns:
            y, or [y, *states] with ``return_state``: y is (N, T, H) with
            ``return_sequences``, else (N, H); the final states are (N, H) each.
        """
        sizes = {}
        D = self.kernel.shape[0] if self.built else "D"
        x = check_array(x, "x", ("N", "T", D), self.dtype, sizes)
        if not self.built:
            self.build(x.shape[2])
        if initial_state is None:
            zeros = np.zeros((x.shape[0], self.units), dtype=self.dtype)
            states = (zeros,) * len(self.states)
        else:
            H = self.units
            given = check_states(initial_state, "initial_state", self.states)
            states = tuple(
                check_array(s, f"initial_state[{k}]", ("N", H), self.dtype, sizes)
                for k, s in enumerate(given)
            )
        weights = (self.kernel, self.recurrent_kernel, self.bias)
        hs, final, self._cache = self.sequence_forward(x, states, weights)
        y = hs if self.return_sequences else final[0]
        return [y, *final] if self.return_state else y

    def state_gradients(
        self, dy: np.ndarray | None, dstates: tuple[np.ndarray | None, ...]
    ) -> tuple[np.ndarray, ...]:
        """Backward of the last ``forward``, given the gradients on its final states;
        sets ``grads``. Each layer's ``backward`` names the states and calls this.

        Args:
            dy: gradient on y, shaped like y (None: zero).
            dstates: (N, H) gradients on the final states returned with
                ``return_state``, in ``states`` order (None: zero).

        Returns:
            dx (N, T, D), then the gradient on each initial state, (N, H).
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        N, T, _ = self._cache.x.shape
        H = self.units
        sizes = {"N": (N, "the last forward"), "T": (T, "the last forward")}
        y_shape = ("N", "T", H) if self.return_sequences else ("N", H)
        # NaN is let through: it comes from a diverging training, which fit reports.
        if dy is not None:
            dy = check_array(dy, "dy", y_shape, self.dtype, sizes, finite=False)
        dstates = tuple(
            np.zeros((N, H), dtype=self.dtype)
            if g is None
            else check_array(g, f"d{name}", ("N", H), self.dtype, sizes, finite=False)
            for g, name in zip(dstates, self.states, strict=True)
        )
        dhs = np.zeros((N, T, H), dtype=self.dtype)
        if dy is not None and self.return_sequences:
            dhs += dy
        elif dy is not None:
            dhs[:, -1] += dy  # y is the last step's h
        dx, dstates0, (dkernel, drecurrent, dbias) = self.sequence_backward(
            dhs, dstates, self._cache
        )
        self.grads = {"kernel": dkernel, "recurrent_kernel": drecurrent, "bias": dbias}
        return (dx, *dstates0)


# --8<-- [end:recurrent]
# --8<-- [start:lstm]


class LSTM(Recurrent):
    """An LSTM layer with Keras's interface: ``units``, ``return_sequences``,
    ``return_state`` (then it returns [y, h, c]). The pure functions it wraps are in
    ``minilstm.lstm``.

    Weights: kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,), blocks i, f, c, o.

    Args:
        units: H, the size of the hidden and cell states.
        return_sequences: return every step's h (N, T, H) instead of the last one
            (N, H).
        return_state: return [y, h, c] instead of y.
        seed: seed of the initial weights (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    blocks = 4
    states = ("h", "c")

    def initial_bias(self) -> np.ndarray:
        """Keras's ``unit_forget_bias``: ones in the forget gate's block."""
        return unit_forget_bias(self.units, self.dtype)

    @staticmethod
    def sequence_forward(x: np.ndarray, states: States, weights: Weights) -> tuple:
        """``lstm_forward`` as (hs, (h, c), cache)."""
        (hs, c), cache = lstm_forward(x, *states, *weights)
        return hs, (hs[:, -1], c), cache

    @staticmethod
    def sequence_backward(dhs: np.ndarray, dstates: States, cache: tuple) -> tuple:
        """``lstm_backward`` as (dx, (dh0, dc0), weight gradients)."""
        dx, dh0, dc0, *dweights = lstm_backward(dhs, *dstates, cache)
        return dx, (dh0, dc0), dweights

    @staticmethod
    def step_forward(x: np.ndarray, states: States, weights: Weights) -> States:
        """``lstm_step_forward`` without its cache: the new (h, c)."""
        return lstm_step_forward(x, *states, *weights)[0]

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
        return self.state_gradients(dy, (dh, dc))


# --8<-- [end:lstm]
# --8<-- [start:one_state]


class OneStateRecurrent(Recurrent):
    """What ``GRU`` and ``SimpleRNN`` share: h is their only state. Each names its
    module's sequence forward, BPTT and step forward in ``functions``; the adapters
    below call them."""

    functions: tuple[Callable, Callable, Callable]

    @classmethod
    def sequence_forward(cls, x: np.ndarray, states: States, weights: Weights) -> tuple:
        """The module's sequence forward as (hs, (h,), cache).

        Args:
            x: (N, T, D) inputs.
            states: (h0,), h0 (N, H).
            weights: (kernel, recurrent_kernel, bias).
        """
        hs, cache = cls.functions[0](x, *states, *weights)
        return hs, (hs[:, -1],), cache

    @classmethod
    def sequence_backward(cls, dhs: np.ndarray, dstates: States, cache: tuple) -> tuple:
        """The module's BPTT as (dx, (dh0,), weight gradients).

        Args:
            dhs: (N, T, H) gradient on every step's h.
            dstates: (dh,), the gradient on the final h, (N, H).
            cache: the sequence forward's cache.
        """
        dx, dh0, *dweights = cls.functions[1](dhs, *dstates, cache)
        return dx, (dh0,), dweights

    @classmethod
    def step_forward(cls, x: np.ndarray, states: States, weights: Weights) -> States:
        """The module's step forward without its cache: the new (h,).

        Args:
            x: (N, D) input at this step.
            states: (h_prev,), h_prev (N, H).
            weights: (kernel, recurrent_kernel, bias).
        """
        return (cls.functions[2](x, *states, *weights)[0],)

    def backward(
        self, dy: np.ndarray | None, dh: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backward of the last ``forward``; sets ``grads``.

        Args:
            dy: gradient on y, shaped like y (None: zero).
            dh: (N, H) gradient on the final h returned with ``return_state``
                (None: zero).

        Returns:
            dx (N, T, D), dh0 (N, H).
        """
        return self.state_gradients(dy, (dh,))


# --8<-- [end:one_state]
# --8<-- [start:gru]


class GRU(OneStateRecurrent):
    """Keras 3's default GRU layer (``reset_after=True``) with Keras's interface:
    ``units``, ``return_sequences``, ``return_state`` (then it returns [y, h]). The pure
    functions it wraps are in ``minilstm.gru``.

    Weights: kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H) (row 0 the input
    bias, row 1 the recurrent bias), blocks z, r, h; the bias starts at zero.

    Args:
        units: H, the size of the hidden state.
        return_sequences: return every step's h (N, T, H) instead of the last one
            (N, H).
        return_state: return [y, h] instead of y.
        seed: seed of the initial weights (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    blocks = 3
    functions = (gru_forward, gru_backward, gru_step_forward)

    def initial_bias(self) -> np.ndarray:
        """Zeros (2, 3H): an input and a recurrent bias, as Keras's ``reset_after``."""
        return np.zeros((2, 3 * self.units), dtype=self.dtype)


# --8<-- [end:gru]
# --8<-- [start:simple_rnn]


class SimpleRNN(OneStateRecurrent):
    """Keras's ``SimpleRNN`` layer (tanh, no gate) with Keras's interface: ``units``,
    ``return_sequences``, ``return_state`` (then it returns [y, h]). The pure functions
    it wraps are in ``minilstm.simple_rnn``.

    Weights: kernel (D, H), recurrent_kernel (H, H), bias (H,), the bias starting at
    zero.

    Args:
        units: H, the size of the hidden state.
        return_sequences: return every step's h (N, T, H) instead of the last one
            (N, H).
        return_state: return [y, h] instead of y.
        seed: seed of the initial weights (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    blocks = 1
    functions = (rnn_forward, rnn_backward, rnn_step_forward)


# --8<-- [end:simple_rnn]

# The layers by the names ``Seq2Seq(cell=...)`` takes.
CELLS: dict[str, type[Recurrent]] = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


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
        """[kernel (H, O), bias (O,)], copies; [] before build."""
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
