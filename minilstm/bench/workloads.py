"""The data each side trains on: the article's windows, the sweep's and the scale
table's."""

from dataclasses import dataclass

import numpy as np

from minilstm import article
from minilstm.data import load_task, make_windows

ARTICLE = {
    "window": article.WINDOW,
    "units": article.UNITS,
    "batch_size": article.BATCH_SIZE,
}


@dataclass
class Data:
    """Training arrays (N, T, 1) and the units of the model to train on them."""

    enc_x: np.ndarray
    dec_x: np.ndarray
    dec_y: np.ndarray
    units: int


def article_data() -> Data:
    """The article's 76 windows of sin -> cos, (76, 24, 1), and its 75 units."""
    data = load_task("sin_cos")
    return Data(data.enc_x, data.dec_x, data.dec_y, ARTICLE["units"])


def sweep_data(window: int, windows: int, units: int) -> Data:
    """``windows`` windows of length ``window`` of sin -> cos, and the units to use."""
    x = np.linspace(0.0, windows * 2 * np.pi / 24, windows + window)
    return Data(*make_windows(np.sin(x), np.cos(x), window), units)


def scale_data(units: int, batch_size: int, window: int, batches: int) -> Data:
    """``batches`` full batches of ``batch_size`` windows of length ``window`` of sin ->
    cos, and ``units`` units: one size of the scale table."""
    return sweep_data(window, batch_size * batches, units)
