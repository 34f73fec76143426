"""Training page: the demo's tuned recipe on the three tasks, its table and its
pictures."""

import dataclasses
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _site import record, sci

from minilstm import plots
from minilstm.data import TASKS
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
    result = run_task(task, RECIPE, verbose=False)
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
    for path in plots.save_figures(results, Path("demo_tuned")):
        if path.name == "all_tasks.png":
            shutil.copy(path, Path("figures") / "training-tuned.png")
    record(
        worst=sci(max(rs[0].autoregressive_mse for rs in results.values())),
        **{f"{task}_ar": sci(rs[0].autoregressive_mse) for task, rs in results.items()},
    )
