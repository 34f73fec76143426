"""Training page: the demo's tuned recipe on the three tasks, its table and its
pictures."""

import dataclasses
import os
import time
from concurrent.futures import ProcessPoolExecutor

import matplotlib.pyplot as plt
from _site import cpu_label, record, save_figure, sci

from minilstm.data import TASKS
from minilstm.demo import plots
from minilstm.demo.experiment import TaskResult, run_task
from minilstm.demo.recipes import RECIPES
from minilstm.demo.report import format_table

# The one long script of the build (under a minute on 2 cores). A preview build for
# prose edits (MINILSTM_DOCS_QUICK=1) trains a tenth of the epochs, and its page says
# so.
QUICK = os.environ.get("MINILSTM_DOCS_QUICK") == "1"
RECIPE = RECIPES["tuned"]
if QUICK:
    RECIPE = dataclasses.replace(RECIPE, epochs=RECIPE.epochs // 10)


def tuned(task: str) -> TaskResult:
    # Processor time of this worker alone: the three workers and the build's other
    # scripts share two cores, so the wall-clock time would count their turns too.
    start = time.process_time()
    result = run_task(task, RECIPE, verbose=False)
    result.train_seconds = time.process_time() - start
    result.model = (
        None  # its optimizer's schedule is a closure, which cannot be pickled
    )
    return result


if __name__ == "__main__":
    if QUICK:
        print(
            f"PREVIEW (MINILSTM_DOCS_QUICK=1): {RECIPE.epochs} epochs, not the "
            f"recipe's {RECIPES['tuned'].epochs}; the numbers below are not the tuned "
            "recipe's.\n"
        )
    # --8<-- [start:run]
    # The three tasks are independent: train them side by side, one process each.
    with ProcessPoolExecutor(max_workers=3) as pool:
        trained = pool.map(tuned, TASKS)
        results = {task: [result] for task, result in zip(TASKS, trained, strict=True)}
    print(format_table([r for rs in results.values() for r in rs]))
    # --8<-- [end:run]
    plots.use_backend()
    # One panel per row, so that the labels stay legible when a phone shrinks the
    # picture to its width: each task's predictions, then the three loss curves.
    fig, axes = plt.subplots(
        len(TASKS) + 1, 1, figsize=(7, 3.6 * (len(TASKS) + 1)), layout="constrained"
    )
    for ax, task_results in zip(axes, results.values(), strict=False):
        plots.plot_predictions(ax, task_results, ncol=2)
    for task, (result,) in results.items():
        axes[-1].semilogy(result.losses, lw=2, label=task)
    axes[-1].set(
        xlabel="epoch", ylabel="training loss (MSE)", title="Training loss of each task"
    )
    axes[-1].legend()
    save_figure(fig, "training-tuned")
    record(
        cpu=cpu_label(),
        worst=sci(max(rs[0].autoregressive_mse for rs in results.values())),
        **{f"{task}_ar": sci(rs[0].autoregressive_mse) for task, rs in results.items()},
    )
