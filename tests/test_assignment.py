"""The assignment kit: workspaces cut from the library's source, and a grader that gives
each part its points or none, naming the mistake.

Planted mistakes are function bodies written here. The forget gate's reads CellCache by
its fields (c_prev, i, f, g, o, tanh_c); the others use only public names.
"""

import ast
import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

import minilstm
from minilstm.assignment import PARTS, grade, init_workspace
from minilstm.assignment.__main__ import main
from minilstm.assignment.grader import table
from minilstm.assignment.parts import DEFAULT_PARTS, END_TO_END
from minilstm.assignment.workspace import (
    find_markers,
    library_markers,
    parse,
    replace_body,
    stub_source,
)

pytestmark = pytest.mark.slow  # hands out and grades workspaces end to end

LIBRARY = Path(minilstm.__file__).parent
TOTAL = sum(PARTS[name].points for name in DEFAULT_PARTS) + END_TO_END.points
# Handed out only when named (--parts): the SimpleRNN and GRU steps, and attention.
OPT_IN = [name for name in PARTS if name not in DEFAULT_PARTS]


def plant(workspace: Path, module: str, qualname: str, body: str) -> Path:
    """Put ``body`` into one function of a workspace, as a student would."""
    path = workspace / "minilstm" / module
    path.write_text(replace_body(path.read_text(), qualname, body))
    return workspace


def keep_library_copy(workspace: Path, module: str, name: str) -> None:
    """Append the library's function ``name`` to a workspace module as
    ``library_<name>``."""
    path = workspace / "minilstm" / module
    source = (LIBRARY / module).read_text()
    (function,) = [
        f
        for f in parse(source).body
        if isinstance(f, ast.FunctionDef) and f.name == name
    ]
    copy = ast.get_source_segment(source, function).replace(
        f"def {name}(", f"def library_{name}("
    )
    path.write_text(path.read_text() + "\n\n" + copy + "\n")


def scores(results) -> dict[str, int]:
    return {r.part: r.score for r in results}


# The scores of a default workspace with the library's code in it.
FULL = {
    **{name: PARTS[name].points for name in DEFAULT_PARTS},
    "end_to_end": END_TO_END.points,
}


@pytest.fixture(scope="module")
def solution(tmp_path_factory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("ws") / "solution", solution=True)


def test_every_part_is_marked_in_the_library_and_has_a_hint_per_function():
    marked = library_markers()
    assert {m.part for m in marked} == set(PARTS)
    for name, part in PARTS.items():
        assert {m.qualname for m in marked if m.part == name} == set(part.hints)
    assert TOTAL == 100
    assert OPT_IN == [
        "rnn_step_forward",
        "rnn_step_backward",
        "gru_step_forward",
        "gru_step_backward",
        "attention_forward",
        "attention_backward",
    ]


def test_a_marker_may_have_other_comments_below_it_but_must_reach_a_def():
    source = "# assignment: bptt\n# --8<-- [start:x]\n\ndef f():\n    return 1\n"
    assert [tuple(m) for m in find_markers(source, "m.py")] == [("bptt", "m.py", "f")]
    with pytest.raises(ValueError, match="must stand above a def"):
        find_markers("# assignment: bptt\nx = 1\n", "m.py")
    with pytest.raises(ValueError, match="unknown part"):
        find_markers("# assignment: nope\ndef f():\n    pass\n", "m.py")


def test_a_stub_keeps_signature_and_docstring_and_raises_a_hint_naming_its_part():
    source = (LIBRARY / "lstm.py").read_text()
    stubbed = parse(stub_source(source, "lstm.py", ["bptt"]))
    original = parse(source)
    functions = {f.name: f for f in ast.walk(stubbed) if isinstance(f, ast.FunctionDef)}
    before = {f.name: f for f in ast.walk(original) if isinstance(f, ast.FunctionDef)}
    stub = functions["lstm_backward"]
    assert ast.dump(stub.args) == ast.dump(before["lstm_backward"].args)
    assert ast.get_docstring(stub) == ast.get_docstring(before["lstm_backward"])
    assert "(N, T, H)" in ast.get_docstring(stub)
    (statement,) = stub.body[1:]
    assert isinstance(statement, ast.Raise)
    assert "assignment part 'bptt'" in ast.literal_eval(statement.exc.args[0])
    for name in ("lstm_cell_backward", "lstm_forward", "lstm_step_backward"):
        assert ast.dump(functions[name]) == ast.dump(before[name])


def test_a_workspace_stubs_only_the_chosen_parts_and_the_rest_still_runs(tmp_path):
    workspace = init_workspace(tmp_path / "ws", parts=["bptt", "adam"])
    assert json.loads((workspace / "assignment.json").read_text())["parts"] == [
        "bptt",
        "adam",
    ]
    readme = (workspace / "README.md").read_text()
    assert (
        "`minilstm/lstm.py: lstm_backward`" in readme and "Adam.update_step" in readme
    )
    assert not (workspace / "minilstm" / "assignment").exists()
    script = (
        "import numpy as np, minilstm as ml\n"
        "m = ml.Seq2Seq(units=3, seed=0)\n"
        "x = np.ones((2, 4, 1))\n"
        "print(m.forward(x, x).shape, m.predict(x).shape)\n"
        "try:\n"
        "    m.loss_and_grads(x, x, x)\n"
        "except NotImplementedError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("(2, 4, 1) (2, 4, 1)\n")
    assert "assignment part 'bptt': write lstm_backward. Hint:" in out


def test_init_refuses_a_non_empty_folder_and_unknown_parts(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        init_workspace(tmp_path)
    with pytest.raises(ValueError, match="unknown parts"):
        init_workspace(tmp_path / "new", parts=["lstm_step_sideways"])


def test_the_reference_code_scores_full_marks(solution):
    results = grade(solution)
    assert scores(results) == FULL
    assert table(results).splitlines()[-1].split()[-1] == f"{TOTAL}/{TOTAL}"


def test_a_fresh_workspace_scores_zero_with_a_message_per_part(tmp_path):
    results = grade(init_workspace(tmp_path / "ws"))
    assert sum(r.score for r in results) == 0 and len(results) == len(FULL)
    marked = library_markers()
    for r in results:
        assert "is not written yet" in r.output
        if r.part in PARTS:
            assert any(m.qualname in r.output for m in marked if m.part == r.part)
    report = table(results)
    for name in DEFAULT_PARTS:
        assert f"- {PARTS[name].title} ({name}): " in report


def test_the_opt_in_parts_are_not_handed_out_unless_named(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    manifest = json.loads((workspace / "assignment.json").read_text())
    assert manifest["parts"] == DEFAULT_PARTS
    for module in ("simple_rnn.py", "gru.py", "attention.py"):
        assert (workspace / "minilstm" / module).read_text() == (
            LIBRARY / module
        ).read_text()


def test_the_opt_in_parts_score_full_with_the_library_and_zero_as_stubs(tmp_path):
    solution = init_workspace(tmp_path / "solution", parts=OPT_IN, solution=True)
    results = grade(solution, handed_out=OPT_IN)
    # The end-to-end model runs none of these parts, so it is left out.
    assert scores(results) == {name: PARTS[name].points for name in OPT_IN}
    results = grade(init_workspace(tmp_path / "stubs", parts=OPT_IN), handed_out=OPT_IN)
    assert scores(results) == dict.fromkeys(OPT_IN, 0)
    marked = library_markers()
    for r in results:
        assert "is not written yet" in r.output
        assert any(m.qualname in r.output for m in marked if m.part == r.part)


FORGET_GATE_USES_C_T = """
c_prev, i, f, g, o, tanh_c = cache
dc = dc_next + dh * o * (1 - tanh_c**2)
c = f * c_prev + i * g
df = dc * c
dz = np.concatenate(
    [
        dc * g * i * (1 - i),
        df * f * (1 - f),
        dc * i * (1 - g**2),
        dh * tanh_c * o * (1 - o),
    ],
    axis=1,
)
return dz, dc * f
"""
# The backward needs the recurrent kernel only to carry dh_prev = dz_t U^T back to step
# t-1: with U zeroed in the cache, the library's own loop makes exactly that mistake,
# whatever else its cache holds.
RECURRENT_GRADIENT_NOT_CARRIED = """
no_recurrence = cache._replace(recurrent_kernel=np.zeros_like(cache.recurrent_kernel))
return library_lstm_backward(dhs, dh, dc, no_recurrence)
"""
ADAM_WITHOUT_BIAS_CORRECTION = """
m, v = slots["m"], slots["v"]
m += (gradient - m) * (1 - self.beta_1)
v += (gradient**2 - v) * (1 - self.beta_2)
variable -= lr * m / (np.sqrt(v) + self.epsilon)
"""
DECODING_WITHOUT_FEEDBACK = """
enc_x = np.asarray(enc_x, dtype=self.dtype)
steps = enc_x.shape[1] if steps is None else int(steps)
_, h, c = self.encoder.forward(enc_x)
first = np.zeros((len(enc_x), self.output_dim))
dec, ys = self.decoder, []
for _ in range(steps):
    h, c = dec.step(first, (h, c))
    ys.append(h @ self.dense.kernel + self.dense.bias)
return np.stack(ys, axis=1)
"""
RNN_CACHE_HOLDS_Z = """
z = x @ kernel + h_prev @ recurrent_kernel + bias
return np.tanh(z), StepCache(x, h_prev, kernel, recurrent_kernel, z)
"""
RNN_TANH_GRAD_OF_OUTPUT = """
x, h_prev, kernel, recurrent_kernel, h = cache
dz = dh * (1 - np.tanh(h) ** 2)
return dz @ kernel.T, dz @ recurrent_kernel.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)
"""
# The original GRU's candidate, (r * h_prev) U_h, where Keras's default (and minilstm's)
# has r * (h_prev U_h + b'_h).
GRU_RESET_BEFORE = """
H = h_prev.shape[1]
a = x @ kernel + bias[0]
u = h_prev @ recurrent_kernel + bias[1]
a_z, a_r, a_h = gate_blocks(a)
u_z, u_r, _ = gate_blocks(u)
z = sigmoid(a_z + u_z)
r = sigmoid(a_r + u_r)
u_h = (r * h_prev) @ recurrent_kernel[:, 2 * H :] + bias[1, 2 * H :]
h_tilde = np.tanh(a_h + u_h)
h = z * h_prev + (1 - z) * h_tilde
cell = CellCache(h_prev, z, r, h_tilde, u_h)
return h, StepCache(x, kernel, recurrent_kernel, cell)
"""
GRU_Z_SWAPPED_BACKWARD = """
h_prev, z, r, h_tilde, u_h = cache
dz = dh * (h_tilde - h_prev)
da_h = dh * z * (1 - h_tilde**2)
da_z = dz * z * (1 - z)
da_r = da_h * u_h * r * (1 - r)
da = np.concatenate((da_z, da_r, da_h), axis=1)
du = np.concatenate((da_z, da_r, da_h * r), axis=1)
return da, du, dh * (1 - z)
"""
# The softmax over the query steps: each value step's weights sum to 1 instead.
SOFTMAX_OVER_QUERY_STEPS = """
e = np.exp(s - s.max(axis=1, keepdims=True))
return e / e.sum(axis=1, keepdims=True)
"""
PLANTED = {
    "rnn_step_forward": (
        "simple_rnn.py",
        "rnn_step_forward",
        RNN_CACHE_HOLDS_Z,
        ["does not give the library's", "holds the pre-activation z"],
    ),
    "rnn_step_backward": (
        "simple_rnn.py",
        "rnn_step_backward",
        RNN_TANH_GRAD_OF_OUTPUT,
        ["1 - tanh(h)^2; h is already tanh(z)"],
    ),
    "gru_step_forward": (
        "gru.py",
        "gru_step_forward",
        GRU_RESET_BEFORE,
        ["gru_step_forward with", "applied before the recurrent product"],
    ),
    "gru_step_backward": (
        "gru.py",
        "gru_cell_backward",
        GRU_Z_SWAPPED_BACKWARD,
        ["gru_cell_backward with", "z and 1 - z are swapped"],
    ),
    "attention_forward": (
        "attention.py",
        "softmax",
        SOFTMAX_OVER_QUERY_STEPS,
        ["softmax with", "taken over the query steps (axis 1)"],
    ),
    "attention_backward": (
        "attention.py",
        "softmax_backward",
        "return a * da",
        ["softmax_backward with", "misses its cross term"],
    ),
    "lstm_step_backward": (
        "lstm.py",
        "lstm_cell_backward",
        FORGET_GATE_USES_C_T,
        ["forget gate (f) only", "uses the new cell state c_t"],
    ),
    "bptt": (
        "lstm.py",
        "lstm_backward",
        RECURRENT_GRADIENT_NOT_CARRIED,
        ["the gradient on h is not carried back"],
    ),
    "adam": (
        "optimizers.py",
        "Adam.update_step",
        ADAM_WITHOUT_BIAS_CORRECTION,
        ["bias correction is missing"],
    ),
    "predict": (
        "seq2seq.py",
        "Seq2Seq.predict",
        DECODING_WITHOUT_FEEDBACK,
        ["the prediction is not fed back"],
    ),
}


# The planted mistakes that change the weights the end-to-end training reaches, or the
# output of predict, which it compares with the library's. (Halving the MSE gradient or
# a wrong cache entry that training never reads leaves what Adam reaches as it was.)
COSTS_END_TO_END = {"adam", "bptt", "lstm_step_backward", "predict"}


@pytest.mark.parametrize("part", sorted(PLANTED))
def test_a_planted_mistake_costs_exactly_its_part_and_is_named(part, tmp_path):
    module, qualname, body, diagnosis = PLANTED[part]
    # An opt-in part is handed out with the default ones, which must keep full marks.
    parts = DEFAULT_PARTS if part in DEFAULT_PARTS else [*DEFAULT_PARTS, part]
    workspace = init_workspace(tmp_path / "ws", parts=parts, solution=True)
    if f"library_{qualname}" in body:
        keep_library_copy(workspace, module, qualname)
    plant(workspace, module, qualname, body)
    results = grade(workspace, handed_out=parts)
    lost = {part: 0} | ({"end_to_end": 0} if part in COSTS_END_TO_END else {})
    assert scores(results) == {**FULL, **lost}
    assert [r.part for r in results] == [*parts, "end_to_end"]
    failed = [r for r in results if r.score < r.max_score]
    assert [r.part for r in failed] == list(lost)
    for words in diagnosis:
        assert words in failed[0].output
    assert f"- {PARTS[part].title} ({part}): " in table(results)
    if part in COSTS_END_TO_END:
        assert failed[1].output.startswith(("after 10 epochs", "predict after"))


DECODING_FROM_ZERO_STATES = """
steps = enc_x.shape[1] if steps is None else int(steps)
h = c = np.zeros((len(enc_x), self.units))
y_prev = np.zeros((len(enc_x), self.output_dim))
dec, ys = self.decoder, []
for _ in range(steps):
    h, c = dec.step(y_prev, (h, c))
    y_prev = h @ self.dense.kernel + self.dense.bias
    ys.append(y_prev)
return np.stack(ys, axis=1)
"""
RNN_BACKWARD = """
x, h_prev, kernel, recurrent_kernel, h = cache
dz = dh * (1 - h**2)
return dz @ kernel.T, {dh_prev}, x.T @ dz, {state}.T @ dz, dz.sum(axis=0)
"""
GRU_STEP_BACKWARD = """
x, kernel, recurrent_kernel, cell = cache
da, du, dh_skip = gru_cell_backward(dh, cell)
dbias = np.stack((da.sum(axis=0), {db_rec}.sum(axis=0)))
dh_prev = {dh_prev}
return da @ kernel.T, dh_prev, x.T @ da, cell.h_prev.T @ du, dbias
"""
DOT_BACKWARD = """
query, value, a = cache
ds = softmax_backward(dcontext @ value.transpose(0, 2, 1), a)
return ds @ value, {dvalue}
"""
DSCALE_SUMMED_OVER = """
value, scale, tanh_qv, a = cache
dquery, dvalue, _ = library_additive_attention_backward(dcontext, cache)
ds = softmax_backward(dcontext @ value.transpose(0, 2, 1), a)
return dquery, dvalue, np.sum(ds[..., None] * tanh_qv, axis={axes})
"""
OTHER_MISTAKES = [
    (
        "rnn_step_forward",
        "simple_rnn.py",
        "rnn_step_forward",
        "z = x @ kernel + h_prev @ recurrent_kernel + bias\n"
        "return z, StepCache(x, h_prev, kernel, recurrent_kernel, z)",
        "h = x W + h_prev U + b misses its tanh",
    ),
    (
        "rnn_step_backward",
        "simple_rnn.py",
        "rnn_step_backward",
        RNN_BACKWARD.format(dh_prev="dz", state="h_prev"),
        "dh_prev misses the U^T product",
    ),
    (
        "rnn_step_backward",
        "simple_rnn.py",
        "rnn_step_backward",
        RNN_BACKWARD.format(dh_prev="dz @ recurrent_kernel", state="h_prev"),
        "dh_prev = dz U, with U untransposed",
    ),
    (
        "rnn_step_backward",
        "simple_rnn.py",
        "rnn_step_backward",
        RNN_BACKWARD.format(dh_prev="dz @ recurrent_kernel.T", state="h"),
        "drecurrent_kernel uses the new state h",
    ),
    (
        "gru_step_forward",
        "gru.py",
        "gru_cell_forward",
        "a_z, a_r, a_h = gate_blocks(a)\n"
        "u_z, u_r, u_h = gate_blocks(u)\n"
        "z, r = sigmoid(a_z + u_z), sigmoid(a_r + u_r)\n"
        "h_tilde = np.tanh(a_h + r * u_h)\n"
        "h = (1 - z) * h_prev + z * h_tilde\n"
        "return h, CellCache(h_prev, z, r, h_tilde, u_h)",
        "z and 1 - z are swapped",
    ),
    (
        "gru_step_forward",
        "gru.py",
        "gru_step_forward",
        "a = x @ kernel + bias[0] + bias[1]\n"
        "h, cell = gru_cell_forward(a, h_prev @ recurrent_kernel, h_prev)\n"
        "return h, StepCache(x, kernel, recurrent_kernel, cell)",
        "the input and recurrent biases are added as one",
    ),
    (
        "gru_step_backward",
        "gru.py",
        "gru_step_backward",
        GRU_STEP_BACKWARD.format(db_rec="du", dh_prev="du @ recurrent_kernel.T"),
        "dh_prev misses the path that skips U",
    ),
    (
        "gru_step_backward",
        "gru.py",
        "gru_step_backward",
        GRU_STEP_BACKWARD.format(
            db_rec="da", dh_prev="dh_skip + du @ recurrent_kernel.T"
        ),
        "the recurrent bias b' gets the input bias's gradient",
    ),
    (
        "attention_forward",
        "attention.py",
        "softmax",
        "e = np.exp(s)\nreturn e / e.sum(axis=-1, keepdims=True)",
        "e^s overflows on large scores",
    ),
    (
        "attention_backward",
        "attention.py",
        "dot_attention_backward",
        DOT_BACKWARD.format(dvalue="ds.transpose(0, 2, 1) @ query"),
        "dvalue misses the gradient through context = a v",
    ),
    (
        "attention_backward",
        "attention.py",
        "dot_attention_backward",
        DOT_BACKWARD.format(dvalue="a.transpose(0, 2, 1) @ dcontext"),
        "dvalue misses its share as the key",
    ),
    (
        "attention_backward",
        "attention.py",
        "additive_attention_backward",
        DSCALE_SUMMED_OVER.format(axes="(0, 2)"),
        "dscale is not summed over the query steps",
    ),
    (
        "attention_backward",
        "attention.py",
        "additive_attention_backward",
        DSCALE_SUMMED_OVER.format(axes="0"),
        "dscale is summed over the batch only",
    ),
    (
        "gru_step_backward",
        "gru.py",
        "gru_cell_backward",
        "h_prev, z, r, h_tilde, u_h = cache\n"
        "dz = dh * (h_prev - h_tilde)\n"
        "da_h = dh * (1 - z) * (1 - h_tilde**2)\n"
        "da_z = dz * z * (1 - z)\n"
        "da_r = da_h * u_h * r * (1 - r)\n"
        "da = np.concatenate((da_z, da_r, da_h), axis=1)\n"
        "return da, da.copy(), dh * z",
        "du_h misses the reset gate",
    ),
    (
        "dense_backward",
        "dense.py",
        "dense_backward",
        "dx, dkernel, dbias = library_dense_backward(dy, cache)\n"
        "return dx, dkernel.T, dbias",
        "the transpose. A transposed product",
    ),
    (
        "mse_backward",
        "losses.py",
        "mse_backward",
        "return library_mse_backward(dloss, cache) / 2",
        "the factor 2 of d/dy (y - t)^2 = 2 (y - t) is missing",
    ),
    (
        "adam",
        "optimizers.py",
        "Adam.update_step",
        ADAM_WITHOUT_BIAS_CORRECTION.replace("variable -= ", "variable = variable - "),
        "did not change: update `variable` in place",
    ),
    (
        "predict",
        "seq2seq.py",
        "Seq2Seq.predict",
        DECODING_FROM_ZERO_STATES,
        "the decoder does not start from the encoder's final (h, c)",
    ),
]


@pytest.mark.parametrize(
    ("part", "module", "qualname", "body", "words"), OTHER_MISTAKES
)
def test_the_report_names_other_common_mistakes(
    part, module, qualname, body, words, tmp_path
):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    if f"library_{qualname}" in body:
        keep_library_copy(workspace, module, qualname)
    (result,) = grade(plant(workspace, module, qualname, body), parts=[part])
    assert result.score == 0
    assert words in result.output


def test_the_json_report_is_valid_and_adds_up(tmp_path, capsys):
    workspace = plant(
        init_workspace(tmp_path / "ws", solution=True),
        "optimizers.py",
        "Adam.update_step",
        ADAM_WITHOUT_BIAS_CORRECTION,
    )
    assert (
        main(["grade", str(workspace), "--json", str(tmp_path / "results.json")]) == 0
    )
    report = json.loads((tmp_path / "results.json").read_text())
    # Adam's mistake costs its part and the end-to-end check (see COSTS_END_TO_END).
    assert report["score"] == sum(t["score"] for t in report["tests"]) == TOTAL - 20
    assert sum(t["max_score"] for t in report["tests"]) == TOTAL
    assert report["output"] == f"minilstm assignment: {TOTAL - 20}/{TOTAL} points"
    assert report["visibility"] == "visible"
    for test in report["tests"]:
        fields = {"name", "score", "max_score", "output", "status", "visibility"}
        assert set(test) == fields
        failed = "Adam" in test["name"] or "end_to_end" in test["name"]
        assert test["status"] == ("failed" if failed else "passed")
        assert (
            isinstance(test["output"], str) and 0 <= test["score"] <= test["max_score"]
        )
    assert "Adam update" in capsys.readouterr().out


def test_an_endless_loop_or_a_crash_costs_only_that_part(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    plant(workspace, "dense.py", "dense_backward", "while True:\n    pass")
    plant(workspace, "losses.py", "mse_backward", "import os\nos._exit(3)")
    # 8 s is ample for the adam check (under 1 s here, startup included) and bounds the
    # loop.
    results = grade(
        workspace, parts=["dense_backward", "mse_backward", "adam"], timeout=8
    )
    assert scores(results) == {"dense_backward": 0, "mse_backward": 0, "adam": 10}
    assert results[0].output.startswith(
        "dense_backward did not finish within the time limit"
    )
    assert results[1].output.startswith("mse_backward ended the process (exit code 3)")


def test_cli_init_writes_the_chosen_parts(tmp_path, capsys):
    assert main(["init", str(tmp_path / "ws"), "--parts", "mse_backward"]) == 0
    assert "mse_backward" in capsys.readouterr().out
    source = (tmp_path / "ws" / "minilstm" / "losses.py").read_text()
    assert "raise NotImplementedError(" in source
    assert (tmp_path / "ws" / "minilstm" / "dense.py").read_text() == (
        LIBRARY / "dense.py"
    ).read_text()


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys):
    for argv in (
        ["grade", str(tmp_path / "nothing")],
        ["init", str(tmp_path), "--parts", "x"],
    ):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith("python -m minilstm.assignment")


def test_grading_warns_when_the_workspace_was_made_from_other_sources(tmp_path, capsys):
    workspace = init_workspace(tmp_path / "ws", parts=["mse_backward"], solution=True)
    assert main(["grade", str(workspace), "--parts", "mse_backward"]) == 0
    assert "made from other minilstm sources" not in capsys.readouterr().err
    manifest = json.loads((workspace / "assignment.json").read_text())
    manifest["library_digest"] = "0" * 64
    (workspace / "assignment.json").write_text(json.dumps(manifest))
    assert main(["grade", str(workspace), "--parts", "mse_backward"]) == 0
    assert "was made from other minilstm sources" in capsys.readouterr().err


def test_parse_leaves_the_garbage_collector_as_it_found_it():
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            assert isinstance(parse("x = 1"), ast.Module)
            assert gc.isenabled() is enabled
    finally:
        gc.enable()
