"""Home page: the article's sin -> cos model trained with minilstm, and its
predictions."""

import time

import matplotlib.pyplot as plt
from _site import cpu_label, record, save_figure, sci

# Processor time: the build's other scripts, running beside this one, leave it alone.
start = time.process_time()
# --8<-- [start:quickstart]
import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.data import load_task

data = load_task("sin_cos")  # 76 windows of 24 points: sin in, cos out
model = ml.Seq2Seq(units=article.UNITS, seed=0)  # 75
history = model.fit(
    data.enc_x,
    data.dec_x,
    data.dec_y,
    epochs=article.EPOCHS,  # 35
    batch_size=article.BATCH_SIZE,  # 10
    optimizer=ml.Adam(),
    verbose=0,
)
y = model.predict(data.enc_x)  # (76, 24, 1), each prediction fed back as the next input
print(f"final training loss   {history.history['loss'][-1]:.1e}")
print(f"autoregressive MSE    {np.mean((y - data.dec_y) ** 2):.1e}")
# --8<-- [end:quickstart]
seconds = time.process_time() - start

record(
    params=f"{model.count_params():,}",
    loss=sci(history.history["loss"][-1]),
    mse=sci(float(np.mean((y - data.dec_y) ** 2))),
    seconds=f"{seconds:.1f}",
    epoch_seconds=f"{seconds / len(history.history['loss']):.2f}",
    cpu=cpu_label(),
    epochs=len(history.history["loss"]),
    windows=len(data.enc_x),
)

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(data.x, data.seq_out, color="0.6", lw=4, alpha=0.5, label=r"$y=\cos x$ (truth)")
for i in article.START_POINTS:
    ax.plot(
        data.x[i : i + article.WINDOW], y[i, :, 0], lw=1.8, label=f"decoded window {i}"
    )
ax.set_xlabel("x")
ax.set_title(
    "minilstm decodes cos x from windows of sin x,\nfeeding back its own predictions"
)
# Under the axes, where it covers no curve.
ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
save_figure(fig, "home-sin-cos")
