"""Optimizers in the exact form Keras 3 uses: SGD (with momentum), RMSprop and Adam.

Each updates the weights in place from their gradients, keeping its own per-weight state
("slots": momentums, velocities). The update rules and defaults follow Keras 3 operation
by operation, so that a run can be compared with Keras number by number
(docs/optimizers.md).
"""

import numpy as np

from minilstm.base_optimizer import LearningRate, Optimizer
from minilstm.validation import check_bool, check_float, show


# --8<-- [start:sgd]
class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras 3's ``SGD``.

    Without momentum: w <- w - lr g. With momentum: m <- momentum m - lr g, then w <-
    w + m (Nesterov: w <- w + momentum m - lr g).

    Args:
        learning_rate: lr, a float or a schedule (see ``Optimizer``).
        momentum: in [0, 1]; 0 is plain gradient descent.
        nesterov: use Nesterov momentum.
        **kwargs: clipnorm, clipvalue or global_clipnorm (see ``Optimizer``).
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: float | None,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_float(momentum, "momentum", 0.0, 1.0, low_open=False)
        self.nesterov = check_bool(nesterov, "nesterov")
        self.slot_names = ("momentum",) if momentum != 0 else ()

    def update_step(
        self,
        gradient: np.ndarray,
        variable: np.ndarray,
        slots: dict[str, np.ndarray],
        lr: float,
    ) -> None:
        """The SGD rule for one variable; arguments as in ``Optimizer``."""
        if self.momentum == 0:
            variable -= gradient * lr
            return
        m = slots["momentum"]
        m[...] = m * self.momentum - gradient * lr
        if self.nesterov:
            variable += m * self.momentum - gradient * lr
        else:
            variable += m

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
        }


# --8<-- [end:sgd]
# --8<-- [start:rmsprop]
class RMSprop(Optimizer):
    """RMSprop as Keras 3's: steps divided by a running root mean square of gradients.

    v <- rho v + (1 - rho) g^2;  w <- w - lr g / sqrt(v + epsilon). Note that Keras adds
    epsilon *inside* the square root here, unlike Adam. ``centered`` subtracts the
    square of a running mean gradient from v; ``momentum`` accumulates the increments.

    Args:
        learning_rate: lr, a float or a schedule (see ``Optimizer``).
        rho: the decay of the running mean of g^2, in [0, 1).
        momentum: in [0, 1]; 0 applies each increment directly.
        epsilon: added to v under the square root.
        centered: subtract the square of the running mean gradient from v.
        **kwargs: clipnorm, clipvalue or global_clipnorm (see ``Optimizer``).
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
        self.rho = check_float(rho, "rho", 0.0, 1.0, low_open=False, high_open=True)
        self.momentum = check_float(momentum, "momentum", 0.0, 1.0, low_open=False)
        self.epsilon = check_float(epsilon, "epsilon", low_open=False)
        self.centered = check_bool(centered, "centered")
        self.slot_names = (
            ("velocity",)
            + (("momentum",) if momentum > 0 else ())
            + (("average_gradient",) if centered else ())
        )

    def update_step(
        self,
        gradient: np.ndarray,
        variable: np.ndarray,
        slots: dict[str, np.ndarray],
        lr: float,
    ) -> None:
        """The RMSprop rule for one variable; arguments as in ``Optimizer``."""
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

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


# --8<-- [end:rmsprop]
# --8<-- [start:adam]
class Adam(Optimizer):
    """Adam as Keras 3 computes it, with the bias correction folded into the step size.

    At step t = iterations + 1:
        m <- m + (g - m)(1 - beta_1)          running mean of g
        v <- v + (g^2 - v)(1 - beta_2)        running mean of g^2
        alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - alpha m / (sqrt(v) + epsilon)

    Args:
        learning_rate: lr, a float or a schedule (see ``Optimizer``).
        beta_1: the decay of the running mean of g, in [0, 1).
        beta_2: the decay of the running mean of g^2, in [0, 1).
        epsilon: added to sqrt(v).
        **kwargs: clipnorm, clipvalue or global_clipnorm (see ``Optimizer``).
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
        self.beta_1 = check_float(
            beta_1, "beta_1", 0.0, 1.0, low_open=False, high_open=True
        )
        self.beta_2 = check_float(
            beta_2, "beta_2", 0.0, 1.0, low_open=False, high_open=True
        )
        self.epsilon = check_float(epsilon, "epsilon", low_open=False)
        self.slot_names = ("m", "v")

    # assignment: adam
    def update_step(
        self,
        gradient: np.ndarray,
        variable: np.ndarray,
        slots: dict[str, np.ndarray],
        lr: float,
    ) -> None:
        """The Adam rule above for one variable: m, v and the variable, in place.

        Args:
            gradient: the variable's gradient, clipped, shaped like variable.
            variable: one weight array, updated in place.
            slots: {"m": m, "v": v}, each shaped like variable, updated in place.
            lr: the learning rate of this step.
        """
        m, v = slots["m"], slots["v"]
        t = self.iterations + 1
        # The bias correction: m and v start at zero, so early on they underestimate the
        # true means by the factors (1 - beta^t); alpha undoes that
        # (docs/optimizers.md).
        alpha = float(lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t))
        # Keras's operations in Keras's order, so that a run matches it to the last
        # bits.
        m += (gradient - m) * (1 - self.beta_1)
        v += (np.square(gradient) - v) * (1 - self.beta_2)
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


# --8<-- [end:adam]


# The one table from a name to an optimizer class: Keras's lower-case names, which are
# also the class names in lower case ("Adam" -> "adam").
OPTIMIZERS: dict[str, type[Optimizer]] = {"adam": Adam, "rmsprop": RMSprop, "sgd": SGD}


def get(identifier: "str | Optimizer") -> Optimizer:
    """An optimizer from its Keras name ("adam", "rmsprop", "sgd") with default
    settings, or the optimizer itself.

    Args:
        identifier: a name (any case) or an ``Optimizer``.

    Raises:
        TypeError: identifier is neither a string nor an ``Optimizer``.
        ValueError: the name is not one of ``OPTIMIZERS``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    expected = (
        f"optimizer must be one of {sorted(OPTIMIZERS)} or an Optimizer; got "
        f"{show(identifier)}"
    )
    if not isinstance(identifier, str):
        raise TypeError(expected)
    if identifier.lower() not in OPTIMIZERS:
        raise ValueError(expected)
    return OPTIMIZERS[identifier.lower()]()
