"""The grader decides in its own process: the student's code only computes, in a bounded
process that holds no reference, and every way it can end costs its own part only.

Each planted body below is something a student could write; the assertions say what the
grade must be and which words the report must use.
"""

import json
from pathlib import Path

import pytest
from test_assignment import FULL, keep_library_copy, plant, scores

import minilstm
from minilstm.assignment import grade, init_workspace
from minilstm.assignment.parts import PARTS
from minilstm.assignment.sandbox import KEEP
from minilstm.assignment.workspace import find_function, parse

pytestmark = pytest.mark.slow  # grades planted code in bounded processes

# Old and new protocols alike: a passing verdict in every result file the grader's
# command line names, fake outputs for every call, and an exit before any check runs.
FORGING_INIT = """\
import json, os, sys
from pathlib import Path

import numpy as np

verdict = json.dumps({"passed": True, "output": "passed", "summary": "ok"})
for arg in sys.argv[1:]:
    path = Path(arg)
    if path.suffix == ".json":
        path.write_text(verdict)
    if (path / "out").is_dir():
        for key in ["import", *range(100)]:
            (path / "out" / f"{key}.json").write_text(json.dumps({"result": 1.0}))
            np.savez(path / "out" / f"{key}.npz")
os._exit(0)
"""


def test_a_forged_verdict_scores_nothing(tmp_path):
    workspace = init_workspace(tmp_path / "ws")
    init = workspace / "minilstm" / "__init__.py"
    init.write_text(FORGING_INIT + init.read_text())
    results = grade(workspace)
    assert scores(results) == dict.fromkeys(FULL, 0)
    for r in results:
        assert "passed" not in r.output


# The old grader kept the library in sys.modules under "_library_minilstm..." in the
# student's process; the grader's own package sits next to the reference.
CALLS_THE_REFERENCE = """
import importlib
import sys

for name, module in list(sys.modules.items()):
    if name.startswith("_library_") and hasattr(module, "lstm_backward"):
        return module.lstm_backward(dhs, dh, dc, cache)
grader = importlib.import_module("minilstm.assignment")
return grader.checks_lstm.lstm.lstm_backward(dhs, dh, dc, cache)
"""


def test_the_reference_cannot_be_reached_from_the_students_process(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    plant(workspace, "lstm.py", "lstm_backward", CALLS_THE_REFERENCE)
    results = grade(workspace, parts=["bptt", "lstm_step_backward"])
    assert scores(results) == {
        "bptt": 0,
        "lstm_step_backward": FULL["lstm_step_backward"],
    }
    assert results[0].output.startswith(
        "lstm_backward raised ModuleNotFoundError: "
        "No module named 'minilstm.assignment'"
    )


def test_a_flood_of_output_is_cut_and_costs_nothing_when_the_code_is_right(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    keep_library_copy(workspace, "dense.py", "dense_backward")
    body = (
        'import sys\nsys.stdout.write("y" * 50_000_000)\n'
        "return library_dense_backward(dy, cache)"
    )
    plant(workspace, "dense.py", "dense_backward", body)
    plant(
        workspace,
        "losses.py",
        "mse_backward",
        'import sys\nwhile True:\n    sys.stderr.write("x" * 65536)',
    )
    # 6 s: the dense check takes under 1 s here, its 150 MB through a pipe included.
    results = grade(workspace, parts=["dense_backward", "mse_backward"], timeout=6)
    assert scores(results) == {"dense_backward": 10, "mse_backward": 0}
    dense, mse = results
    # 50 MB for each of the check's three shapes.
    kept = f"stdout: 150000000 bytes, of which the first and last {KEEP} were kept"
    assert kept in dense.output
    assert mse.output.startswith("mse_backward did not finish within the time limit")
    assert "bytes, of which the first and last" in mse.output.rpartition("stderr: ")[2]
    assert len(mse.output) < 2 * KEEP + 1000


# Each ends its call in another way; lstm_step_forward, left correct, must keep its
# points.
ENDINGS = {
    "dense_backward": (
        "dense.py",
        "dense_backward",
        "big = np.zeros(20 * 2**30 // 8)  # 20 GB\nreturn big",
        "dense_backward ran out of memory (MemoryError: Unable to allocate 20.0 GiB",
    ),
    "mse_backward": (
        "losses.py",
        "mse_backward",
        "import sys\nsys.exit(0)",
        "mse_backward called sys.exit(0) (SystemExit): a function must return its "
        "result",
    ),
    "adam": (
        "optimizers.py",
        "Adam.update_step",
        "raise KeyboardInterrupt",
        "Adam.update_step raised KeyboardInterrupt (at minilstm/optimizers.py:",
    ),
    "predict": (
        "seq2seq.py",
        "Seq2Seq.predict",
        "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
        "Seq2Seq.predict was stopped by the signal SIGSEGV",
    ),
}


def test_every_way_a_function_can_end_is_reported_against_it(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    for module, qualname, body, _ in ENDINGS.values():
        plant(workspace, module, qualname, body)
    parts = [*ENDINGS, "lstm_step_forward"]
    results = grade(workspace, parts=parts)
    assert scores(results) == {**dict.fromkeys(ENDINGS, 0), "lstm_step_forward": 10}
    for r in results[:-1]:
        assert r.output.startswith(ENDINGS[r.part][3]), r.output
    assert "the grader allows 2048 MB per part" in results[0].output


def test_the_student_process_imports_the_workspace_and_numpy_only(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    report = tmp_path / "seen.json"
    body = f"""
import json
import sys
from pathlib import Path

files = [
    str(Path(m.__file__).resolve()) for n, m in sys.modules.items() if "minilstm" in n
]
Path({str(report)!r}).write_text(json.dumps({{"path": sys.path, "files": files}}))
return dloss * 2 * cache.diff / cache.diff.size
"""
    plant(workspace, "losses.py", "mse_backward", body)
    (result,) = grade(workspace, parts=["mse_backward"])
    assert result.score == PARTS["mse_backward"].points
    seen = json.loads(report.read_text())
    assert seen["path"][0] == str(workspace.resolve())
    assert not any("site-packages" in entry for entry in seen["path"])
    assert seen["files"] and all(
        Path(f).is_relative_to(workspace.resolve()) for f in seen["files"]
    )


# The results pipe, written to by the student's code itself: a header that promises
# 6 GB of arrays, then /dev/zero without end. The grader reads the header, refuses it,
# stops listening and does not block; the same without a separate user.
FLOODS_THE_RESULTS_PIPE = """
import json as _json, os as _os, struct as _struct, sys as _sys

_header = _json.dumps(
    {"kind": "result", "key": "0", "record": {"result": {"a": "x"}},
     "arrays": [["x", "<f8", [800_000_000]]]}
).encode()
try:
    _os.write(int(_sys.argv[1]), _struct.pack("<Q", len(_header)) + _header)
    _zero = open("/dev/zero", "rb")
    while True:
        _os.write(int(_sys.argv[1]), _zero.read(1 << 20))
except OSError:
    pass
"""


def test_what_the_students_process_sends_is_bounded_without_a_user_too(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    init = workspace / "minilstm" / "__init__.py"
    init.write_text(init.read_text() + FLOODS_THE_RESULTS_PIPE)
    (result,) = grade(workspace, parts=["mse_backward"], timeout=20)
    assert result.score == 0
    assert "the grader stopped listening" in result.output
    assert "arrays of over 268435456 bytes in all" in result.output


def library_function(module: str, qualname: str) -> str:
    """The library's source of one function or method, as its module has it."""
    source = (Path(minilstm.__file__).parent / module).read_text()
    node = find_function(parse(source), qualname)
    return "".join(source.splitlines(keepends=True)[node.lineno - 1 : node.end_lineno])


def test_a_part_runs_on_the_graders_stand_ins_for_the_parts_it_calls(tmp_path):
    # lstm_backward and predict written, the steps they call still stubs: the grader
    # computes those steps for the student's process, so both parts pass, and the
    # step part itself does not.
    workspace = init_workspace(tmp_path / "ws")
    for module, qualname in [
        ("lstm.py", "lstm_backward"),
        ("seq2seq.py", "Seq2Seq.predict"),
    ]:
        path = workspace / "minilstm" / module
        source = path.read_text()
        node = find_function(parse(source), qualname)
        lines = source.splitlines(keepends=True)
        path.write_text(
            "".join(lines[: node.lineno - 1])
            + library_function(module, qualname)
            + "".join(lines[node.end_lineno :])
        )
    results = grade(workspace, parts=["bptt", "predict", "lstm_step_backward"])
    assert scores(results) == {"bptt": 20, "predict": 15, "lstm_step_backward": 0}
