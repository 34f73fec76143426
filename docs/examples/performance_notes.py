"""The Performance page: the measurements behind each speed note in minilstm's code.

Every comment in the core that says a line is written for speed points to the page, and
the page shows the figure measured here, while the site builds, on the machine that
builds it: each one a ratio of two ways of doing the same thing, timed side by side.
"""

import timeit

import numpy as np
from _site import cpu_label, record

import minilstm as ml
from minilstm import article
from minilstm.activations import sigmoid
from minilstm.attention import additive_attention_backward, additive_attention_forward
from minilstm.data import load_task
from minilstm.lstm import lstm_forward, lstm_step_forward


def best_us(fn, number: int) -> float:
    """The fastest of 5 repeats of ``number`` calls, in microseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


rng = np.random.default_rng(0)
N, T, D, H = article.BATCH_SIZE, article.WINDOW, 1, article.UNITS
rows = []


def compare(
    note: str, slow_name: str, slow, fast_name: str, fast, number: int
) -> float:
    """Time two ways of one computation, keep a table row, return slow / fast."""
    slow_us, fast_us = best_us(slow, number), best_us(fast, number)
    rows.append(f"| {note} | {slow_name}: {slow_us:.1f} | {fast_name}: {fast_us:.1f} |")
    return slow_us / fast_us


# --8<-- [start:measure]
# x W for all steps at once, with D = 1 input feature: (T*N, 1) by (1, 4H).
x = rng.normal(size=(T * N, D))
W = rng.normal(size=(D, 4 * H))
dot = compare(
    "x W, D = 1", "x @ W", lambda: x @ W, "np.dot(x, W)", lambda: np.dot(x, W), 300
)

# The bias added to that (T*N, 4H) product: into a new array, or into the product's own.
b = rng.normal(size=4 * H)


def new_array():
    return np.dot(x, W) + b


def in_place():
    xz = np.dot(x, W)
    xz += b
    return xz


fresh = compare("x W + b", "a new array", new_array, "in place", in_place, 50)

# h U at every step: U as Keras stores it (C order), or its transposed view (Fortran).
h = rng.normal(size=(N, H))
U = rng.normal(size=(H, 4 * H))
U_fortran = np.asfortranarray(U)
order = compare("h U", "Fortran U", lambda: h @ U_fortran, "C U", lambda: h @ U, 2000)

# Decoding's encoder: the whole sequence with its caches, or step by step without them.
data = load_task("sin_cos")
model = ml.Seq2Seq(seed=0)
enc_x, weights = data.enc_x, model.get_weights()[0:3]
zeros = np.zeros((len(enc_x), H))


def with_caches():
    return lstm_forward(enc_x, zeros, zeros, *weights)


def without_caches():
    h = c = zeros
    for t in range(enc_x.shape[1]):
        (h, c), _ = lstm_step_forward(enc_x[:, t], h, c, *weights)
    return h, c


caches = compare(
    "encoding the 76 windows",
    "caches kept",
    with_caches,
    "caches dropped",
    without_caches,
    3,
)

# The sigmoid's np.errstate (silencing the overflow warning) on a gate block: as a with
# block inside the function, as the library's decorator, and left out.
z = rng.normal(size=(N, H))


def sigmoid_with_block(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


decorator = compare(
    "sigmoid of one (10, 75) gate block",
    "np.errstate as a with block",
    lambda: sigmoid_with_block(z),
    "as a decorator (the library's)",
    lambda: sigmoid(z),
    5000,
)
errstate = compare(
    "sigmoid of one (10, 75) gate block",
    "np.errstate as a decorator",
    lambda: sigmoid(z),
    "the bare formula",
    lambda: 1.0 / (1.0 + np.exp(-z)),
    5000,
)

# Additive attention's (N, Tq, Tv, dim) array of tanh(q_t + v_j), from inputs laid out
# as the model's are (time-major arrays seen batch-major): in the inputs' memory order,
# NumPy's choice for a new array, or in C order, the library's; then the backward.
query = rng.normal(size=(T, N, H)).transpose(1, 0, 2)
value = rng.normal(size=(T, N, H)).transpose(1, 0, 2)
_, in_c_order = additive_attention_forward(query, value, rng.normal(size=H))
pairs = np.tanh(query[:, :, None, :] + value[:, None, :, :])
in_inputs_order = in_c_order._replace(tanh_qv=pairs)
dcontext = rng.normal(size=(N, T, H))
pairs_order = compare(
    "additive attention's backward",
    "pairs in the inputs' order",
    lambda: additive_attention_backward(dcontext, in_inputs_order),
    "in C order (the library's)",
    lambda: additive_attention_backward(dcontext, in_c_order),
    50,
)
# --8<-- [end:measure]

print(f"CPU: {cpu_label()}; NumPy {np.__version__}")
print("| what | slower way (µs) | faster way (µs) |")
print("|---|---|---|")
print("\n".join(rows))
record(
    cpu=cpu_label(),
    dot=f"{dot:.1f}",
    fresh=f"{fresh:.1f}",
    order=f"{order:.1f}",
    caches=f"{caches:.1f}",
    errstate=f"{errstate:.2f}",
    decorator=f"{decorator:.2f}",
    pairs_order=f"{pairs_order:.1f}",
)
