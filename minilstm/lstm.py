"""The LSTM: one time step forward and backward, then over a whole sequence (BPTT).

Shapes: N batch, T time steps, D input features, H units. The weights use Keras's
layout, so they move between minilstm and Keras unchanged:

    kernel            (D, 4H)   input  -> gates
    recurrent_kernel  (H, 4H)   state  -> gates
    bias              (4H,)

with the four gate blocks in the order i (input), f (forget), c
(candidate, called g below) and o (output). One time step (docs/lstm-cell.md):

    z = x W + h_prev U + b                       (N, 4H)
    i = sigma(z_i)   f = sigma(z_f)   g = tanh(z_g)   o = sigma(z_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

The backward functions mirror the forward ones line by line in reverse (docs/bptt.md).
The ``LSTM`` layer that wraps them, with Keras's interface, is in ``minilstm.layers``.
"""

from typing import NamedTuple

import numpy as np

from minilstm.activations import sigmoid, sigmoid_grad, tanh, tanh_grad

# --8<-- [start:cell]
# --8<-- [start:cell_forward]


class CellCache(NamedTuple):
    """What one step's backward needs from its forward: the gates and the states."""

    c_prev: np.ndarray  # (N, H)
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    g: np.ndarray  # (N, H) candidate
    o: np.ndarray  # (N, H) output gate
    tanh_c: np.ndarray  # (N, H) tanh of the new cell state


def gate_blocks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four (N, H) blocks i, f, g, o of an (N, 4H) array, as views (no copy).

    Args:
        a: (N, 4H), e.g. the pre-activations z or their gradient dz.
    """
    H = a.shape[1] // 4
    return a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]


# assignment: lstm_step_forward
def lstm_cell_forward(
    z: np.ndarray, c_prev: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], CellCache]:
    """The gates and the state update of one step, from the pre-activations z.

    Args:
        z: (N, 4H) pre-activations x W + h_prev U + b, blocks i, f, g, o.
        c_prev: (N, H) previous cell state.

    Returns:
        (h, c), each (N, H), the new hidden and cell states; and the cache for
        ``lstm_cell_backward``.
    """
    z_i, z_f, z_g, z_o = gate_blocks(z)
    i = sigmoid(z_i)
    f = sigmoid(z_f)
    g = tanh(z_g)
    o = sigmoid(z_o)
    c = f * c_prev + i * g
    tanh_c = tanh(c)
    h = o * tanh_c
    return (h, c), CellCache(c_prev, i, f, g, o, tanh_c)


# --8<-- [end:cell_forward]
# --8<-- [start:cell_backward]
# assignment: lstm_step_backward
def lstm_cell_backward(
    dh: np.ndarray, dc_next: np.ndarray, cache: CellCache
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of ``lstm_cell_forward``: its lines in reverse (docs/bptt.md).

    Args:
        dh: (N, H) gradient on h.
        dc_next: (N, H) gradient on c carried back from the next step.
        cache: the forward's ``CellCache``.

    Returns:
        dz: (N, 4H) gradient on the pre-activations, blocks i, f, g, o.
        dc_prev: (N, H) gradient on c_prev.
    """
    c_prev, i, f, g, o, tanh_c = cache
    # h = o * tanh(c): c gets a share of dh on top of what the next step sent back.
    do = dh * tanh_c
    dc = dc_next + dh * o * tanh_grad(tanh_c)
    # c = f * c_prev + i * g
    di = dc * g
    df = dc * c_prev
    dg = dc * i
    dc_prev = dc * f
    # i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)
    dz_i = di * sigmoid_grad(i)
    dz_f = df * sigmoid_grad(f)
    dz_g = dg * tanh_grad(g)
    dz_o = do * sigmoid_grad(o)
    dz = np.concatenate((dz_i, dz_f, dz_g, dz_o), axis=1)
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
        x: (N, D) input at this step.
        h_prev: (N, H) previous hidden state.
        c_prev: (N, H) previous cell state.
        kernel: (D, 4H) W, input to gates.
        recurrent_kernel: (H, 4H) U, previous hidden state to gates.
        bias: (4H,) b.

    Returns:
        (h, c), each (N, H), and the cache for ``lstm_step_backward``.
    """
    # z = x W + h_prev U + b, added up in the first product's array rather than in new
    # ones; np.dot, not @, which skips BLAS when D = 1 (docs/performance.md).
    z = np.dot(x, kernel)
    z += h_prev @ recurrent_kernel
    z += bias
    (h, c), cell = lstm_cell_forward(z, c_prev)
    return (h, c), StepCache(x, h_prev, kernel, recurrent_kernel, cell)


# assignment: lstm_step_backward
def lstm_step_backward(
    dh: np.ndarray, dc_next: np.ndarray, cache: StepCache
) -> tuple[np.ndarray, ...]:
    """Backward of ``lstm_step_forward``.

    Args:
        dh: (N, H) gradient on h.
        dc_next: (N, H) gradient on c.
        cache: the forward's ``StepCache``.

    Returns:
        dx (N, D), dh_prev (N, H), dc_prev (N, H), dkernel (D, 4H),
        drecurrent_kernel (H, 4H), dbias (4H,): the forward's inputs, in order.
    """
    x, h_prev, kernel, recurrent_kernel, cell = cache
    dz, dc_prev = lstm_cell_backward(dh, dc_next, cell)
    # z = x W + h_prev U + b
    dx = dz @ kernel.T
    dh_prev = dz @ recurrent_kernel.T
    dkernel = x.T @ dz
    drecurrent_kernel = h_prev.T @ dz
    dbias = dz.sum(axis=0)
    return dx, dh_prev, dc_prev, dkernel, drecurrent_kernel, dbias


# --8<-- [end:step]
# --8<-- [start:sequence]


class SequenceCache(NamedTuple):
    """What ``lstm_backward`` needs from ``lstm_forward``."""

    x: np.ndarray  # (N, T, D)
    hs: np.ndarray  # (T+1, N, H), time-major: h0, then the hidden state after each step
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

    Args:
        x: (N, T, D) inputs.
        h0: (N, H) initial hidden state.
        c0: (N, H) initial cell state.
        kernel: (D, 4H) W.
        recurrent_kernel: (H, 4H) U.
        bias: (4H,) b.

    Returns:
        (hs, c): hs (N, T, H) the hidden state of every step, c (N, H) the last cell
        state; and the cache for ``lstm_backward``.
    """
    N, T, D = x.shape
    # x_t W + b does not depend on the state: one product for all steps, before the
    # loop, time-major (T, N, 4H) so that step t reads one contiguous block; np.dot and
    # the sums in place, as in lstm_step_forward.
    xz = np.dot(x.transpose(1, 0, 2).reshape(T * N, D), kernel)
    xz += bias
    xz = xz.reshape(T, N, -1)
    # h0, then each step's h, in one time-major array made before the loop, like xz:
    # step t reads hs[t] and writes hs[t + 1] (docs/performance.md).
    hs = np.empty((T + 1, N, h0.shape[1]), dtype=xz.dtype)
    hs[0] = h0
    c = c0
    cells = []
    for t in range(T):
        z = hs[t] @ recurrent_kernel
        z += xz[t]
        (hs[t + 1], c), cell = lstm_cell_forward(z, c)
        cells.append(cell)
    cache = SequenceCache(x, hs, kernel, recurrent_kernel, cells)
    return (hs[1:].transpose(1, 0, 2), c), cache


# assignment: bptt
def lstm_backward(
    dhs: np.ndarray, dh: np.ndarray, dc: np.ndarray, cache: SequenceCache
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: the backward of ``lstm_forward``.

    Args:
        dhs: (N, T, H) gradient on every step's hidden state (zeros where a step's
            output is not used).
        dh: (N, H) gradient on the final h (from a decoder that starts from it).
        dc: (N, H) gradient on the final c.
        cache: the forward's ``SequenceCache``.

    Returns:
        dx (N, T, D), dh0 (N, H), dc0 (N, H), dkernel (D, 4H), drecurrent_kernel
        (H, 4H),
        dbias (4H,): the forward's inputs, in order.
    """
    x, hs, kernel, recurrent_kernel, cells = cache
    N, T, D = x.shape
    # Time-major like the cache, and each step's (N, H) block contiguous, as in the
    # forward; dz likewise, one array filled from the last step back
    # (docs/performance.md).
    dhs = np.ascontiguousarray(dhs.transpose(1, 0, 2))
    dz = np.empty((T, N, recurrent_kernel.shape[1]), dtype=hs.dtype)
    dh_next, dc_next = dh, dc
    for t in reversed(range(T)):
        # h_t went to the output at t and to step t+1: the two gradients add up.
        dz[t], dc_next = lstm_cell_backward(dhs[t] + dh_next, dc_next, cells[t])
        dh_next = dz[t] @ recurrent_kernel.T
    # The weights are shared by all steps, so their gradients sum over steps and
    # samples: one product over the (T*N) rows, time-major like hs, does both
    # (docs/bptt.md).
    dz = dz.reshape(T * N, -1)
    dkernel = x.transpose(1, 0, 2).reshape(T * N, D).T @ dz
    drecurrent_kernel = hs[:-1].reshape(T * N, -1).T @ dz
    dbias = dz.sum(axis=0)
    dx = (dz @ kernel.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dc_next, dkernel, drecurrent_kernel, dbias


# --8<-- [end:sequence]
