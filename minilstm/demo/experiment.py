"""One experiment: a model trained on one task (or loaded), then scored.

``run_task`` trains a fresh ``Seq2Seq`` with a recipe's settings and scores it two ways:
teacher-forced (the true previous value fed to the decoder, as in training) and
autoregressive (its own predictions fed back, as in real use), each on the training
windows and on the held-out windows it never trained on (``load_task(...,
split="held_out")``). ``TaskResult`` holds what the table (``report``) and the pictures
(``plots``) need.
"""

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minilstm import article
from minilstm.data import Dataset, load_task
from minilstm.demo.recipes import RECIPES, Settings, make_optimizer
from minilstm.seq2seq import Seq2Seq


@dataclass
class TaskResult:
    """One model trained (or loaded) on one task, and how well it does.

    ``losses`` has one entry per epoch (empty for a loaded model); ``train_seconds`` is
    the training time (None for a loaded model); ``predictions`` is the autoregressive
    decoding of every window, (n, window, 1), the arrays of ``data`` being
    (n, window, 1) too. ``held_out`` holds the held-out windows, which the two
    ``held_out_*_mse`` score. ``label`` names the model in tables and legends:
    "minilstm" or "Keras".
    """

    task: str
    label: str
    settings: Settings
    data: Dataset
    losses: list[float]
    train_seconds: float | None
    teacher_forced_mse: float
    autoregressive_mse: float
    predictions: np.ndarray
    held_out: Dataset
    held_out_teacher_forced_mse: float
    held_out_autoregressive_mse: float
    model: Any = field(repr=False)
    initial_weights: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def history(self) -> dict[str, list[float]]:
        """The losses as Keras's ``History.history`` holds them: {"loss": [...]}."""
        return {"loss": self.losses}

    @property
    def final_loss(self) -> float | None:
        """The last epoch's mean training loss, None for a loaded model."""
        return self.losses[-1] if self.losses else None


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """The mean squared difference over every element.

    Args:
        a: an array.
        b: an array of the same shape.

    Returns:
        mean((a - b)^2) as a Python float.
    """
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


def model_label(name: str, cell: str, attention: str | None = None) -> str:
    """The name a result goes by in the table and the pictures: "minilstm" or "Keras"
    for the article's LSTM, "minilstm GRU", "Keras RNN"... for the other cells, and
    "minilstm + dot attention"... with attention."""
    label = name if cell == "lstm" else f"{name} {cell.upper()}"
    return label if attention is None else f"{label} + {attention} attention"


def run_task(
    task: str,
    settings: Settings = RECIPES["article"],
    verbose: bool = True,
    model: Seq2Seq | None = None,
) -> TaskResult:
    """Train a fresh ``Seq2Seq`` on ``task`` (or evaluate ``model`` without training).

    Args:
        task: a key of ``minilstm.data.TASKS``.
        settings: the run's settings (a ``RECIPES`` entry or your own).
        verbose: let ``fit`` print one line per epoch.
        model: a trained model to evaluate instead of training a new one.

    Returns:
        the ``TaskResult``, with the model and (when trained) its initial weights.
    """
    data = load_task(task, article.NUM_POINTS, settings.window)
    held_out = load_task(task, article.NUM_POINTS, settings.window, split="held_out")
    losses: list[float] = []
    train_seconds = None
    initial_weights = None
    if model is None:
        model = Seq2Seq(
            settings.units,
            seed=settings.seed,
            cell=settings.cell,
            attention=settings.attention,
        )
        initial_weights = model.get_weights()
        steps_per_epoch = -(-len(data.enc_x) // settings.batch_size)
        start = time.perf_counter()
        history = model.fit(
            data.enc_x,
            data.dec_x,
            data.dec_y,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            optimizer=make_optimizer(settings, steps_per_epoch),
            verbose=1 if verbose else 0,
            teacher_forcing=settings.teacher_forcing,
        )
        train_seconds = time.perf_counter() - start
        losses = history.history["loss"]
    predictions = model.predict(data.enc_x, steps=settings.window)
    return TaskResult(
        task=task,
        label=model_label("minilstm", model.cell, model.attention),
        settings=settings,
        data=data,
        losses=losses,
        train_seconds=train_seconds,
        teacher_forced_mse=mse(model.forward(data.enc_x, data.dec_x), data.dec_y),
        autoregressive_mse=mse(predictions, data.dec_y),
        predictions=predictions,
        held_out=held_out,
        held_out_teacher_forced_mse=mse(
            model.forward(held_out.enc_x, held_out.dec_x), held_out.dec_y
        ),
        held_out_autoregressive_mse=mse(
            model.predict(held_out.enc_x, steps=settings.window), held_out.dec_y
        ),
        model=model,
        initial_weights=initial_weights,
    )
