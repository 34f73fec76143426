"""The report: a run's results as Markdown, the machine they were measured on first."""

import statistics

from minilstm import article
from minilstm.bench.attention import attention_table
from minilstm.bench.compare import versus, versus_rounds
from minilstm.bench.measure import OWN_KERNEL, SWEEP_SIDES, Results, Run, Sizes
from minilstm.bench.scale import scale_table


def report(results: Results, sizes: Sizes) -> str:
    """The Markdown tables: the scale table of a run with ``--scale``, else the
    headline, the floor and memory, the sweep."""
    out = ["# minilstm benchmark", "", *results.description]
    if results.scale:
        out += ["", *(f"> {note}" for note in results.notes)] if results.notes else []
        return "\n".join(out + scale_table(results, sizes)) + "\n"
    if results.attention:
        return "\n".join(out + attention_table(results, sizes)) + "\n"
    out.append(
        f"- medians of {sizes.rounds} rounds (sweep: {sizes.sweep_rounds}), sides "
        "alternating; a comparison of the headline is the median of its rounds' ratios"
    )
    out += ["", *(f"> {note}" for note in results.notes)] if results.notes else []

    def row(
        what: str,
        rounds: dict[Run, list[float]],
        dtype: str,
        unit: str,
        target: str,
        side: str = "minilstm",
    ) -> str:
        scale, digits = (1e3, 2) if unit == "ms" else (1, 3)
        mine = rounds[side, dtype]
        shown, ratios = [f"{statistics.median(mine) * scale:.{digits}f}"], []
        for peer in ("PyTorch", "Keras"):
            # Keras runs in its float32 only: the float64 rows compare with that.
            other = rounds.get((peer, "float32" if peer == "Keras" else dtype))
            if other is None:
                shown.append("-")
                ratios.append("-")
                continue
            shown.append(f"{statistics.median(other) * scale:.{digits}f}")
            # Round by round: the runs of a round follow each other, so they share the
            # load of a busy machine, which changes from round to round.
            ratios.append(versus_rounds(other, mine))
        cells = " | ".join(shown + ratios)
        return f"| {what}, {dtype} ({unit}) | {cells} | {target} |"

    def rows(
        what: str, rounds: dict[Run, list[float]], dtype: str, unit: str, target: str
    ) -> list[str]:
        # minilstm as the environment sets up OpenBLAS; then, where that overrides
        # OpenBLAS's choice of kernel, minilstm with the kernel OpenBLAS chooses.
        out = [row(what, rounds, dtype, unit, target)]
        if (OWN_KERNEL, dtype) in rounds:
            own = f"{what} with OpenBLAS's own kernel"
            out.append(row(own, rounds, dtype, unit, target, OWN_KERNEL))
        return out

    windows, window = article.NUM_POINTS - article.WINDOW, article.WINDOW
    decoding = f"batched decode, {windows} windows x {window} steps"
    out += [
        "",
        f"## The article's workload (sin -> cos, {windows} windows, {sizes.epochs} "
        "epochs)",
        "",
        f"`fit`: batch {article.BATCH_SIZE}, Adam, a fresh model (Keras: its "
        "first-call tracing included). Keras runs in float32, its default, in every "
        "row.",
        "",
        "| measurement | minilstm | PyTorch | Keras | minilstm vs PyTorch "
        "| minilstm vs Keras | target |",
        "|---|---|---|---|---|---|---|",
        *rows("`fit`", results.fit, "float32", "s", "as fast as PyTorch"),
        *rows("`fit`", results.fit, "float64", "s", ">= 3x Keras"),
        *rows(decoding, results.decode, "float32", "ms", ""),
        *rows(decoding, results.decode, "float64", "ms", ">= 10x Keras"),
        "",
        "## minilstm alone",
        "",
        "| measurement | minilstm | | target |",
        "|---|---|---|---|",
        "| matrix-product floor: h U and dz U^T alone, float64 (s) "
        f"| {results.floor:.3f} | `fit` float64 takes "
        f"{statistics.median(results.fit['minilstm', 'float64']) / results.floor:.1f}x "
        "the floor | |",
    ]
    for name, mb in results.memory.items():
        shown = "n/a" if mb is None else f"{mb:.0f}"
        out.append(f"| peak memory (MB), {name} | {shown} | | < 300 |")

    if results.sweep:
        out += [
            "",
            f"## Scaling: one training epoch, warm ({sizes.sweep_windows} windows; the "
            "other settings at the article's)",
            "",
            "| varied | value | minilstm (ms) | growth | Keras (ms) | growth "
            "| minilstm vs Keras |",
            "|---|---|---|---|---|---|---|",
        ]
        first: dict[str, dict[str, float]] = {}
        for axis, value, medians in results.sweep:
            base = first.setdefault(axis, medians)
            cells = []
            for side in SWEEP_SIDES:
                if side in medians:
                    cells += [
                        f"{medians[side] * 1e3:.1f}",
                        f"{medians[side] / base[side]:.1f}x",
                    ]
                else:
                    cells += ["-", "-"]
            ratio = (
                versus(medians["Keras"], medians["minilstm"])
                if "Keras" in medians
                else "-"
            )
            out.append(f"| {axis} | {value} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(out) + "\n"
