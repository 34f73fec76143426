"""Training: the article's three tasks with its settings, their loss curves and
results."""

# --8<-- [start:train]
import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.data import TASKS, load_task

results = {}
print(
    f"{'task':12} {'final loss':>10} {'teacher-forced':>15} {'autoregressive':>15} "
    f"{'relative':>9}"
)
for name in TASKS:
    data = load_task(name)  # 100 points, windows of 24: (76, 24, 1) arrays
    model = ml.Seq2Seq(units=article.UNITS, seed=0)  # 75
    history = model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=article.EPOCHS,  # 35
        batch_size=article.BATCH_SIZE,  # 10
        optimizer=ml.Adam(),
        shuffle=True,
        verbose=0,
    )
    loss = history.history["loss"]
    teacher_forced = model.evaluate(data.enc_x, data.dec_x, data.dec_y)
    autoregressive = float(np.mean((model.predict(data.enc_x) - data.dec_y) ** 2))
    # The tasks' curves differ in size: the error over the targets' own variance
    # compares them on one scale (1 would be no better than predicting their mean).
    relative = autoregressive / float(np.var(data.dec_y))
    results[name] = (data, model, loss, autoregressive, relative)
    print(
        f"{name:12} {loss[-1]:10.1e} {teacher_forced:15.1e} {autoregressive:15.1e} "
        f"{relative:9.1e}"
    )
# --8<-- [end:train]

import matplotlib.pyplot as plt
from _site import panels, record, save_figure, sci

for name, (_, _, loss, autoregressive, relative) in results.items():
    record(
        **{
            f"{name}_loss": sci(loss[-1]),
            f"{name}_ar": sci(autoregressive),
            f"{name}_relative": sci(relative),
        }
    )
ranked = sorted(results, key=lambda name: results[name][4])
record(best=ranked[0], worst=ranked[-1])

fig, ax = plt.subplots(figsize=(7, 3.3))
for name, (_, _, loss, _, _) in results.items():
    ax.semilogy(range(1, len(loss) + 1), loss, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (MSE)")
ax.set_title(
    f"Adam, batch {article.BATCH_SIZE}, {article.EPOCHS} epochs: "
    "the mean loss of each epoch"
)
ax.legend()
save_figure(fig, "training-loss")

fig, axes = panels(3, height=2.7)
for ax, (name, (data, model, *_)) in zip(axes, results.items(), strict=True):
    y = model.predict(data.enc_x)
    ax.plot(data.x, data.seq_out, color="0.6", lw=4, alpha=0.5, label="truth")
    for i in article.START_POINTS:
        ax.plot(data.x[i : i + article.WINDOW], y[i, :, 0], lw=1.5, label=f"window {i}")
    ax.set_title(f"{name}: {TASKS[name].decoder_label}")
    ax.set_xlabel("x")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=5)
save_figure(fig, "training-tasks")
