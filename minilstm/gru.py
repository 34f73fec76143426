"""The GRU: one time step forward and backward, then a whole sequence (BPTT).

Shapes: N batch, T time steps, D input features, H units. The weights use the layout of
Keras 3's default ``GRU`` (``reset_after=True``), so they move to and from Keras
unchanged:

    kernel            (D, 3H)   input -> gates
    recurrent_kernel  (H, 3H)   state -> gates
    bias              (2, 3H)   row 0 the input bias b, row 1 the recurrent bias b'

with the three blocks in Keras's order z (update), r (reset) and h (candidate).
One time step (docs/why-gates.md):

    a = x W + b          u = h_prev U + b'            each (N, 3H)
    z = sigma(a_z + u_z)        r = sigma(a_r + u_r)
    h~ = tanh(a_h + r * u_h)    the reset gate scales h_prev U_h after the product
    h = z * h_prev + (1 - z) * h~

One state and three blocks where the LSTM has two states and four: the update gate z
keeps the old state where the LSTM's forget gate keeps the cell, and 1 - z lets the
candidate in where the LSTM has a separate input gate. The ``GRU`` layer that wraps
these functions is in ``minilstm.layers``.
"""

from typing import NamedTuple

import numpy as np

from minilstm.activations import sigmoid, sigmoid_grad, tanh, tanh_grad

# --8<-- [start:cell]


class CellCache(NamedTuple):
    """What one step's backward needs from its forward: the gates and the states."""

    h_prev: np.ndarray  # (N, H)
    z: np.ndarray  # (N, H) update gate
    r: np.ndarray  # (N, H) reset gate
    h_tilde: np.ndarray  # (N, H) candidate
    u_h: np.ndarray  # (N, H) h_prev U_h + b'_h, before the reset gate scales it


def gate_blocks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three (N, H) blocks z, r, h of an (N, 3H) array, as views (no copy)."""
    H = a.shape[1] // 3
    return a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]


# assignment: gru_step_forward
def gru_cell_forward(
    a: np.ndarray, u: np.ndarray, h_prev: np.ndarray
) -> tuple[np.ndarray, CellCache]:
    """The gates and the state update of one step, from the two products.

    Args:
        a: (N, 3H) x W + b, blocks z, r, h.
        u: (N, 3H) h_prev U + b', blocks z, r, h.
        h_prev: (N, H) previous hidden state.

    Returns:
        h (N, H), the new hidden state, and the cache for ``gru_cell_backward``.
    """
    a_z, a_r, a_h = gate_blocks(a)
    u_z, u_r, u_h = gate_blocks(u)
    z = sigmoid(a_z + u_z)
    r = sigmoid(a_r + u_r)
    h_tilde = tanh(a_h + r * u_h)
    h = z * h_prev + (1.0 - z) * h_tilde
    return h, CellCache(h_prev, z, r, h_tilde, u_h)


# assignment: gru_step_backward
def gru_cell_backward(
    dh: np.ndarray, cache: CellCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``gru_cell_forward``: its lines in reverse.

    Args:
        dh: (N, H) gradient on h.
        cache: the forward's ``CellCache``.

    Returns:
        da: (N, 3H) gradient on x W + b.
        du: (N, 3H) gradient on h_prev U + b'.
        dh_prev: (N, H) the part of h_prev's gradient that skips U (through z).
    """
    h_prev, z, r, h_tilde, u_h = cache
    # h = z * h_prev + (1 - z) * h~
    dz = dh * (h_prev - h_tilde)
    dh_tilde = dh * (1.0 - z)
    dh_prev = dh * z
    # h~ = tanh(a_h + r * u_h)
    da_h = dh_tilde * tanh_grad(h_tilde)
    dr = da_h * u_h
    du_h = da_h * r
    # z = sigma(a_z + u_z), r = sigma(a_r + u_r): a and u get the same gradient
    da_z = dz * sigmoid_grad(z)
    da_r = dr * sigmoid_grad(r)
    da = np.concatenate((da_z, da_r, da_h), axis=1)
    du = np.concatenate((da_z, da_r, du_h), axis=1)
    return da, du, dh_prev


# --8<-- [end:cell]
# --8<-- [start:step]


class StepCache(NamedTuple):
    """What ``gru_step_backward`` needs from ``gru_step_forward``."""

    x: np.ndarray  # (N, D)
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    cell: CellCache


# assignment: gru_step_forward
def gru_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, StepCache]:
    """One GRU time step.

    Args:
        x: (N, D) input at this step.
        h_prev: (N, H) previous hidden state.
        kernel: (D, 3H) W, input to gates.
        recurrent_kernel: (H, 3H) U, previous hidden state to gates.
        bias: (2, 3H) b (row 0, input) and b' (row 1, recurrent).

    Returns:
        h (N, H), the new hidden state, and the cache for ``gru_step_backward``.
    """
    # np.dot, not @, which skips BLAS when D = 1 (docs/performance.md).
    a = np.dot(x, kernel)
    a += bias[0]
    u = h_prev @ recurrent_kernel
    u += bias[1]
    h, cell = gru_cell_forward(a, u, h_prev)
    return h, StepCache(x, kernel, recurrent_kernel, cell)


# assignment: gru_step_backward
def gru_step_backward(dh: np.ndarray, cache: StepCache) -> tuple[np.ndarray, ...]:
    """Backward of ``gru_step_forward``.

    Args:
        dh: (N, H) gradient on h.
        cache: the forward's ``StepCache``.

    Returns:
        dx (N, D), dh_prev (N, H), dkernel (D, 3H), drecurrent_kernel (H, 3H),
        dbias (2, 3H): the forward's inputs, in order.
    """
    x, kernel, recurrent_kernel, cell = cache
    da, du, dh_prev = gru_cell_backward(dh, cell)
    # a = x W + b, u = h_prev U + b': h_prev also reached h through z directly.
    dx = da @ kernel.T
    dh_prev = dh_prev + du @ recurrent_kernel.T
    dkernel = x.T @ da
    drecurrent_kernel = cell.h_prev.T @ du
    dbias = np.stack((da.sum(axis=0), du.sum(axis=0)))
    return dx, dh_prev, dkernel, drecurrent_kernel, dbias


# --8<-- [end:step]
# --8<-- [start:sequence]


class SequenceCache(NamedTuple):
    """What ``gru_backward`` needs from ``gru_forward``."""

    x: np.ndarray  # (N, T, D)
    hs: np.ndarray  # (T+1, N, H), time-major: h0, then the state after each step
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    cells: list[CellCache]  # one per step


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, SequenceCache]:
    """Run the GRU over a whole sequence.

    Args:
        x: (N, T, D) inputs.
        h0: (N, H) initial hidden state.
        kernel: (D, 3H) W.
        recurrent_kernel: (H, 3H) U.
        bias: (2, 3H) b and b'.

    Returns:
        hs (N, T, H), the hidden state of every step, and the cache for
        ``gru_backward``.
    """
    N, T, D = x.shape
    # a = x_t W + b for all steps in one product before the loop, time-major, as in
    # lstm_forward (docs/performance.md).
    a_all = np.dot(x.transpose(1, 0, 2).reshape(T * N, D), kernel)
    a_all += bias[0]
    a_all = a_all.reshape(T, N, -1)
    # h0 and each step's h in one time-major array, as in lstm_forward.
    hs = np.empty((T + 1, N, h0.shape[1]), dtype=a_all.dtype)
    hs[0] = h0
    cells = []
    for t in range(T):
        u = hs[t] @ recurrent_kernel
        u += bias[1]
        hs[t + 1], cell = gru_cell_forward(a_all[t], u, hs[t])
        cells.append(cell)
    cache = SequenceCache(x, hs, kernel, recurrent_kernel, cells)
    return hs[1:].transpose(1, 0, 2), cache


def gru_backward(
    dhs: np.ndarray,
    dh: np.ndarray,
    cache: SequenceCache,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: the backward of ``gru_forward``.

    Args:
        dhs: (N, T, H) gradient on every step's hidden state (zeros where a step's
            output is not used).
        dh: (N, H) gradient on the final h (from a decoder that starts from it).
        cache: the forward's ``SequenceCache``.

    Returns:
        dx (N, T, D), dh0 (N, H), dkernel (D, 3H), drecurrent_kernel (H, 3H),
        dbias (2, 3H): the forward's inputs, in order.
    """
    x, hs, kernel, recurrent_kernel, cells = cache
    N, T, D = x.shape
    # Time-major and contiguous, as in lstm_backward; da and du filled from the end.
    dhs = np.ascontiguousarray(dhs.transpose(1, 0, 2))
    da = np.empty((T, N, recurrent_kernel.shape[1]), dtype=hs.dtype)
    du = np.empty_like(da)
    dh_next = dh
    for t in reversed(range(T)):
        # h_t went to the output at t and to step t+1: the two gradients add up.
        da[t], du[t], dh_skip = gru_cell_backward(dhs[t] + dh_next, cells[t])
        dh_next = dh_skip + du[t] @ recurrent_kernel.T
    # Shared weights: one product over the (T*N) rows sums over steps and samples.
    da = da.reshape(T * N, -1)
    du = du.reshape(T * N, -1)
    dkernel = x.transpose(1, 0, 2).reshape(T * N, D).T @ da
    drecurrent_kernel = hs[:-1].reshape(T * N, -1).T @ du
    dbias = np.stack((da.sum(axis=0), du.sum(axis=0)))
    dx = (da @ kernel.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dkernel, drecurrent_kernel, dbias


# --8<-- [end:sequence]
