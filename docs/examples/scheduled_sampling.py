"""Scheduled sampling: the article's model trained teacher-forced and with an
inverse-sigmoid schedule, on the three tasks with five seeds each; the schedules
plotted, the two methods' errors and their autoregressive error per epoch."""

# --8<-- [start:run]
import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.data import TASKS, load_task
from minilstm.schedules import InverseSigmoidDecay

SEEDS = (0, 1, 2, 3, 4)
# 76 windows in batches of 10: 8 steps an epoch, 280 in the article's 35 epochs. With
# k = 40 the probability of the true value falls to 1/2 at step k ln k = 148, about
# half-way, and to 0.035 at the last step.
METHODS = {"teacher forcing": 1.0, "scheduled sampling": InverseSigmoidDecay(40)}


def train(name: str, seed: int, teacher_forcing) -> tuple[float, list[float], float]:
    """The teacher-forced MSE after training, the autoregressive MSE after each epoch
    (fit one epoch at a time: the same run as one fit of 35 epochs), and the
    autoregressive MSE on the held-out windows after training."""
    data, held_out = load_task(name), load_task(name, split="held_out")
    model = ml.Seq2Seq(units=article.UNITS, seed=seed)
    autoregressive = []
    for epoch in range(article.EPOCHS):
        model.fit(
            data.enc_x,
            data.dec_x,
            data.dec_y,
            epochs=epoch + 1,
            initial_epoch=epoch,
            batch_size=article.BATCH_SIZE,
            verbose=0,
            teacher_forcing=teacher_forcing,
        )
        y = model.predict(data.enc_x)
        autoregressive.append(float(np.mean((y - data.dec_y) ** 2)))
    y = model.predict(held_out.enc_x)
    held_out_mse = float(np.mean((y - held_out.dec_y) ** 2))
    return (
        model.evaluate(data.enc_x, data.dec_x, data.dec_y),
        autoregressive,
        held_out_mse,
    )


runs = {
    (name, method): [train(name, seed, tf) for seed in SEEDS]
    for name in TASKS
    for method, tf in METHODS.items()
}
print(f"median of {len(SEEDS)} seeds, {article.EPOCHS} epochs, batch 10")
print(
    f"{'task':12} {'training':19} {'teacher-forced':>14} {'autoregressive':>14} "
    f"{'held-out autoregressive':>24}"
)
for (name, method), results in runs.items():
    tf_mse = np.median([tf for tf, _, _ in results])
    ar_mse = np.median([ar[-1] for _, ar, _ in results])
    held_mse = np.median([held for _, _, held in results])
    print(f"{name:12} {method:19} {tf_mse:14.1e} {ar_mse:14.1e} {held_mse:24.1e}")
print("seeds where scheduled sampling ends with the lower autoregressive MSE:")
better = {}
for name in TASKS:
    plain = [ar[-1] for _, ar, _ in runs[name, "teacher forcing"]]
    sampled = [ar[-1] for _, ar, _ in runs[name, "scheduled sampling"]]
    better[name] = sum(s < p for s, p in zip(sampled, plain, strict=True))
    print(f"{name:12} {better[name]} of {len(SEEDS)}")
# --8<-- [end:run]
# What the site build needs besides: where its numbers and pictures go.
import matplotlib.pyplot as plt
from _site import cpu_label, panels, record, save_figure, sci

from minilstm.schedules import Constant, ExponentialDecay, LinearDecay


def ratio(r: float) -> str:
    """A ratio as the page quotes it: 0.97, 2.6, 25, 146."""
    return f"{r:.2g}" if r < 10 else f"{r:.0f}"


for name in TASKS:
    median = {
        (key, column): np.median(values)
        for key, method in (("tf", "teacher forcing"), ("ss", "scheduled sampling"))
        for column, values in (
            ("tf", [tf for tf, _, _ in runs[name, method]]),
            ("ar", [ar[-1] for _, ar, _ in runs[name, method]]),
        )
    }
    record(
        **{f"{name}_{key}_{column}": sci(v) for (key, column), v in median.items()},
        **{f"{name}_better": better[name]},
        # Ratios of the medians: the exposure bias after teacher forcing, and the
        # sampled runs' autoregressive MSE against the teacher-forced runs'.
        **{f"{name}_gap": f"{median['tf', 'ar'] / median['tf', 'tf']:.1f}"},
        **{f"{name}_ss_ratio": ratio(median["ss", "ar"] / median["tf", "ar"])},
    )
record(cpu=cpu_label(), seeds=len(SEEDS))

fig, axes = panels(3, height=2.7, sharex=True)
epochs = np.arange(1, article.EPOCHS + 1)
for ax, name in zip(axes, TASKS, strict=True):
    for (method, _), color in zip(METHODS.items(), ("C0", "C3"), strict=True):
        curves = np.array([ar for _, ar, _ in runs[name, method]])
        for curve in curves:
            ax.semilogy(epochs, curve, color=color, lw=0.6, alpha=0.35)
        ax.semilogy(epochs, np.median(curves, axis=0), color=color, lw=2, label=method)
    ax.set_title(f"{name}: autoregressive MSE after each epoch")
    ax.set_ylabel("MSE")
axes[-1].set_xlabel("epoch")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
save_figure(fig, "scheduled-sampling-curves")

# The schedules over the article's 280 steps, with settings that reach 1/2 half-way.
steps = np.arange(article.EPOCHS * 8 + 1)
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
for schedule, label in (
    (Constant(0.5), "constant, p = 0.5"),
    (LinearDecay(c=1 / 280), "linear, c = 1/280"),
    (ExponentialDecay(k=0.5 ** (1 / 140)), "exponential, k = 0.5^(1/140)"),
    (InverseSigmoidDecay(k=40), "inverse sigmoid, k = 40"),
):
    ax.plot(steps, [schedule(int(i)) for i in steps], label=label)
ax.set_xlabel("training step i (the optimizer's iterations)")
ax.set_ylabel("P(true previous value)")
ax.set_title("Teacher-forcing schedules over the article's 280 steps")
ax.legend()
save_figure(fig, "scheduled-sampling-schedules")
