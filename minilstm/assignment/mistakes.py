"""Models of classic mistakes, to name the one a student made.

Each function recomputes a result the way a common wrong version of the code would, from
the equations alone (not from the library's code). When a student's result matches one
of these, the grader can say which mistake it is instead of only that the numbers
differ.
"""

import numpy as np

from minilstm.activations import sigmoid
from minilstm.lstm import lstm_step_backward, lstm_step_forward


def _gates(
    z: np.ndarray, H: int, order: str = "ifgo", g_sigmoid: bool = False
) -> tuple[np.ndarray, ...]:
    """i, f, g, o from z (N, 4H), reading the blocks in ``order``."""
    block = {name: z[:, k * H : (k + 1) * H] for k, name in enumerate(order)}
    g = sigmoid(block["g"]) if g_sigmoid else np.tanh(block["g"])
    return sigmoid(block["i"]), sigmoid(block["f"]), g, sigmoid(block["o"])


def cell_forward(
    z: np.ndarray,
    c_prev: np.ndarray,
    order: str = "ifgo",
    g_sigmoid: bool = False,
    h_tanh: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(h, c) of one cell, z (N, 4H), c_prev (N, H), with the mistakes switched on."""
    i, f, g, o = _gates(z, c_prev.shape[1], order, g_sigmoid)
    c = f * c_prev + i * g
    return (o * np.tanh(c) if h_tanh else o * c), c


CELL_FORWARD = [
    (
        "the gate blocks are read in the order i, f, o, g; Keras's order is i, f, c "
        "(g), o",
        {"order": "ifog"},
    ),
    (
        "the input and forget gates are swapped; the blocks are i, f, g, o",
        {"order": "figo"},
    ),
    ("the candidate g goes through sigmoid; it takes tanh", {"g_sigmoid": True}),
    ("h = o * c misses a tanh: h = o * tanh(c)", {"h_tanh": False}),
]


def cell_backward(
    dh: np.ndarray,
    dc: np.ndarray,
    z: np.ndarray,
    c_prev: np.ndarray,
    forget_uses_c: bool = False,
    dh_to_c: bool = True,
    tanh_grad_of_c: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(dz, dc_prev) of one cell, all (N, .), with the mistakes switched on."""
    i, f, g, o = _gates(z, c_prev.shape[1])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    do = dh * tanh_c
    if dh_to_c:
        dc = dc + dh * o * (1 - (c * c if tanh_grad_of_c else tanh_c * tanh_c))
    df = dc * (c if forget_uses_c else c_prev)
    dz = np.concatenate(
        [
            dc * g * i * (1 - i),
            df * f * (1 - f),
            dc * i * (1 - g * g),
            do * o * (1 - o),
        ],
        axis=1,
    )
    return dz, dc * f


CELL_BACKWARD = [
    (
        "the forget gate's gradient uses the new cell state c_t; as c_t = f * c_{t-1} "
        "+ i * g, df = dc * c_{t-1} (c_prev)",
        {"forget_uses_c": True},
    ),
    (
        "the cell state's gradient misses what reaches it through h = o * tanh(c): add "
        "dh * o * (1 - tanh(c)^2) to dc before using it",
        {"dh_to_c": False},
    ),
    ("tanh'(c) is written 1 - c^2; it is 1 - tanh(c)^2", {"tanh_grad_of_c": True}),
]


def bptt(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    dhs: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    carry_h: str = "yes",
    carry_c: str = "yes",
    weight_steps: str = "all",
) -> tuple[np.ndarray, ...]:
    """The six gradients of ``lstm_backward`` with a mistake switched on.

    carry_h, carry_c: "yes"; "keep" (the gradient from the final state is used at every
    step, never replaced); "zero" (nothing reaches the earlier steps). weight_steps:
    "all"; "last" or "first" (only that step's contribution to the weight gradients).
    """
    T = x.shape[1]
    caches, h, c = [], h0, c0
    for t in range(T):
        (h, c), cache = lstm_step_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        caches.append(cache)
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(w) for w in (kernel, recurrent_kernel, bias)]
    dh_next, dc_next = dh, dc
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dc_prev, *dw = lstm_step_backward(
            dhs[:, t] + dh_next, dc_next, caches[t]
        )
        if weight_steps == "all" or (weight_steps, t) in (
            ("last", T - 1),
            ("first", 0),
        ):
            dweights = [a + b for a, b in zip(dweights, dw, strict=True)]
        dh_next = {"yes": dh_prev, "keep": dh_next, "zero": 0 * dh_prev}[carry_h]
        dc_next = {"yes": dc_prev, "keep": dc_next, "zero": 0 * dc_prev}[carry_c]
    return dx, dh_next, dc_next, *dweights


_H_CARRY = (
    "the gradient on h is not carried back: at step t-1 the hidden state's gradient is "
    "dhs[:, t-1] plus dh_prev = dz_t @ recurrent_kernel.T from step t"
)
_C_CARRY = (
    "the cell state's gradient is not carried back: dc_prev from step t's cell "
    "backward is the dc of step t-1"
)
_SUM = (
    "the weight gradients come from one step only; the weights are shared by all "
    "steps, so their gradients add up the contributions of all T steps"
)
BPTT = [
    (_H_CARRY, {"carry_h": "keep"}),
    (_H_CARRY, {"carry_h": "zero"}),
    (_C_CARRY, {"carry_c": "keep"}),
    (_C_CARRY, {"carry_c": "zero"}),
    (_SUM, {"weight_steps": "last"}),
    (_SUM, {"weight_steps": "first"}),
]


def adam(
    w0: np.ndarray,
    grads: list[np.ndarray],
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    correction: str = "keras",
    keep_slots: bool = True,
) -> np.ndarray:
    """The weights after Adam steps on ``grads`` (a list of arrays shaped like w0).

    correction: "keras" (folded into the step size), "paper" (m and v corrected, epsilon
    added to the corrected root) or "none". keep_slots: False restarts m and v every
    step.
    """
    w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(grads, start=1):
        if not keep_slots:
            m, v = np.zeros_like(w0), np.zeros_like(w0)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g * g - v) * (1 - beta_2)
        if correction == "keras":
            alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            w = w - alpha * m / (np.sqrt(v) + epsilon)
        elif correction == "paper":
            m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
            w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        else:
            w = w - learning_rate * m / (np.sqrt(v) + epsilon)
    return w


ADAM = [
    (
        "Adam's bias correction is missing: at step t = iterations + 1 the step size "
        "is alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)",
        {"correction": "none"},
    ),
    (
        "this is the paper's form (m and v corrected, epsilon added to sqrt(v_hat)); "
        "Keras folds the correction into the step size, which puts epsilon elsewhere: "
        "alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), w -= alpha m / (sqrt(v) + "
        "epsilon)",
        {"correction": "paper"},
    ),
    (
        "m and v start from zero at every step: keep them between steps by updating "
        "slots['m'] and slots['v'] in place (m += ..., or m[...] = ...)",
        {"keep_slots": False},
    ),
]
