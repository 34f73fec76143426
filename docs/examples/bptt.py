"""The BPTT page: the step-by-step backward agrees with the one-product weight
gradients, and how far back a gradient reaches."""

# --8<-- [start:per_step]
import numpy as np

import minilstm as ml
from minilstm.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

rng = np.random.default_rng(0)
N, T, D, H = 4, 6, 3, 5
x = rng.normal(size=(N, T, D))
h0, c0 = rng.normal(size=(2, N, H))
layer = ml.LSTM(H, seed=0)
layer.build(D)
W, U, b = layer.get_weights()
dhs = rng.normal(size=(N, T, H))  # a gradient on every step's output

# The same backward written the long way: one step function at a time, and the weight
# gradients added up step by step inside the loop.
caches, h, c = [], h0, c0
for t in range(T):
    (h, c), cache = lstm_step_forward(x[:, t], h, c, W, U, b)
    caches.append(cache)
dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
for t in reversed(range(T)):
    _, dh_next, dc_next, dW_t, dU_t, db_t = lstm_step_backward(
        dhs[:, t] + dh_next, dc_next, caches[t]
    )
    dW, dU, db = dW + dW_t, dU + dU_t, db + db_t

# The library's BPTT: the loop computes only dz, the weight gradients come after it.
_, cache = lstm_forward(x, h0, c0, W, U, b)
_, dh0, dc0, dkernel, drecurrent_kernel, dbias = lstm_backward(
    dhs, np.zeros((N, H)), np.zeros((N, H)), cache
)
for name, a, b_ in (
    ("kernel", dW, dkernel),
    ("recurrent_kernel", dU, drecurrent_kernel),
    ("bias", db, dbias),
    ("h0", dh_next, dh0),
    ("c0", dc_next, dc0),
):
    print(f"d{name:17} {a.shape!s:10} largest difference {np.abs(a - b_).max():.1e}")
# --8<-- [end:per_step]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci

from minilstm import article
from minilstm.data import load_task

# How far back does a gradient reach? Put a gradient on the last step's output only, and
# measure what reaches the input at each earlier step, with the forget bias at 1
# (Keras's default) and at 0.
data = load_task("sin_cos")
fig, ax = plt.subplots(figsize=(7, 3.2))
reach = {}
for forget_bias, style in ((1.0, "-"), (0.0, "--")):
    lstm = ml.LSTM(article.UNITS, seed=0)
    lstm.build(1)
    kernel, recurrent_kernel, bias = lstm.get_weights()
    bias[article.UNITS : 2 * article.UNITS] = forget_bias  # the forget gate's block
    lstm.set_weights([kernel, recurrent_kernel, bias])
    hs = lstm.forward(data.enc_x)
    dx, _, _ = lstm.backward(np.ones_like(hs))
    norms = np.linalg.norm(dx[..., 0], axis=0)
    reach[forget_bias] = norms[0] / norms[-1]
    ax.semilogy(
        np.arange(1, len(norms) + 1),  # steps count from 1, as on the pages
        norms / norms[-1],
        style,
        marker="o",
        ms=3,
        label=f"forget-gate bias {forget_bias:.0f}",
    )
ax.set_xlabel("time step t of the input")
ax.set_ylabel("gradient reaching $x_t$\n(relative to the last step)")
T_task = data.enc_x.shape[1]
ax.set_title(
    f"A gradient on the last output, flowing back through {T_task} steps "
    "(untrained layer)"
)
ax.legend()
save_figure(fig, "bptt-reach")
record(
    reach_one=sci(reach[1.0], 0),
    reach_zero=sci(reach[0.0], 0),
    steps_back=T_task - 1,
    units=article.UNITS,
    seed=0,
    windows=len(data.enc_x),
)
