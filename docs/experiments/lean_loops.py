"""How fast can a NumPy LSTM train the article's model? An experiment for docs/performance.md.

minilstm's ``lstm_forward`` and ``lstm_backward`` call the readable step functions of
``minilstm.lstm`` at every time step. This file writes the same two passes as lean as
NumPy allows, in the same time-major layout, to bound what any rewriting could gain: no
function call or named tuple inside the loops, each forward step reading and writing
blocks of arrays made before the loop, and the gates' tanh scales folded into the
weights, which saves a product per step.

``tests/test_lean_loops.py`` checks that both passes compute what the library computes.
Run ``OPENBLAS_NUM_THREADS=1 python docs/experiments/lean_loops.py`` (after ``env -u
OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` on a machine that sets them) to train the
article's model with the library's loops and with these, and to see the times next to the
matrix-product floor.
"""

import statistics
from typing import NamedTuple
from unittest import mock

import numpy as np

import minilstm as ml
from minilstm import bench, lstm
from minilstm.lstm import gate_scales


# --8<-- [start:loops]
class LeanCache(NamedTuple):
    """Everything ``lean_backward`` needs, each as one array over all steps."""

    x: np.ndarray  # (N, T, D)
    hs: np.ndarray  # (T+1, N, H): h0 and every step's h
    cs: np.ndarray  # (T+1, N, H): c0 and every step's c
    gates: np.ndarray  # (T, N, 4H): i, f, g, o after their activations
    tanh_c: np.ndarray  # (T, N, H)
    kernel: np.ndarray  # (D, 4H)
    recurrent_kernel: np.ndarray  # (H, 4H)


def lean_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray], LeanCache]:
    """``lstm_forward``, lean.

    Args:
        x: (N, T, D). h0, c0: (N, H). kernel: (D, 4H). recurrent_kernel: (H, 4H).
            bias: (4H,).

    Returns:
        (hs, c) as ``lstm_forward``: hs (N, T, H), c (N, H); and the cache.
    """
    N, T, D = x.shape
    H = h0.shape[1]
    a, b = gate_scales(N, H, x.dtype)
    # z only ever enters the gates as tanh(a z): scaling the gate columns of U, W and b by
    # a once, before the loop, saves that product at every step.
    scaled_recurrent_kernel = recurrent_kernel * a[0]
    xz = np.dot(x.transpose(1, 0, 2).reshape(T * N, D), kernel * a[0])
    xz += bias * a[0]
    xz = xz.reshape(T, N, 4 * H)
    hs = np.empty((T + 1, N, H), dtype=x.dtype)
    cs = np.empty((T + 1, N, H), dtype=x.dtype)
    gates = np.empty((T, N, 4 * H), dtype=x.dtype)
    tanh_c = np.empty((T, N, H), dtype=x.dtype)
    hs[0], cs[0] = h0, c0
    for t in range(T):
        z = gates[t]
        np.matmul(hs[t], scaled_recurrent_kernel, out=z)
        z += xz[t]
        np.tanh(z, out=z)
        z *= a
        z += b
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)
        c += i * g
        np.tanh(c, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])
    cache = LeanCache(x, hs, cs, gates, tanh_c, kernel, recurrent_kernel)
    return (hs[1:].transpose(1, 0, 2), cs[T]), cache


def lean_backward(
    dhs: np.ndarray, dh: np.ndarray, dc: np.ndarray, cache: LeanCache
) -> tuple[np.ndarray, ...]:
    """``lstm_backward``, lean.

    Args:
        dhs: (N, T, H) gradient on every step's h. dh, dc: (N, H) gradients on the final
            h and c. cache: ``lean_forward``'s.

    Returns:
        dx (N, T, D), dh0 (N, H), dc0 (N, H), dkernel (D, 4H), drecurrent_kernel (H, 4H),
        dbias (4H,): as ``lstm_backward``.
    """
    x, hs, cs, gates, tanh_c, kernel, recurrent_kernel = cache
    T, N, H = tanh_c.shape
    dhs = dhs.transpose(1, 0, 2)
    dz = np.empty((T, N, 4 * H), dtype=dhs.dtype)
    dh_next = dh
    dc = dc.copy()  # updated in place below
    recurrent_kernel_T = recurrent_kernel.T
    for t in reversed(range(T)):
        z, d = gates[t], dz[t]
        i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
        di, df, dg, do = d[:, :H], d[:, H : 2 * H], d[:, 2 * H : 3 * H], d[:, 3 * H :]
        dh = dhs[t] + dh_next
        np.multiply(dh, tanh_c[t], out=do)
        dtanh = tanh_c[t] * tanh_c[t]
        np.subtract(1.0, dtanh, out=dtanh)
        dtanh *= o
        dtanh *= dh
        dc += dtanh
        np.multiply(dc, g, out=di)
        np.multiply(dc, cs[t], out=df)
        np.multiply(dc, i, out=dg)
        dc *= f
        # sigma' = s - s^2 on the whole block, then tanh' = 1 - g^2 on the g block.
        dact = z * z
        np.subtract(z, dact, out=dact)
        dact_g = dact[:, 2 * H : 3 * H]
        np.multiply(g, g, out=dact_g)
        np.subtract(1.0, dact_g, out=dact_g)
        d *= dact
        dh_next = d @ recurrent_kernel_T
    # After the loop, as in the library: one product each over the flattened (T*N) axis.
    dz = dz.reshape(T * N, 4 * H)
    dkernel = x.transpose(2, 1, 0).reshape(-1, T * N) @ dz
    drecurrent_kernel = hs[:-1].reshape(T * N, H).T @ dz
    dbias = dz.sum(axis=0)
    dx = (dz @ kernel.T).reshape(T, N, -1).transpose(1, 0, 2)
    return dx, dh_next, dc, dkernel, drecurrent_kernel, dbias


# --8<-- [end:loops]


def main(rounds: int = 5, epochs: int = 35) -> None:
    """Train the article's model with the library's loops and with the lean ones, taking
    turns, and print the medians next to the matrix-product floor."""
    data = bench.article_data()
    N = bench.ARTICLE["batch_size"]

    side = bench.MinilstmSide()  # the benchmark's own timing of a fresh model's fit

    def fit() -> float:
        return side.fit_seconds(epochs, seed=0)

    def lean_fit() -> float:
        # The layers call the module's functions by name, so swapping them is enough.
        with mock.patch.multiple(lstm, lstm_forward=lean_forward, lstm_backward=lean_backward):
            return fit()

    # Adam and the divergence checks, timed alone on one batch: what is left without them.
    model = ml.Seq2Seq(units=data.units, seed=0)
    model.optimizer = ml.Adam()
    grads = model.loss_and_grads(data.enc_x[:N], data.dec_x[:N], data.dec_y[:N])[1]
    model._step(0.0, grads)
    step_seconds = bench.seconds_of(lambda: model._step(0.0, grads), repeats=100)

    fit(), lean_fit()  # warm up
    times = {"library": [], "lean": []}
    for r in range(rounds):
        for name in times if r % 2 == 0 else reversed(times):
            times[name].append(fit() if name == "library" else lean_fit())
    seconds = {name: statistics.median(t) for name, t in times.items()}
    batches = epochs * -(-len(data.enc_x) // N)
    seconds["lean, without Adam and the checks"] = seconds["lean"] - batches * step_seconds
    floor = bench.matmul_floor(epochs, len(data.enc_x), N, bench.ARTICLE["window"], data.units)
    print(f"`fit` of the article's model, {epochs} epochs, medians of {rounds} rounds")
    print()
    print("| loops | seconds | times the floor |")
    print("|---|---|---|")
    print(f"| matrix products alone (the floor) | {floor:.3f} | 1.0 |")
    for name, s in seconds.items():
        print(f"| {name} | {s:.3f} | {s / floor:.1f} |")
    print()
    print(f"Adam and the divergence checks: {step_seconds * 1e6:.0f} µs a batch.")


if __name__ == "__main__":
    main()
