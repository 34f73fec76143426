"""The plain RNN: one time step forward and backward, then a whole sequence (BPTT).

Shapes: N batch, T time steps, D input features, H units. The weights use Keras's
``SimpleRNN`` layout, so they move between minilstm and Keras unchanged:

    kernel            (D, H)   input -> state
    recurrent_kernel  (H, H)   state -> state
    bias              (H,)

One time step, with no gate (docs/why-gates.md):

    h = tanh(x W + h_prev U + b)

Every step multiplies the gradient on h by U^T and by tanh's derivative, with nothing
to carry it past them: that is why it fades over distance. The ``SimpleRNN`` layer that
wraps these functions is in ``minilstm.layers``.
"""

from typing import NamedTuple

import numpy as np

from minilstm.activations import tanh, tanh_grad

# --8<-- [start:step]


class StepCache(NamedTuple):
    """What ``rnn_step_backward`` needs from ``rnn_step_forward``."""

    x: np.ndarray  # (N, D)
    h_prev: np.ndarray  # (N, H)
    kernel: np.ndarray  # (D, H)
    recurrent_kernel: np.ndarray  # (H, H)
    h: np.ndarray  # (N, H) the new state, whose tanh derivative the backward needs


# assignment: rnn_step_forward
def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, StepCache]:
    """One plain RNN time step.

    Args:
        x: (N, D) input at this step.
        h_prev: (N, H) previous hidden state.
        kernel: (D, H) W, input to state.
        recurrent_kernel: (H, H) U, previous state to state.
        bias: (H,) b.

    Returns:
        h (N, H), the new hidden state, and the cache for ``rnn_step_backward``.
    """
    # np.dot, not @, which skips BLAS when D = 1 (docs/performance.md).
    z = np.dot(x, kernel)
    z += h_prev @ recurrent_kernel
    z += bias
    h = tanh(z)
    return h, StepCache(x, h_prev, kernel, recurrent_kernel, h)


# assignment: rnn_step_backward
def rnn_step_backward(dh: np.ndarray, cache: StepCache) -> tuple[np.ndarray, ...]:
    """Backward of ``rnn_step_forward``: its two lines in reverse.

    Args:
        dh: (N, H) gradient on h.
        cache: the forward's ``StepCache``.

    Returns:
        dx (N, D), dh_prev (N, H), dkernel (D, H), drecurrent_kernel (H, H),
        dbias (H,): the forward's inputs, in order.
    """
    x, h_prev, kernel, recurrent_kernel, h = cache
    # h = tanh(z)
    dz = dh * tanh_grad(h)
    # z = x W + h_prev U + b
    dx = dz @ kernel.T
    dh_prev = dz @ recurrent_kernel.T
    dkernel = x.T @ dz
    drecurrent_kernel = h_prev.T @ dz
    dbias = dz.sum(axis=0)
    return dx, dh_prev, dkernel, drecurrent_kernel, dbias


# --8<-- [end:step]
# --8<-- [start:sequence]


class SequenceCache(NamedTuple):
    """What ``rnn_backward`` needs from ``rnn_forward``."""

    x: np.ndarray  # (N, T, D)
    hs: np.ndarray  # (T+1, N, H), time-major: h0, then the state after each step
    kernel: np.ndarray  # (D, H)
    recurrent_kernel: np.ndarray  # (H, H)


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, SequenceCache]:
    """Run the plain RNN over a whole sequence.

    Args:
        x: (N, T, D) inputs.
        h0: (N, H) initial hidden state.
        kernel: (D, H) W.
        recurrent_kernel: (H, H) U.
        bias: (H,) b.

    Returns:
        hs (N, T, H), the hidden state of every step, and the cache for
        ``rnn_backward``.
    """
    N, T, D = x.shape
    # x_t W + b for all steps in one product before the loop, time-major, as in
    # lstm_forward (docs/performance.md).
    xz = np.dot(x.transpose(1, 0, 2).reshape(T * N, D), kernel)
    xz += bias
    xz = xz.reshape(T, N, -1)
    # h0 and each step's h in one time-major array, as in lstm_forward.
    hs = np.empty((T + 1, N, h0.shape[1]), dtype=xz.dtype)
    hs[0] = h0
    for t in range(T):
        z = hs[t] @ recurrent_kernel
        z += xz[t]
        hs[t + 1] = tanh(z)
    return hs[1:].transpose(1, 0, 2), SequenceCache(x, hs, kernel, recurrent_kernel)


def rnn_backward(
    dhs: np.ndarray,
    dh: np.ndarray,
    cache: SequenceCache,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time: the backward of ``rnn_forward``.

    Args:
        dhs: (N, T, H) gradient on every step's hidden state (zeros where a step's
            output is not used).
        dh: (N, H) gradient on the final h (from a decoder that starts from it).
        cache: the forward's ``SequenceCache``.

    Returns:
        dx (N, T, D), dh0 (N, H), dkernel (D, H), drecurrent_kernel (H, H),
        dbias (H,): the forward's inputs, in order.
    """
    x, hs, kernel, recurrent_kernel = cache
    N, T, D = x.shape
    # Time-major and contiguous, as in lstm_backward; dz filled from the last step back.
    dhs = np.ascontiguousarray(dhs.transpose(1, 0, 2))
    dz = np.empty((T, N, recurrent_kernel.shape[1]), dtype=hs.dtype)
    dh_next = dh
    for t in reversed(range(T)):
        # h_t went to the output at t and to step t+1: the two gradients add up.
        dz[t] = (dhs[t] + dh_next) * tanh_grad(hs[t + 1])
        dh_next = dz[t] @ recurrent_kernel.T
    # Shared weights: one product over the (T*N) rows sums over steps and samples.
    dz = dz.reshape(T * N, -1)
    dkernel = x.transpose(1, 0, 2).reshape(T * N, D).T @ dz
    drecurrent_kernel = hs[:-1].reshape(T * N, -1).T @ dz
    dbias = dz.sum(axis=0)
    dx = (dz @ kernel.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dkernel, drecurrent_kernel, dbias


# --8<-- [end:sequence]
