"""The parts of the assignment: what a student writes, what it is worth, and the hint.

Which functions make up a part is not listed here: it is read from the library's own
source, where a marker line ``# assignment: <part>`` stands right above each function of
the part (``markers.find_markers``). This module only adds what the source cannot say:
a title, the default points, the hint the stub raises, and whether the part is handed
out by default; ``points_for`` applies the points a teacher sets.

The default parts are those of the LSTM encoder-decoder, which the end-to-end check
trains. The SimpleRNN and GRU step parts and the attention parts are handed out only
when a teacher names them (``--parts``): the encoder-decoder does not run them, and the
default assignment stays the 100 points it was.
"""

import json
import re
from pathlib import Path
from typing import NamedTuple

# What a stub raises starts so (see ``workspace.stub_body``): the grader reads part and
# function back.
STUB_MESSAGE = re.compile(r"assignment part '(\w+)': write ([\w.]+)\.")


class Part(NamedTuple):
    """One gradable part of the assignment."""

    name: str  # what the marker lines say and what --parts takes
    title: str
    points: int
    hints: dict[str, str]  # function qualname -> the hint its stub raises
    # Handed out when no --parts are given; the end-to-end check trains these parts.
    default: bool = True


class Marked(NamedTuple):
    """A function of a part: its module path in the package and its qualified name."""

    part: str
    module: str  # e.g. "lstm.py"
    qualname: str  # e.g. "lstm_backward" or "Adam.update_step"


PARTS: dict[str, Part] = {
    part.name: part
    for part in (
        Part(
            "lstm_step_forward",
            "LSTM step forward",
            10,
            {
                "lstm_cell_forward": (
                    "split z into the blocks i, f, g, o (Keras order: i, f, c, o); "
                    "i, f, o go through sigmoid, g through tanh; "
                    "c = f * c_prev + i * g; h = o * tanh(c); "
                    "return ((h, c), CellCache(c_prev, i, f, g, o, tanh(c)))."
                ),
                "lstm_step_forward": (
                    "z = x @ kernel + h_prev @ recurrent_kernel + bias, then "
                    "lstm_cell_forward; return ((h, c), StepCache(...))."
                ),
            },
        ),
        Part(
            "lstm_step_backward",
            "LSTM step backward",
            20,
            {
                "lstm_cell_backward": (
                    "walk lstm_cell_forward backwards: the cell state gets gradient "
                    "from h (dh * o * tanh'(c)) and from the next step (dc_next); then "
                    "c = f * c_prev + i * g gives di, df, dg and dc_prev; multiply "
                    "each by its activation's derivative, written with the gate's "
                    "output."
                ),
                "lstm_step_backward": (
                    "dz from lstm_cell_backward; z = x W + h_prev U + b gives "
                    "dx = dz W^T, dh_prev = dz U^T, dW = x^T dz, dU = h_prev^T dz, "
                    "db = sum of dz over the batch."
                ),
            },
        ),
        Part(
            "bptt",
            "Backpropagation through time",
            20,
            {
                "lstm_backward": (
                    "go over the steps from last to first; at step t the hidden state "
                    "gets dhs[:, t] plus the gradient carried back from step t+1, and "
                    "the cell state the dc carried back; the weights are shared, so "
                    "their gradients sum over all steps."
                ),
            },
        ),
        Part(
            "dense_backward",
            "Dense backward",
            10,
            {
                "dense_backward": (
                    "y = x @ kernel + bias on the last axis: dx = dy kernel^T; the "
                    "same kernel serves every step, so dkernel and dbias sum over "
                    "batch and time (reshape to (N*T, H) and (N*T, O))."
                ),
            },
        ),
        Part(
            "mse_backward",
            "MSE backward",
            5,
            {
                "mse_backward": (
                    "the loss is mean((y_pred - y_true)^2) over every element: its "
                    "gradient on y_pred is dloss * 2 (y_pred - y_true) / (number of "
                    "elements)."
                ),
            },
        ),
        Part(
            "adam",
            "Adam update",
            10,
            {
                "Adam.update_step": (
                    "t = self.iterations + 1; update slots m and v in place "
                    "(running means of g and g^2); alpha = lr sqrt(1 - beta_2^t) / "
                    "(1 - beta_1^t); variable -= alpha m / (sqrt(v) + epsilon), "
                    "in place."
                ),
            },
        ),
        Part(
            "predict",
            "Autoregressive decoding",
            15,
            {
                "Seq2Seq.predict": (
                    "start from self.encoder.zero_states(N), one (N, units) array "
                    "per name in self.encoder.states ((h, c) for the LSTM, (h,) for "
                    "the GRU and SimpleRNN); run states = self.encoder.step(x_t, "
                    "states) over the window's steps; from those states and a zero "
                    "first input (N, output_dim), run self.decoder.step once per "
                    "step, apply the Dense layer to the new h (states[0]) and feed "
                    "that prediction in as the next input."
                ),
            },
        ),
        Part(
            "rnn_step_forward",
            "SimpleRNN step forward",
            5,
            {
                "rnn_step_forward": (
                    "z = x @ kernel + h_prev @ recurrent_kernel + bias; h = tanh(z); "
                    "return (h, StepCache(x, h_prev, kernel, recurrent_kernel, h)): "
                    "the cache keeps the output h, from which the backward writes "
                    "tanh' as 1 - h^2."
                ),
            },
            default=False,
        ),
        Part(
            "rnn_step_backward",
            "SimpleRNN step backward",
            10,
            {
                "rnn_step_backward": (
                    "h = tanh(z) gives dz = dh * (1 - h^2), with the cached output "
                    "h; z = x W + h_prev U + b gives dx = dz W^T, dh_prev = dz U^T, "
                    "dW = x^T dz, dU = h_prev^T dz, db = sum of dz over the batch."
                ),
            },
            default=False,
        ),
        Part(
            "gru_step_forward",
            "GRU step forward",
            10,
            {
                "gru_cell_forward": (
                    "split a and u into the blocks z, r, h (Keras order, "
                    "gate_blocks); z = sigmoid(a_z + u_z), r = sigmoid(a_r + u_r), "
                    "h~ = tanh(a_h + r * u_h): the reset gate scales u_h after the "
                    "product; h = z * h_prev + (1 - z) * h~; return (h, "
                    "CellCache(h_prev, z, r, h~, u_h))."
                ),
                "gru_step_forward": (
                    "a = x @ kernel + bias[0], u = h_prev @ recurrent_kernel + "
                    "bias[1]: the two biases stay apart, b' goes with h_prev U; then "
                    "gru_cell_forward; return (h, StepCache(...))."
                ),
            },
            default=False,
        ),
        Part(
            "gru_step_backward",
            "GRU step backward",
            20,
            {
                "gru_cell_backward": (
                    "walk gru_cell_forward backwards: h = z * h_prev + (1 - z) * h~ "
                    "gives dz, dh~ and the direct part of dh_prev; h~ = tanh(a_h + "
                    "r * u_h) gives da_h, dr and du_h = da_h * r; the z and r blocks "
                    "of da and du are equal; write each derivative with the output "
                    "(1 - h~^2, z (1 - z))."
                ),
                "gru_step_backward": (
                    "da, du and dh_prev from gru_cell_backward; a = x W + b and u = "
                    "h_prev U + b' give dx = da W^T, dh_prev = (the direct part) + "
                    "du U^T, dW = x^T da, dU = h_prev^T du, dbias = (sum of da, sum "
                    "of du) over the batch."
                ),
            },
            default=False,
        ),
        Part(
            "attention_forward",
            "Attention forward",
            10,
            {
                "softmax": (
                    "over the last axis (the value steps): subtract each row's "
                    "largest score first, since softmax(s) = softmax(s - c) and no "
                    "e^s then overflows; a = e / (the sum of e over the row), with "
                    "keepdims=True so that it broadcasts."
                ),
                "dot_attention_forward": (
                    "s = query @ value^T, the last two axes of value swapped, (N, Tq, "
                    "Tv); a = softmax(s); context = a @ value; return (context, "
                    "DotCache(query, value, a))."
                ),
                "additive_attention_forward": (
                    "pair every query step with every value step by broadcasting: "
                    "query[:, :, None, :] + value[:, None, :, :] is (N, Tq, Tv, dim); "
                    "its tanh @ scale gives s (N, Tq, Tv); a = softmax(s); context = "
                    "a @ value; return (context, AdditiveCache(value, scale, that "
                    "tanh, a))."
                ),
            },
            default=False,
        ),
        Part(
            "attention_backward",
            "Attention backward",
            20,
            {
                "softmax_backward": (
                    "every weight of a row shares the same denominator, so a score "
                    "moves the whole row: ds_i = a_i (da_i - sum_j a_j da_j), the sum "
                    "over the last axis with keepdims=True; a * da alone misses that "
                    "cross term."
                ),
                "dot_attention_backward": (
                    "context = a v gives da = dcontext v^T and dvalue = a^T dcontext; "
                    "ds = softmax_backward(da, a); s = q v^T gives dquery = ds v, and "
                    "the value, which is also the key, a second share: dvalue += "
                    "ds^T q (each transpose swaps the last two axes)."
                ),
                "additive_attention_backward": (
                    "da, dvalue = a^T dcontext and ds as in the dot backward; s = "
                    "tanh(q + v) @ scale: one scale serves every pair of steps, so "
                    "dscale sums ds[..., None] * tanh(q + v) over the batch and both "
                    "step axes; dz = ds[..., None] * scale * (1 - tanh^2); dquery "
                    "sums dz over the value steps (axis 2), and dvalue gets dz summed "
                    "over the query steps (axis 1)."
                ),
            },
            default=False,
        ),
    )
}

# Handed out when a teacher names no parts.
DEFAULT_PARTS: list[str] = [name for name, part in PARTS.items() if part.default]

END_TO_END = Part("end_to_end", "End to end (training lowers the loss)", 10, {})


def points_for(
    handed_out: list[str], chosen: dict[str, int] | None = None
) -> dict[str, int]:
    """The points of every part and of the end-to-end check.

    Args:
        handed_out: the parts of the workspace; the end-to-end check is worth the same
            share of the points of the default parts among them as the default 10
            are of the default parts' 90 (at least 1), unless ``chosen`` sets it (0
            leaves it out). The other parts add nothing to it: the end-to-end model
            does not run them, so with only those it is left out.
        chosen: points a teacher set, by part name ("end_to_end" included); the others
            keep their defaults.

    Raises:
        ValueError: an unknown part, or points that are not a whole number >= 0.
    """
    chosen = dict(chosen or {})
    unknown = sorted(set(chosen) - {*PARTS, END_TO_END.name})
    if unknown:
        raise ValueError(f"points for unknown parts {unknown}")
    wrong = sorted(k for k, v in chosen.items() if not is_points(v))
    if wrong:
        raise ValueError(f"points must be whole numbers >= 0; not so for {wrong}")
    points = {name: chosen.get(name, part.points) for name, part in PARTS.items()}
    if END_TO_END.name not in chosen:
        share = END_TO_END.points / sum(PARTS[name].points for name in DEFAULT_PARTS)
        total = sum(points[name] for name in handed_out if PARTS[name].default)
        chosen[END_TO_END.name] = max(1, round(share * total)) if total else 0
    return {**points, END_TO_END.name: chosen[END_TO_END.name]}


def is_points(value: object) -> bool:
    """Whether ``value`` is a number of points: a whole number >= 0. A bool is not one,
    though Python counts it as an int (JSON's ``true`` would otherwise be 1 point)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_points(items: list[str]) -> dict[str, int]:
    """Points from the command line: ``part=N`` items, or JSON files of {part: N}.

    Args:
        items: each ``part=N`` or the path of a JSON file; later ones win.

    Raises:
        ValueError: an item that is neither, or points that are not a whole number
            >= 0, with the item or the file named.
    """
    points = {}
    for item in items:
        name, equals, value = item.partition("=")
        if equals:
            # isascii: int() also reads other scripts' digits, isdigit() also "²".
            text = value.strip()
            if not (text.isascii() and text.isdigit()):
                raise ValueError(f"{item!r}: points must be a whole number >= 0")
            points[name.strip()] = int(text)
            continue
        points.update(read_points_file(item))
    return points


def read_points_file(path: str) -> dict[str, int]:
    """The points in a JSON file of {part: N}.

    Args:
        path: the file's path.

    Raises:
        ValueError: the file cannot be read, is not a JSON object, or holds points that
            are not a whole number >= 0; the message names the file.
    """
    try:
        chosen = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{path!r} is neither part=N nor a JSON file of points"
        ) from exc
    if not isinstance(chosen, dict):
        raise ValueError(
            f"{path!r}: a points file holds a JSON object of {{part: N}}; "
            f"got {json.dumps(chosen)[:40]}"
        )
    for name, value in chosen.items():
        if not is_points(value):
            raise ValueError(
                f"{path!r}: points of {name!r} must be a whole number >= 0; "
                f"got {json.dumps(value)}"
            )
    return chosen
