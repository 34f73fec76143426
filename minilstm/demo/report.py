"""What the demo prints in the terminal: the summary table, the task labels as text."""

from collections.abc import Sequence

from minilstm.demo.experiment import TaskResult


def format_table(results: Sequence[TaskResult]) -> str:
    """The summary table, one row per result, columns aligned.

    Args:
        results: the results to list, in order (minilstm's and Keras's of each task).

    Returns:
        the table as lines of text; "-" where a loaded model has no loss or time.
    """

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = (
        "task",
        "model",
        "final loss",
        "teacher-forced MSE",
        "autoregressive MSE",
        "time",
    )
    rows = [
        (
            r.task,
            r.label,
            num(r.final_loss, ".2e"),
            num(r.teacher_forced_mse, ".2e"),
            num(r.autoregressive_mse, ".2e"),
            num(r.train_seconds, ".1f") + ("" if r.train_seconds is None else " s"),
        )
        for r in results
    ]
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([lines[0], "-" * sum(widths, 2 * len(widths) - 2), *lines[1:]])


def plain(label: str) -> str:
    """A plot label's LaTeX in plain text, for the terminal.

    Args:
        label: a label of ``minilstm.data.TASKS``, e.g. r"$y=\\sin x$".

    Returns:
        the label without LaTeX, e.g. "y=sin x".
    """
    for latex, text in (
        ("$", ""),
        (r"\sin", "sin"),
        (r"\cos", "cos"),
        (r"\sqrt{x}", "sqrt(x)"),
    ):
        label = label.replace(latex, text)
    return label.replace("e^{-x/5}", "exp(-x/5) ").replace("  ", " ")
