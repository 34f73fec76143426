"""The self-check a workspace ships: NumPy only, the library's outputs on other inputs
than the grader's, and the installed library out of its reach."""

import re
import subprocess
import sys

import numpy as np
import pytest
from test_assignment import (
    ADAM_WITHOUT_BIAS_CORRECTION,
    FORGET_GATE_USES_C_T,
    OTHER_MISTAKES,
    PLANTED,
    RECURRENT_GRADIENT_NOT_CARRIED,
    keep_library_copy,
    plant,
)

from minilstm.assignment import PARTS, grade, init_workspace
from minilstm.assignment.__main__ import main
from minilstm.assignment.checks import CHECKS
from minilstm.assignment.parts import DEFAULT_PARTS
from minilstm.assignment.selfcheck import record_part, run_selfcheck
from minilstm.assignment.session import Recorder
from minilstm.assignment.workspace import library_markers

pytestmark = pytest.mark.slow  # runs the self-check end to end


def verdicts(output: str) -> dict[str, str]:
    """Each part's verdict in a self-check's report."""
    found, part = {}, None
    for line in output.splitlines():
        if match := re.fullmatch(r"\S.* \((\w+)\)", line):
            part = match.group(1)
        elif line.startswith("  -> "):
            found[part] = line[5:].split(":")[0].lower()
    return found


@pytest.fixture(scope="module")
def solution(tmp_path_factory):
    """A workspace with every part handed out, the opt-in ones too."""
    path = tmp_path_factory.mktemp("ws") / "solution"
    return init_workspace(path, parts=list(PARTS), solution=True)


def test_the_reference_code_passes_every_part(solution):
    run = run_selfcheck(solution)
    assert run.returncode == 0, run.stdout + run.stderr
    assert verdicts(run.stdout) == dict.fromkeys(PARTS, "passed")
    assert f"{len(PARTS)} of {len(PARTS)} parts passed." in run.stdout
    assert "below 1e-08" in run.stdout


def test_stubs_are_not_written_yet_and_the_status_says_so(tmp_path, capsys):
    workspace = init_workspace(tmp_path / "ws", parts=["bptt", "adam"])
    run = run_selfcheck(workspace)
    assert run.returncode == 1
    assert verdicts(run.stdout) == dict.fromkeys(["bptt", "adam"], "not written yet")
    assert "lstm_backward still raises NotImplementedError" in run.stdout
    with pytest.raises(SystemExit) as exited:
        main(["check", str(workspace), "adam"])
    assert exited.value.code == 1


@pytest.mark.parametrize(
    ("part", "module", "qualname", "body"),
    [
        ("bptt", "lstm.py", "lstm_backward", RECURRENT_GRADIENT_NOT_CARRIED),
        ("adam", "optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION),
    ],
)
def test_a_planted_mistake_fails_its_part_only(part, module, qualname, body, tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    if f"library_{qualname}" in body:
        keep_library_copy(workspace, module, qualname)
    run = run_selfcheck(plant(workspace, module, qualname, body))
    assert run.returncode == 1
    assert verdicts(run.stdout) == {
        **dict.fromkeys(DEFAULT_PARTS, "passed"),
        part: "failed",
    }
    assert "first problem: " in run.stdout and "too large" in run.stdout


def test_a_part_that_uses_a_wrong_earlier_part_fails_with_a_note(tmp_path):
    # lstm_backward runs the student's lstm_step_backward: the self-check has no
    # reference code to stand in for it, unlike the grader. Adam runs no other part:
    # its failure gets no note.
    workspace = init_workspace(tmp_path / "ws", solution=True)
    plant(workspace, "lstm.py", "lstm_cell_backward", FORGET_GATE_USES_C_T)
    plant(workspace, "optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION)
    run = run_selfcheck(workspace, ["lstm_step_backward", "bptt", "adam"])
    assert verdicts(run.stdout) == dict.fromkeys(
        ["lstm_step_backward", "bptt", "adam"], "failed"
    )
    reports = run.stdout.split("\n\n")
    note = "it runs your lstm_step_backward too, which failed: that may be the cause"
    assert [note in report for report in reports[:3]] == [False, True, False]


def test_calls_are_counted_per_function_as_the_student_counts_them(tmp_path):
    workspace = init_workspace(tmp_path / "ws", parts=["mse_backward", "adam"])
    # dloss is 1 in the first call and 0.5 in the second: only the second fails.
    plant(
        workspace,
        "losses.py",
        "mse_backward",
        "return 2.0 * cache.diff / cache.diff.size",
    )
    plant(workspace, "optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION)
    run = run_selfcheck(workspace)
    assert "first problem: mse_backward, call 2 of 3: dy_pred" in run.stdout
    assert "dloss is not used" in run.stdout
    # Adam's constructor is a call of its own, not the first of update_step; the
    # step is compared, not the weights after it.
    assert "first problem: Adam.update_step, call 1 of 8: step of variables[0]" in (
        run.stdout
    )


# Every mistake the kit's tests plant (tests/test_assignment.py), with the words by
# which the grader names it.
CASES = [(p, *PLANTED[p][:3], PLANTED[p][3][-1]) for p in sorted(PLANTED)]
CASES += [tuple(case) for case in OTHER_MISTAKES]


@pytest.mark.slow
@pytest.mark.parametrize(("part", "module", "qualname", "body", "words"), CASES)
def test_the_self_check_names_each_mistake_the_grader_names(
    part, module, qualname, body, words, tmp_path
):
    workspace = init_workspace(tmp_path / "ws", parts=[part], solution=True)
    if f"library_{qualname}" in body:
        keep_library_copy(workspace, module, qualname)
    plant(workspace, module, qualname, body)
    (graded,) = grade(workspace, parts=[part])
    run = run_selfcheck(workspace, [part])
    assert graded.score == 0 and verdicts(run.stdout) == {part: "failed"}
    # The self-check names at least every mistake the grader names, in its words.
    assert words in graded.output
    assert words in run.stdout, run.stdout
    assert ("Likely mistake: " in graded.output) <= ("Likely mistake: " in run.stdout)


def test_the_installed_library_is_out_of_reach(tmp_path):
    workspace = init_workspace(tmp_path / "ws", solution=True)
    plant(
        workspace,
        "losses.py",
        "mse_backward",
        "from minilstm.assignment import checks\n"
        "return checks.losses.mse_backward(dloss, cache)",
    )
    run = run_selfcheck(workspace, ["mse_backward", "dense_backward"])
    assert verdicts(run.stdout) == {
        "mse_backward": "failed",
        "dense_backward": "passed",
    }
    assert (
        "mse_backward raised ModuleNotFoundError: No module named 'minilstm.assignment'"
        in run.stdout
    )


def test_the_script_imports_its_own_folders_minilstm_from_anywhere(tmp_path):
    # Run as a student would, with the installed minilstm importable: the workspace's
    # planted mistake must still be what is checked.
    workspace = init_workspace(tmp_path / "ws", solution=True)
    plant(workspace, "optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION)
    run = subprocess.run(
        [sys.executable, str(workspace / "selfcheck.py"), "adam", "mse_backward"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verdicts(run.stdout) == {"adam": "failed", "mse_backward": "passed"}


def test_the_shipped_data_has_no_pickles_and_other_inputs_than_the_grader(tmp_path):
    workspace = init_workspace(tmp_path / "ws", parts=list(PARTS))
    for part in PARTS:
        with np.load(workspace / "selfcheck_data" / f"{part}.npz") as data:
            shipped = dict(data)  # allow_pickle is False by default
        _, again = record_part(workspace, part, library_markers())
        assert shipped.keys() == again.keys()
        recorder = Recorder(workspace)
        CHECKS[part](recorder)
        graders = recorder.encoder.arrays.values()
        inputs = [a for k, a in shipped.items() if k.startswith("in_") and a.size > 4]
        assert inputs, part
        for a in inputs:
            assert not any(a.shape == b.shape and np.allclose(a, b) for b in graders)


def test_check_refuses_a_folder_without_a_self_check(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["check", str(tmp_path)])
    assert exited.value.code == 2
    assert "has no selfcheck.py" in capsys.readouterr().err
