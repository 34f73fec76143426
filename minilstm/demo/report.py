"""What the demo prints in the terminal: the summary table, the task labels as text."""

from collections.abc import Sequence

from minilstm.demo.experiment import TaskResult


def format_table(results: Sequence[TaskResult]) -> str:
    """The summary table, one row per result, columns aligned.

    The MSEs are on the training windows and on the held-out windows
    (``load_task(..., split="held_out")``), each teacher-forced and autoregressive; a
    line above the header says which columns are which.

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
        "teacher-forced",
        "autoregressive",
        "teacher-forced",
        "autoregressive",
        "time",
    )
    rows = [
        (
            r.task,
            r.label,
            num(r.final_loss, ".2e"),
            num(r.teacher_forced_mse, ".2e"),
            num(r.autoregressive_mse, ".2e"),
            num(r.held_out_teacher_forced_mse, ".2e"),
            num(r.held_out_autoregressive_mse, ".2e"),
            num(r.train_seconds, ".1f") + ("" if r.train_seconds is None else " s"),
        )
        for r in results
    ]
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (c.ljust(w) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    def spanning(title: str, k: int) -> str:
        # A heading centred above columns k and k + 1.
        return title.center(widths[k] + 2 + widths[k + 1])

    indent = " " * (sum(widths[:3]) + 2 * 3)
    above = (
        f"{indent}{spanning('MSE, training windows', 3)}  "
        f"{spanning('MSE, held-out windows', 5)}"
    ).rstrip()
    lines = [above, line(header), "-" * sum(widths, 2 * len(widths) - 2)]
    return "\n".join(lines + [line(row) for row in rows])


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
