"""The Dense layer and the MSE loss: shapes, one step against all steps, and their
gradients."""

# --8<-- [start:run]
import numpy as np

from minilstm import article
from minilstm.dense import dense_backward, dense_forward
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.losses import mse_backward, mse_forward

rng = np.random.default_rng(0)
N, T, H, O = 4, article.WINDOW, article.UNITS, 1  # T = 24, H = 75
hs = rng.normal(size=(N, T, H))  # the decoder's hidden state at every step
kernel, bias = rng.normal(scale=0.1, size=(H, O)), rng.normal(size=O)
y_true = rng.normal(size=(N, T, O))

y, dense_cache = dense_forward(hs, kernel, bias)
loss, mse_cache = mse_forward(y, y_true)
print("y", y.shape, f"loss {loss:.4f}")
# One product on the last axis is the same Dense layer applied step by step:
step_by_step = np.stack([hs[:, t] @ kernel + bias for t in range(T)], axis=1)
print("same as step by step:", np.allclose(y, step_by_step))

dy = mse_backward(1.0, mse_cache)
dhs, dkernel, dbias = dense_backward(dy, dense_cache)
print("dy", dy.shape, "dhs", dhs.shape, "dkernel", dkernel.shape, "dbias", dbias.shape)


def loss_of_weights():
    return mse_forward(dense_forward(hs, kernel, bias)[0], y_true)[0]


for name, analytic, array in (
    ("kernel", dkernel, kernel),
    ("bias", dbias, bias),
    ("hs", dhs, hs),
):
    numeric = numerical_gradient(loss_of_weights, array)
    print(f"d{name:7} relative error {rel_error(analytic, numeric):.1e}")
# --8<-- [end:run]

from _site import record, sci

# The largest of the three, for the page's note on the tolerance (checked again: cheap).
worst = max(
    rel_error(analytic, numerical_gradient(loss_of_weights, array))
    for analytic, array in ((dkernel, kernel), (dbias, bias), (dhs, hs))
)
record(worst=sci(worst))
