"""The encoder-decoder page: a diagram of the model, its weights, and its gradient
checked."""

from _site import printed

with printed("encoder_decoder-weights"):
    # --8<-- [start:weights]
    import numpy as np

    import minilstm as ml
    from minilstm import article

    # The article's model: 75 units, one feature in and out.
    model = ml.Seq2Seq(units=article.UNITS, input_dim=1, output_dim=1, seed=0)
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

with printed("encoder_decoder-check"):
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

import matplotlib.pyplot as plt
from _site import record, save_figure, sci
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

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
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def arrow(ax, start, end, colour="0.3", style="-|>"):
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=colour)
    )


# Two rows, so that the picture fits a page's column at 7 inches: the encoder on top,
# its final state carried down to the decoder below.
fig, ax = plt.subplots(figsize=(7, 6.6))
cols = [0, 1, 2, 3.4]
y_enc, y_dec = 5.9, 1.0
# Steps count from 1, as on the pages: step t reads x_t, the window's value at t - 1.
enc_labels = ["$x_1$", "$x_2$", "$x_3$", "$x_{24}$"]
dec_in = ["$y_0 = 0$", "$y_1$", "$y_2$", "$y_{23}$"]
for k, x in enumerate(cols):
    box(ax, x, y_enc, "LSTM", "#c6dbef")
    ax.text(x, y_enc - 1.1, enc_labels[k], ha="center", fontsize=12)
    arrow(ax, (x, y_enc - 0.85), (x, y_enc - 0.34))
    box(ax, x, y_dec, "LSTM", "#fdd0a2")
    box(ax, x, y_dec + 1.25, "Dense", "#c7e9c0")
    arrow(ax, (x, y_dec + 0.34), (x, y_dec + 0.91))
    ax.text(
        x, y_dec + 1.95, rf"$\hat y_{{{[1, 2, 3, 24][k]}}}$", ha="center", fontsize=12
    )
    arrow(ax, (x, y_dec + 1.59), (x, y_dec + 1.9))
    ax.text(x, y_dec - 1.1, dec_in[k], ha="center", fontsize=12)
    arrow(ax, (x, y_dec - 0.85), (x, y_dec - 0.34))
for y in (y_enc, y_dec):
    for a, b in ((0, 1), (1, 2)):
        arrow(ax, (a + 0.46, y), (b - 0.46, y))
    ax.text(2.7, y, "...", ha="center", va="center", fontsize=13)
# The final (h, c): out of the last encoder step, round the right, back along
# under the encoder's inputs, and into the first decoder step from the left.
y_route, x_right, x_left = y_enc - 1.45, 4.15, -0.75
ax.plot(
    [3.4 + 0.46, x_right, x_right, x_left, x_left],
    [y_enc, y_enc, y_route, y_route, y_dec],
    color="C3",
    lw=1.3,
)
arrow(ax, (x_left, y_dec), (-0.46, y_dec), colour="C3")
ax.text(
    1.7,
    y_route,
    "final $(h, c)$",
    ha="center",
    va="center",
    fontsize=11,
    color="C3",
    bbox={"fc": "white", "ec": "none"},
)
ax.text(
    1.7,
    y_enc + 0.5,
    "encoder: reads the window of sin x,\nits outputs are discarded",
    ha="center",
    va="bottom",
    fontsize=11,
)
ax.text(
    1.7,
    y_dec + 2.35,
    "decoder + Dense: writes the window of cos x",
    ha="center",
    va="bottom",
    fontsize=11,
)
ax.text(
    1.7,
    y_dec - 1.3,
    "decoder input: the previous value, true in training,\n"
    "predicted when decoding alone",
    ha="center",
    va="top",
    fontsize=11,
)
ax.set_xlim(-1.0, 4.4)
ax.set_ylim(-1.2, 7.0)
ax.axis("off")
save_figure(fig, "encoder-decoder")
