"""The demo's experiment with the Keras reference (``reference_keras``), beside
minilstm's.

Keras starts from minilstm's initial weights, sees the batches in minilstm's order and
steps with the optimizer of the same name and settings, so that the two runs differ only
by their arithmetic (Keras trains in float32 by default). Needs TensorFlow.
"""

import os
import time
from typing import Any

import numpy as np

from minilstm import article, optimizers
from minilstm.data import Dataset, load_task
from minilstm.demo.experiment import TaskResult, model_label, mse
from minilstm.demo.recipes import Settings
from minilstm.seq2seq import Seq2Seq


def keras_optimizer(keras: Any, settings: Settings, steps_per_epoch: int) -> Any:
    """The Keras optimizer that takes the steps minilstm's ``make_optimizer`` takes.

    minilstm's optimizer classes bear the names of Keras's (Adam, RMSprop, SGD), so one
    table, ``minilstm.optimizers.OPTIMIZERS``, names both.

    Args:
        keras: the imported ``keras`` module.
        settings: the run's settings.
        steps_per_epoch: batches in one epoch, which a schedule needs to span the run.

    Returns:
        a fresh Keras optimizer, with the same schedule and clipping.
    """
    kwargs: dict[str, Any] = {"clipnorm": settings.clipnorm}
    if settings.learning_rate is not None:
        kwargs["learning_rate"] = settings.learning_rate
        if settings.final_learning_rate is not None:
            kwargs["learning_rate"] = keras.optimizers.schedules.ExponentialDecay(
                settings.learning_rate,
                decay_steps=settings.epochs * steps_per_epoch,
                decay_rate=settings.final_learning_rate / settings.learning_rate,
            )
    name = optimizers.OPTIMIZERS[settings.optimizer].__name__
    return getattr(keras.optimizers, name)(**kwargs)


def run_keras_task(
    task: str,
    settings: Settings,
    initial_weights: list[np.ndarray],
    verbose: bool = True,
) -> TaskResult:
    """Train the Keras reference on ``task`` from minilstm's ``initial_weights``.

    Args:
        task: a key of ``minilstm.data.TASKS``.
        settings: the run's settings, as given to ``run_task``.
        initial_weights: minilstm's initial weights (``TaskResult.initial_weights``).
        verbose: print one line per epoch, as minilstm's ``fit`` does.

    Returns:
        the ``TaskResult`` labelled "Keras", its predictions in float64.
    """
    # Before TensorFlow loads: its info lines (and the oneDNN notice, which the log
    # level does not silence) would interleave with the progress lines.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    import reference_keras
    import reference_keras.attention

    # The model with attention has builders of its own, under the same names.
    rk = reference_keras if settings.attention is None else reference_keras.attention
    data = load_task(task, article.NUM_POINTS, settings.window)
    held_out = load_task(task, article.NUM_POINTS, settings.window, split="held_out")
    steps_per_epoch = -(-len(data.enc_x) // settings.batch_size)
    optimizer = keras_optimizer(keras, settings, steps_per_epoch)
    attention = {} if settings.attention is None else {"attention": settings.attention}
    model = rk.build_training_model(
        settings.units,
        window=settings.window,
        optimizer=optimizer,
        cell=settings.cell,
        **attention,
    )
    start_model = Seq2Seq(
        settings.units, seed=settings.seed, cell=settings.cell, **attention
    )
    start_model.set_weights(initial_weights)
    rk.weights_to_keras(start_model, model)

    losses: list[float] = []
    train_seconds = 0.0
    for epoch in range(settings.epochs):
        # Keras sees the windows in the order minilstm's fit does
        # (Seq2Seq.fit's shuffle), so one fit call per epoch. Keras's own shuffle would
        # not do for a seeded comparison: after keras.utils.set_random_seed, Keras 3
        # with TensorFlow repeats the same order in every epoch.
        order = np.random.default_rng([settings.seed, epoch]).permutation(
            len(data.enc_x)
        )
        start = time.perf_counter()
        history = model.fit(
            [data.enc_x[order], data.dec_x[order]],
            data.dec_y[order],
            batch_size=settings.batch_size,
            shuffle=False,
            verbose=0,
        )
        seconds = time.perf_counter() - start
        train_seconds += seconds
        losses.append(float(history.history["loss"][-1]))
        if verbose:
            line = (
                f"Epoch {epoch + 1}/{settings.epochs} - {seconds:.2f}s - loss: "
                f"{losses[-1]:.4e}"
            )
            print(line, flush=True)
    inference_models = rk.build_inference_models(model)
    predictions = rk.decode(*inference_models, data.enc_x, settings.window)
    held_out_predictions = rk.decode(*inference_models, held_out.enc_x, settings.window)

    def teacher_forced(windows: Dataset) -> np.ndarray:
        y = model([windows.enc_x, windows.dec_x], training=False)
        return keras.ops.convert_to_numpy(y)

    return TaskResult(
        task=task,
        label=model_label("Keras", settings.cell, settings.attention),
        settings=settings,
        data=data,
        losses=losses,
        train_seconds=train_seconds,
        teacher_forced_mse=mse(teacher_forced(data), data.dec_y),
        autoregressive_mse=mse(predictions, data.dec_y),
        predictions=predictions.astype(np.float64),
        held_out=held_out,
        held_out_teacher_forced_mse=mse(teacher_forced(held_out), held_out.dec_y),
        held_out_autoregressive_mse=mse(held_out_predictions, held_out.dec_y),
        model=model,
        initial_weights=initial_weights,
    )
