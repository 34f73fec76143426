"""The LSTM: one time step forward and backward, the same over a whole sequence, and a layer.

Shapes: N batch, T time steps, D input features, H units. The weights use Keras's layout,
so they move between minilstm and Keras unchanged:

    kernel            (D, 4H)   input  -> gates
    recurrent_kernel  (H, 4H)   state  -> gates
    bias              (4H,)

with the four gate blocks in the order i (input), f (forget), c (candidate, called g below)
and o (output). One time step (docs/lstm-cell.md):

    z = x W + h_prev U + b                       (N, 4H)
    i = sigma(z_i)   f = sigma(z_f)   g = tanh(z_g)   o = sigma(z_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

The backward functions mirror the forward ones line by line in reverse (docs/bptt.md).
"""

import functools
from typing import NamedTuple

import numpy as np

from minilstm.activations import sigmoid_grad, tanh, tanh_grad
from minilstm.initializers import glorot_uniform, orthogonal, unit_forget_bias
from minilstm.validation import (
    check_array,
    check_bool,
    check_dtype,
    check_int,
    check_pair,
    check_seed,
    check_weights,
)

# --8<-- [start:cell]
# --8<-- [start:cell_forward]


class CellCache(NamedTuple):
    """What one step's backward needs from its forward: gate outputs and states."""

    c_prev: np.ndarray  # (N, H)
    gates: np.ndarray  # (N, 4H): i, f, g, o after their activations
    tanh_c: np.ndarray  # (N, H)


def gate_blocks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four (N, H) blocks i, f, g, o of a (N, 4H) array, as views (no copy)."""
    H = a.shape[1] // 4
    return a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]


@functools.lru_cache(maxsize=8)
def gate_scales(N: int, H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The (N, 4H) scales a and offsets b that turn tanh into the gates' activations: per
    block i, f, g, o, a = (1/2, 1/2, 1, 1/2) and b = (1/2, 1/2, 0, 1/2). Made once per
    (N, H, dtype) and read-only. Full (N, 4H) arrays rather than (4H,) rows, because NumPy
    multiplies two arrays of the same shape in one pass, twice as fast as it broadcasts a
    row over a (10, 300) block (docs/performance.md)."""
    a = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype), H)
    b = np.repeat(np.array([0.5, 0.5, 0.0, 0.5], dtype=dtype), H)
    a, b = (np.ascontiguousarray(np.broadcast_to(v, (N, 4 * H))) for v in (a, b))
    a.flags.writeable = b.flags.writeable = False
    return a, b


# assignment: lstm_step_forward
def lstm_cell_forward(
    z: np.ndarray, c_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, CellCache]:
    """The gates and the state update of one step, from the pre-activations z.

    Args:
        z: (N, 4H) pre-activations x W + h_prev U + b, blocks i, f, g, o.
        c_prev: (N, H) previous cell state.

    Returns:
        h: (N, H) new hidden state; c: (N, H) new cell state; cache for the backward.
    """
    # Each NumPy call costs about a microsecond however small its array, so all four gates
    # are activated together, with one tanh over the whole block: since
    # sigma(z) = 1/2 + tanh(z / 2) / 2, the gates are a * tanh(a * z) + b with the block
    # scales a = (1/2, 1/2, 1, 1/2) and offsets b = (1/2, 1/2, 0, 1/2) for i, f, g, o.
    # (Near 0 this sigmoid keeps an absolute, not a relative, precision of 1e-16: all a
    # gate needs, as it only ever scales an O(1) state.)
    a, b = gate_scales(*c_prev.shape, z.dtype)
    gates = np.multiply(z, a)
    tanh(gates, out=gates)
    gates *= a
    gates += b
    i, f, g, o = gate_blocks(gates)
    c = f * c_prev + i * g
    tanh_c = tanh(c)
    h = o * tanh_c
    return h, c, CellCache(c_prev, gates, tanh_c)


# --8<-- [end:cell_forward]
# --8<-- [start:cell_backward]
# assignment: lstm_step_backward
def lstm_cell_backward(
    dh: np.ndarray, dc: np.ndarray, cache: CellCache
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of ``lstm_cell_forward``.

    Args:
        dh: (N, H) gradient on h. dc: (N, H) gradient on c from the next step.
        cache: the forward's ``CellCache``.

    Returns:
        dz: (N, 4H) gradient on the pre-activations; dc_prev: (N, H) gradient on c_prev.
    """
    c_prev, gates, tanh_c = cache
    i, f, g, o = gate_blocks(gates)
    # dz is built in place as one (N, 4H) block, mirroring the forward: first the gradients
    # on the gate outputs di, df, dg, do are written into its four blocks...
    dz = np.empty_like(gates)
    di, df, dg, do = gate_blocks(dz)
    # h = o * tanh(c): the cell state gets gradient both from h and from the next step.
    np.multiply(dh, tanh_c, out=do)
    dc = dc + dh * o * tanh_grad(tanh_c)
    # c = f * c_prev + i * g
    np.multiply(dc, g, out=di)
    np.multiply(dc, c_prev, out=df)
    np.multiply(dc, i, out=dg)
    dc_prev = dc * f
    # ...then they go back through the activations in one product over the block: the
    # derivatives are sigma' everywhere, with the g block replaced by tanh'.
    dact = sigmoid_grad(gates)
    tanh_grad(g, out=gate_blocks(dact)[2])
    dz *= dact
    return dz, dc_prev


# --8<-- [end:cell_backward]
# --8<-- [end:cell]
# --8<-- [start:step]


class StepCache(NamedTuple):
    """What ``lstm_step_backward`` needs from ``lstm_step_forward``."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    kernel: np.ndarray  # (D, 4H)
    recurrent_kernel: np.ndarray  # (H, 4H)
    cell: CellCache


# assignment: lstm_step_forward
def lstm_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], StepCache]:
    """One LSTM time step.

    Args:
        x: (N, D) input at this step. h_prev, c_prev: (N, H) previous states.
        kernel: (D, 4H). recurrent_kernel: (H, 4H). bias: (4H,).

    Returns:
        (h, c), each (N, H), and the cache for ``lstm_step_backward``.
    """
    # np.dot, not @: with D = 1 NumPy's matmul skips BLAS (see lstm_forward).
    z = np.dot(x, kernel)
    z += h_prev @ recurrent_kernel
    z += bias
    h, c, cell = lstm_cell_forward(z, c_prev)
    return (h, c), StepCache(x, h_prev, kernel, recurrent_kernel, cell)


# assignment: lstm_step_backward
def lstm_step_backward(dh: np.ndarray, dc: np.ndarray, cache: StepCache) -> tuple[np.ndarray, ...]:
    """Backward of ``lstm_step_forward``.

    Args:
        dh: (N, H) gradient on h. dc: (N, H) gradient on c.
        cache: the forward's ``StepCache``.

    Returns:
        dx (N, D), dh_prev (N, H), dc_prev (N, H), dkernel (D, 4H),
        drecurrent_kernel (H, 4H), dbias (4H,): the forward's inputs, in order.
    """
    x, h_prev, kernel, recurrent_kernel, cell = cache
    dz, dc_prev = lstm_cell_backward(dh, dc, cell)
    dx = dz @ kernel.T
    dh_prev = dz @ recurrent_kernel.T
    dkernel = x.T @ dz
    drecurrent_kernel = h_prev.T @ dz
    dbias = dz.sum(axis=0)
    return dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias


# --8<-- [end:step]
# --8<-- [start:sequence]


class SequenceCache(NamedTuple):
    """What ``lstm_backward`` needs from ``lstm_forward``. Stored time-major (T first), so
    that each step reads and writes one contiguous block."""

    x: np.ndarray  # (N, T, D)
    hs: np.ndarray  # (T+1, N, H): h0, then the hidden state after each step
    kernel: np.ndarray  # (D, 4H)
    recurrent_kernel: np.ndarray  # (H, 4H)
    cells: list[CellCache]  # one per step


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], SequenceCache]:
    """Run the LSTM over a whole sequence.

    The input projection x W + b does not depend on the state, so it is computed for all
    steps in one matrix product before the loop; only h U must wait for the previous step.

    Args:
        x: (N, T, D) inputs. h0, c0: (N, H) initial states.
        kernel: (D, 4H). recurrent_kernel: (H, 4H). bias: (4H,).

    Returns:
        (hs, c): hs (N, T, H) the hidden state of every step, c (N, H) the last cell state;
        and the cache for ``lstm_backward``.
    """
    N, T, D = x.shape
    H = h0.shape[1]
    # h U runs at every step: on a (transposed) Fortran-order U, OpenBLAS takes twice as long.
    recurrent_kernel = np.ascontiguousarray(recurrent_kernel)
    # Time-major, so that step t reads xz[t] and writes hs[t + 1] as contiguous (N, .)
    # blocks: a NumPy call on a strided slice of a batch-major array costs twice as much.
    x_flat = x.transpose(1, 0, 2).reshape(T * N, D)
    # np.dot, not @: NumPy's matmul skips BLAS when D = 1 and is then 7x slower. The bias is
    # added in place: `x @ W + b` on a temporary over 256 KB makes NumPy check whether it
    # may reuse it, which costs about half a millisecond per call on Linux.
    xz = np.dot(x_flat, kernel)
    xz += bias
    xz = xz.reshape(T, N, 4 * H)
    hs = np.empty((T + 1, N, H), dtype=xz.dtype)
    hs[0] = h0
    c = c0
    cells = []
    for t in range(T):
        z = hs[t] @ recurrent_kernel
        z += xz[t]
        hs[t + 1], c, cell = lstm_cell_forward(z, c)
        cells.append(cell)
    # Batch-major for the caller: a transposed view, no copy.
    return (hs[1:].transpose(1, 0, 2), c), SequenceCache(x, hs, kernel, recurrent_kernel, cells)


# assignment: bptt
def lstm_backward(
    dhs: np.ndarray, dh: np.ndarray, dc: np.ndarray, cache: SequenceCache
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: the backward of ``lstm_forward``.

    Args:
        dhs: (N, T, H) gradient on every step's hidden state (zeros where a step's output
            is not used). dh, dc: (N, H) gradients on the final h and c (e.g. from a
            decoder that starts from them).
        cache: the forward's ``SequenceCache``.

    Returns:
        dx (N, T, D), dh0 (N, H), dc0 (N, H), dkernel (D, 4H), drecurrent_kernel (H, 4H),
        dbias (4H,): the forward's inputs, in order.
    """
    x, hs, kernel, recurrent_kernel, cells = cache
    T, N, H = len(cells), hs.shape[1], hs.shape[2]
    dhs = dhs.transpose(1, 0, 2)  # time-major, as the cache
    dz = np.empty((T, N, 4 * H), dtype=dhs.dtype)
    recurrent_kernel_T = recurrent_kernel.T
    dh_next, dc_next = dh, dc
    for t in reversed(range(T)):
        # h_t feeds both the output at t and the next step: the two gradients add up.
        dz[t], dc_next = lstm_cell_backward(dhs[t] + dh_next, dc_next, cells[t])
        dh_next = dz[t] @ recurrent_kernel_T
    # The weights are shared by all steps, so their gradient sums over steps and samples:
    # one product over the flattened (T*N) axis does both (docs/bptt.md).
    dz = dz.reshape(T * N, 4 * H)
    dkernel = x.transpose(2, 1, 0).reshape(-1, T * N) @ dz
    drecurrent_kernel = hs[:-1].reshape(T * N, H).T @ dz
    dbias = dz.sum(axis=0)
    dx = (dz @ kernel.T).reshape(T, N, -1).transpose(1, 0, 2)
    return dx, dh_next, dc_next, dkernel, drecurrent_kernel, dbias


# --8<-- [end:sequence]
# --8<-- [start:layer]


class LSTM:
    """An LSTM layer with Keras's interface: ``units``, ``return_sequences``, ``return_state``.

    The weights are made on the first ``forward`` (or by ``build``), when the number of
    input features D is known, as Keras does. ``forward`` keeps the cache of its last call
    for ``backward``; ``grads`` holds the weight gradients of the last ``backward``.

    Args:
        units: H, the size of the hidden and cell states.
        return_sequences: return every step's h (N, T, H) instead of the last one (N, H).
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

    def _input_dim(self) -> int | str:
        # D once the weights exist; until then any number of features builds the layer.
        return self.kernel.shape[0] if self.built else "D"

    def build(self, input_dim: int) -> None:
        """Make the weights for D = input_dim input features (Keras's default initializers)."""
        input_dim = check_int(input_dim, "input_dim")
        rng = np.random.default_rng(self.seed)
        H = self.units
        self.kernel = glorot_uniform((input_dim, 4 * H), rng, self.dtype)
        self.recurrent_kernel = orthogonal((H, 4 * H), rng, self.dtype)
        self.bias = unit_forget_bias(H, self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """[kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)], copies; [] before build."""
        if not self.built:
            return []
        return [self.kernel.copy(), self.recurrent_kernel.copy(), self.bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set [kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)], copying them."""
        H4 = 4 * self.units
        shapes = [(self._input_dim(), H4), (self.units, H4), (H4,)]
        kernel, recurrent_kernel, bias = check_weights(weights, "weights", shapes, self.dtype)
        self.kernel, self.recurrent_kernel, self.bias = kernel, recurrent_kernel, bias

    def forward(
        self, x: np.ndarray, initial_state: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer over x.

        Args:
            x: (N, T, D). initial_state: (h0, c0), each (N, H); zeros if None.

        Returns:
            y, or [y, h, c] with ``return_state``: y is (N, T, H) with ``return_sequences``,
            else (N, H); h and c are (N, H), the final states.
        """
        sizes = {}
        x = check_array(x, "x", ("N", "T", self._input_dim()), self.dtype, sizes)
        if not self.built:
            self.build(x.shape[2])
        if initial_state is not None:
            initial_state = tuple(
                check_array(s, f"initial_state[{k}]", ("N", self.units), self.dtype, sizes)
                for k, s in enumerate(check_pair(initial_state, "initial_state"))
            )
        return self._forward(x, initial_state)

    def _forward(
        self, x: np.ndarray, initial_state: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray | list[np.ndarray]:
        # forward on arguments known to be valid, for the models that checked them already.
        if initial_state is None:
            N = x.shape[0]
            h0 = np.zeros((N, self.units), dtype=self.dtype)
            c0 = np.zeros((N, self.units), dtype=self.dtype)
        else:
            h0, c0 = initial_state
        (hs, c), self._cache = lstm_forward(
            x, h0, c0, self.kernel, self.recurrent_kernel, self.bias
        )
        h = hs[:, -1]
        y = hs if self.return_sequences else h
        return [y, h, c] if self.return_state else y

    def backward(
        self, dy: np.ndarray | None, dh: np.ndarray | None = None, dc: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backward of the last ``forward``; sets ``grads``.

        Args:
            dy: gradient on y, shaped like y (None: zero). dh, dc: (N, H) gradients on the
                final h and c returned with ``return_state`` (None: zero).

        Returns:
            dx (N, T, D), dh0 (N, H), dc0 (N, H).
        """
        if self._cache is None:
            raise RuntimeError("LSTM.backward called before forward")
        N, T, _ = self._cache.x.shape
        H = self.units
        # Gradients are not checked for NaN: they come from other layers, and a NaN there is
        # a diverging training, which fit reports as such.
        sizes = {"N": (N, "the last forward"), "T": (T, "the last forward")}
        y_shape = ("N", "T", H) if self.return_sequences else ("N", H)
        dy, dh, dc = (
            None if g is None else check_array(g, name, shape, self.dtype, sizes, finite=False)
            for g, name, shape in ((dy, "dy", y_shape), (dh, "dh", ("N", H)), (dc, "dc", ("N", H)))
        )
        return self._backward(dy, dh, dc)

    def _backward(
        self, dy: np.ndarray | None, dh: np.ndarray | None, dc: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # backward on gradients known to be valid, for the models that made them.
        N, T, _ = self._cache.x.shape
        H = self.units
        dhs = np.zeros((N, T, H), dtype=self.dtype)
        dh_last = np.zeros((N, H), dtype=self.dtype) if dh is None else dh
        if dy is not None:
            if self.return_sequences:
                dhs[:] = dy
            else:
                dh_last = dh_last + dy  # y is the last h
        dc_last = np.zeros((N, H), dtype=self.dtype) if dc is None else dc
        dx, dh0, dc0, dkernel, drecurrent_kernel, dbias = lstm_backward(
            dhs, dh_last, dc_last, self._cache
        )
        self.grads = {"kernel": dkernel, "recurrent_kernel": drecurrent_kernel, "bias": dbias}
        return dx, dh0, dc0


# --8<-- [end:layer]
