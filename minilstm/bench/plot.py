"""The sweep's picture: time per epoch against each varied setting, log-log."""

from pathlib import Path

from minilstm.bench.measure import SWEEP_SIDES, Results


def plot(results: Results, path: Path) -> None:
    """The sweep: time per epoch against each varied setting, both sides, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    names = list(dict.fromkeys(axis for axis, _, _ in results.sweep))
    labels = {
        "window": "sequence length T",
        "units": "units H",
        "batch_size": "batch size",
    }
    fig, axes = plt.subplots(
        1, len(names), figsize=(4.2 * len(names), 3.8), squeeze=False
    )
    for ax, name in zip(axes[0], names, strict=True):
        rows = [
            (value, medians) for axis, value, medians in results.sweep if axis == name
        ]
        values = [value for value, _ in rows]
        for side, style in zip(SWEEP_SIDES, ("o-", "s--"), strict=True):
            if side in rows[0][1]:
                ax.plot(values, [m[side] * 1e3 for _, m in rows], style, label=side)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(values, [str(v) for v in values])
        ax.minorticks_off()
        # Ticks at 1, 2 and 5 of every decade, as plain numbers: a sweep spans few
        # decades.
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.set_xlabel(labels.get(name, name))
        ax.set_ylabel("ms per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Time of one training epoch, one setting varied from the article's")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
