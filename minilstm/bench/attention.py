"""``python -m minilstm.bench --attention``: the article's ``fit`` with attention
against without, float32 and float64, in one worker, the runs alternating round by
round."""

import math
import statistics

from minilstm.bench.measure import Results, Sizes, progress
from minilstm.bench.timing import alternate
from minilstm.bench.workers import Worker
from minilstm.bench.workloads import ARTICLE, article_data

KINDS = (None, "dot", "additive")  # Seq2Seq's attention: without, then each kind
DTYPES = ("float32", "float64")
TARGET = 1.3  # fit with attention takes at most this many times the time without
PIECES = ("pairs", "tanh", "scores", "forward", "backward")  # of one additive batch


def measure_attention(sizes: Sizes, worker: Worker, results: Results) -> None:
    """Time ``fit`` on the article's workload for every attention and dtype into
    ``results.attention``, keyed (attention, dtype)."""
    runs = [(kind, dtype) for dtype in DTYPES for kind in KINDS]
    results.attention = {run: [] for run in runs}
    for r, (kind, dtype) in enumerate(alternate(sizes.rounds, runs)):
        seed = r // len(runs)
        seconds = worker("fit_seconds", sizes.epochs, seed, dtype, kind)
        results.attention[kind, dtype].append(seconds)
        progress(f"article fit, attention {kind}, {dtype}: {seconds:.3f} s")
    batches = math.ceil(len(article_data().enc_x) / ARTICLE["batch_size"])
    results.attention_batches = sizes.epochs * batches
    for dtype in DTYPES:
        results.additive[dtype] = worker("additive_seconds", dtype, 20)


def attention_table(results: Results, sizes: Sizes) -> list[str]:
    """The Markdown table: per dtype and attention, the median ``fit`` time and the
    median of the rounds' ratios to the time without attention, against the target."""
    out = [
        "",
        f"## `fit` with attention, {sizes.epochs} epochs of the article's workload",
        "",
        f"Medians of {sizes.rounds} rounds; the ratio is the median of the rounds' "
        "ratios (the runs of a round follow each other, so they share the load).",
        "",
        f"| dtype | attention | `fit` (s) | ratio to without | target <= {TARGET}x |",
        "|---|---|---:|---:|---|",
    ]
    for dtype in DTYPES:
        without = results.attention[None, dtype]
        for kind in KINDS:
            mine = results.attention[kind, dtype]
            ratio = statistics.median(m / w for m, w in zip(mine, without, strict=True))
            met = "-" if kind is None else ("met" if ratio <= TARGET else "missed")
            out.append(
                f"| {dtype} | {kind or 'none'} | {statistics.median(mine):.3f} | "
                f"{ratio:.2f}x | {met} |"
            )
    return out + additive_table(results)


def additive_table(results: Results) -> list[str]:
    """The Markdown table of one additive batch's pieces beside the time the target
    leaves for everything attention adds to a batch of ``fit``."""
    out = [
        "",
        "## Additive attention's work in one batch, against the target's budget",
        "",
        "A batch without attention: the median `fit` time above over its "
        f"{results.attention_batches} batches. The budget, {TARGET - 1:.1f} times "
        "that, is what the target leaves for all that attention adds to a batch. The "
        "additive layer on one batch (N = 10, Tq = Tv = 24, dim = 75): three pieces "
        "of its forward, the whole forward, and its backward, in ms a call (medians "
        "of 5 runs of 20 calls in a row).",
        "",
        "| dtype | batch without (ms) | budget (ms) | pairs q + v | their tanh "
        "| scores | forward | backward |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for dtype, pieces in results.additive.items():
        batch = statistics.median(results.attention[None, dtype])
        batch_ms = batch / results.attention_batches * 1e3
        cells = " | ".join(f"{pieces[name] * 1e3:.2f}" for name in PIECES)
        out.append(
            f"| {dtype} | {batch_ms:.2f} | {(TARGET - 1) * batch_ms:.2f} | {cells} |"
        )
    return out
