"""Optimizers in the exact form Keras 3 uses: SGD (with momentum), RMSprop and Adam.

Each updates the weights in place from their gradients, keeping its own per-weight state
("slots": momentums, velocities). The update rules and defaults follow Keras 3 operation
by operation, so that a run can be compared with Keras number by number
(docs/optimizers.md).
"""

from collections.abc import Callable

import numpy as np

LearningRate = float | Callable[[int], float]


class Optimizer:
    """What every optimizer shares: gradient clipping, the step counter, the slots.

    Args:
        learning_rate: a float, or a schedule: a function of the step number (0, 1, ...)
            that returns the rate, like Keras's ``LearningRateSchedule``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this joint L2 norm.
    """

    slot_names: tuple[str, ...] = ()

    def __init__(
        self,
        learning_rate: LearningRate,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.iterations = 0
        self.slots: list[dict[str, np.ndarray]] = []

    def current_learning_rate(self) -> float:
        """The rate of the next step: the schedule's value at ``iterations`` if there is one."""
        if callable(self.learning_rate):
            return float(self.learning_rate(self.iterations))
        return float(self.learning_rate)

    def apply(self, grads: list[np.ndarray], variables: list[np.ndarray]) -> None:
        """One optimizer step: update every variable in place from its gradient.

        Args:
            grads: gradients, each shaped like its variable.
            variables: the weights, updated in place (e.g. a model's parameter arrays).
        """
        if not self.slots:
            self.slots = [{name: np.zeros_like(w) for name in self.slot_names} for w in variables]
        lr = self.current_learning_rate()
        for gradient, variable, slots in zip(self._clip(grads), variables, self.slots, strict=True):
            self.update_step(gradient, variable, slots, lr)
        self.iterations += 1

    def update_step(
        self, gradient: np.ndarray, variable: np.ndarray, slots: dict[str, np.ndarray], lr: float
    ) -> None:
        """Update one variable in place; each optimizer defines its own rule."""
        raise NotImplementedError

    def _clip(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        # Keras checks the three options in this order and applies only the first one set.
        if self.clipnorm:
            return [g * self.clipnorm / max(np.sqrt(np.sum(g * g)), self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = np.sqrt(sum(np.sum(g * g) for g in grads))
            return [g * (self.global_clipnorm / max(norm, self.global_clipnorm)) for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads


# --8<-- [start:sgd]
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras 3's ``SGD``.

    Without momentum: w <- w - lr g. With momentum: m <- momentum m - lr g, then w <- w + m
    (Nesterov: w <- w + momentum m - lr g).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: float | None,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = momentum
        self.nesterov = nesterov
        self.slot_names = ("momentum",) if momentum != 0 else ()

    def update_step(self, gradient, variable, slots, lr):
        if self.momentum == 0:
            variable -= gradient * lr
            return
        m = slots["momentum"]
        m[...] = m * self.momentum - gradient * lr
        if self.nesterov:
            variable += m * self.momentum - gradient * lr
        else:
            variable += m


# --8<-- [end:sgd]
# --8<-- [start:rmsprop]
class RMSprop(Optimizer):
    """RMSprop as Keras 3's: the step is divided by a running root mean square of gradients.

    v <- rho v + (1 - rho) g^2;  w <- w - lr g / sqrt(v + epsilon). Note that Keras adds
    epsilon *inside* the square root here, unlike Adam. ``centered`` subtracts the square
    of a running mean gradient from v; ``momentum`` accumulates the increments.
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: float | None,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.slot_names = (
            ("velocity",)
            + (("momentum",) if momentum > 0 else ())
            + (("average_gradient",) if centered else ())
        )

    def update_step(self, gradient, variable, slots, lr):
        v = slots["velocity"]
        v[...] = self.rho * v + (1 - self.rho) * np.square(gradient)
        if self.centered:
            a = slots["average_gradient"]
            a[...] = self.rho * a + (1 - self.rho) * gradient
            denominator = v - np.square(a) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * gradient / np.sqrt(denominator)
        if self.momentum > 0:
            m = slots["momentum"]
            m[...] = self.momentum * m + increment
            variable -= m
        else:
            variable -= increment


# --8<-- [end:rmsprop]
# --8<-- [start:adam]
class Adam(Optimizer):
    """Adam as Keras 3 computes it, with the bias correction folded into the step size.

    At step t = iterations + 1:
        m <- m + (g - m)(1 - beta_1)          running mean of g
        v <- v + (g^2 - v)(1 - beta_2)        running mean of g^2
        alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - alpha m / (sqrt(v) + epsilon)
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: float | None,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.slot_names = ("m", "v")

    # assignment: adam
    def update_step(self, gradient, variable, slots, lr):
        m, v = slots["m"], slots["v"]
        t = self.iterations + 1
        # The bias correction: m and v start at zero, so early on they underestimate the
        # true means by the factors (1 - beta^t); alpha undoes that (docs/optimizers.md).
        alpha = float(lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t))
        m += (gradient - m) * (1 - self.beta_1)
        v += (np.square(gradient) - v) * (1 - self.beta_2)
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)


# --8<-- [end:adam]


def get(identifier: "str | Optimizer") -> Optimizer:
    """An optimizer from its Keras name ("adam", "rmsprop", "sgd") with default settings,
    or the optimizer itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    optimizers = {"adam": Adam, "rmsprop": RMSprop, "sgd": SGD}
    name = str(identifier).lower()
    if name not in optimizers:
        raise ValueError(
            f"optimizer must be one of {sorted(optimizers)} or an Optimizer; got {identifier!r}"
        )
    return optimizers[name]()
