"""Four slips planted in the LSTM's backward, and which of them a gradient check sees.

Each slip is a wrong copy of ``lstm_cell_backward`` or of ``lstm_backward``
(minilstm/lstm.py). ``check`` runs the site's gradient check (central differences,
relative error, tolerance 1e-7; docs/gradcheck.md) on a layer with zero biases and
random weights of a chosen scale, with one slip in place. tests/test_planted_slips.py
imports this file and asserts what the pages say; run as a script, it records the
numbers the BPTT and gradient-check pages quote.
"""

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

import minilstm.lstm
from minilstm.activations import sigmoid_grad, tanh_grad
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.lstm import CellCache, lstm_backward, lstm_cell_backward, lstm_forward

TOLERANCE = 1e-7  # gradient_report's: above it, a gradient is reported as wrong
SCALES = (0.001, 0.01, 1.5)  # the weights' standard deviation; the biases are zero


# --8<-- [start:forget_uses_c_t]
def forget_uses_c_t(
    dh: np.ndarray,
    dc_next: np.ndarray,
    cache: CellCache,
) -> tuple[np.ndarray, np.ndarray]:
    """Slip: the forget gate's gradient taken with c_t instead of c_{t-1}."""
    c_t = cache.f * cache.c_prev + cache.i * cache.g
    return lstm_cell_backward(dh, dc_next, cache._replace(c_prev=c_t))


# --8<-- [end:forget_uses_c_t]
# --8<-- [start:carried_dc_dropped]
def carried_dc_dropped(
    dh: np.ndarray,
    dc_next: np.ndarray,
    cache: CellCache,
) -> tuple[np.ndarray, np.ndarray]:
    """Slip: the cell state's gradient from the next step is not added."""
    return lstm_cell_backward(dh, np.zeros_like(dc_next), cache)


# --8<-- [end:carried_dc_dropped]
# --8<-- [start:tanh_grad_of_c]
def tanh_grad_of_c(
    dh: np.ndarray,
    dc_next: np.ndarray,
    cache: CellCache,
) -> tuple[np.ndarray, np.ndarray]:
    """Slip: tanh'(c) written 1 - c**2 instead of 1 - tanh(c)**2."""
    c_prev, i, f, g, o, tanh_c = cache
    c = f * c_prev + i * g
    do = dh * tanh_c
    dc = dc_next + dh * o * (1 - c**2)  # right: dh * o * (1 - tanh_c**2)
    dz = np.concatenate(
        (
            dc * g * sigmoid_grad(i),
            dc * c_prev * sigmoid_grad(f),
            dc * i * tanh_grad(g),
            do * sigmoid_grad(o),
        ),
        axis=1,
    )
    return dz, dc * f


# --8<-- [end:tanh_grad_of_c]
# --8<-- [start:dh_next_dropped]
def dh_next_dropped(
    dhs: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    cache: minilstm.lstm.SequenceCache,
) -> tuple[np.ndarray, ...]:
    """Slip: BPTT in which h_t's gradient from step t+1 is never added."""
    x, hs, kernel, recurrent_kernel, cells = cache
    N, T, D = x.shape
    dhs = dhs.transpose(1, 0, 2)
    dh_next, dc_next = dh, dc
    dzs = []
    for t in reversed(range(T)):
        # Right: dhs[t] + dh_next at every step, not only at the last one.
        dh_t = dhs[t] + dh_next if t == T - 1 else dhs[t]
        dz, dc_next = lstm_cell_backward(dh_t, dc_next, cells[t])
        dh_next = dz @ recurrent_kernel.T
        dzs.append(dz)
    dz = np.concatenate(dzs[::-1])
    dkernel = x.transpose(1, 0, 2).reshape(T * N, D).T @ dz
    drecurrent_kernel = hs[:-1].reshape(T * N, -1).T @ dz
    dx = (dz @ kernel.T).reshape(T, N, D).transpose(1, 0, 2)
    return dx, dh_next, dc_next, dkernel, drecurrent_kernel, dz.sum(axis=0)


# --8<-- [end:dh_next_dropped]


@contextlib.contextmanager
def cell_backward(replacement: Callable) -> Iterator[None]:
    """Let minilstm's BPTT call ``replacement`` as the cell's backward, then undo it.

    Args:
        replacement: a function with the signature of ``lstm_cell_backward``.
    """
    minilstm.lstm.lstm_cell_backward = replacement
    try:
        yield
    finally:
        minilstm.lstm.lstm_cell_backward = lstm_cell_backward


def _bptt_with_cell(replacement: Callable) -> Callable:
    """``lstm_backward`` running with ``replacement`` as the cell's backward.

    Args:
        replacement: a function with the signature of ``lstm_cell_backward``.
    """

    def bptt(*args):
        with cell_backward(replacement):
            return lstm_backward(*args)

    return bptt


# The BPTT each row of the pages' table runs: the library's, or one with a slip in it.
BACKWARDS = {
    "correct": lstm_backward,
    "forget gate uses c_t": _bptt_with_cell(forget_uses_c_t),
    "carried dc dropped": _bptt_with_cell(carried_dc_dropped),
    "dh^next dropped": dh_next_dropped,
    "tanh'(c) as 1 - c^2": _bptt_with_cell(tanh_grad_of_c),
}
# The names the pages use for the numbers: {{ planted_slips.forget_0_01 }} and so on.
KEYS = dict(
    zip(BACKWARDS, ("correct", "forget", "carried", "dh_next", "tanh"), strict=True),
)


def check(
    backward: Callable,
    scale: float,
    random_states: bool = False,
    seed: int = 0,
) -> float:
    """The largest relative error of the gradient check over all six gradients.

    The layer has N = 3 sequences, T = 6 steps, D = 2 inputs and H = 5 units, zero
    biases, weights drawn from a normal distribution of standard deviation ``scale``,
    and gradients arriving on every output and on the final h and c: the set-up of
    docs/examples/gradcheck_lstm.py with other weights and, unless ``random_states``,
    zero initial states (as an encoder starts).

    Args:
        backward: a function with the signature of ``lstm_backward``.
        scale: the weights' standard deviation.
        random_states: draw h0 and c0 from a standard normal instead of zeros.
        seed: the seed of the random arrays.
    """
    rng = np.random.default_rng(seed)
    N, T, D, H = 3, 6, 2, 5
    kernel = rng.normal(scale=scale, size=(D, 4 * H))
    recurrent_kernel = rng.normal(scale=scale, size=(H, 4 * H))
    bias = np.zeros(4 * H)
    x = rng.normal(size=(N, T, D))
    h0, c0 = rng.normal(size=(2, N, H)) * random_states
    dhs, dh, dc = (
        rng.normal(size=(N, T, H)),
        rng.normal(size=(N, H)),
        rng.normal(size=(N, H)),
    )
    arrays = (x, h0, c0, kernel, recurrent_kernel, bias)

    def forward() -> np.ndarray:
        (hs, c), _ = lstm_forward(*arrays)
        return np.concatenate([hs.ravel(), hs[:, -1].ravel(), c.ravel()])

    upstream = np.concatenate([dhs.ravel(), dh.ravel(), dc.ravel()])
    _, cache = lstm_forward(*arrays)
    analytic = backward(dhs, dh, dc, cache)
    return max(
        rel_error(a, numerical_gradient(forward, array, upstream))
        for a, array in zip(analytic, arrays, strict=True)
    )


def table(random_states: bool = False) -> dict[str, dict[float, float]]:
    """The check's largest relative error for every backward and every scale.

    Args:
        random_states: as in ``check``.
    """
    return {
        name: {scale: check(backward, scale, random_states) for scale in SCALES}
        for name, backward in BACKWARDS.items()
    }


def show(errors: dict[str, dict[float, float]]) -> None:
    """Print a table of the errors, each marked as the check reports it.

    Args:
        errors: what ``table`` returns.
    """
    from _site import sci

    header = "".join(f"{'scale ' + str(s):>15}" for s in SCALES)
    print(f"{'backward':<22}{header}")
    for name, row in errors.items():
        cells = "".join(
            f"{sci(e):>8} {'ok' if e < TOLERANCE else 'WRONG':>6}" for e in row.values()
        )
        print(f"{name:<22}{cells}")


if __name__ == "__main__":
    from _site import record, sci

    print("Zero initial states, zero biases:")
    zero = table(random_states=False)
    show(zero)
    print("\nRandom initial states (standard normal), zero biases:")
    random = table(random_states=True)
    show(random)
    keys = {}
    for name, row in zero.items():
        for scale, e in row.items():
            keys[f"{KEYS[name]}_{str(scale).replace('.', '_')}"] = sci(e)
    slipped = [row for name, row in random.items() if name != "correct"]
    smallest = min(min(row.values()) for row in slipped)
    record(
        **keys,
        correct_random_0_001=sci(random["correct"][0.001]),
        smallest_random=sci(smallest),
    )
