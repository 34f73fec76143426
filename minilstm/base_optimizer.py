"""What every optimizer shares, as Keras 3's ``BaseOptimizer``: the learning rate and
its schedule, gradient clipping, the step counter, the slots, and the step taken in two
halves (``stage``, then ``commit``) so that a failed step changes nothing
(docs/robustness.md). The update rules themselves are in ``minilstm.optimizers``.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from minilstm.validation import (
    check_array,
    check_float,
    check_int,
    check_optional_float,
    show,
)

LearningRate = float | Callable[[int], float]


class Step(NamedTuple):
    """One optimizer step computed but not yet taken (``Optimizer.stage``)."""

    variables: list[np.ndarray]  # each variable's new value
    slots: list[dict[str, np.ndarray]]  # each variable's new slots


class Optimizer:
    """What every optimizer shares: gradient clipping, the step counter, the slots.

    Args:
        learning_rate: a float, or a schedule: a function of the step number (0, 1, ...)
            that returns the rate, like Keras's ``LearningRateSchedule``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this joint L2 norm.

    At most one of the three clipping options may be set, as in Keras.
    """

    slot_names: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: LearningRate,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if not callable(learning_rate):
            learning_rate = check_float(learning_rate, "learning_rate", low_open=False)
        self.learning_rate = learning_rate
        self.clipnorm = check_optional_float(clipnorm, "clipnorm")
        self.clipvalue = check_optional_float(clipvalue, "clipvalue")
        self.global_clipnorm = check_optional_float(global_clipnorm, "global_clipnorm")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "only one of clipnorm, clipvalue and global_clipnorm can be set; got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.iterations = 0
        self.slots: list[dict[str, np.ndarray]] = []
        # The (shape, dtype) of each variable, once build has seen them.
        self.variable_specs: list[tuple[tuple[int, ...], np.dtype]] | None = None

    def current_learning_rate(self) -> float:
        """The next step's rate: the schedule's value at ``iterations``, if any."""
        if callable(self.learning_rate):
            rate = self.learning_rate(self.iterations)
            return check_float(
                rate, f"learning_rate({self.iterations})", low_open=False
            )
        return self.learning_rate

    def build(self, variables: list[np.ndarray]) -> None:
        """Tie the optimizer to these variables, as Keras's ``build``: the first call
        records their shapes and dtypes; a later call with other variables is refused
        before anything changes, since the slots hold one model's history.

        Args:
            variables: the weights this optimizer updates, e.g.
                ``model.trainable_weights``.

        Raises:
            ValueError: the optimizer was built for (has stepped on) other variables.
        """
        specs = [(w.shape, w.dtype) for w in variables]
        if self.variable_specs is None:
            self.variable_specs = specs
            return
        if specs == self.variable_specs:
            return
        fresh = (
            f"make a new optimizer for it, e.g. fit(..., optimizer="
            f"{type(self).__name__}.from_config(optimizer.get_config())) for the same "
            "settings"
        )
        if len(specs) != len(self.variable_specs):
            raise ValueError(
                f"this optimizer belongs to another model: it holds the state of "
                f"{len(self.variable_specs)} variables, not {len(specs)}; {fresh}"
            )
        pairs = zip(specs, self.variable_specs, strict=True)
        k = next(k for k, (got, held) in enumerate(pairs) if got != held)
        (shape, dtype), (got_shape, got_dtype) = self.variable_specs[k], specs[k]
        raise ValueError(
            f"this optimizer belongs to another model: its state is for variables[{k}] "
            f"of shape {shape} and dtype {dtype}, not {got_shape} and {got_dtype}; "
            f"{fresh}"
        )

    def apply(self, grads: list[np.ndarray], variables: list[np.ndarray]) -> None:
        """One optimizer step: update every variable in place from its gradient. If
        anything raises on the way, the variables and the optimizer are unchanged.

        Args:
            grads: gradients, each shaped like its variable.
            variables: the weights, updated in place (e.g. a model's parameter arrays).
        """
        grads = self._check_apply(grads, variables)
        self.build(variables)
        self.commit(self.stage(grads, variables), variables)

    # --8<-- [start:stage]
    def stage(self, grads: list[np.ndarray], variables: list[np.ndarray]) -> Step:
        """The step ``apply`` takes, computed into new arrays: nothing changes until
        ``commit``. Unchecked: ``apply`` checks first, ``Seq2Seq.fit`` checks the model
        once with ``build``.

        Args:
            grads: gradients, each shaped and typed like its variable.
            variables: the weights, left as they are.

        Returns:
            a ``Step``: each variable's new value and new slots.
        """
        lr = self.current_learning_rate()
        step = Step([], [])
        clipped = self._clip(grads)
        for k, (gradient, variable) in enumerate(zip(clipped, variables, strict=True)):
            # update_step works in place (as Keras's does), on copies here.
            if self.slots:
                slots = {name: s.copy() for name, s in self.slots[k].items()}
            else:
                slots = {name: np.zeros_like(variable) for name in self.slot_names}
            new = variable.copy()
            self.update_step(gradient, new, slots, lr)
            step.variables.append(new)
            step.slots.append(slots)
        return step

    def commit(self, step: Step, variables: list[np.ndarray]) -> None:
        """Write a ``stage``'s results: the variables in place, the slots, and one more
        step counted.

        Args:
            step: what ``stage`` returned for these variables.
            variables: the weights, updated in place.
        """
        for variable, new in zip(variables, step.variables, strict=True):
            variable[...] = new
        self.slots = step.slots
        self.iterations += 1

    # --8<-- [end:stage]
    def update_step(
        self,
        gradient: np.ndarray,
        variable: np.ndarray,
        slots: dict[str, np.ndarray],
        lr: float,
    ) -> None:
        """Update one variable in place; each optimizer defines its own rule.

        Args:
            gradient: the variable's gradient, clipped, shaped like variable.
            variable: one weight array, updated in place.
            slots: this variable's slots by name, each shaped like it, updated in place.
            lr: the learning rate of this step.
        """
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor's arguments, as Keras's ``get_config``: ``cls(**config)``
        makes an optimizer with the same settings (and a fresh state)."""
        return {
            "learning_rate": self.learning_rate,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """An optimizer with the settings of ``get_config()``.

        Args:
            config: the dict ``get_config()`` returned.
        """
        return cls(**config)

    def get_state(self) -> dict:
        """Copies of what the steps so far have changed: ``iterations`` and the slots,
        one dict of arrays per variable ([] before the first step)."""
        slots = [{name: s.copy() for name, s in slot.items()} for slot in self.slots]
        return {"iterations": self.iterations, "slots": slots}

    def set_state(self, state: dict) -> None:
        """Restore a ``get_state()``: e.g. resume training exactly where it stopped.

        Args:
            state: the dict ``get_state()`` returned: iterations, and the slots of each
                variable, shaped like the variables this optimizer updates.
        """
        slots = [
            {name: np.array(s, copy=True) for name, s in slot.items()}
            for slot in state["slots"]
        ]
        for k, slot in enumerate(slots):
            if set(slot) != set(self.slot_names):
                raise ValueError(
                    f"slots[{k}] must hold {sorted(self.slot_names)}; got "
                    f"{sorted(slot)}"
                )
        self.iterations = check_int(state["iterations"], "iterations", minimum=0)
        self.slots = slots
        if any(slots):  # the slots are shaped like the variables they belong to
            first = [next(iter(slot.values())) for slot in slots]
            self.variable_specs = [(s.shape, s.dtype) for s in first]

    def _check_apply(
        self, grads: list[np.ndarray], variables: list[np.ndarray]
    ) -> list[np.ndarray]:
        # The gradients, as arrays of their variables' dtypes, once everything fits.
        for name, value in (("grads", grads), ("variables", variables)):
            if not isinstance(value, list | tuple):
                raise TypeError(f"{name} must be a list of arrays; got {show(value)}")
        for k, w in enumerate(variables):
            if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
                raise TypeError(
                    f"variables[{k}] must be a float NumPy array, updated in place; "
                    f"got {show(w)}"
                )
        if len(grads) != len(variables):
            raise ValueError(
                f"grads and variables must have the same length; got {len(grads)} "
                f"gradients for {len(variables)} variables"
            )
        return [
            check_array(g, f"grads[{k}]", w.shape, w.dtype, finite=False)
            for k, (g, w) in enumerate(zip(grads, variables, strict=True))
        ]

    def _clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        # Keras checks the three options in this order and applies only the first one
        # set.
        if self.clipnorm:
            return [
                g * self.clipnorm / max(np.sqrt(np.sum(g * g)), self.clipnorm)
                for g in grads
            ]
        if self.global_clipnorm:
            norm = np.sqrt(sum(np.sum(g * g) for g in grads))
            return [
                g * (self.global_clipnorm / max(norm, self.global_clipnorm))
                for g in grads
            ]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads
