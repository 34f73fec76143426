"""Inference: autoregressive decoding against the teacher-forced fit, step by step."""

# --8<-- [start:decode]
import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.data import load_task

data = load_task("sin_cos")
model = ml.Seq2Seq(units=article.UNITS, seed=0)
model.fit(
    data.enc_x,
    data.dec_x,
    data.dec_y,
    epochs=article.EPOCHS,
    batch_size=article.BATCH_SIZE,
    verbose=0,
)
y_free = model.predict(
    data.enc_x
)  # (76, 24, 1): all windows at once, own predictions fed back
y_forced = model.forward(
    data.enc_x, data.dec_x
)  # (76, 24, 1): true previous values fed in
one_by_one = np.concatenate([model.predict(data.enc_x[i : i + 1]) for i in range(76)])
print(
    "batched equals window by window:",
    np.allclose(y_free, one_by_one, rtol=0, atol=1e-12),
)
print(f"teacher-forced MSE {np.mean((y_forced - data.dec_y) ** 2):.1e}")
print(f"autoregressive MSE {np.mean((y_free - data.dec_y) ** 2):.1e}")
# --8<-- [end:decode]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci

per_step_free = np.mean((y_free - data.dec_y) ** 2, axis=(0, 2))
per_step_forced = np.mean((y_forced - data.dec_y) ** 2, axis=(0, 2))


def steps_text(steps: np.ndarray) -> str:
    """Step numbers as runs, "6 to 10 and 14", or "none"."""
    runs: list[list[int]] = []
    for t in steps.tolist():
        if runs and t == runs[-1][-1] + 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    parts = [f"{r[0]} to {r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
    if not parts:
        return "none"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# The page says where the teacher-forced error is the larger of the two, as measured:
# after the first step the curves cross, so no fixed order can be written in the prose.
# Steps are numbered from 1, as on the pages: step t is position t - 1 of the arrays.
steps = np.arange(1, len(per_step_free) + 1)
forced_above = steps[1:][per_step_forced[1:] > per_step_free[1:]]
record(
    forced=sci(float(np.mean(per_step_forced))),
    free=sci(float(np.mean(per_step_free))),
    first=sci(float(per_step_free[0])),
    last=sci(float(per_step_free[-1])),
    forced_last=sci(float(per_step_forced[-1])),
    forced_above=steps_text(forced_above),
    free_max_step=int(steps[np.argmax(per_step_free)]),
    free_min=sci(float(per_step_free.min())),
    free_min_step=int(steps[np.argmin(per_step_free)]),
)
# One panel above the other: side by side they shrink to half a phone's width.
fig, axes = plt.subplots(2, 1, figsize=(7, 6.8), layout="constrained")
ax = axes[0]
ax.semilogy(steps, per_step_forced, "o-", ms=3, label="teacher-forced (true inputs)")
ax.semilogy(steps, per_step_free, "o-", ms=3, label="autoregressive (own predictions)")
ax.set_xlabel("decoder step t")
ax.set_ylabel("MSE over the 76 windows")
ax.set_title("Error along the window")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
ax = axes[1]
i = 49
ax.plot(steps, data.dec_y[i, :, 0], color="0.6", lw=4, alpha=0.5, label="truth")
ax.plot(steps, y_forced[i, :, 0], "o", ms=3, label="teacher-forced")
ax.plot(steps, y_free[i, :, 0], "-", label="autoregressive")
ax.set_xlabel("decoder step t")
ax.set_title(f"Window {i}")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
save_figure(fig, "inference-steps")
