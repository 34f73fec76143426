"""What ``Seq2Seq.fit`` reports: the ``History`` of its losses and, when a step is not
finite, a ``TrainingDivergedError`` instead of the step, saying what overflowed, where,
and what may help (docs/robustness.md).

One optimizer step is staged (computed into new arrays), checked, then committed:
neither a non-finite value nor an exception half-way through leaves a half-stepped
model, and no copy is kept for a rollback.
"""

import numpy as np

from minilstm.optimizers import Optimizer


class History:
    """What ``fit`` returns, as Keras's ``History``: ``history["loss"]`` has one mean
    training loss per epoch, ``epoch`` the epoch numbers, ``params`` the settings."""

    def __init__(self, params: dict) -> None:
        self.history: dict[str, list[float]] = {"loss": []}
        self.epoch: list[int] = []
        self.params = params


class TrainingDivergedError(ArithmeticError):
    """Raised by ``fit`` when the loss, a gradient, an updated weight or an optimizer
    slot stops being finite.

    The model and its optimizer keep the state of the last finite step. ``epoch`` and
    ``batch`` count from 0, as Keras's callbacks do (the message counts from 1, as the
    progress lines do); ``history`` holds the losses of the epochs completed before.
    """

    def __init__(self, message: str, epoch: int, batch: int, history: History) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.history = epoch, batch, history


def diverged(
    problem: str, where: str, epoch: int, batch: int, history: History
) -> TrainingDivergedError:
    """The error ``fit`` raises for ``problem`` (what ``finite_step`` returned) at
    ``where`` ("epoch 3/35, batch 7/93"); epoch and batch count from 0."""
    return TrainingDivergedError(
        f"training diverged in {where} (the model and its optimizer keep the state "
        f"of the last finite step): {problem}",
        epoch,
        batch,
        history,
    )


# --8<-- [start:finite_step]
def finite_step(
    optimizer: Optimizer,
    weights: list[np.ndarray],
    names: list[str],
    loss: float,
    grads: list[np.ndarray],
) -> str | None:
    """One optimizer step, taken only if everything it computes is finite.

    Args:
        optimizer: the model's optimizer, built on ``weights``.
        weights: the model's weights themselves, updated in place.
        names: each weight's name in the messages, e.g. "weights[4] (decoder
            recurrent_kernel)".
        loss: the batch's loss.
        grads: the gradients, aligned with ``weights``.

    Returns:
        None once the step is taken; else what went wrong and what may help, with the
        weights and the optimizer as they were.
    """
    if not np.isfinite(loss):
        kind = "an overflow" if np.isinf(loss) else "an invalid operation"
        return f"the loss is {loss}, from {kind}. {advice(optimizer)}"
    for name, g in zip(names, grads, strict=True):
        if not np.isfinite(g).all():
            return f"the gradient of {name} has {cause(g)}. {advice(optimizer)}"
    step = optimizer.stage(grads, weights)
    for name, new, slots in zip(names, step.variables, step.slots, strict=True):
        results = {f"the update of {name}": new}
        results.update({f"the {s} slot of {name}": v for s, v in slots.items()})
        for what, value in results.items():
            if not np.isfinite(value).all():
                why = cause(value)
                return f"{what} has {why}. {advice(optimizer, invalid='0/0' in why)}"
    optimizer.commit(step, weights)
    return None


def advice(optimizer: Optimizer, invalid: bool = False) -> str:
    """What to try: an invalid operation in an update with epsilon = 0 is the 0/0 of a
    weight whose gradients were all 0 so far; anything else is a step too large."""
    if invalid and getattr(optimizer, "epsilon", None) == 0:
        return (
            "The optimizer's epsilon is 0, so a weight whose gradients have all "
            "been 0 so far (e.g. one of an input feature that is always 0) gets "
            "the step 0/0. Use a positive epsilon, e.g. Keras's default: "
            f"{type(optimizer).__name__}(epsilon=1e-7)."
        )
    return (
        "Try a lower learning rate (now "
        f"{optimizer.current_learning_rate():g}) or clip the gradients, e.g. "
        "optimizer=Adam(clipnorm=1.0)."
    )


def weight_names(layers: dict[str, object]) -> list[str]:
    """Each weight as the messages name it, e.g. "weights[4] (decoder
    recurrent_kernel)": an index and what it is.

    Args:
        layers: the model's layers by name, in ``get_weights`` order; None for a layer
            the model does not have.
    """
    named = [
        f"{name} {weight}"
        for name, layer in layers.items()
        if layer is not None
        for weight in layer.weight_names
    ]
    return [f"weights[{k}] ({name})" for k, name in enumerate(named)]


def cause(values: np.ndarray) -> str:
    """What made an array non-finite, as a divergence message says it."""
    if np.isnan(values).any():
        return "NaN values, from an invalid operation (0/0, inf - inf or 0 * inf)"
    return "infinite values, from an overflow"


# --8<-- [end:finite_step]
