"""What one run of the bench measures (``Sizes``), and the run itself: the sides take
turns in their worker processes, and the medians go into ``Results``."""

import statistics
import sys
from dataclasses import dataclass, field

from minilstm import article
from minilstm.bench.memory import peak_memory_mb
from minilstm.bench.timing import alternate
from minilstm.bench.workers import Worker
from minilstm.bench.workloads import ARTICLE, sweep_data

OWN_KERNEL = "minilstm, OpenBLAS's own kernel"
# The headline's runs, a side and its dtype each; Keras runs at its default float32.
RUNS = (
    ("minilstm", "float32"),
    (OWN_KERNEL, "float32"),
    ("PyTorch", "float32"),
    ("Keras", "float32"),
    ("minilstm", "float64"),
    (OWN_KERNEL, "float64"),
    ("PyTorch", "float64"),
)
# The scaling sweep compares minilstm with Keras only, to keep one run within minutes.
SWEEP_SIDES = ("minilstm", "Keras")


@dataclass(frozen=True)
class Sizes:
    """What one run measures; ``--quick`` shrinks all of it."""

    rounds: int = 5  # rounds of each side, alternating; the tables quote medians
    epochs: int = article.EPOCHS  # epochs of the article's workload
    decode_repeats: int = 10  # timed decodes per round (their median is the round's)
    sweep: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {
            "window": (article.WINDOW, 50, 100, 200),
            "units": (32, article.UNITS, 128, 256),
            "batch_size": (article.BATCH_SIZE, 32, 64, 128, 256),
        }
    )
    sweep_windows: int = 256  # training windows of the sweep's data set
    sweep_rounds: int = 3
    demo: bool = True  # also measure the peak memory of ``python -m minilstm.demo``
    # The scale table's sizes, (units H, batch N, steps T) each: the article's, then
    # three larger models; an epoch is ``scale_batches`` full batches.
    scale: tuple[tuple[int, int, int], ...] = (
        (article.UNITS, article.BATCH_SIZE, article.WINDOW),
        (128, 32, 50),
        (256, 64, 100),
        (512, 128, 100),
    )
    scale_batches: int = 4
    scale_rounds: int = 3


FULL = Sizes()
QUICK = Sizes(
    rounds=1,
    epochs=2,
    decode_repeats=2,
    sweep={"window": (8, 16), "units": (8, 16), "batch_size": (4, 16)},
    sweep_windows=32,
    sweep_rounds=1,
    demo=False,
    scale=((8, 4, 6), (16, 8, 12)),
    scale_batches=2,
    scale_rounds=1,
)


Run = tuple[str, str]  # a side and its dtype


@dataclass
class ScaleRow:
    """One size of the scale table: per run (side, dtype), the rounds' seconds of one
    epoch; the matrix-product floor of an epoch per dtype; the peak memory (MB) of a
    fresh process training one epoch, per side, None where it could not be measured."""

    units: int
    batch_size: int
    window: int
    epoch: dict[Run, list[float]] = field(default_factory=dict)
    floor: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Results:
    """Everything measured: per run (side, dtype), the rounds' seconds; memory in MB."""

    fit: dict[Run, list[float]] = field(default_factory=dict)
    decode: dict[Run, list[float]] = field(default_factory=dict)
    floor: float = 0.0
    sweep: list[tuple[str, int, dict[str, float]]] = field(default_factory=list)
    scale: list[ScaleRow] = field(default_factory=list)
    attention: dict[tuple[str | None, str], list[float]] = field(default_factory=dict)
    additive: dict[str, dict[str, float]] = field(default_factory=dict)
    attention_batches: int = 0
    memory: dict[str, float | None] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure(sizes: Sizes, workers: dict[str, Worker], results: Results) -> None:
    """Run every measurement, alternating the sides."""
    runs = [run for run in RUNS if run[0] in workers]
    results.fit = {run: [] for run in runs}
    for r, (side, dtype) in enumerate(alternate(sizes.rounds, runs)):
        seconds = workers[side]("fit_seconds", sizes.epochs, r // len(runs), dtype)
        results.fit[side, dtype].append(seconds)
        progress(f"article fit, {side} {dtype}: {seconds:.3f} s")

    # One model per dtype lives in a side's worker at a time: decode dtype by dtype.
    results.decode = {run: [] for run in runs}
    for dtype in dict.fromkeys(dtype for _, dtype in runs):
        dtype_runs = [run for run in runs if run[1] == dtype]
        for side, _ in dtype_runs:
            workers[side]("prepare_decode", dtype)
        for side, _ in alternate(sizes.rounds, dtype_runs):
            seconds = workers[side]("decode_seconds", sizes.decode_repeats)
            results.decode[side, dtype].append(seconds)
            progress(f"decode, {side} {dtype}: {seconds * 1e3:.2f} ms")

    results.floor = workers["minilstm"]("floor_seconds", sizes.epochs)
    progress(f"matrix-product floor: {results.floor:.3f} s")

    sides = [side for side in SWEEP_SIDES if side in workers]
    for axis, values in sizes.sweep.items():
        for value in values:
            setting = {**ARTICLE, axis: value}
            data = sweep_data(setting["window"], sizes.sweep_windows, setting["units"])
            for side in sides:
                workers[side]("prepare_epoch", data, setting["batch_size"])
            times: dict[str, list[float]] = {s: [] for s in sides}
            for side in alternate(sizes.sweep_rounds, sides):
                times[side].append(workers[side]("epoch_seconds"))
            medians = {s: statistics.median(t) for s, t in times.items()}
            results.sweep.append((axis, value, medians))
            shown = ", ".join(f"{s} {t * 1e3:.1f} ms" for s, t in medians.items())
            progress(f"sweep {axis}={value}: {shown}")


def measure_memory(sizes: Sizes, results: Results) -> None:
    """The peak memory of minilstm-only runs, each in a fresh Python, into
    ``results``."""
    results.memory["article workload, fit and decode"] = peak_memory_mb(
        "article", sizes.epochs
    )
    if sizes.demo:
        results.memory["`python -m minilstm.demo`"] = peak_memory_mb("demo")
    for name, mb in results.memory.items():
        progress(f"peak memory, {name}: {mb} MB")


def progress(message: str) -> None:
    """One line of progress on stderr, leaving stdout to the report."""
    print(f"  {message}", file=sys.stderr, flush=True)
