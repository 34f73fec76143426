"""Checking gradients: the LSTM layer against central differences, a planted mistake,
and why the check is done in float64."""

# --8<-- [start:check]
import numpy as np

import minilstm as ml
from minilstm.gradcheck import gradient_report, numerical_gradient

rng = np.random.default_rng(0)
N, T, D, H = 3, 5, 2, 4
layer = ml.LSTM(H, return_sequences=True, return_state=True, seed=0)
layer.build(D)
# Large weights and non-zero biases saturate some gates: small ones hide mistakes.
kernel, recurrent_kernel, bias = (
    rng.normal(scale=1.5, size=w.shape) for w in layer.get_weights()
)
layer.set_weights([kernel, recurrent_kernel, bias])
x = rng.normal(size=(N, T, D))
h0, c0 = rng.normal(size=(2, N, H))  # non-zero initial states
dy, dh, dc = (
    rng.normal(size=(N, T, H)),
    rng.normal(size=(N, H)),
    rng.normal(size=(N, H)),
)


def forward():
    """Everything the layer returns; the check weighs each output by its upstream
    gradient."""
    y, h, c = layer.forward(x, initial_state=(h0, c0))
    return np.concatenate([y.ravel(), h.ravel(), c.ravel()])


upstream = np.concatenate([dy.ravel(), dh.ravel(), dc.ravel()])


def check() -> str:
    forward()
    dx, dh0, dc0 = layer.backward(dy, dh=dh, dc=dc)
    analytic = {**layer.grads, "x": dx, "h0": dh0, "c0": dc0}
    arrays = {
        "kernel": layer.kernel,
        "recurrent_kernel": layer.recurrent_kernel,
        "bias": layer.bias,
        "x": x,
        "h0": h0,
        "c0": c0,
    }
    numeric = {
        name: numerical_gradient(forward, a, upstream) for name, a in arrays.items()
    }
    return gradient_report(analytic, numeric)


print(check())
# --8<-- [end:check]


# --8<-- [start:mistake]
import minilstm.lstm
from minilstm.lstm import CellCache, lstm_cell_backward


def forget_uses_c_t(
    dh: np.ndarray, dc_next: np.ndarray, cache: CellCache
) -> tuple[np.ndarray, np.ndarray]:
    """Slip: the forget gate's gradient taken with c_t instead of c_{t-1}."""
    c_t = cache.f * cache.c_prev + cache.i * cache.g
    return lstm_cell_backward(dh, dc_next, cache._replace(c_prev=c_t))


# The layer's BPTT calls the cell's backward by its name in minilstm.lstm.
minilstm.lstm.lstm_cell_backward = forget_uses_c_t
try:
    print(check())
finally:
    minilstm.lstm.lstm_cell_backward = lstm_cell_backward
# --8<-- [end:mistake]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci

# The step h: too large and the difference quotient is off by O(h^2); too small and
# rounding of f(x +- h) dominates, the more so the fewer digits the floats carry.
forward()
layer.backward(dy, dh=dh, dc=dc)
exact = layer.grads["kernel"].copy()
steps = np.logspace(-1, -11, 21)


def step_errors(dtype: type) -> list[float]:
    typed = ml.LSTM(H, return_sequences=True, return_state=True, dtype=dtype)
    typed.set_weights([kernel, recurrent_kernel, bias])
    x_typed, h0_typed, c0_typed = (a.astype(dtype) for a in (x, h0, c0))

    def typed_forward():
        y, h, c = typed.forward(x_typed, initial_state=(h0_typed, c0_typed))
        return np.concatenate([y.ravel(), h.ravel(), c.ravel()])

    return [
        ml.gradcheck.rel_error(
            exact, numerical_gradient(typed_forward, typed.kernel, upstream, h=s)
        )
        for s in steps
    ]


fig, ax = plt.subplots(figsize=(7, 3.3))
best = {}
for dtype, colour in ((np.float64, "C0"), (np.float32, "C3")):
    errors = step_errors(dtype)
    best[dtype] = min(errors)
    ax.loglog(steps, errors, "o-", ms=3, color=colour, label=np.dtype(dtype).name)
ax.invert_xaxis()
ax.set_xlabel("step ε of the central difference (argument h)")
ax.set_ylabel("relative error against\nthe analytic gradient")
ax.set_title(
    "Gradient check of an LSTM's kernel: float64 leaves room, float32 does not"
)
ax.legend()
save_figure(fig, "gradcheck-steps")
record(best64=sci(best[np.float64]), best32=sci(best[np.float32]))
