"""Points a teacher sets: per part, from options or a JSON file; the end-to-end check
worth its usual share of the parts handed out, or what the teacher says (0: left out).
"""

import json

import pytest

from minilstm.assignment import grade
from minilstm.assignment.__main__ import main
from minilstm.assignment.grader import read_config
from minilstm.assignment.parts import (
    DEFAULT_PARTS,
    PARTS,
    parse_points,
    points_for,
)

pytestmark = pytest.mark.slow  # hands out and grades a workspace


def test_the_end_to_end_check_is_worth_its_share_of_the_parts_handed_out():
    assert points_for(list(PARTS))["end_to_end"] == 10  # 10 of 100, as always
    assert points_for(["mse_backward"])["end_to_end"] == 1  # 5 x 10/90, at least 1
    assert points_for(["bptt", "adam"])["end_to_end"] == 3  # 30 x 10/90
    assert points_for(["bptt"], {"bptt": 90})["end_to_end"] == 10
    assert points_for(["bptt"], {"end_to_end": 0})["end_to_end"] == 0
    # The end-to-end model runs no SimpleRNN or GRU step and no attention: those parts
    # add nothing.
    assert points_for([*DEFAULT_PARTS, "gru_step_backward"])["end_to_end"] == 10
    assert points_for(["bptt", "rnn_step_backward"])["end_to_end"] == 2  # 20 x 10/90
    assert points_for(["gru_step_forward", "gru_step_backward"])["end_to_end"] == 0
    assert points_for(["bptt", "attention_backward"])["end_to_end"] == 2
    assert points_for(["attention_forward", "attention_backward"])["end_to_end"] == 0


def test_points_come_from_options_and_json_files_and_bad_ones_are_refused(tmp_path):
    file = tmp_path / "points.json"
    file.write_text(json.dumps({"bptt": 30, "adam": 5}))
    assert parse_points([str(file), "adam=7", "end_to_end=0"]) == {
        "bptt": 30,
        "adam": 7,
        "end_to_end": 0,
    }
    for bad in (["bptt=-1"], ["bptt=x"], [str(tmp_path / "missing.json")]):
        with pytest.raises(ValueError):
            parse_points(bad)
    with pytest.raises(ValueError, match="unknown parts"):
        points_for(["bptt"], {"bppt": 3})


def test_init_writes_the_points_and_grade_scores_with_them(tmp_path, capsys):
    workspace = tmp_path / "ws"
    argv = [
        "init",
        str(workspace),
        "--parts",
        "mse_backward",
        "dense_backward",
        "--solution",
    ]
    assert main([*argv, "--points", "mse_backward=25", "end_to_end=0"]) == 0
    readme = (workspace / "README.md").read_text()
    assert "| MSE backward | 25 |" in readme and "Total: 35 points." in readme
    assert "End to end" not in readme
    # The teacher keeps a copy of the manifest: the student may edit theirs.
    kept = tmp_path / "teacher.json"
    kept.write_text((workspace / "assignment.json").read_text())
    config = read_config(kept)
    results = grade(workspace, handed_out=config["parts"], points=config["points"])
    assert [(r.part, r.score, r.max_score) for r in results] == [
        ("dense_backward", 10, 10),
        ("mse_backward", 25, 25),
    ]
    # A teacher's options at grading time win over the teacher's file.
    capsys.readouterr()
    argv = ["grade", str(workspace), "--config", str(kept)]
    assert main([*argv, "--points", "dense_backward=2"]) == 0
    assert capsys.readouterr().out.splitlines()[3].split()[-1] == "27/27"
