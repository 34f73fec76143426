"""The demo's pictures, from ``minilstm.demo.experiment.TaskResult`` objects (the demo
reaches matplotlib only through this module, and only once its arguments are checked).

Each ``plot_*`` function draws on a matplotlib ``Axes`` you give it, so the same
drawings serve the demo's PNG files, the documentation and your own notebooks:

    result = minilstm.demo.experiment.run_task("sin_cos")
    fig, ax = plt.subplots()
    plot_predictions(ax, [result])

``results`` is always a list of results of the same task (minilstm's first, then, with
``--compare-keras``, the Keras reference's), which are drawn over each other.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib import pyplot as plt
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy

from minilstm import article
from minilstm.data import TASKS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from minilstm.demo.experiment import TaskResult

# One colour per model, fixed so that minilstm and Keras keep theirs in every picture.
MODEL_STYLE = {
    "minilstm": {"color": "tab:red", "linestyle": "-"},
    "Keras": {"color": "tab:green", "linestyle": ":"},
}
INPUT_COLOR = "tab:blue"
DPI = 100


def use_backend(show: bool = False) -> None:
    """Draw off-screen (Agg: no window, no display needed) unless ``show``."""
    if not show:
        matplotlib.use("Agg")


def title(task: str) -> str:
    """'sin_cos: y=sin x -> y=cos x', with the curves in math text."""
    t = TASKS[task]
    return f"{task}: {t.encoder_label} $\\rightarrow$ {t.decoder_label}"


def style(label: str) -> dict:
    """The line colour and style of a model's curves, by its label."""
    # "minilstm GRU" is drawn as "minilstm": one model per picture, its cell in the
    # label.
    return MODEL_STYLE.get(label.split()[0], {"color": "tab:purple", "linestyle": "--"})


def legend_below(ax: "Axes", ncol: int) -> None:
    """The legend under the axes and their x label, in ``ncol`` columns, where it
    hides no curve."""
    # A distance in points, not a fraction of the axes' height, clears the tick labels
    # and the x label however short the axes are.
    below_label = offset_copy(ax.transAxes, ax.figure, y=-30, units="points")
    ax.legend(
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=below_label,
        ncol=ncol,
    )


def plot_curves(ax: "Axes", result: "TaskResult") -> None:
    """The task's two curves: what the encoder reads and what the decoder must write."""
    t, data = TASKS[result.task], result.data
    ax.plot(
        data.x, data.seq_in, color=INPUT_COLOR, label=f"encoder input {t.encoder_label}"
    )
    ax.plot(
        data.x, data.seq_out, color="black", label=f"decoder target {t.decoder_label}"
    )
    ax.set(xlabel="x", ylabel="y", title=title(result.task))
    ax.grid(True, alpha=0.4)
    legend_below(ax, ncol=2)


def plot_loss(ax: "Axes", results: Sequence["TaskResult"]) -> None:
    """Training loss per epoch (log scale), and each model's final autoregressive MSE as
    a horizontal line: the gap between the two is the cost of decoding without the
    truth. The legend has an entry a line: a model's label (its cell, its attention,
    its framework) can be long."""
    for r in results:
        s = style(r.label)
        if r.losses:
            epochs = np.arange(1, len(r.losses) + 1)
            ax.plot(
                epochs,
                r.losses,
                color=s["color"],
                linestyle=s["linestyle"],
                linewidth=2,
                label=f"{r.label} training loss",
            )
        ax.axhline(
            r.autoregressive_mse,
            color=s["color"],
            linestyle="--",
            linewidth=1,
            label=f"{r.label} autoregressive MSE (end) {r.autoregressive_mse:.1e}",
        )
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(
        xlabel="epoch",
        ylabel="MSE (log scale)",
        title=f"{title(results[0].task)}: loss",
    )
    ax.grid(True, which="both", alpha=0.3)
    legend_below(ax, ncol=1)


def plot_predictions(
    ax: "Axes",
    results: Sequence["TaskResult"],
    starts: Sequence[int] = article.START_POINTS,
) -> None:
    """As the article drew them: at each start point, the encoder's input window and the
    decoder's autoregressive prediction over it, on top of the true target curve."""
    first = results[0]
    t, data = TASKS[first.task], first.data
    window = first.predictions.shape[1]
    starts = [s for s in starts if s < len(first.predictions)]
    ax.plot(
        data.x,
        data.seq_out,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"true {t.decoder_label}",
    )
    for k, s in enumerate(starts):
        span = data.x[s : s + window]
        ax.plot(
            span,
            data.seq_in[s : s + window],
            color=INPUT_COLOR,
            alpha=0.6,
            label=f"input {t.encoder_label}" if k == 0 else None,
        )
        for r in results:
            st = style(r.label)
            ax.plot(
                span,
                r.predictions[s, :, 0],
                color=st["color"],
                linestyle=st["linestyle"],
                linewidth=2,
                label=f"{r.label} prediction" if k == 0 else None,
            )
        ax.axvline(span[0], color="gray", linewidth=0.5, alpha=0.5)
    # A line per model: labels with a cell and an attention are long.
    mses = "\n".join(
        f"{r.label}: autoregressive MSE {r.autoregressive_mse:.1e}" for r in results
    )
    ax.set(xlabel="x", ylabel="y", title=f"{title(first.task)}\n{mses}")
    ax.grid(True, alpha=0.4)
    # Two columns: a model's label (its cell, its attention, its framework) is long.
    legend_below(ax, ncol=2)


def attention_weights(result: "TaskResult", starts: Sequence[int]) -> np.ndarray:
    """The attention weights of a model with attention, decoding the windows that
    start at ``starts``: (len(starts), T_dec, T_enc), each row summing to 1.

    Args:
        result: a minilstm result whose model has attention.
        starts: indices of windows of ``result.data``.
    """
    model = result.model
    window = result.predictions.shape[1]
    model.predict(result.data.enc_x[list(starts)], steps=window)
    return model.attention_layer.attention_scores


def plot_attention(
    ax: "Axes",
    result: "TaskResult",
    start: int,
    weights: np.ndarray,
    vmax: float | None = None,
) -> "matplotlib.image.AxesImage":
    """One window's attention weights as a heat map: decoder step t (rows) by encoder
    step j (columns), with the steps where x is the same (j = t) and, on the periodic
    tasks, a quarter period away (j = t +- a quarter period of 2 pi) as guides. The
    colours run from 0 to ``vmax`` (default the largest weight)."""
    data = result.data
    T_dec, T_enc = weights.shape
    image = ax.imshow(
        weights, origin="lower", cmap="viridis", vmin=0, vmax=vmax, aspect="auto"
    )
    t = np.arange(T_dec)
    ax.plot(t, t, color="white", linestyle="--", linewidth=1, label="same x")
    if result.task in ("sin_cos", "damped"):
        quarter = (np.pi / 2) / (data.x[1] - data.x[0])
        for sign in (1, -1):
            ax.plot(
                t + sign * quarter,
                t,
                color="white",
                linestyle=":",
                linewidth=1,
                label=r"x $\pm$ a quarter period" if sign == 1 else None,
            )
    ax.grid(False)  # a grid would hide cells of the map
    ax.set(
        xlim=(-0.5, T_enc - 0.5),
        ylim=(-0.5, T_dec - 0.5),
        xlabel="encoder step j",
        ylabel="decoder step t",
        title=f"{result.task}, window at x = {data.x[start]:.2f}",
    )
    return image


def attention_figure(results: Mapping[str, Sequence["TaskResult"]]) -> "Figure":
    """For each task (a row) whose minilstm model has attention, the attention weights
    of a few windows (the article's start points) as heat maps."""
    rows = [
        next(r for r in rs if getattr(r.model, "attention_layer", None) is not None)
        for rs in results.values()
        if any(getattr(r.model, "attention_layer", None) is not None for r in rs)
    ]
    starts = [s for s in article.START_POINTS if s < len(rows[0].predictions)]
    fig, axes = plt.subplots(
        len(rows),
        len(starts),
        figsize=(3.2 * len(starts) + 1, 3.2 * len(rows) + 0.8),
        squeeze=False,
        layout="constrained",
    )
    for row, result in zip(axes, rows, strict=True):
        weights = attention_weights(result, starts)
        # One colour scale per row, so that its windows compare.
        for ax, start, w in zip(row, starts, weights, strict=True):
            image = plot_attention(ax, result, start, w, vmax=weights.max())
        fig.colorbar(image, ax=row, label="attention weight")
    # The guide lines are white, to show on every colour of the map: a dark legend.
    axes[0, 0].legend(
        fontsize="x-small", loc="upper left", facecolor="0.3", labelcolor="white"
    )
    fig.suptitle(f"{rows[0].label}: where each decoder step looks")
    return fig


def task_figures(results: Sequence["TaskResult"]) -> dict[str, "Figure"]:
    """One task's pictures, by name: "curves", "loss" (when trained), "predictions"."""
    figures = {}
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    plot_curves(ax, results[0])
    figures["curves"] = fig
    if any(r.losses for r in results):
        fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        plot_loss(ax, results)
        figures["loss"] = fig
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    plot_predictions(ax, results)
    figures["predictions"] = fig
    return figures


def overview_figure(results: Mapping[str, Sequence["TaskResult"]]) -> "Figure":
    """All tasks side by side: predictions above, loss below, one column per task."""
    n = len(results)
    fig, axes = plt.subplots(
        2, n, figsize=(5.5 * n, 8), squeeze=False, layout="constrained"
    )
    for k, task_results in enumerate(results.values()):
        plot_predictions(axes[0, k], task_results)
        # A column is narrower than the task's own picture: the title a size smaller.
        axes[0, k].title.set_fontsize("medium")
        plot_loss(axes[1, k], task_results)
    return fig


def save_figures(
    results: Mapping[str, Sequence["TaskResult"]], out: Path, keep_open: bool = False
) -> list[Path]:
    """Write every picture as PNG into ``out`` (created if missing): per task
    ``<task>_curves.png``, ``<task>_loss.png`` (when trained),
    ``<task>_predictions.png``, ``all_tasks.png``, and ``attention.png`` for a model
    with attention. Returns the paths written, in
    that order. ``keep_open`` leaves the figures open for ``show``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    named = [
        (f"{task}_{name}.png", fig)
        for task, task_results in results.items()
        for name, fig in task_figures(task_results).items()
    ]
    named.append(("all_tasks.png", overview_figure(results)))
    if any(
        getattr(r.model, "attention_layer", None) for rs in results.values() for r in rs
    ):
        named.append(("attention.png", attention_figure(results)))
    paths = []
    for name, fig in named:
        path = out / name
        fig.savefig(path, dpi=DPI)
        paths.append(path)
        if not keep_open:
            plt.close(fig)
    return paths


def show() -> None:
    """Open every figure still open in a window (after ``use_backend(show=True)``)."""
    plt.show()
