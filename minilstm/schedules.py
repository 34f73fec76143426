"""Teacher-forcing schedules for scheduled sampling (docs/scheduled-sampling.md): the
probability that the decoder reads the true previous value, as a function of the
training step i = 0, 1, ... (the optimizer's ``iterations``).

Each schedule is a callable ``schedule(i) -> float`` in [0, 1], in the style of Keras's
``LearningRateSchedule``; ``fit(..., teacher_forcing=...)`` also takes a plain number, a
constant probability. The three decays are those of Bengio et al. (2015), section 2.4,
with their letters: k and c.
"""

import math

from minilstm.validation import check_float

# --8<-- [start:schedules]


class Constant:
    """The same probability at every step: ``p``.

    Args:
        p: the probability of reading the true previous value, in [0, 1].
    """

    def __init__(self, p: float = 1.0) -> None:
        self.p = check_float(p, "p", low_open=False, high=1.0)

    def __call__(self, step: int) -> float:
        return self.p

    def __repr__(self) -> str:
        return f"Constant({self.p:g})"


class LinearDecay:
    """eps_i = max(minimum, initial - c i): a straight line down to a floor.

    Args:
        c: the decrease per step, > 0.
        minimum: the floor, in [0, 1].
        initial: the value at step 0 (k in the paper), in [0, 1].
    """

    def __init__(self, c: float, minimum: float = 0.0, initial: float = 1.0) -> None:
        self.c = check_float(c, "c")
        self.minimum = check_float(minimum, "minimum", low_open=False, high=1.0)
        self.initial = check_float(initial, "initial", low_open=False, high=1.0)

    def __call__(self, step: int) -> float:
        return max(self.minimum, self.initial - self.c * step)

    def __repr__(self) -> str:
        return f"LinearDecay(c={self.c:g}, minimum={self.minimum:g})"


class ExponentialDecay:
    """eps_i = k ** i: 1 at step 0, falling by the factor k at every step.

    Args:
        k: the factor per step, in (0, 1).
    """

    def __init__(self, k: float) -> None:
        self.k = check_float(k, "k", high=1.0, high_open=True)

    def __call__(self, step: int) -> float:
        return self.k**step

    def __repr__(self) -> str:
        return f"ExponentialDecay(k={self.k:g})"


class InverseSigmoidDecay:
    """eps_i = k / (k + exp(i / k)): close to 1 for the first steps, 1/2 at
    i = k ln k, then down towards 0 like a sigmoid turned over.

    Args:
        k: >= 1; the larger, the later and the slower the fall.
    """

    def __init__(self, k: float) -> None:
        self.k = check_float(k, "k", low=1.0, low_open=False)

    def __call__(self, step: int) -> float:
        # exp overflows past step ~710 k; the value there is 0 to double precision.
        exponent = step / self.k
        return 0.0 if exponent > 700 else self.k / (self.k + math.exp(exponent))

    def __repr__(self) -> str:
        return f"InverseSigmoidDecay(k={self.k:g})"


# --8<-- [end:schedules]

# The names ``get`` reads before the colon, and what the numbers after it are.
NAMES = {
    "constant": (Constant, "P"),
    "linear": (LinearDecay, "C[:MINIMUM]"),
    "exponential": (ExponentialDecay, "K"),
    "inverse_sigmoid": (InverseSigmoidDecay, "K"),
}


def get(
    identifier: "str | float",
) -> Constant | LinearDecay | ExponentialDecay | InverseSigmoidDecay:
    """A schedule from text, as the demo's ``--teacher-forcing`` takes it: a number P
    (``Constant(P)``), or ``NAME:ARGS`` with NAME one of ``constant:P``,
    ``linear:C[:MINIMUM]``, ``exponential:K``, ``inverse_sigmoid:K``.

    Args:
        identifier: the text, or a number.

    Raises:
        ValueError: an unknown name, a wrong number of arguments, or a value out of its
            range; the message names what is expected.
    """
    if not isinstance(identifier, str):
        return Constant(identifier)
    name, *args = identifier.split(":")
    if not args:
        try:
            p = float(name)
        except ValueError:
            p = None
        if p is not None:
            return Constant(p)
    if name not in NAMES:
        forms = ", ".join(f"{n}:{a}" for n, (_, a) in NAMES.items())
        raise ValueError(
            f"teacher_forcing must be a probability P or one of {forms}; "
            f"got {identifier!r}"
        )
    schedule, form = NAMES[name]
    most = form.count(":") + 1
    least = most - form.count("[")
    try:
        numbers = [float(a) for a in args]
    except ValueError:
        numbers = []
    if not least <= len(numbers) <= most or len(numbers) != len(args):
        raise ValueError(
            f"teacher_forcing {name} takes {name}:{form} with numbers; got "
            f"{identifier!r}"
        )
    return schedule(*numbers)
