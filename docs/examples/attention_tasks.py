"""Attention on the article's three tasks: the autoregressive MSE with and without it
(median of 5 seeds at the article's settings), and where the decoder looks."""

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

# --8<-- [start:train]
from minilstm.data import TASKS
from minilstm.demo.experiment import run_task
from minilstm.demo.recipes import Settings

SEEDS = range(5)
# The article's settings: 75 units, windows of 24, batches of 10, 35 epochs of Adam.
settings = Settings()
# --8<-- [end:train]
QUICK = os.environ.get("MINILSTM_DOCS_QUICK") == "1"
if QUICK:  # a preview for prose edits: one seed, a few epochs
    SEEDS, settings = range(1), Settings(epochs=3)


def autoregressive_mse(task: str, seed: int, attention: str | None) -> float:
    """One run of the article's model on ``task``, its autoregressive MSE."""
    run = dataclasses.replace(settings, seed=seed, attention=attention)
    return run_task(task, run, verbose=False).autoregressive_mse


if __name__ == "__main__":
    from _site import record, save_figure, sci

    from minilstm.demo import plots

    kinds = (None, "dot")
    runs = [(t, s, k) for t in TASKS for k in kinds for s in SEEDS]
    # Two processes: 30 trainings of a few seconds each, one NumPy thread apiece.
    with ProcessPoolExecutor(max_workers=2) as pool:
        mses = dict(
            zip(
                runs,
                pool.map(autoregressive_mse, *zip(*runs, strict=True)),
                strict=True,
            )
        )
    print(f"autoregressive MSE, median of {len(SEEDS)} seeds, {settings.epochs} epochs")
    print(f"{'task':12} {'without':>9} {'dot attention':>14}")
    medians = {}
    for task in TASKS:
        medians[task] = [
            float(np.median([mses[task, s, k] for s in SEEDS])) for k in kinds
        ]
        without, dot = medians[task]
        print(f"{task:12} {without:9.1e} {dot:14.1e}")
        record(**{f"{task}_without": sci(without), f"{task}_dot": sci(dot)})

    # Where the seed-0 models look: the share of each decoder step's weight on the
    # encoder steps within one step of the same x, and of a quarter period away.
    results = {
        task: [run_task(task, dataclasses.replace(settings, attention="dot"), False)]
        for task in TASKS
    }
    print("\nweight within one step of j = t (same x), of j = t +- a quarter period")
    for task, (result, *_) in results.items():
        window = result.predictions.shape[1]
        a = plots.attention_weights(result, range(len(result.data.enc_x)))
        offset = np.arange(window)[None, :] - np.arange(window)[:, None]  # j - t
        # Each share beside what weights spread evenly (1/T each) would give it.
        band = np.abs(offset) <= 1
        same, even = a[:, band].sum(axis=-1).mean() / window, band.mean()
        line = f"{task:12} same x {same:.0%} (even {even:.0%})"
        record(**{f"{task}_same": f"{same:.0%}", f"{task}_same_even": f"{even:.0%}"})
        if task != "square_sqrt":
            q = round((np.pi / 2) / (result.data.x[1] - result.data.x[0]))
            near = np.abs(np.abs(offset) - q) <= 1
            quarter, even = a[:, near].sum(axis=-1).mean() / window, near.mean()
            line += f"  quarter period ({q} steps) {quarter:.0%} (even {even:.0%})"
            record(
                **{
                    f"{task}_quarter": f"{quarter:.0%}",
                    f"{task}_quarter_even": f"{even:.0%}",
                    f"{task}_q": q,
                }
            )
        print(line)
    save_figure(plots.attention_figure(results), "attention-maps")
    record(seeds=len(SEEDS), epochs=settings.epochs)
