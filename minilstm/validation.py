"""Checks of the arguments of minilstm's public calls (docs/robustness.md).

Each check returns the value in the form the caller computes with (an ``int``, a
``float``, an array of the layer's dtype) or raises ``TypeError`` for the wrong kind of
value and ``ValueError`` for the right kind with the wrong size or range. Every message
names the argument, says what was expected and what came, e.g.

    enc_x must have shape (N, T_enc, 1); got (76, 24)

so that a learner's mistake is reported where it was made, not deep inside NumPy.

Shapes are given as tuples of sizes and names: ``("N", "T", 1)`` asks for three axes,
the last of size 1. A name stands for any size >= 1; passing the same ``sizes`` dict to
the checks of several arrays makes a name mean the same size in all of them
(the batch N of ``enc_x``, ``dec_x`` and ``dec_y``).
"""

import numbers
from collections.abc import Sequence

import numpy as np

Shape = tuple[int | str, ...]
Sizes = dict[str, tuple[int, str]]  # name -> (size, the argument that fixed it)
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def show(value: object) -> str:
    """A value as a message shows it: short, on one line, with its type when that
    helps."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value).replace("\n", " ")
    text = text if len(text) <= 60 else text[:57] + "..."
    return (
        text
        if isinstance(value, str | int | float)
        else f"{text} ({type(value).__name__})"
    )


def check_int(
    value: object, name: str, minimum: int = 1, maximum: int | None = None
) -> int:
    """``value`` as an ``int`` in [minimum, maximum]. Booleans and floats are
    refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {show(value)}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        expected = (
            f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        )
        raise ValueError(f"{name} must be an integer {expected}; got {value}")
    return value


def check_float(
    value: object,
    name: str,
    low: float = 0.0,
    high: float | None = None,
    low_open: bool = True,
    high_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high``
    (None: no upper bound); ``low_open``/``high_open`` leave the ends out."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {show(value)}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        if high is None:
            expected = f"{'>' if low_open else '>='} {low}"
        else:
            expected = (
                f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
            )
        raise ValueError(f"{name} must be a finite number {expected}; got {value}")
    return value


def check_optional_float(
    value: object, name: str, **bounds: float | bool | None
) -> float | None:
    """None, or ``check_float(value, name, **bounds)``."""
    return None if value is None else check_float(value, name, **bounds)


def check_bool(value: object, name: str) -> bool:
    """``value`` as a ``bool``; only True, False (and NumPy's booleans) are accepted."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {show(value)}")
    return bool(value)


def check_choice(value: object, name: str, choices: Sequence) -> object:
    """The one of ``choices`` that ``value`` equals. A NumPy scalar or 0-d array
    counts as the value it holds (``np.array("gru")`` is "gru", as a setting read back
    by ``np.load`` looks), as NumPy's own functions take it."""
    if isinstance(value, np.ndarray | np.generic) and value.ndim == 0:
        value = value.item()
    try:
        # An array's == compares element by element: no array is one choice.
        match = (
            [] if isinstance(value, np.ndarray) else [c for c in choices if value == c]
        )
    except (TypeError, ValueError):  # e.g. an object whose == raises
        match = []
    if not match:
        raise ValueError(f"{name} must be one of {list(choices)}; got {show(value)}")
    return match[0]


def check_seed(seed: object, name: str = "seed") -> int | None:
    """None (fresh randomness) or an integer >= 0, as NumPy's generators take."""
    return None if seed is None else check_int(seed, name, minimum=0)


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """``dtype`` as a NumPy dtype, which must be float32 or float64."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{name} must be float32 or float64; got {show(dtype)}"
        ) from None
    if result not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be float32 or float64; got {result}")
    return result


def shape_text(shape: Shape) -> str:
    """A shape as the docstrings write it: ``(N, T, 1)``, ``(P,)``."""
    return f"({', '.join(str(s) for s in shape)}{',' if len(shape) == 1 else ''})"


def check_shape(
    shape: tuple[int, ...], name: str, expected: Shape, sizes: Sizes
) -> None:
    """Compare ``shape`` with ``expected``, binding the names in ``sizes``
    (see the top)."""
    fits = len(shape) == len(expected) and all(
        got == want
        if isinstance(want, int)
        else want not in sizes or got == sizes[want][0]
        for got, want in zip(shape, expected, strict=False)
    )
    if not fits:
        bound = [
            f"{s} = {sizes[s][0]} as in {sizes[s][1]}" for s in expected if s in sizes
        ]
        given = f" with {', '.join(bound)}" if bound else ""
        raise ValueError(
            f"{name} must have shape {shape_text(expected)}{given}; got {shape}"
        )
    for got, want in zip(shape, expected, strict=True):
        if isinstance(want, str) and want not in sizes:
            sizes[want] = (got, name)


def check_array(
    value: object,
    name: str,
    shape: Shape,
    dtype: np.dtype | None = None,
    sizes: Sizes | None = None,
    finite: bool = True,
) -> np.ndarray:
    """``value`` as an array of ``dtype``, checked.

    Args:
        value: an array or nested sequence of numbers; integers are accepted and cast.
        name: the argument's name, for the messages.
        shape: the expected shape, e.g. ``("N", "T", 1)`` (see the top of the module).
        dtype: the dtype to cast to (None: keep a float dtype, cast integers to
            float64).
        sizes: the sizes bound so far by other arrays of the same call; updated.
        finite: refuse NaN and infinite values.

    Returns:
        the array, not copied when it already has the dtype (like ``np.asarray``).

    Raises:
        TypeError: not numbers (booleans, strings, objects, complex numbers).
        ValueError: wrong shape, an empty axis, or (with ``finite``) NaN or infinity.
    """
    if value is None or isinstance(value, str | bytes):
        raise TypeError(
            f"{name} must be an array of numbers; got {type(value).__name__}"
        )
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name} must be an array of numbers; got {error}") from None
    if array.dtype.kind not in "fiu":
        raise TypeError(
            f"{name} must hold float or integer numbers; got dtype {array.dtype}"
        )
    check_shape(array.shape, name, shape, {} if sizes is None else sizes)
    if array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if dtype is None:
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    with np.errstate(
        over="ignore"
    ):  # a value too large for float32 becomes inf: reported below
        array = array.astype(dtype, copy=False)
    if finite and not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))
        raise ValueError(
            f"{name} must be finite; got {len(bad)} NaN or infinite value(s), the "
            f"first at index {tuple(int(k) for k in bad[0])}"
        )
    return array


def check_weights(
    weights: object, name: str, shapes: Sequence[Shape], dtype: np.dtype
) -> list[np.ndarray]:
    """A list of finite arrays of the given shapes, as copies of ``dtype``."""
    if not isinstance(weights, list | tuple):
        raise TypeError(
            f"{name} must be a list of {len(shapes)} arrays; got "
            f"{type(weights).__name__}"
        )
    if len(weights) != len(shapes):
        raise ValueError(
            f"{name} must be a list of {len(shapes)} arrays; got {len(weights)}"
        )
    return [
        np.array(check_array(w, f"{name}[{k}]", shape, dtype), copy=True)
        for k, (w, shape) in enumerate(zip(weights, shapes, strict=True))
    ]


def check_states(value: object, name: str, states: tuple[str, ...]) -> tuple:
    """The items of a recurrent layer's states, such as ``initial_state = [h0, c0]``.

    Args:
        value: the list or tuple given.
        name: the argument's name, for the message.
        states: the names of the layer's states, ("h", "c") or ("h",).
    """
    if not isinstance(value, list | tuple) or len(value) != len(states):
        got = (
            f"{len(value)} items"
            if isinstance(value, list | tuple)
            else type(value).__name__
        )
        kind = (
            "a pair (h, c) of arrays" if len(states) == 2 else "a list [h] of one array"
        )
        raise TypeError(f"{name} must be {kind}; got {got}")
    return tuple(value)
