"""The scale table (``--scale``): how the time of one training epoch grows with the
model, from the article's size (H=75 units, batches of N=10, T=24 steps) to H=512,
N=128, T=100; minilstm in float32 and float64 beside PyTorch in float32, the floor that
the recurrent matrix products alone set (the weight gradient's included), and the memory
each side's training needs."""

import statistics

from minilstm.bench.compare import versus_rounds
from minilstm.bench.measure import Results, Run, ScaleRow, Sizes, progress
from minilstm.bench.memory import peak_memory_mb
from minilstm.bench.timing import alternate
from minilstm.bench.workers import Worker
from minilstm.bench.workloads import ARTICLE, scale_data

# The runs of each size, a side and its dtype each; PyTorch's LSTM is compared in
# float32, the dtype its users train in.
SCALE_RUNS: tuple[Run, ...] = (
    ("minilstm", "float32"),
    ("PyTorch", "float32"),
    ("minilstm", "float64"),
)
DTYPES = ("float32", "float64")
ARTICLE_SIZE = (ARTICLE["units"], ARTICLE["batch_size"], ARTICLE["window"])
ARTICLE_MARK = " (the article's)"


def measure_scale(sizes: Sizes, workers: dict[str, Worker], results: Results) -> None:
    """Time one warm epoch at each of ``sizes.scale``, the sides taking turns, and the
    floor of each size in both dtypes, into ``results.scale``."""
    runs = [run for run in SCALE_RUNS if run[0] in workers]
    for units, batch_size, window in sizes.scale:
        row = ScaleRow(units, batch_size, window, epoch={run: [] for run in runs})
        data = scale_data(units, batch_size, window, sizes.scale_batches)
        for side, dtype in runs:
            workers[side]("prepare_epoch", data, batch_size, dtype)
        for side, dtype in alternate(sizes.scale_rounds, runs):
            row.epoch[side, dtype].append(workers[side]("epoch_seconds", dtype))
        for dtype in DTYPES:
            row.floor[dtype] = workers["minilstm"](
                "epoch_floor_seconds", data, batch_size, dtype
            )
        results.scale.append(row)
        shown = ", ".join(
            f"{side} {dtype} {statistics.median(t) * 1e3:.1f} ms"
            for (side, dtype), t in row.epoch.items()
        )
        progress(f"scale H={units} N={batch_size} T={window}: {shown}")


def measure_scale_memory(sizes: Sizes, sides: list[str], results: Results) -> None:
    """The peak memory of a fresh process training one float32 epoch at each size, on
    each of ``sides``, into ``results.scale``; after the timing, which it would
    disturb."""
    for row in results.scale:
        for side in sides:
            row.memory[side] = peak_memory_mb(
                "epoch",
                side,
                "float32",
                row.units,
                row.batch_size,
                row.window,
                sizes.scale_batches,
            )
        shown = ", ".join(f"{side} {mb} MB" for side, mb in row.memory.items())
        progress(f"scale memory H={row.units}: {shown}")


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds, with two decimals below 10 ms, where the smallest sizes
    and the floors lie, and one above."""
    ms = seconds * 1e3
    return f"{ms:.{2 if ms < 10 else 1}f}"


def scale_table(results: Results, sizes: Sizes) -> list[str]:
    """The scale table's Markdown lines."""
    out = [
        "",
        "## Scale: one training epoch as the model grows",
        "",
        f"An epoch is {sizes.scale_batches} batches of N windows of T steps, Adam, "
        "warm; medians of "
        f"{sizes.scale_rounds} rounds, the sides taking turns. The floor is the "
        "recurrent matrix products of that epoch alone, in minilstm's BLAS: h U at "
        "every step, dz U^T at every step and each LSTM's recurrent weight gradient. "
        "Peak memory: a fresh process training one float32 epoch, the library's "
        "import included.",
        "",
        "| H | N | T | minilstm float32 (ms) | PyTorch float32 (ms) "
        "| minilstm vs PyTorch, float32 | floor float32 (ms) | minilstm float32 "
        "÷ floor | PyTorch float32 ÷ floor | minilstm float64 (ms) "
        "| floor float64 (ms) | peak MB, minilstm | peak MB, PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results.scale:
        size = (row.units, row.batch_size, row.window)

        def ms(run: Run, row: ScaleRow = row) -> str:
            rounds = row.epoch.get(run)
            return "-" if rounds is None else milliseconds(statistics.median(rounds))

        def mb(side: str, row: ScaleRow = row) -> str:
            if side not in row.memory:
                return "-"
            peak = row.memory[side]
            return "n/a" if peak is None else f"{peak:.0f}"

        mine = row.epoch["minilstm", "float32"]
        torch = row.epoch.get(("PyTorch", "float32"))
        ratio = "-" if torch is None else versus_rounds(torch, mine)

        def over_floor(rounds: list[float] | None, row: ScaleRow = row) -> str:
            if rounds is None:
                return "-"
            return f"{statistics.median(rounds) / row.floor['float32']:.1f}x"

        cells = [
            str(row.units),
            str(row.batch_size),
            f"{row.window}{ARTICLE_MARK if size == ARTICLE_SIZE else ''}",
            ms(("minilstm", "float32")),
            ms(("PyTorch", "float32")),
            ratio,
            milliseconds(row.floor["float32"]),
            over_floor(mine),
            over_floor(torch),
            ms(("minilstm", "float64")),
            milliseconds(row.floor["float64"]),
            mb("minilstm"),
            mb("PyTorch"),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out
