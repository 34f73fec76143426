"""Models of classic mistakes, to name the one a student made.

Each function recomputes a result the way a common wrong version of the code would, from
the equations alone (decoding's mistakes from the library's model, with a piece of it
switched off). When a student's result matches one of these, the grader can say which
mistake it is instead of only that the numbers differ. Each table lists a function's
mistakes, with their options; ``diagnosis.likely`` applies the same tables to one
recorded call, for the self-check.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from minilstm.activations import sigmoid
from minilstm.lstm import StepCache, lstm_step_backward, lstm_step_forward

if TYPE_CHECKING:
    from minilstm.seq2seq import Seq2Seq


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
    **mistake: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """(dz, dc_prev) of one cell, all (N, .), with the mistakes switched on."""
    i, f, g, o = _gates(z, c_prev.shape[1])
    return cell_backward_from_gates(dh, dc, c_prev, i, f, g, o, **mistake)


def cell_backward_from_gates(
    dh: np.ndarray,
    dc: np.ndarray,
    c_prev: np.ndarray,
    i: np.ndarray,
    f: np.ndarray,
    g: np.ndarray,
    o: np.ndarray,
    forget_uses_c: bool = False,
    dh_to_c: bool = True,
    tanh_grad_of_c: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``cell_backward`` from the gates (all (N, H)), as a CellCache holds them."""
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
    caches, h, c = [], h0, c0
    for t in range(x.shape[1]):
        (h, c), cache = lstm_step_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        caches.append(cache)
    return bptt_from_caches(caches, dhs, dh, dc, carry_h, carry_c, weight_steps)


def bptt_from_caches(
    caches: list[StepCache],
    dhs: np.ndarray,
    dh: np.ndarray,
    dc: np.ndarray,
    carry_h: str = "yes",
    carry_c: str = "yes",
    weight_steps: str = "all",
) -> tuple[np.ndarray, ...]:
    """``bptt`` from the steps' caches (one ``StepCache`` per step), as a
    ``SequenceCache`` holds them; dhs: (N, T, H)."""
    x = np.stack([cache.x for cache in caches], axis=1)
    T = x.shape[1]
    kernel, recurrent_kernel = caches[0].kernel, caches[0].recurrent_kernel
    dx = np.zeros_like(x)
    dweights = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel)]
    dweights.append(np.zeros(kernel.shape[1]))
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


def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    activation: str = "tanh",
    recurrent: bool = True,
    with_bias: bool = True,
) -> np.ndarray:
    """h of one SimpleRNN step with the mistakes switched on.

    Args:
        x: (N, D) input.
        h_prev: (N, H) previous state.
        kernel: (D, H) W.
        recurrent_kernel: (H, H) U.
        bias: (H,) b.
        activation: "tanh" (right), "sigmoid" or "none".
        recurrent: False leaves out h_prev U.
        with_bias: False leaves out b.
    """
    z = x @ kernel + (h_prev @ recurrent_kernel if recurrent else 0.0)
    z = z + (bias if with_bias else 0.0)
    return {"tanh": np.tanh, "sigmoid": sigmoid, "none": lambda a: a}[activation](z)


RNN_STEP_FORWARD = [
    ("h = x W + h_prev U + b misses its tanh: h = tanh(z)", {"activation": "none"}),
    ("h goes through sigmoid; the SimpleRNN's h is tanh(z)", {"activation": "sigmoid"}),
    (
        "the previous state is not used: z = x W + h_prev U + b",
        {"recurrent": False},
    ),
    ("the bias b is missing: z = x W + h_prev U + b", {"with_bias": False}),
]
# The forward's cache is checked through the library's backward, which writes tanh' as
# 1 - h^2 from the cached output: a pre-activation cached instead is a named mistake.
RNN_CACHE_HOLDS_Z = (
    "the StepCache holds the pre-activation z where the backward needs the output "
    "h = tanh(z): it writes tanh' as 1 - h^2, from the output"
)


def rnn_step_backward(
    dh: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    tanh_grad: str = "output",
    dh_prev: str = "U^T",
    dU_state: str = "h_prev",
) -> tuple[np.ndarray, ...]:
    """The five gradients of one SimpleRNN step with a mistake switched on.

    Args:
        dh: (N, H) gradient on h.
        x: (N, D) input.
        h_prev: (N, H) previous state.
        kernel: (D, H) W.
        recurrent_kernel: (H, H) U.
        bias: (H,) b.
        tanh_grad: "output" (1 - h^2, right), "tanh_of_output" (1 - tanh(h)^2, the
            pre-activation's formula applied to the output) or "none".
        dh_prev: "U^T" (right), "U" (the product untransposed) or "none" (dz itself).
        dU_state: "h_prev" (right) or "h" (the new state in dU).
    """
    h = np.tanh(x @ kernel + h_prev @ recurrent_kernel + bias)
    return rnn_step_backward_from_output(
        dh, x, h_prev, kernel, recurrent_kernel, h, tanh_grad, dh_prev, dU_state
    )


def rnn_step_backward_from_output(
    dh: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    h: np.ndarray,
    tanh_grad: str = "output",
    dh_prev: str = "U^T",
    dU_state: str = "h_prev",
) -> tuple[np.ndarray, ...]:
    """``rnn_step_backward`` from the step's output h (N, H), as its StepCache holds
    it."""
    derivative = {
        "output": 1 - h * h,
        "tanh_of_output": 1 - np.tanh(h) ** 2,
        "none": np.ones_like(h),
    }[tanh_grad]
    dz = dh * derivative
    back = {
        "U^T": dz @ recurrent_kernel.T,
        "U": dz @ recurrent_kernel,
        "none": dz,
    }[dh_prev]
    state = h if dU_state == "h" else h_prev
    return dz @ kernel.T, back, x.T @ dz, state.T @ dz, dz.sum(axis=0)


RNN_STEP_BACKWARD = [
    (
        "tanh' is written with the pre-activation's formula on the output, "
        "1 - tanh(h)^2; h is already tanh(z), so tanh'(z) = 1 - h^2",
        {"tanh_grad": "tanh_of_output"},
    ),
    (
        "dz misses tanh's derivative: h = tanh(z) gives dz = dh * (1 - h^2)",
        {"tanh_grad": "none"},
    ),
    (
        "dh_prev misses the U^T product: z = x W + h_prev U + b gives dh_prev = dz U^T",
        {"dh_prev": "none"},
    ),
    (
        "dh_prev = dz U, with U untransposed; it is dz U^T (U is square, so the "
        "shapes fit either way)",
        {"dh_prev": "U"},
    ),
    (
        "drecurrent_kernel uses the new state h; U multiplies h_prev, so dU = "
        "h_prev^T dz",
        {"dU_state": "h"},
    ),
]


def _gru_blocks(a: np.ndarray, order: str) -> tuple[np.ndarray, ...]:
    """The blocks z, r, h of an (N, 3H) array whose blocks stand in ``order``."""
    H = a.shape[1] // 3
    block = {name: a[:, k * H : (k + 1) * H] for k, name in enumerate(order)}
    return block["z"], block["r"], block["h"]


def gru_cell_forward(
    a: np.ndarray,
    u: np.ndarray,
    h_prev: np.ndarray,
    order: str = "zrh",
    swap_z: bool = False,
) -> np.ndarray:
    """h of one GRU cell with the mistakes switched on.

    Args:
        a: (N, 3H) x W + b.
        u: (N, 3H) h_prev U + b'.
        h_prev: (N, H) previous state.
        order: the order in which the blocks are read ("zrh" is Keras's).
        swap_z: True keeps the old state with 1 - z and lets the candidate in with z.
    """
    a_z, a_r, a_h = _gru_blocks(a, order)
    u_z, u_r, u_h = _gru_blocks(u, order)
    z, r = sigmoid(a_z + u_z), sigmoid(a_r + u_r)
    h_tilde = np.tanh(a_h + r * u_h)
    if swap_z:
        return (1 - z) * h_prev + z * h_tilde
    return z * h_prev + (1 - z) * h_tilde


_Z_SWAPPED = (
    "z and 1 - z are swapped: Keras's GRU keeps the old state with z, h = z * h_prev "
    "+ (1 - z) * h~"
)
GRU_CELL_FORWARD = [
    (_Z_SWAPPED, {"swap_z": True}),
    (
        "the blocks are read in the order r, z, h (PyTorch's); Keras's order is z "
        "(update), r (reset), h (candidate)",
        {"order": "rzh"},
    ),
]


def gru_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    reset_before: bool = False,
    one_bias: bool = False,
    order: str = "zrh",
    swap_z: bool = False,
) -> np.ndarray:
    """h of one GRU step with the mistakes switched on.

    Args:
        x: (N, D) input.
        h_prev: (N, H) previous state.
        kernel: (D, 3H) W.
        recurrent_kernel: (H, 3H) U.
        bias: (2, 3H) b and b'.
        reset_before: True applies the reset gate to h_prev before the product with
            U_h (the original GRU, Keras's reset_after=False).
        one_bias: True adds b + b' with x W, and nothing with h_prev U.
        order: as in ``gru_cell_forward``.
        swap_z: as in ``gru_cell_forward``.
    """
    b, b_rec = (bias[0] + bias[1], 0 * bias[1]) if one_bias else bias
    a = x @ kernel + b
    u = h_prev @ recurrent_kernel + b_rec
    if not reset_before:
        return gru_cell_forward(a, u, h_prev, order, swap_z)
    a_z, a_r, a_h = _gru_blocks(a, order)
    u_z, u_r, _ = _gru_blocks(u, order)
    z, r = sigmoid(a_z + u_z), sigmoid(a_r + u_r)
    _, _, U_h = _gru_blocks(recurrent_kernel, order)
    _, _, b_h = _gru_blocks(b_rec[None], order)
    h_tilde = np.tanh(a_h + (r * h_prev) @ U_h + b_h)
    return (1 - z) * h_prev + z * h_tilde if swap_z else z * h_prev + (1 - z) * h_tilde


GRU_STEP_FORWARD = [
    (
        "the reset gate is applied before the recurrent product, (r * h_prev) U_h "
        "(the original GRU, Keras's reset_after=False); the default GRU applies it "
        "after: h~ = tanh(a_h + r * (h_prev U_h + b'_h))",
        {"reset_before": True},
    ),
    (
        "the input and recurrent biases are added as one, b + b' with x W; b' goes "
        "with h_prev U, inside the reset gate's product: r * (h_prev U_h + b'_h)",
        {"one_bias": True},
    ),
    *GRU_CELL_FORWARD,
]


def gru_cell_backward(
    dh: np.ndarray,
    a: np.ndarray,
    u: np.ndarray,
    h_prev: np.ndarray,
    swap_z: bool = False,
    du_h_reset: bool = True,
    tanh_grad: str = "output",
    sigmoid_grad: str = "output",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(da, du, dh_prev) of one GRU cell with a mistake switched on.

    Args:
        dh: (N, H) gradient on h.
        a: (N, 3H) x W + b.
        u: (N, 3H) h_prev U + b'.
        h_prev: (N, H) previous state.
        swap_z: True walks back h = (1 - z) * h_prev + z * h~ (z and 1 - z swapped).
        du_h_reset: False leaves the reset gate out of du_h.
        tanh_grad: "output" (1 - h~^2, right) or "tanh_of_output" (1 - tanh(h~)^2).
        sigmoid_grad: "output" (s (1 - s), right) or "sigmoid_of_output"
            (sigmoid(s) (1 - sigmoid(s))).
    """
    a_z, a_r, a_h = _gru_blocks(a, "zrh")
    u_z, u_r, u_h = _gru_blocks(u, "zrh")
    z, r = sigmoid(a_z + u_z), sigmoid(a_r + u_r)
    h_tilde = np.tanh(a_h + r * u_h)
    return gru_cell_backward_from_gates(
        dh, h_prev, z, r, h_tilde, u_h, swap_z, du_h_reset, tanh_grad, sigmoid_grad
    )


def gru_cell_backward_from_gates(
    dh: np.ndarray,
    h_prev: np.ndarray,
    z: np.ndarray,
    r: np.ndarray,
    h_tilde: np.ndarray,
    u_h: np.ndarray,
    swap_z: bool = False,
    du_h_reset: bool = True,
    tanh_grad: str = "output",
    sigmoid_grad: str = "output",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``gru_cell_backward`` from the gates and states (all (N, H)), as a GRU
    CellCache holds them."""
    keep = 1 - z if swap_z else z
    dz = dh * (h_tilde - h_prev if swap_z else h_prev - h_tilde)
    dh_tilde = dh * (1 - keep)
    if tanh_grad == "tanh_of_output":
        da_h = dh_tilde * (1 - np.tanh(h_tilde) ** 2)
    else:
        da_h = dh_tilde * (1 - h_tilde * h_tilde)
    dr = da_h * u_h
    du_h = da_h * r if du_h_reset else da_h

    def sigmoid_derivative(s: np.ndarray) -> np.ndarray:
        t = sigmoid(s) if sigmoid_grad == "sigmoid_of_output" else s
        return t * (1 - t)

    da_z, da_r = dz * sigmoid_derivative(z), dr * sigmoid_derivative(r)
    da = np.concatenate([da_z, da_r, da_h], axis=1)
    du = np.concatenate([da_z, da_r, du_h], axis=1)
    return da, du, dh * keep


GRU_CELL_BACKWARD = [
    (_Z_SWAPPED + "; dz = dh * (h_prev - h~)", {"swap_z": True}),
    (
        "du_h misses the reset gate: h~ = tanh(a_h + r * u_h) gives du_h = da_h * r",
        {"du_h_reset": False},
    ),
    (
        "tanh' is written with the pre-activation's formula on the output, "
        "1 - tanh(h~)^2; h~ is already a tanh, so its derivative is 1 - h~^2",
        {"tanh_grad": "tanh_of_output"},
    ),
    (
        "sigmoid' is written with the pre-activation's formula on the gate, "
        "sigmoid(z) (1 - sigmoid(z)); z is already a sigmoid, so its derivative is "
        "z (1 - z)",
        {"sigmoid_grad": "sigmoid_of_output"},
    ),
]


def gru_step_backward(
    dh: np.ndarray,
    x: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    direct: bool = True,
    one_bias: bool = False,
    **cell: bool | str,
) -> tuple[np.ndarray, ...]:
    """The five gradients of one GRU step with a mistake switched on.

    Args:
        dh: (N, H) gradient on h.
        x: (N, D) input.
        h_prev: (N, H) previous state.
        kernel: (D, 3H) W.
        recurrent_kernel: (H, 3H) U.
        bias: (2, 3H) b and b'.
        direct: False leaves out the part of dh_prev that skips U (dh * z).
        one_bias: True gives b' the gradient of b (as if both were added to x W).
        **cell: the mistakes of ``gru_cell_backward``.
    """
    a = x @ kernel + bias[0]
    u = h_prev @ recurrent_kernel + bias[1]
    a_z, a_r, a_h = _gru_blocks(a, "zrh")
    u_z, u_r, u_h = _gru_blocks(u, "zrh")
    z, r = sigmoid(a_z + u_z), sigmoid(a_r + u_r)
    gates = (h_prev, z, r, np.tanh(a_h + r * u_h), u_h)
    return gru_step_backward_from_gates(
        dh, x, kernel, recurrent_kernel, gates, direct, one_bias, **cell
    )


def gru_step_backward_from_gates(
    dh: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    gates: tuple[np.ndarray, ...],
    direct: bool = True,
    one_bias: bool = False,
    **cell: bool | str,
) -> tuple[np.ndarray, ...]:
    """``gru_step_backward`` from x, the weights and the cell's (h_prev, z, r, h~,
    u_h), as a GRU StepCache holds them."""
    h_prev = gates[0]
    da, du, dh_skip = gru_cell_backward_from_gates(dh, *gates, **cell)
    dh_prev = du @ recurrent_kernel.T + (dh_skip if direct else 0.0)
    dbias = np.stack([da.sum(axis=0), (da if one_bias else du).sum(axis=0)])
    return da @ kernel.T, dh_prev, x.T @ da, h_prev.T @ du, dbias


GRU_STEP_BACKWARD = [
    (
        "dh_prev misses the path that skips U: h = z * h_prev + (1 - z) * h~ gives "
        "dh * z directly, besides du U^T",
        {"direct": False},
    ),
    (
        "the recurrent bias b' gets the input bias's gradient, as if the two were "
        "added as one; b' goes with h_prev U, so its gradient is du summed over the "
        "batch",
        {"one_bias": True},
    ),
    *GRU_CELL_BACKWARD,
]


def softmax(s: np.ndarray, axis: int = -1, shift: bool = True) -> np.ndarray:
    """The softmax of scores s (N, Tq, Tv) over ``axis``: -1, the value steps, is
    right; ``shift`` False leaves out the subtraction of each row's largest score, so
    that e^s overflows to inf, and the weights to NaN, for scores above about 709."""
    if shift:
        s = s - s.max(axis=axis, keepdims=True)
    # Unshifted, large scores overflow e^s to inf and the weights to NaN: the mistake
    # modelled, so its warnings are silenced.
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(s)
        return e / e.sum(axis=axis, keepdims=True)


def attention_forward(
    query: np.ndarray,
    value: np.ndarray,
    scale: np.ndarray | None = None,
    axis: int = -1,
    shift: bool = True,
) -> np.ndarray:
    """The context (N, Tq, dim) of dot attention (``scale`` None) or additive attention
    (``scale`` (dim,)), its softmax over ``axis``, with or without its ``shift``.

    Args:
        query: (N, Tq, dim) q.
        value: (N, Tv, dim) v.
        scale: (dim,) the additive score's weight, or None for the dot product.
        axis: the softmax's axis: -1 (the value steps, right), 1 (the query steps) or
            0 (the batch).
        shift: False leaves out the subtraction of each row's largest score.
    """
    if scale is None:
        s = query @ value.transpose(0, 2, 1)
    else:
        s = np.tanh(query[:, :, None, :] + value[:, None, :, :]) @ scale
    return softmax(s, axis, shift) @ value


_ROWS = "each query step's weights are over the value steps, the last axis"
SOFTMAX = [
    (f"the softmax is taken over the query steps (axis 1); {_ROWS}", {"axis": 1}),
    (f"the softmax is taken over the batch (axis 0); {_ROWS}", {"axis": 0}),
    (
        "e^s overflows on large scores: subtract each row's largest score before the "
        "exponential (softmax(s) = softmax(s - c) for any c)",
        {"shift": False},
    ),
]


def softmax_backward(da: np.ndarray, a: np.ndarray, cross: bool = True) -> np.ndarray:
    """ds (N, Tq, Tv) from da and the weights a; ``cross`` False leaves out the
    Jacobian's cross term (ds = a * da, its diagonal alone)."""
    if not cross:
        return a * da
    return a * (da - np.sum(a * da, axis=-1, keepdims=True))


def dot_attention_backward(
    dcontext: np.ndarray,
    query: np.ndarray,
    value: np.ndarray,
    a: np.ndarray,
    cross: bool = True,
    context_to_value: bool = True,
    key_share: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """dquery (N, Tq, dim) and dvalue (N, Tv, dim) of dot attention, from a DotCache's
    fields, with a mistake switched on.

    Args:
        dcontext: (N, Tq, dim) gradient on the context.
        query: (N, Tq, dim) q.
        value: (N, Tv, dim) v.
        a: (N, Tq, Tv) the attention weights.
        cross: False leaves out the softmax Jacobian's cross term.
        context_to_value: False leaves out a^T dcontext, the values' gradient through
            context = a v.
        key_share: False leaves out ds^T q, the values' gradient as the key.
    """
    da = dcontext @ value.transpose(0, 2, 1)
    ds = softmax_backward(da, a, cross)
    dvalue = ds.transpose(0, 2, 1) @ query if key_share else np.zeros_like(value)
    if context_to_value:
        dvalue = dvalue + a.transpose(0, 2, 1) @ dcontext
    return ds @ value, dvalue


def additive_attention_backward(
    dcontext: np.ndarray,
    value: np.ndarray,
    scale: np.ndarray,
    tanh_qv: np.ndarray,
    a: np.ndarray,
    cross: bool = True,
    context_to_value: bool = True,
    dscale_over: str = "all pairs",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dquery (N, Tq, dim), dvalue (N, Tv, dim) and dscale of additive attention, from
    an AdditiveCache's fields, with a mistake switched on.

    Args:
        dcontext: (N, Tq, dim) gradient on the context.
        value: (N, Tv, dim) v.
        scale: (dim,) the score's weight.
        tanh_qv: (N, Tq, Tv, dim) tanh(q_t + v_j) for every pair of steps.
        a: (N, Tq, Tv) the attention weights.
        cross: as in ``dot_attention_backward``.
        context_to_value: as in ``dot_attention_backward``.
        dscale_over: what dscale sums ds * tanh(q + v) over: "all pairs" (the batch
            and both step axes, right), "the batch" (a (Tq, Tv, dim) array) or "the
            batch and the value steps" (a (Tq, dim) array, the query steps left
            apart).
    """
    da = dcontext @ value.transpose(0, 2, 1)
    ds = softmax_backward(da, a, cross)
    per_pair = ds[..., None] * tanh_qv
    axes = {
        "all pairs": (0, 1, 2),
        "the batch": 0,
        "the batch and the value steps": (0, 2),
    }
    dscale = per_pair.sum(axis=axes[dscale_over])
    dz = ds[..., None] * scale * (1 - tanh_qv**2)
    dvalue = dz.sum(axis=1)
    if context_to_value:
        dvalue = dvalue + a.transpose(0, 2, 1) @ dcontext
    return dz.sum(axis=2), dvalue, dscale


_CROSS = (
    "the softmax's backward misses its cross term: every weight of a row shares the "
    "denominator, so ds_i = a_i (da_i - sum_j a_j da_j), not a_i da_i"
)
_CONTEXT_TO_VALUE = (
    "dvalue misses the gradient through context = a v: add a^T dcontext, besides the "
    "part that comes through the scores"
)
SOFTMAX_BACKWARD = [(_CROSS, {"cross": False})]
DOT_ATTENTION_BACKWARD = [
    (_CROSS, {"cross": False}),
    (_CONTEXT_TO_VALUE, {"context_to_value": False}),
    (
        "dvalue misses its share as the key: s = q v^T gives dvalue += ds^T q, besides "
        "a^T dcontext",
        {"key_share": False},
    ),
]
_ALL_PAIRS = (
    "one scale serves every pair (t, j) of steps of every window, so dscale sums ds_tj "
    "tanh(q_t + v_j) over the batch, the query steps and the value steps"
)
ADDITIVE_ATTENTION_BACKWARD = [
    (_CROSS, {"cross": False}),
    (_CONTEXT_TO_VALUE, {"context_to_value": False}),
    (
        f"dscale is summed over the batch only; {_ALL_PAIRS}",
        {"dscale_over": "the batch"},
    ),
    (
        f"dscale is not summed over the query steps; {_ALL_PAIRS}",
        {"dscale_over": "the batch and the value steps"},
    ),
]

# The gradient of the MSE off by a constant factor: (the mistake, the factor), given
# the shape's size, its batch size N and dloss.
MSE_FACTORS: list[tuple[str, Callable[[int, int, float], float]]] = [
    ("the factor 2 of d/dy (y - t)^2 = 2 (y - t) is missing", lambda size, N, d: 0.5),
    (
        "the sign is flipped: the gradient is 2 (y_pred - y_true) / size",
        lambda size, N, d: -1.0,
    ),
    (
        "it divides by N, the batch size; the mean is over every element (size)",
        lambda size, N, d: size / N,
    ),
    ("dloss is not used: the chain rule multiplies by it", lambda size, N, d: 1 / d),
]


def mse_factors(shape: tuple[int, ...], dloss: float) -> list[tuple[str, float]]:
    """The known MSE mistakes for y_pred of ``shape``, each with its factor (those that
    are not 1 here: with dloss = 1 not using it changes nothing)."""
    size, N = int(np.prod(shape)), shape[0]
    found = [(text, factor(size, N, dloss)) for text, factor in MSE_FACTORS]
    return [(text, k) for text, k in found if not np.isclose(k, 1.0)]


ADAM_NOT_IN_PLACE = (
    "update `variable` in place (variable -= ...); binding the name to a new array "
    "does not change the model's weights"
)

PREDICT = [
    (
        "the prediction is not fed back; each step's input must be the previous "
        "step's prediction (zero only at the first step)",
        {"feedback": False},
    ),
    (
        "the decoder does not start from the encoder's final (h, c)",
        {"encoder_states": False},
    ),
]


def predict(
    model: "Seq2Seq",
    enc_x: np.ndarray,
    steps: int | None = None,
    feedback: bool = True,
    encoder_states: bool = True,
) -> np.ndarray:
    """(N, steps, O) predictions of a trained ``model`` with a decoding mistake on.

    feedback: False gives the decoder a zero input at every step. encoder_states: False
    starts the decoder from zero states (zero encoder weights make the encoder hand
    over zeros). The model's weights are as they were afterwards.
    """
    steps = enc_x.shape[1] if steps is None else steps
    if not feedback:
        return model.forward(enc_x, np.zeros((len(enc_x), steps, model.output_dim)))
    weights = model.get_weights()
    model.set_weights([0 * w for w in weights[:3]] + weights[3:])
    try:
        return model.predict(enc_x, steps=steps)
    finally:
        model.set_weights(weights)


# A result of the transposed shape, in the grader's words.
TRANSPOSED = "the transpose. A transposed product (e.g. dz.T @ x for x.T @ dz)?"
