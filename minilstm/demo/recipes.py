"""The settings of one training run, the demo's two recipes, and the optimizer they
make.

``article`` is the article's run; ``tuned`` trains longer, with a decaying learning rate
and gradient clipping, to reach an autoregressive MSE of at most 1e-5 on every task, on
the training windows and on the held-out ones alike (docs/generalisation.md).
"""

from collections.abc import Callable
from dataclasses import dataclass

from minilstm import article, optimizers


@dataclass(frozen=True)
class Settings:
    """Everything that defines one training run; the defaults are the article's.

    ``learning_rate`` None means the optimizer's Keras default. With
    ``final_learning_rate`` the rate decays exponentially from ``learning_rate`` to it
    over the whole run; with ``clipnorm`` every gradient array is scaled down to at most
    that L2 norm.
    """

    epochs: int = article.EPOCHS
    units: int = article.UNITS
    window: int = article.WINDOW
    batch_size: int = article.BATCH_SIZE
    optimizer: str = article.OPTIMIZER
    learning_rate: float | None = None
    final_learning_rate: float | None = None
    clipnorm: float | None = None
    seed: int = 0
    cell: str = "lstm"  # or "gru", "rnn": the recurrent layers of Seq2Seq
    # fit's teacher_forcing: a probability, or a schedule as text ("inverse_sigmoid:40")
    teacher_forcing: float | str = 1.0
    attention: str | None = None  # or "dot", "additive": Seq2Seq's attention


# --8<-- [start:recipes]
RECIPES: dict[str, Settings] = {
    # The article: Adam with its default rate 1e-3, 35 epochs of batches of 10.
    "article": Settings(),
    # Train longer, take more (smaller-batch) steps, and let the step size shrink:
    # - 400 epochs instead of 35, in batches of 5 instead of 10: 23 times more Adam
    #   steps;
    # - the learning rate starts at 5e-3 (5 times Adam's default) to get close fast,
    #   then decays exponentially to 1e-4, so that the last steps settle into the
    #   minimum instead of jittering around it (a jitter the autoregressive decoding
    #   amplifies);
    # - clipnorm 1.0 caps the norm of every gradient array: a safety net for the large
    #   early rate, should a batch produce a steep gradient.
    "tuned": Settings(
        epochs=400,
        batch_size=5,
        learning_rate=5e-3,
        final_learning_rate=1e-4,
        clipnorm=1.0,
    ),
}
# --8<-- [end:recipes]


def exponential_decay(
    initial: float, final: float, steps: int
) -> Callable[[int], float]:
    """A learning-rate schedule, geometric from one rate to another.

    The same curve as Keras's ``ExponentialDecay`` with these end points.

    Args:
        initial: the rate at step 0.
        final: the rate at step ``steps`` and after.
        steps: the number of steps the decay lasts.

    Returns:
        the schedule: a function from the step number (0, 1, ...) to the rate.
    """

    def learning_rate(step: int) -> float:
        return initial * (final / initial) ** min(step / steps, 1.0)

    return learning_rate


def make_learning_rate(
    settings: Settings, steps_per_epoch: int
) -> float | Callable[[int], float] | None:
    """The learning rate ``settings`` describe.

    Args:
        settings: the run's settings.
        steps_per_epoch: batches in one epoch, which a schedule needs to span the run.

    Returns:
        a float, a schedule, or None for the optimizer's default.
    """
    if settings.learning_rate is None or settings.final_learning_rate is None:
        return settings.learning_rate
    total = settings.epochs * steps_per_epoch
    return exponential_decay(
        settings.learning_rate, settings.final_learning_rate, total
    )


def make_optimizer(settings: Settings, steps_per_epoch: int) -> optimizers.Optimizer:
    """The optimizer ``settings`` describe, with its schedule and clipping.

    Args:
        settings: the run's settings; ``settings.optimizer`` is a key of
            ``minilstm.optimizers.OPTIMIZERS``.
        steps_per_epoch: batches in one epoch, which a schedule needs to span the run.

    Returns:
        a fresh minilstm optimizer.
    """
    learning_rate = make_learning_rate(settings, steps_per_epoch)
    kind = optimizers.OPTIMIZERS[settings.optimizer]
    if learning_rate is None:
        return kind(clipnorm=settings.clipnorm)
    return kind(learning_rate=learning_rate, clipnorm=settings.clipnorm)


def describe(settings: Settings) -> str:
    """The settings in one line, as the demo prints them before training.

    Args:
        settings: the run's settings.

    Returns:
        e.g. "75 units, window 24, batch 10, 35 epochs, adam (learning rate 0.001),
        seed 0".
    """
    default_rate = optimizers.get(settings.optimizer).learning_rate
    lr = f"{settings.learning_rate or default_rate:g}"
    if settings.final_learning_rate is not None:
        lr += f" decaying to {settings.final_learning_rate:g}"
    clip = "" if settings.clipnorm is None else f", clipnorm {settings.clipnorm:g}"
    cell = "" if settings.cell == "lstm" else f"{settings.cell.upper()} cell, "
    sampling = (
        ""
        if settings.teacher_forcing == 1.0
        else f", teacher forcing {settings.teacher_forcing}"
    )
    if settings.attention is not None:
        cell += f"{settings.attention} attention, "
    return (
        f"{cell}{settings.units} units, window {settings.window}, batch "
        f"{settings.batch_size}, {settings.epochs} epochs, {settings.optimizer} "
        f"(learning rate {lr}{clip}), seed {settings.seed}{sampling}"
    )
