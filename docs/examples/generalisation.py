"""Generalisation: the held-out windows, training against held-out MSE epoch by epoch,
and over-fitting provoked by training on six windows."""

import matplotlib.pyplot as plt
from _site import panels, printed, record, save_figure, sci

with printed("generalisation-split"):
    # --8<-- [start:split]
    import numpy as np

    from minilstm.data import load_task, make_windows

    train = load_task("sin_cos")
    held_out = load_task("sin_cos", split="held_out")
    step = train.x[1] - train.x[0]
    print(
        "training windows", train.enc_x.shape, "held-out windows", held_out.enc_x.shape
    )
    print("first training points", np.round(train.x[:3], 3))
    print("first held-out points", np.round(held_out.x[:3], 3))
    print("held-out offset, in steps:", round((held_out.x[0] - train.x[0]) / step, 6))

    def closest(windows: np.ndarray, others: np.ndarray) -> np.ndarray:
        """For each window, the largest difference from the closest of ``others``."""
        gaps = np.abs(windows[:, None, :, 0] - others[None, :, :, 0]).max(axis=2)
        return gaps.min(axis=1)

    gap = closest(held_out.enc_x, train.enc_x)
    print(f"each differs from its closest training window by {gap.min():.3f} or more")

    # Halfway between the training points instead: the curves' period is 49.5 steps.
    mid = (train.x[:-1] + train.x[1:]) / 2
    mid_gap = closest(make_windows(np.sin(mid), np.cos(mid))[0], train.enc_x)
    repeats = np.sum(mid_gap < 1e-12)
    print(
        f"halfway points: {repeats} of {len(mid_gap)} windows repeat a training window"
    )
    # --8<-- [end:split]

record(gap_min=f"{gap.min():.3f}")
record(halfway_repeats=int(repeats), halfway_windows=len(mid_gap))

with printed("generalisation-epochs"):
    # --8<-- [start:epochs]
    import minilstm as ml
    from minilstm import article
    from minilstm.data import TASKS

    def scores(model: ml.Seq2Seq, data) -> tuple[float, float]:
        """Teacher-forced and autoregressive MSE on one split's windows."""
        forced = model.evaluate(data.enc_x, data.dec_x, data.dec_y)
        free = float(np.mean((model.predict(data.enc_x) - data.dec_y) ** 2))
        return forced, free

    print("MSE after 35 epochs   training windows         held-out windows")
    print("task          teacher-forced  autoregr.  teacher-forced  autoregr.")
    curves = {}
    for name in TASKS:
        train, held_out = load_task(name), load_task(name, split="held_out")
        model = ml.Seq2Seq(units=article.UNITS, seed=0)
        per_epoch = []
        for epoch in range(article.EPOCHS):
            # One epoch per call, the same run as one call of 35 epochs: the same
            # shuffled orders, and the Adam of the first call kept by the next ones.
            model.fit(
                train.enc_x,
                train.dec_x,
                train.dec_y,
                epochs=epoch + 1,
                initial_epoch=epoch,
                batch_size=article.BATCH_SIZE,
                verbose=0,
            )
            per_epoch.append(scores(model, train) + scores(model, held_out))
        curves[name] = np.array(per_epoch)  # (35, 4)
        forced, free, held_forced, held_free = per_epoch[-1]
        print(
            f"{name:12}  {forced:14.1e}  {free:9.1e}  {held_forced:14.1e}  "
            f"{held_free:9.1e}"
        )
    # --8<-- [end:epochs]

ratios = {name: c[-1, 3] / c[-1, 1] for name, c in curves.items()}
record(
    **{f"{name}_ar": sci(c[-1, 1]) for name, c in curves.items()},
    **{f"{name}_held_ar": sci(c[-1, 3]) for name, c in curves.items()},
    ratio_min=f"{min(ratios.values()):.2f}",
    ratio_max=f"{max(ratios.values()):.2f}",
)

fig, axes = panels(len(curves), height=2.6, sharex=True)
epochs = np.arange(1, article.EPOCHS + 1)
for ax, (name, c) in zip(axes, curves.items(), strict=True):
    ax.semilogy(
        epochs, c[:, 1], color="tab:blue", lw=2, label="training, autoregressive"
    )
    ax.semilogy(
        epochs,
        c[:, 3],
        color="tab:orange",
        lw=2,
        ls="--",
        label="held-out, autoregressive",
    )
    ax.semilogy(
        epochs,
        c[:, 0],
        color="tab:blue",
        lw=1,
        alpha=0.6,
        label="training, teacher-forced",
    )
    ax.semilogy(
        epochs,
        c[:, 2],
        color="tab:orange",
        lw=1,
        ls="--",
        alpha=0.6,
        label="held-out, teacher-forced",
    )
    ax.set_title(f"{name}: the article's recipe")
    ax.set_ylabel("MSE")
axes[-1].set_xlabel("epoch")
fig.legend(
    *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9
)
save_figure(fig, "generalisation-epochs")

with printed("generalisation-overfit"):
    # --8<-- [start:overfit]
    few = np.arange(0, 76, 15)  # windows 0, 15, 30, 45, 60 and 75: six of the 76
    EPOCHS, EVERY = 600, 20
    print(f"trained on windows {few.tolist()}, scored on all 75 held-out windows")
    print("autoregressive MSE  training    held-out:")
    print("task                6 windows   lowest (epoch)   at the end")
    overfit = {}
    for name in TASKS:
        train, held_out = load_task(name), load_task(name, split="held_out")
        model = ml.Seq2Seq(units=article.UNITS, seed=0)
        rows = []
        for epoch in range(0, EPOCHS, EVERY):
            model.fit(
                train.enc_x[few],
                train.dec_x[few],
                train.dec_y[few],
                epochs=epoch + EVERY,
                initial_epoch=epoch,
                batch_size=len(few),
                optimizer=ml.Adam(3e-3) if epoch == 0 else None,
                verbose=0,
            )
            seen = np.mean((model.predict(train.enc_x[few]) - train.dec_y[few]) ** 2)
            unseen = np.mean((model.predict(held_out.enc_x) - held_out.dec_y) ** 2)
            rows.append((seen, unseen))
        overfit[name] = np.array(rows)  # (30, 2): training, held-out
        best = int(np.argmin(overfit[name][:, 1]))
        lowest = f"{rows[best][1]:.1e} ({(best + 1) * EVERY})"
        print(f"{name:18}  {rows[-1][0]:9.1e}   {lowest:15}  {rows[-1][1]:9.1e}")
    # --8<-- [end:overfit]

record(
    **{f"over_{name}_train": sci(o[-1, 0]) for name, o in overfit.items()},
    **{f"over_{name}_held": sci(o[-1, 1]) for name, o in overfit.items()},
    **{f"over_{name}_best": sci(o[:, 1].min()) for name, o in overfit.items()},
    **{
        f"over_{name}_best_epoch": (int(np.argmin(o[:, 1])) + 1) * EVERY
        for name, o in overfit.items()
    },
    **{
        f"over_{name}_factor": f"{o[-1, 1] / o[-1, 0]:,.0f}"
        for name, o in overfit.items()
    },
    **{f"{name}_full_held_ar": sci(curves[name][-1, 3]) for name in TASKS},
    over_sin_cos_vs_full=f"{overfit['sin_cos'][-1, 1] / curves['sin_cos'][-1, 3]:.0f}",
    weights=f"{model.count_params():,}",
)

fig, axes = panels(len(overfit), height=2.6, sharex=True)
checked = np.arange(1, len(next(iter(overfit.values()))) + 1) * EVERY
for ax, (name, o) in zip(axes, overfit.items(), strict=True):
    ax.semilogy(
        checked, o[:, 0], color="tab:blue", lw=2, label="the 6 training windows"
    )
    ax.semilogy(
        checked, o[:, 1], color="tab:orange", lw=2, ls="--", label="75 held-out windows"
    )
    ax.axhline(
        curves[name][-1, 3],
        color="0.5",
        lw=1,
        ls=":",
        label="held-out, trained on all 76 (35 epochs)",
    )
    ax.set_title(f"{name}: trained on 6 windows, autoregressive MSE")
    ax.set_ylabel("MSE")
axes[-1].set_xlabel("epoch")
fig.legend(
    *axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9
)
save_figure(fig, "generalisation-overfit")
plt.close("all")
