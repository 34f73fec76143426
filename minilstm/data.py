"""The article's data: windows of one curve in, of another curve out (docs/data.md).

From curves sampled at ``num_points`` points and a window of length T:
    enc_x[i] = seq_in[i : i + T]                       what the encoder reads
    dec_y[i] = seq_out[i : i + T]                      what the decoder must produce
    dec_x[i] = [0, seq_out[i : i + T - 1]]             dec_y shifted right by one step
for i = 0 ... num_points - T - 1. Feeding the decoder the true previous value is teacher
forcing; the leading zero is the "start" input it also sees when decoding alone.

The held-out windows (``load_task(name, split="held_out")``, docs/generalisation.md)
are cut the same way from the same two curves sampled a quarter of a step after each
training point: over the same stretch of x, every held-out window lies between two
training windows and equals none of them. (Not halfway: the sin -> cos curves span two
periods in 99 steps, so the midpoints of one period are the sample points of the
other.)
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from minilstm import article
from minilstm.validation import check_array, check_choice, check_int


class Task(NamedTuple):
    """A pair of curves on an interval: the encoder reads ``encoder_curve``, the decoder
    writes ``decoder_curve``. Labels are LaTeX for plots."""

    name: str
    encoder_curve: Callable[[np.ndarray], np.ndarray]
    decoder_curve: Callable[[np.ndarray], np.ndarray]
    x_range: tuple[float, float]
    encoder_label: str
    decoder_label: str


SPLITS = ("train", "held_out")

TASKS: dict[str, Task] = {
    "sin_cos": Task(
        "sin_cos", np.sin, np.cos, (-2 * np.pi, 2 * np.pi), r"$y=\sin x$", r"$y=\cos x$"
    ),
    "damped": Task(
        "damped",
        lambda x: np.exp(-x / 5) * np.cos(x),
        lambda x: np.exp(-x / 5) * np.sin(x),
        (0.0, 5 * np.pi),
        r"$y=e^{-x/5}\cos x$",
        r"$y=e^{-x/5}\sin x$",
    ),
    "square_sqrt": Task(
        "square_sqrt", np.square, np.sqrt, (0.0, 1.5), r"$y=x^2$", r"$y=\sqrt{x}$"
    ),
}


class Dataset(NamedTuple):
    """A task's curves and windows. x, seq_in, seq_out: (num_points,);
    enc_x, dec_x, dec_y: (n, window, 1) with n = num_points - window."""

    x: np.ndarray
    seq_in: np.ndarray
    seq_out: np.ndarray
    enc_x: np.ndarray
    dec_x: np.ndarray
    dec_y: np.ndarray


# --8<-- [start:windows]
def make_windows(
    seq_in: np.ndarray, seq_out: np.ndarray, window: int = article.WINDOW
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut two curves into the training arrays of the encoder-decoder.

    Args:
        seq_in: (P,) the encoder's curve.
        seq_out: (P,) the decoder's curve.
        window: T, the length of every window.

    Returns:
        enc_x, dec_x, dec_y, each (P - T, T, 1), as described at the top of this module.
    """
    sizes = {}
    seq_in = check_array(seq_in, "seq_in", ("P",), sizes=sizes)
    seq_out = check_array(seq_out, "seq_out", ("P",), sizes=sizes)
    window = check_int(window, "window", maximum=len(seq_in) - 1)
    n = len(seq_in) - window
    # (n, T): the indices of each window
    starts = np.arange(n)[:, None] + np.arange(window)
    enc_x = seq_in[starts]
    dec_y = seq_out[starts]
    dec_x = np.zeros_like(dec_y)
    dec_x[:, 1:] = dec_y[:, :-1]
    return enc_x[..., None], dec_x[..., None], dec_y[..., None]


# --8<-- [end:windows]


def load_task(
    name: str,
    num_points: int = article.NUM_POINTS,
    window: int = article.WINDOW,
    split: str = "train",
) -> Dataset:
    """The arrays of one of the article's tasks, its curves sampled at evenly spaced x.

    Args:
        name: a key of ``TASKS``: "sin_cos", "damped" or "square_sqrt".
        num_points: points per curve (of the training split).
        window: T, the length of every window.
        split: "train", the article's windows; or "held_out", windows the model never
            trains on: the curves sampled a quarter of a step after each of the first
            num_points - 1 training points, so each held-out window starts a quarter of
            the way from one training window's start to the next.

    Returns:
        a ``Dataset``: curves (P,), windows (P - window, window, 1), with P =
        num_points for "train" and num_points - 1 for "held_out".
    """
    task = TASKS[check_choice(name, "name", sorted(TASKS))]
    split = check_choice(split, "split", SPLITS)
    num_points = check_int(num_points, "num_points", minimum=2)
    held_out = split == "held_out"
    window = check_int(window, "window", maximum=num_points - 1 - int(held_out))
    x = np.linspace(*task.x_range, num_points)
    if held_out:
        x = x[:-1] + (x[1] - x[0]) / 4
    seq_in, seq_out = task.encoder_curve(x), task.decoder_curve(x)
    return Dataset(x, seq_in, seq_out, *make_windows(seq_in, seq_out, window))
