"""The encoder-decoder page: a diagram of the model, its weights, and its gradient
checked."""

import matplotlib.pyplot as plt
import numpy as np
from _site import record, save_figure, sci
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# --8<-- [start:weights]
import minilstm as ml
from minilstm import article

model = ml.Seq2Seq(units=article.UNITS, input_dim=1, output_dim=1, seed=0)  # 75 units
names = [
    "encoder kernel",
    "encoder recurrent_kernel",
    "encoder bias",
    "decoder kernel",
    "decoder recurrent_kernel",
    "decoder bias",
    "dense kernel",
    "dense bias",
]
for name, w in zip(names, model.get_weights(), strict=True):
    print(f"{name:25} {w.shape!s:10} {w.size:6,}")
print(f"{'total':25} {'':10} {model.count_params():6,}")
# --8<-- [end:weights]

# --8<-- [start:check]
from minilstm.gradcheck import numerical_gradient, rel_error

rng = np.random.default_rng(0)
small = ml.Seq2Seq(units=4, input_dim=2, output_dim=3, seed=1)
enc_x, dec_x, dec_y = (
    rng.normal(size=(3, 5, 2)),
    rng.normal(size=(3, 4, 3)),
    rng.normal(size=(3, 4, 3)),
)
loss, grads = small.loss_and_grads(enc_x, dec_x, dec_y)
worst = 0.0
for weight, grad in zip(small.trainable_weights, grads, strict=True):
    numeric = numerical_gradient(
        lambda: small.loss_and_grads(enc_x, dec_x, dec_y)[0], weight
    )
    worst = max(worst, rel_error(grad, numeric))
print(f"all 8 gradients of the whole model: worst relative error {worst:.1e}")
# --8<-- [end:check]

record(params=f"{model.count_params():,}", worst=sci(worst))


def box(ax, x, y, text, colour):
    ax.add_patch(
        FancyBboxPatch(
            (x - 0.42, y - 0.3),
            0.84,
            0.6,
            boxstyle="round,pad=0.04",
            fc=colour,
            ec="0.3",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def arrow(ax, start, end, colour="0.3", style="-|>"):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=10, color=colour)
    )


fig, ax = plt.subplots(figsize=(11, 3.6))
enc = [0, 1, 2, 3.4]
dec = [5.2, 6.2, 7.2, 8.6]
enc_labels = ["$x_0$", "$x_1$", "$x_2$", "$x_{23}$"]
dec_in = ["0", "$y_0$", "$y_1$", "$y_{22}$"]
for k, x in enumerate(enc):
    box(ax, x, 1, "LSTM", "#c6dbef")
    ax.text(x, -0.1, enc_labels[k], ha="center", fontsize=10)
    arrow(ax, (x, 0.15), (x, 0.66))
for k, x in enumerate(dec):
    box(ax, x, 1, "LSTM", "#fdd0a2")
    box(ax, x, 2.25, "Dense", "#c7e9c0")
    arrow(ax, (x, 1.34), (x, 1.91))
    ax.text(x, 2.95, rf"$\hat y_{{{[0, 1, 2, 23][k]}}}$", ha="center", fontsize=10)
    arrow(ax, (x, 2.59), (x, 2.9))
    ax.text(x, -0.1, dec_in[k], ha="center", fontsize=10)
    arrow(ax, (x, 0.15), (x, 0.66))
for a, b in ((0, 1), (1, 2), (5.2, 6.2), (6.2, 7.2)):
    arrow(ax, (a + 0.46, 1), (b - 0.46, 1))
for a, b in ((2, 3.4), (7.2, 8.6)):
    ax.text((a + b) / 2, 1, "...", ha="center", va="center", fontsize=12)
arrow(ax, (3.4 + 0.46, 1), (5.2 - 0.46, 1), colour="C3")
ax.text(4.3, 1.15, "final $(h, c)$", ha="center", fontsize=9, color="C3")
ax.text(
    1.7,
    1.75,
    "encoder: reads the window of sin x,\nits outputs are discarded",
    ha="center",
    fontsize=9,
)
ax.text(
    6.9, 3.35, "decoder + Dense: writes the window of cos x", ha="center", fontsize=9
)
ax.text(
    6.9,
    -0.5,
    "decoder input: the previous value, true in training,\n"
    "predicted when decoding alone",
    ha="center",
    va="top",
    fontsize=9,
)
ax.set_xlim(-0.7, 9.3)
ax.set_ylim(-1.3, 3.6)
ax.axis("off")
save_figure(fig, "encoder-decoder")
