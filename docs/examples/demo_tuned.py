"""Training page: the demo's tuned recipe on the three tasks, its table and its
pictures."""

import dataclasses
import os

from minilstm.demo.recipes import RECIPES

# The one long script of the build (under a minute on 2 cores). A preview build for
# prose edits (MINILSTM_DOCS_QUICK=1) trains a tenth of the epochs, and its page says
# so.
QUICK = os.environ.get("MINILSTM_DOCS_QUICK") == "1"
full = RECIPES["tuned"]
if QUICK:
    RECIPES["tuned"] = dataclasses.replace(full, epochs=full.epochs // 10)

# --8<-- [start:run]
from concurrent.futures import ProcessPoolExecutor

from minilstm.data import TASKS
from minilstm.demo.experiment import TaskResult, run_task
from minilstm.demo.recipes import RECIPES


def tuned(task: str) -> TaskResult:
    result = run_task(task, RECIPES["tuned"], verbose=False)
    result.model = None  # its learning-rate schedule is a closure: it cannot be pickled
    return result


# The three tasks are independent: train them side by side, one process each.
with ProcessPoolExecutor(max_workers=3) as pool:
    results = list(pool.map(tuned, TASKS))
print(
    f"{'task':12} {'final loss':>10} {'teacher-forced':>15} {'autoregressive':>15} "
    f"{'held-out autoregressive':>24}"
)
for r in results:
    print(
        f"{r.task:12} {r.final_loss:10.2e} {r.teacher_forced_mse:15.2e} "
        f"{r.autoregressive_mse:15.2e} {r.held_out_autoregressive_mse:24.2e}"
    )
# --8<-- [end:run]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci

from minilstm.demo import plots

plots.use_backend()
# One panel per row, so that the labels stay legible when a phone shrinks the
# picture to its width: each task's predictions, then the three loss curves.
fig, axes = plt.subplots(
    len(TASKS) + 1, 1, figsize=(7, 3.6 * (len(TASKS) + 1)), layout="constrained"
)
for ax, result in zip(axes, results, strict=False):
    plots.plot_predictions(ax, [result])
for result in results:
    axes[-1].semilogy(result.losses, lw=2, label=result.task)
axes[-1].set(
    xlabel="epoch", ylabel="training loss (MSE)", title="Training loss of each task"
)
axes[-1].legend()
save_figure(fig, "training-tuned")
preview = (
    f"**Preview** (MINILSTM_DOCS_QUICK=1): {RECIPES['tuned'].epochs} epochs, not the "
    f"recipe's {full.epochs}; the numbers below are not the tuned recipe's."
)
record(
    preview=preview if QUICK else "",
    worst=sci(max(r.autoregressive_mse for r in results)),
    worst_held_out=sci(max(r.held_out_autoregressive_mse for r in results)),
    **{f"{r.task}_ar": sci(r.autoregressive_mse) for r in results},
)
