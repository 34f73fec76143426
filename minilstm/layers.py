"""The recurrent layers, with Keras's interface: each holds its weights and wraps the
pure functions of its cell's module (``lstm``, ``gru``, ``simple_rnn``). The Dense
layer, with the same calls, stands beside its functions in ``minilstm.dense``.

A layer makes its weights on its first ``forward`` (or ``build``), when the number of
input features is known, as Keras does. Each layer has two pairs of calls:

- ``forward`` and ``backward``, for a user: they check their arguments, then run
  ``call`` and ``backprop``;
- ``call`` and ``backprop``, the computation itself, unchecked: ``Seq2Seq`` runs these
  on every batch, once its own methods have checked the data.

``call`` keeps the cache of the module's forward for ``backprop``, which sets
``grads``, the gradients of the weights by their Keras names.
"""

import numpy as np

from minilstm.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward
from minilstm.initializers import glorot_uniform, orthogonal, unit_forget_bias
from minilstm.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from minilstm.simple_rnn import (
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from minilstm.validation import (
    check_array,
    check_bool,
    check_dtype,
    check_int,
    check_seed,
    check_states,
    check_weights,
)

# The states handed from step to step: (h, c) for the LSTM, (h,) for the others.
States = tuple[np.ndarray, ...]
Shape = tuple[int, ...]

# --8<-- [start:recurrent]


class Recurrent:
    """What the three recurrent layers share: Keras's interface around a cell's pure
    sequence functions. ``LSTM``, ``GRU`` and ``SimpleRNN`` each say only what differs:
    the number of gate blocks, the states, the bias, and which functions ``call``,
    ``backprop`` and ``step`` run.

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
    weight_names = ("kernel", "recurrent_kernel", "bias")  # Keras's, in Keras's order

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

    @classmethod
    def bias_shape(cls, units: int) -> Shape:
        """The bias's shape, (blocks * H,) unless a layer says otherwise."""
        return (cls.blocks * units,)

    @classmethod
    def weight_shapes(cls, input_dim: int, units: int) -> list[Shape]:
        """The shapes of [kernel, recurrent_kernel, bias]: (D, blocks * H),
        (H, blocks * H) and ``bias_shape``. The one place they are written.

        Args:
            input_dim: D, the number of input features.
            units: H.
        """
        columns = cls.blocks * units
        return [(input_dim, columns), (units, columns), cls.bias_shape(units)]

    @property
    def built(self) -> bool:
        """Whether the weights exist (after ``build`` or the first ``forward``)."""
        return self.kernel is not None

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """[kernel, recurrent_kernel, bias] themselves (not copies); [] before
        build."""
        return [self.kernel, self.recurrent_kernel, self.bias] if self.built else []

    def initial_bias(self) -> np.ndarray:
        """The bias Keras starts this layer with (zeros unless a subclass says)."""
        return np.zeros(self.bias_shape(self.units), dtype=self.dtype)

    def build(self, input_dim: int) -> None:
        """Make the weights for D = input_dim input features (Keras's initializers).

        Args:
            input_dim: D, the number of input features.
        """
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        kernel, recurrent = self.weight_shapes(input_dim, self.units)[:2]
        self.kernel = glorot_uniform(kernel, rng, self.dtype)
        self.recurrent_kernel = orthogonal(recurrent, rng, self.dtype)
        self.bias = self.initial_bias()

    def get_weights(self) -> list[np.ndarray]:
        """[kernel, recurrent_kernel, bias], copies; [] before build."""
        return [w.copy() for w in self.trainable_weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights, copying them; before ``build`` any D is taken.

        Args:
            weights: [kernel, recurrent_kernel, bias], shaped as ``get_weights``.
        """
        D = self.kernel.shape[0] if self.built else "D"
        shapes = self.weight_shapes(D, self.units)
        self.kernel, self.recurrent_kernel, self.bias = check_weights(
            weights, "weights", shapes, self.dtype
        )

    def zero_states(self, N: int) -> States:
        """A zero (N, H) array for each state: where a sequence starts by default."""
        return tuple(np.zeros((N, self.units), dtype=self.dtype) for _ in self.states)

    def forward(
        self, x: np.ndarray, initial_state: list[np.ndarray] | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer over x: check the arguments, build if needed, then ``call``.

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
            states = self.zero_states(len(x))
        else:
            given = check_states(initial_state, "initial_state", self.states)
            H = self.units
            states = tuple(
                check_array(s, f"initial_state[{k}]", ("N", H), self.dtype, sizes)
                for k, s in enumerate(given)
            )
        hs, final = self.call(x, states)
        y = hs if self.return_sequences else final[0]
        return [y, *final] if self.return_state else y

    # What each layer defines: its module's functions on its weights, unchecked.
    def call(self, x: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        """The module's sequence forward on the layer's weights; keeps its cache.

        Args:
            x: (N, T, D) inputs.
            states: the initial states, each (N, H), in ``states`` order.

        Returns:
            hs (N, T, H), every step's h, and the final states, each (N, H).
        """
        raise NotImplementedError

    def backprop(
        self, dhs: np.ndarray | None, dstates: tuple | None
    ) -> tuple[np.ndarray, States]:
        """The module's BPTT on the cache of the last ``call``; sets ``grads``.

        Args:
            dhs: (N, T, H) gradient on every step's h (None: zero).
            dstates: the gradients on the final states, each (N, H) or None (zero);
                None: all zero.

        Returns:
            dx (N, T, D) and the gradients on the initial states, each (N, H).
        """
        raise NotImplementedError

    def step(self, x: np.ndarray, states: States) -> States:
        """The module's step forward on the layer's weights, without its cache (for
        decoding, where nothing goes backward).

        Args:
            x: (N, D) input at this step.
            states: the previous states, each (N, H).

        Returns:
            the new states.
        """
        return self.step_call(x, states)[0]

    def step_call(self, x: np.ndarray, states: States) -> tuple[States, tuple]:
        """The module's step forward on the layer's weights, with its cache: for a
        decoder run one step at a time (``Seq2Seq`` with scheduled sampling).

        Args:
            x: (N, D) input at this step.
            states: the previous states, each (N, H).

        Returns:
            the new states and the step's cache for ``step_backprop``.
        """
        raise NotImplementedError

    def step_backprop(
        self, dstates: States, cache: tuple
    ) -> tuple[np.ndarray, States, list[np.ndarray]]:
        """The module's step backward of one ``step_call``, unchecked.

        Args:
            dstates: the gradients on the step's new states, each (N, H).
            cache: the cache ``step_call`` returned.

        Returns:
            dx (N, D), the gradients on the previous states, and the step's gradients
            of [kernel, recurrent_kernel, bias].
        """
        raise NotImplementedError

    def backward(
        self, dy: np.ndarray | None, dh: np.ndarray | None = None
    ) -> tuple[np.ndarray, ...]:
        """Backward of the last ``forward``: check the gradients, then ``backprop``;
        sets ``grads``.

        Args:
            dy: gradient on y, shaped like y (None: zero).
            dh: (N, H) gradient on the final h returned with ``return_state``
                (None: zero).

        Returns:
            dx (N, T, D), dh0 (N, H).
        """
        return self._checked_backprop(dy, (dh,))

    def _checked_backprop(
        self, dy: np.ndarray | None, dstates: tuple[np.ndarray | None, ...]
    ) -> tuple[np.ndarray, ...]:
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
            None
            if g is None
            else check_array(g, f"d{name}", ("N", H), self.dtype, sizes, finite=False)
            for g, name in zip(dstates, self.states, strict=True)
        )
        dhs = dy
        if dy is not None and not self.return_sequences:
            dhs = np.zeros((N, T, H), dtype=self.dtype)
            dhs[:, -1] = dy  # y is the last step's h
        dx, dstates0 = self.backprop(dhs, dstates)
        return (dx, *dstates0)

    def _zeros_for_none(
        self, dhs: np.ndarray | None, dstates: tuple[np.ndarray | None, ...] | None
    ) -> tuple[np.ndarray, States]:
        # backprop's None gradients as zeros, shaped by the last call.
        N, T, _ = self._cache.x.shape
        if dhs is None:
            dhs = np.zeros((N, T, self.units), dtype=self.dtype)
        if dstates is None:
            dstates = (None,) * len(self.states)
        zeros = np.zeros((N, self.units), dtype=self.dtype)
        return dhs, tuple(zeros if g is None else g for g in dstates)


# --8<-- [end:recurrent]
# --8<-- [start:lstm]


class LSTM(Recurrent):
    """An LSTM layer with Keras's interface: ``units``, ``return_sequences``,
    ``return_state`` (then it returns [y, h, c]). It runs the pure functions of
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

    def call(self, x: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        """``lstm_forward`` on the layer's weights: x (N, T, D) and (h0, c0) to
        hs (N, T, H) and the final (h, c)."""
        h0, c0 = states
        (hs, c), self._cache = lstm_forward(x, h0, c0, *self.trainable_weights)
        return hs, (hs[:, -1], c)

    def backprop(
        self, dhs: np.ndarray | None, dstates: tuple | None
    ) -> tuple[np.ndarray, States]:
        """``lstm_backward`` of the last ``call``: dhs (N, T, H) and (dh, dc) to dx
        (N, T, D) and (dh0, dc0); sets ``grads``."""
        dhs, (dh, dc) = self._zeros_for_none(dhs, dstates)
        dx, dh0, dc0, *dweights = lstm_backward(dhs, dh, dc, self._cache)
        self.grads = dict(zip(self.weight_names, dweights, strict=True))
        return dx, (dh0, dc0)

    def step_call(self, x: np.ndarray, states: States) -> tuple[States, tuple]:
        """``lstm_step_forward`` on the layer's weights, with its cache."""
        h_prev, c_prev = states
        return lstm_step_forward(x, h_prev, c_prev, *self.trainable_weights)

    def step_backprop(
        self, dstates: States, cache: tuple
    ) -> tuple[np.ndarray, States, list[np.ndarray]]:
        """``lstm_step_backward``: (dh, dc) to dx, (dh_prev, dc_prev), dweights."""
        dx, dh_prev, dc_prev, *dweights = lstm_step_backward(*dstates, cache)
        return dx, (dh_prev, dc_prev), dweights

    def backward(
        self,
        dy: np.ndarray | None,
        dh: np.ndarray | None = None,
        dc: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backward of the last ``forward``: check the gradients, then ``backprop``;
        sets ``grads``.

        Args:
            dy: gradient on y, shaped like y (None: zero).
            dh: (N, H) gradient on the final h returned with ``return_state``
                (None: zero).
            dc: (N, H) gradient on the final c returned with ``return_state``
                (None: zero).

        Returns:
            dx (N, T, D), dh0 (N, H), dc0 (N, H).
        """
        return self._checked_backprop(dy, (dh, dc))


# --8<-- [end:lstm]
# --8<-- [start:gru]


class GRU(Recurrent):
    """Keras 3's default GRU layer (``reset_after=True``) with Keras's interface:
    ``units``, ``return_sequences``, ``return_state`` (then it returns [y, h]). It runs
    the pure functions of ``minilstm.gru``.

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

    @classmethod
    def bias_shape(cls, units: int) -> Shape:
        """(2, 3H): an input and a recurrent bias, as Keras's ``reset_after``."""
        return (2, 3 * units)

    def call(self, x: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        """``gru_forward`` on the layer's weights: x (N, T, D) and (h0,) to
        hs (N, T, H) and the final (h,)."""
        (h0,) = states
        hs, self._cache = gru_forward(x, h0, *self.trainable_weights)
        return hs, (hs[:, -1],)

    def backprop(
        self, dhs: np.ndarray | None, dstates: tuple | None
    ) -> tuple[np.ndarray, States]:
        """``gru_backward`` of the last ``call``: dhs (N, T, H) and (dh,) to dx
        (N, T, D) and (dh0,); sets ``grads``."""
        dhs, (dh,) = self._zeros_for_none(dhs, dstates)
        dx, dh0, *dweights = gru_backward(dhs, dh, self._cache)
        self.grads = dict(zip(self.weight_names, dweights, strict=True))
        return dx, (dh0,)

    def step_call(self, x: np.ndarray, states: States) -> tuple[States, tuple]:
        """``gru_step_forward`` on the layer's weights, with its cache."""
        (h_prev,) = states
        h, cache = gru_step_forward(x, h_prev, *self.trainable_weights)
        return (h,), cache

    def step_backprop(
        self, dstates: States, cache: tuple
    ) -> tuple[np.ndarray, States, list[np.ndarray]]:
        """``gru_step_backward``: (dh,) to dx, (dh_prev,), dweights."""
        dx, dh_prev, *dweights = gru_step_backward(*dstates, cache)
        return dx, (dh_prev,), dweights


# --8<-- [end:gru]
# --8<-- [start:simple_rnn]


class SimpleRNN(Recurrent):
    """Keras's ``SimpleRNN`` layer (tanh, no gate) with Keras's interface: ``units``,
    ``return_sequences``, ``return_state`` (then it returns [y, h]). It runs the pure
    functions of ``minilstm.simple_rnn``.

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

    def call(self, x: np.ndarray, states: States) -> tuple[np.ndarray, States]:
        """``rnn_forward`` on the layer's weights: x (N, T, D) and (h0,) to
        hs (N, T, H) and the final (h,)."""
        (h0,) = states
        hs, self._cache = rnn_forward(x, h0, *self.trainable_weights)
        return hs, (hs[:, -1],)

    def backprop(
        self, dhs: np.ndarray | None, dstates: tuple | None
    ) -> tuple[np.ndarray, States]:
        """``rnn_backward`` of the last ``call``: dhs (N, T, H) and (dh,) to dx
        (N, T, D) and (dh0,); sets ``grads``."""
        dhs, (dh,) = self._zeros_for_none(dhs, dstates)
        dx, dh0, *dweights = rnn_backward(dhs, dh, self._cache)
        self.grads = dict(zip(self.weight_names, dweights, strict=True))
        return dx, (dh0,)

    def step_call(self, x: np.ndarray, states: States) -> tuple[States, tuple]:
        """``rnn_step_forward`` on the layer's weights, with its cache."""
        (h_prev,) = states
        h, cache = rnn_step_forward(x, h_prev, *self.trainable_weights)
        return (h,), cache

    def step_backprop(
        self, dstates: States, cache: tuple
    ) -> tuple[np.ndarray, States, list[np.ndarray]]:
        """``rnn_step_backward``: (dh,) to dx, (dh_prev,), dweights."""
        dx, dh_prev, *dweights = rnn_step_backward(*dstates, cache)
        return dx, (dh_prev,), dweights


# --8<-- [end:simple_rnn]
