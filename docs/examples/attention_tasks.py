"""Attention on the article's three tasks: the autoregressive MSE with and without it
(median of 5 seeds at the article's settings), and where the decoder looks."""

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from minilstm.data import TASKS
from minilstm.demo.experiment import TaskResult, run_task
from minilstm.demo.recipes import Settings

SEEDS = range(5)
# The article's settings: 75 units, windows of 24, batches of 10, 35 epochs of Adam.
settings = Settings()
if os.environ.get("MINILSTM_DOCS_QUICK") == "1":  # a preview: one seed, 3 epochs
    SEEDS, settings = range(1), Settings(epochs=3)


def train(task: str, seed: int, attention: str | None) -> TaskResult:
    """One run of the article's model on ``task``: the model and its scores."""
    run = dataclasses.replace(settings, seed=seed, attention=attention)
    return run_task(task, run, verbose=False)


if __name__ == "__main__":
    from _site import record, save_figure, sci

    from minilstm.demo import plots

    kinds = (None, "dot")
    runs = [(t, s, k) for t in TASKS for k in kinds for s in SEEDS]
    # 30 trainings, two at a time.
    with ProcessPoolExecutor(max_workers=2) as pool:
        trained = pool.map(train, *zip(*runs, strict=True))
        results = dict(zip(runs, trained, strict=True))
    print(f"autoregressive MSE, median of {len(SEEDS)} seeds, {settings.epochs} epochs")
    print(f"{'':12} {'training windows':>24} {'held-out windows':>24}")
    print(
        f"{'task':12} {'without':>9} {'dot attention':>14} {'without':>9} {'dot':>14}"
    )
    for task in TASKS:
        without, dot, held_without, held_dot = (
            float(np.median([getattr(results[task, s, k], score) for s in SEEDS]))
            for score in ("autoregressive_mse", "held_out_autoregressive_mse")
            for k in kinds
        )
        print(
            f"{task:12} {without:9.1e} {dot:14.1e} {held_without:9.1e} {held_dot:14.1e}"
        )
        record(
            **{
                f"{task}_without": sci(without),
                f"{task}_dot": sci(dot),
                f"{task}_held_without": sci(held_without),
                f"{task}_held_dot": sci(held_dot),
            }
        )

    # Where the seed-0 models look, decoding every window: the share of each decoder
    # step's weight on the encoder steps within one step of the same x, and of a
    # quarter period away, beside what weights spread evenly (1/T each) would give.
    seed_0 = {task: [results[task, 0, "dot"]] for task in TASKS}
    print("\nthe largest weight; the weight within one step of j = t (same x), and of")
    print("j = t +- a quarter period, beside an even spread's")
    for task, (result,) in seed_0.items():
        window = result.predictions.shape[1]
        a = plots.attention_weights(result, range(len(result.data.enc_x)))
        offset = np.arange(window)[None, :] - np.arange(window)[:, None]  # j - t
        bands = {"same": np.abs(offset) <= 1}
        if task != "square_sqrt":
            q = round((np.pi / 2) / (result.data.x[1] - result.data.x[0]))
            bands["quarter"] = np.abs(np.abs(offset) - q) <= 1
            record(**{f"{task}_q": q})
        line = f"{task:12} largest weight {a.max():.0%}"
        record(**{f"{task}_largest": f"{a.max():.0%}"})
        for name, band in bands.items():
            share, even = a[:, band].sum(axis=-1).mean() / window, band.mean()
            line += f"  {name} {share:.0%} (even {even:.0%})"
            record(
                **{
                    f"{task}_{name}": f"{share:.0%}",
                    f"{task}_{name}_even": f"{even:.0%}",
                }
            )
        print(line)
    save_figure(plots.attention_figure(seed_0), "attention-maps")
    record(seeds=len(SEEDS), epochs=settings.epochs)
