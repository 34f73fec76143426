"""The task and the data: the article's arrays, their shapes, and pictures of the
windows."""

# --8<-- [start:shapes]
import numpy as np

from minilstm import article
from minilstm.data import TASKS, load_task

data = load_task("sin_cos", num_points=article.NUM_POINTS, window=article.WINDOW)
for name in ("x", "enc_x", "dec_x", "dec_y"):
    print(f"{name:6} {getattr(data, name).shape}")

np.set_printoptions(precision=3, suppress=True)
print("first window, first 5 steps:")
print("  enc_x", data.enc_x[0, :5, 0])
print("  dec_x", data.dec_x[0, :5, 0])
print("  dec_y", data.dec_y[0, :5, 0])
# --8<-- [end:shapes]

from _site import panels, record, save_figure, sci

import minilstm as ml

record(windows=len(data.enc_x), step=f"{data.x[1] - data.x[0]:.4f}")

# The page's warning, measured: the article's recipe (as on Home) trained with the
# decoder reading dec_y itself, so that its input at step t is the answer at step t.
copier = ml.Seq2Seq(units=article.UNITS, seed=0)
copy_loss = copier.fit(
    data.enc_x,
    data.dec_y,
    data.dec_y,
    epochs=article.EPOCHS,
    batch_size=article.BATCH_SIZE,
    optimizer=ml.Adam(),
    verbose=0,
).history["loss"][-1]
copy_mse = float(np.mean((copier.predict(data.enc_x) - data.dec_y) ** 2))
record(copy_loss=sci(copy_loss), copy_mse=sci(copy_mse))

i, T = 30, article.WINDOW
steps = np.arange(T)
fig, axes = panels(2)
ax = axes[0]
ax.plot(data.x, data.seq_in, color="C0", label=r"$\sin x$ (encoder curve)")
ax.plot(data.x, data.seq_out, color="C1", label=r"$\cos x$ (decoder curve)")
ax.axvspan(data.x[i], data.x[i + T - 1], color="0.85", label=f"window {i}")
ax.set_xlabel("x")
ax.set_title(f"{article.NUM_POINTS} points; window i covers points i ... i+{T - 1}")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
ax = axes[1]
ax.plot(
    steps,
    data.enc_x[i, :, 0],
    "o-",
    ms=3,
    color="C0",
    label="enc_x[i]: what the encoder reads",
)
ax.plot(
    steps, data.dec_y[i, :, 0], "o-", ms=3, color="C1", label="dec_y[i]: the target"
)
ax.plot(
    steps,
    data.dec_x[i, :, 0],
    "x--",
    ms=5,
    color="C3",
    label="dec_x[i]: the target one step late",
)
ax.set_xlabel("position k in the window (time step t = k + 1)")
ax.set_title(f"window {i}, step by step")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=1)
save_figure(fig, "data-window")

fig, axes = panels(3, height=2.9)
for ax, name in zip(axes, ("sin_cos", "damped", "square_sqrt"), strict=True):
    task = load_task(name)
    ax.plot(task.x, task.seq_in, label=TASKS[name].encoder_label + " (in)")
    ax.plot(task.x, task.seq_out, label=TASKS[name].decoder_label + " (out)")
    ax.set_title(name)
    ax.set_xlabel("x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
save_figure(fig, "data-tasks")
