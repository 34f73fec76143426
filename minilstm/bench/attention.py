"""``python -m minilstm.bench --attention``: the article's ``fit`` with attention
against without, float32 and float64, in one worker, the runs alternating round by
round."""

import statistics

from minilstm.bench.measure import Results, Sizes, progress
from minilstm.bench.timing import alternate
from minilstm.bench.workers import Worker

KINDS = (None, "dot", "additive")  # Seq2Seq's attention: without, then each kind
DTYPES = ("float32", "float64")
TARGET = 1.3  # fit with attention takes at most this many times the time without


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
    return out
