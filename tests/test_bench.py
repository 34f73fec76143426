"""The benchmark command runs end to end. Its numbers are not checked here: speed and
memory are measured by the benchmark itself, never asserted by timed tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from minilstm import bench

ROOT = Path(__file__).resolve().parents[1]


def run_bench(
    *args: str, out: Path, pythonpath: list[Path] = ()
) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PYTHONPATH"] = os.pathsep.join(
        [*map(str, pythonpath), str(ROOT), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "minilstm.bench", *args, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    return run_bench("--quick", out=out), out


def test_quick_run_prints_both_sides_tables(quick_run):
    done, out = quick_run
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for heading in ("## The article's workload", "## Scaling"):
        assert heading in text
    fit_row = next(
        line for line in text.splitlines() if line.startswith("| `fit`, batch 10")
    )
    # minilstm, Keras and their comparison are all filled in: the Keras side ran.
    assert fit_row.count("|") == 6 and ("x faster" in fit_row or "x slower" in fit_row)
    assert "Keras side: Keras" in text and "BLAS: " in text
    # The header names the CPU and the SIMD extensions NumPy dispatches to.
    assert f"- CPU: {bench.cpu_name()}, " in text
    assert "NumPy's SIMD extensions: " in text
    sweep_rows = [
        line for line in text.splitlines() if line.startswith(("| window", "| units"))
    ]
    assert len(sweep_rows) == 4
    assert (out / "results.md").read_text() in text
    memory_row = next(
        line for line in text.splitlines() if line.startswith("| peak memory")
    )
    # Linux has /proc, where the peak is measured; elsewhere the row says n/a.
    assert ("n/a" in memory_row) == (not Path("/proc/self/status").exists())


def test_quick_run_writes_the_sweep_plot(quick_run):
    _, out = quick_run
    png = (out / "sweep.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_without_tensorflow_the_keras_columns_are_skipped_with_a_note(tmp_path):
    # A stand-in ``keras`` package that fails to import, as it does without TensorFlow.
    fake = tmp_path / "no_tensorflow"
    (fake / "keras").mkdir(parents=True)
    (fake / "keras" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'tensorflow'\")\n"
    )
    done = run_bench("--quick", "--no-sweep", out=tmp_path / "out", pythonpath=[fake])
    assert done.returncode == 0, done.stderr
    assert (
        "> Keras columns skipped: the Keras reference cannot be imported" in done.stdout
    )
    assert "No module named 'tensorflow'" in done.stdout
    fit_row = next(
        line for line in done.stdout.splitlines() if line.startswith("| `fit`")
    )
    assert "| - | - |" in fit_row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rounds", "0"], "argument --rounds: must be an integer >= 1; got '0'"),
        (["--rounds", "x"], "argument --rounds: must be an integer >= 1; got 'x'"),
        (["--fast"], "unrecognized arguments: --fast"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("python -m minilstm.bench: error: ") and message in err


def test_an_out_folder_that_cannot_be_made_is_a_bad_argument(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--out", str(blocker / "sub")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --out: cannot write to folder" in err


def test_sides_alternate_which_goes_first():
    assert bench.alternate(3, ["a", "b"]) == ["a", "b", "b", "a", "a", "b"]


def test_comparison_wording():
    assert bench.versus(keras=6.0, mine=1.0) == "6.0x faster"
    assert bench.versus(keras=1.0, mine=1.5) == "1.50x slower"
