"""The command-line plumbing: bad arguments end in exit status 2, one line on stderr."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minilstm as ml
from minilstm.cli import (
    ArgumentParser,
    available_memory,
    file_to_write,
    folder_to_write,
    format_bytes,
    non_negative_int,
    positive_float,
    positive_int,
    run,
)
from minilstm.data import load_task

PROG = "python -m minilstm.example"


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (positive_int, "3", 3),
        (non_negative_int, "0", 0),
        (positive_float, "1e-3", 1e-3),
    ],
)
def test_types_accept_good_values(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (positive_int, "0", "an integer >= 1"),
        (positive_int, "-4", "an integer >= 1"),
        (positive_int, "2.5", "an integer >= 1"),
        (positive_int, "ten", "an integer >= 1"),
        (non_negative_int, "-1", "an integer >= 0"),
        (positive_float, "0", "a finite number > 0"),
        (positive_float, "-1e-3", "a finite number > 0"),
        (positive_float, "nan", "a finite number > 0"),
        (positive_float, "inf", "a finite number > 0"),
        (positive_float, "fast", "a finite number > 0"),
    ],
)
def test_types_refuse_bad_values_saying_what_was_expected(parse, text, expected):
    with pytest.raises(
        argparse.ArgumentTypeError, match=f"must be {expected}; got '{text}'"
    ):
        parse(text)


def test_a_bad_argument_exits_2_with_one_line_naming_it(capsys):
    parser = ArgumentParser(prog=PROG)
    parser.add_argument("--epochs", type=positive_int)
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["--epochs", "0"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{PROG}: error: argument --epochs: must be an integer >= 1; got '0' (see "
        "--help)"
    ]


def failing(error: BaseException):
    def main():
        raise error

    return main


@pytest.mark.parametrize(
    ("main", "status", "line"),
    [
        (lambda: None, 0, None),
        (
            lambda: load_task("sin_cos", window=200),
            2,
            "window must be an integer between 1",
        ),
        (
            lambda: ml.Seq2Seq.load("/no/such/model.npz"),
            2,
            "/no/such/model.npz: no model file",
        ),
        (
            lambda: ml.Seq2Seq(units=2).save("/no/such/dir/m.npz"),
            2,
            "cannot write the model",
        ),
        (
            failing(ml.TrainingDivergedError("training diverged", 0, 0, None)),
            1,
            "diverged",
        ),
        (failing(KeyboardInterrupt()), 130, "interrupted"),
    ],
    ids=["ok", "bad value", "missing file", "unwritable", "diverged", "ctrl-c"],
)
def test_run_turns_library_errors_into_an_exit_status_and_one_line(
    capsys, main, status, line
):
    assert run(main, PROG) == status
    err = capsys.readouterr().err.splitlines()
    if line is None:
        assert err == []
    else:
        assert (
            len(err) == 1 and err[0].startswith(f"{PROG}: error: ") and line in err[0]
        )


def test_run_lets_a_bug_keep_its_traceback():
    with pytest.raises(ZeroDivisionError):
        run(failing(ZeroDivisionError("a bug")), PROG)


def test_folder_to_write_checks_a_missing_folder_and_leaves_it_missing(tmp_path):
    folder = folder_to_write(str(tmp_path / "a" / "b"))
    assert folder == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []


def test_folder_to_write_names_a_file_in_the_way(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(
        argparse.ArgumentTypeError, match=r"cannot write to folder .*: .*file is not a"
    ):
        folder_to_write(str(tmp_path / "file" / "out"))
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (320 * 10**9, "298.0 GB"),
        (10**30, "8.88E+14 PB"),
        (10**400, "8.88E+384 PB"),  # too large for a float
    ],
)
def test_format_bytes_counts_in_powers_of_1024(size, shown):
    assert format_bytes(size) == shown


def test_available_memory_is_at_most_the_physical_memory():
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < available_memory() <= physical


def test_available_memory_respects_an_address_space_limit():
    limit = 3 * 2**30
    code = (
        "import resource\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_AS)\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, hard))\n"
        "from minilstm.cli import available_memory\n"
        "print(available_memory())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == min(limit, available_memory())


def test_file_to_write_checks_the_folder_and_leaves_nothing(tmp_path):
    assert file_to_write(str(tmp_path / "out.json")) == tmp_path / "out.json"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("nodir/out.zip", "there is no folder '.*nodir'"),
        ("file/out.zip", "'.*file' is not a folder"),
        ("folder", "'.*folder' is a folder, not a file"),
    ],
)
def test_file_to_write_says_why_a_file_cannot_be_written(tmp_path, path, says):
    (tmp_path / "file").write_text("")
    (tmp_path / "folder").mkdir()
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        file_to_write(str(tmp_path / path))
