"""Optimizers: Adam's first step with and without its bias correction, and the three
optimizers training the article's model."""

# --8<-- [start:first_step]
import numpy as np

import minilstm as ml

g = np.array([1e-4, -0.5, 30.0])  # gradients of very different sizes
w = np.zeros(3)
ml.Adam(learning_rate=0.001).apply([g], [w])
print("Adam's first step:        ", w)

# The same step without the bias correction: m and v are still mostly their zero start.
m, v = 0.1 * g, 0.001 * g**2
print("without the bias correction:", -0.001 * m / (np.sqrt(v) + 1e-7))
# --8<-- [end:first_step]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci

from minilstm import article
from minilstm.data import load_task

data = load_task("sin_cos")
runs = {
    "SGD(0.01, momentum=0.9)": ml.SGD(learning_rate=0.01, momentum=0.9),
    "RMSprop()": ml.RMSprop(),
    "Adam()": ml.Adam(),
}
fig, ax = plt.subplots(figsize=(7, 3.3))
final = {}
for name, optimizer in runs.items():
    model = ml.Seq2Seq(units=article.UNITS, seed=0)
    history = model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=article.EPOCHS,
        batch_size=article.BATCH_SIZE,
        optimizer=optimizer,
        verbose=0,
    )
    losses = history.history["loss"]
    final[name] = losses[-1]
    ax.semilogy(range(1, len(losses) + 1), losses, label=f"{name}: {losses[-1]:.1e}")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (MSE)")
ax.set_title("sin → cos, the article's settings, same initial weights")
ax.legend()
save_figure(fig, "optimizers-loss")
# Exercise 3: the uncorrected step over the corrected one,
# (1 - beta_1^t) / sqrt(1 - beta_2^t).
step = np.arange(1, 100_001)
uncorrected = (1 - 0.9**step) / np.sqrt(1 - 0.999**step)
record(
    **{f"uncorrected_{t}": f"{uncorrected[t - 1]:.2f}" for t in (1, 10, 280, 1000)},
    uncorrected_below_1_1=int(step[np.argmax(uncorrected < 1.1)]),
)
record(
    **{
        key: sci(final[name])
        for key, name in zip(("sgd", "rmsprop", "adam"), runs, strict=True)
    }
)
