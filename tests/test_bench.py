"""The benchmark command runs end to end. Its numbers are not checked here: speed and
memory are measured by the benchmark itself, never asserted by timed tests."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from minilstm.bench.__main__ import main
from minilstm.bench.compare import versus, versus_rounds
from minilstm.bench.machine import (
    ISA_LIMITS,
    OPENBLAS_OVERRIDES,
    cpu_name,
    environment,
)
from minilstm.bench.measure import QUICK, Results, ScaleRow
from minilstm.bench.scale import scale_table
from minilstm.bench.timing import alternate

pytestmark = pytest.mark.slow  # runs the bench, each side in a process

ROOT = Path(__file__).resolve().parents[1]
# PyTorch is optional and not in the test extra: the quick run checks its columns where
# it is installed and its note where it is not; a test below hides it to check the note.
HAS_TORCH = importlib.util.find_spec("torch") is not None


def run_bench(
    *args: str,
    out: Path,
    pythonpath: list[Path] = (),
    unset: tuple[str, ...] = (),
    **settings: str,
) -> subprocess.CompletedProcess:
    """The bench's command line in a fresh Python, its environment this one's less the
    variables named in ``unset``, with ``settings`` added."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for name in unset:
        env.pop(name, None)
    env.update(settings)
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


def cells(text: str, row_start: str) -> list[str]:
    """The cells of the table row of ``text`` that starts with ``row_start``."""
    row = next(line for line in text.splitlines() if line.startswith(row_start))
    return [cell.strip() for cell in row.split("|")[1:-1]]


RATIO = re.compile(r"[\d.]+x (faster|slower)(; faster in \d+ of \d+ rounds)?")


def is_ratio(cell: str) -> bool:
    return RATIO.fullmatch(cell) is not None


def test_quick_run_prints_every_sides_tables(quick_run):
    done, out = quick_run
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for heading in ("## The article's workload", "## minilstm alone", "## Scaling"):
        assert heading in text
    # Measurement, minilstm, PyTorch, Keras, the two comparisons, the target.
    for row in ("| `fit`, float32 (s)", "| batched decode, 76 windows x 24 steps"):
        row_cells = cells(text, row)
        assert len(row_cells) == 7
        # Keras and its comparison are filled in: the Keras side ran.
        assert is_ratio(row_cells[5])
        assert is_ratio(row_cells[4]) == HAS_TORCH
    # Keras runs in float32 only: the float64 rows compare with its float32 time.
    keras_fit = [cells(text, f"| `fit`, float{bits} (s)")[3] for bits in (32, 64)]
    assert keras_fit[0] == keras_fit[1]
    assert "Keras side: Keras" in text and "BLAS: " in text
    if HAS_TORCH:
        assert "- PyTorch side: PyTorch " in text
    else:
        assert "> PyTorch columns skipped: PyTorch cannot be imported" in text
    # The header names the CPU and the SIMD extensions NumPy dispatches to.
    assert f"- CPU: {cpu_name()}, " in text
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
    done = run_bench(
        "--quick", "--no-sweep", "--no-pytorch", out=tmp_path / "out", pythonpath=[fake]
    )
    assert done.returncode == 0, done.stderr
    assert (
        "> Keras columns skipped: the Keras reference cannot be imported" in done.stdout
    )
    assert "No module named 'tensorflow'" in done.stdout
    assert 'Install it with pip install -e ".[keras]".' in done.stdout
    assert "> PyTorch columns skipped: --no-pytorch." in done.stdout
    for row in ("| `fit`, float32", "| `fit`, float64", "| batched decode"):
        # minilstm's time, then dashes for PyTorch, Keras and both comparisons.
        assert cells(done.stdout, row)[2:6] == ["-"] * 4


def test_without_torch_the_pytorch_columns_are_skipped_with_a_note(tmp_path):
    # A stand-in ``torch`` that fails to import, as where PyTorch is not installed.
    fake = tmp_path / "no_torch"
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\")\n"
    )
    done = run_bench(
        "--quick",
        "--no-sweep",
        "--no-keras",
        out=tmp_path / "out",
        pythonpath=[fake],
    )
    assert done.returncode == 0, done.stderr
    assert (
        "> PyTorch columns skipped: PyTorch cannot be imported "
        "(No module named 'torch'). "
        "Install it with pip install torch (a CPU build: docs/performance.md)."
    ) in done.stdout
    assert "PyTorch side:" not in done.stdout
    for row in ("| `fit`, float32", "| `fit`, float64", "| batched decode"):
        assert cells(done.stdout, row)[2:6] == ["-"] * 4


# A quick run of minilstm's sides alone: the OpenBLAS tests need no other side.
MINILSTM_ONLY = ("--quick", "--no-sweep", "--no-keras", "--no-pytorch")
OWN_KERNEL_ROWS = (
    "| `fit` with OpenBLAS's own kernel, float32 (s)",
    "| `fit` with OpenBLAS's own kernel, float64 (s)",
    "| batched decode, 76 windows x 24 steps with OpenBLAS's own kernel, float32 (ms)",
    "| batched decode, 76 windows x 24 steps with OpenBLAS's own kernel, float64 (ms)",
)


def test_with_openblas_overrides_set_minilstm_also_runs_without_them(tmp_path):
    done = run_bench(
        *MINILSTM_ONLY,
        out=tmp_path,
        OPENBLAS_CORETYPE="Haswell",
        OPENBLAS_L2_SIZE="512",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    overrides = "OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512"
    assert f"- OpenBLAS overrides: {overrides}" in lines
    # The second minilstm process reports its own BLAS: started without the overrides.
    own = next(line for line in lines if line.startswith('- rows "with OpenBLAS'))
    assert "started without OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE" in own
    assert own.endswith("OpenBLAS overrides: none (its own choice)")
    for row in OWN_KERNEL_ROWS:
        assert float(cells(done.stdout, row)[1]) > 0


@pytest.mark.parametrize(
    ("args", "settings"),
    [
        ((), {}),
        (("--no-own-kernel",), {"OPENBLAS_CORETYPE": "Haswell"}),
    ],
    ids=["no override set", "--no-own-kernel"],
)
def test_minilstm_runs_once_without_overrides_or_with_no_own_kernel(
    args, settings, tmp_path
):
    done = run_bench(
        *MINILSTM_ONLY,
        *args,
        out=tmp_path,
        unset=OPENBLAS_OVERRIDES,
        **settings,
    )
    assert done.returncode == 0, done.stderr
    assert "| `fit`, float32 (s)" in done.stdout
    assert "OpenBLAS's own kernel" not in done.stdout


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
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("python -m minilstm.bench: error: ") and message in err


def test_an_out_folder_that_cannot_be_made_is_a_bad_argument(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(blocker / "sub")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --out: cannot write to folder" in err


def test_a_refused_run_leaves_no_out_folder(tmp_path, capsys):
    out = tmp_path / "new" / "results"
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(out), "--rounds", "0"])  # --rounds is refused after --out
    assert exit_info.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_sides_alternate_which_goes_first():
    assert alternate(3, ["a", "b"]) == ["a", "b", "b", "a", "a", "b"]


def test_comparison_wording():
    assert versus(other=6.0, mine=1.0) == "6.0x faster"
    assert versus(other=1.0, mine=1.5) == "1.50x slower"
    assert versus(other=1.05, mine=1.0) == "1.05x faster"


def test_near_par_the_comparison_also_counts_the_rounds_minilstm_won():
    # The median of the rounds' ratios (1.2, 0.9, 1.5), and the rounds above 1.
    mine = [1.0, 1.0, 1.0]
    assert versus_rounds([1.2, 0.9, 1.5], mine) == (
        "1.20x faster; faster in 2 of 3 rounds"
    )
    assert versus_rounds([0.9, 0.8, 1.1], mine) == (
        "1.11x slower; faster in 1 of 3 rounds"
    )
    # Far from par every round agrees, and the count would only repeat the ratio.
    assert versus_rounds([5.0, 6.0, 7.0], mine) == "6.0x faster"


def test_the_header_names_instruction_set_limits_only_when_set(monkeypatch):
    for name in ISA_LIMITS:
        monkeypatch.delenv(name, raising=False)
    assert not any("instruction-set limits" in line for line in environment())
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert (
        "- instruction-set limits: ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2"
        in environment()
    )


def test_the_cpu_is_named_with_its_family_and_model(tmp_path):
    # Two CPU generations that a virtual machine both calls "AMD EPYC".
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"
        "model name\t: AMD EPYC\nflags\t\t: fpu avx2\n\n"
        "processor\t: 1\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: other\n"
    )
    assert cpu_name(str(cpuinfo)) == "AMD EPYC (family 26, model 2)"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\n")
    assert cpu_name(str(cpuinfo)) == "Some CPU"


# The scale table's columns: the size, minilstm's and PyTorch's float32 times and their
# comparison, the float32 floor and each side's multiple of it, minilstm's float64 time
# and floor, the two peaks.
SCALE_HEADER = [
    "H",
    "N",
    "T",
    "minilstm float32 (ms)",
    "PyTorch float32 (ms)",
    "minilstm vs PyTorch, float32",
    "floor float32 (ms)",
    "minilstm float32 ÷ floor",
    "PyTorch float32 ÷ floor",
    "minilstm float64 (ms)",
    "floor float64 (ms)",
    "peak MB, minilstm",
    "peak MB, PyTorch",
]
NUMBER = re.compile(r"\d+(\.\d+)?")


@pytest.fixture(scope="module")
def scale_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    return run_bench("--scale", "--quick", out=out), out


def test_scale_prints_a_row_per_size_under_its_header_and_nothing_else(scale_run):
    done, out = scale_run
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "## Scale: one training epoch as the model grows" in text
    for other in ("## The article's workload", "## minilstm alone", "## Scaling"):
        assert other not in text
    assert "Keras side" not in text  # the scale table compares with PyTorch only
    assert cells(text, "| H | N | T |") == SCALE_HEADER
    for units, batch_size, window in QUICK.scale:
        row = cells(text, f"| {units} | {batch_size} | {window} |")
        assert len(row) == len(SCALE_HEADER)
        times = dict(zip(SCALE_HEADER, row, strict=True))
        for column in ("minilstm float32 (ms)", "minilstm float64 (ms)"):
            assert NUMBER.fullmatch(times[column]) and float(times[column]) > 0
        for column in ("floor float32 (ms)", "floor float64 (ms)"):
            assert NUMBER.fullmatch(times[column])
        assert re.fullmatch(r"\d+\.\dx", times["minilstm float32 ÷ floor"])
        torch_over_floor = times["PyTorch float32 ÷ floor"]
        assert bool(re.fullmatch(r"\d+\.\dx", torch_over_floor)) == HAS_TORCH
        assert is_ratio(times["minilstm vs PyTorch, float32"]) == HAS_TORCH
        assert (
            NUMBER.fullmatch(times["PyTorch float32 (ms)"]) is not None
        ) == HAS_TORCH
        # Linux has /proc, where the peaks are measured.
        if Path("/proc/self/status").exists():
            assert float(times["peak MB, minilstm"]) > 0
            assert (times["peak MB, PyTorch"] != "-") == HAS_TORCH
    assert (out / "results.md").read_text() in text
    assert not (out / "sweep.png").exists()


def test_the_scale_table_marks_the_articles_size_and_dashes_a_missing_side():
    # Made-up times: one size with every side, the article's without PyTorch.
    results = Results(
        scale=[
            ScaleRow(
                512,
                128,
                100,
                epoch={
                    ("minilstm", "float32"): [2.0, 2.0, 3.0],
                    ("PyTorch", "float32"): [2.2, 2.4, 3.3],
                    ("minilstm", "float64"): [4.0, 4.0, 4.0],
                },
                floor={"float32": 0.5, "float64": 1.0},
                memory={"minilstm": 123.4, "PyTorch": None},
            ),
            ScaleRow(
                75,
                10,
                24,
                epoch={
                    ("minilstm", "float32"): [0.012],
                    ("minilstm", "float64"): [0.015],
                },
                floor={"float32": 0.0004, "float64": 0.0005},
                memory={"minilstm": 50.0},
            ),
        ]
    )
    text = "\n".join(scale_table(results, QUICK))
    assert cells(text, "| 512 | 128 | 100 |") == [
        "512",
        "128",
        "100",
        "2000.0",
        "2400.0",
        "1.10x faster; faster in 3 of 3 rounds",
        "500.0",
        "4.0x",
        "4.8x",
        "4000.0",
        "1000.0",
        "123",
        "n/a",
    ]
    assert cells(text, "| 75 | 10 | 24") == [
        "75",
        "10",
        "24 (the article's)",
        "12.0",
        "-",
        "-",
        "0.40",
        "30.0x",
        "-",
        "15.0",
        "0.50",
        "50",
        "-",
    ]


def test_the_attention_table_gives_each_ratio_to_the_run_without():
    from minilstm.bench.attention import attention_table
    from minilstm.bench.measure import QUICK, Results

    results = Results()
    for dtype in ("float32", "float64"):
        results.attention[None, dtype] = [2.0, 4.0]
        results.attention["dot", dtype] = [2.2, 4.4]  # 1.1x in both rounds
        results.attention["additive", dtype] = [3.0, 6.0]  # 1.5x
    table = attention_table(results, QUICK)
    assert "| float64 | dot | 3.300 | 1.10x | met |" in table
    assert "| float32 | additive | 4.500 | 1.50x | missed |" in table
    assert "| float32 | none | 3.000 | 1.00x | - |" in table


def test_the_additive_table_sets_each_piece_beside_the_budget():
    from minilstm.bench.attention import attention_table
    from minilstm.bench.measure import QUICK, Results

    results = Results(attention_batches=100)
    for dtype in ("float32", "float64"):
        for kind in (None, "dot", "additive"):
            results.attention[kind, dtype] = [2.0, 4.0]  # 30 ms a batch
    pieces = {"pairs": 1e-3, "tanh": 2e-3, "scores": 3e-3, "forward": 4e-3}
    results.additive["float64"] = {**pieces, "backward": 5e-3}
    table = attention_table(results, QUICK)
    assert "| float64 | 30.00 | 9.00 | 1.00 | 2.00 | 3.00 | 4.00 | 5.00 |" in table


def test_the_additive_pieces_are_timed_on_the_articles_batch():
    from minilstm.bench.sides import MinilstmSide

    pieces = MinilstmSide().additive_seconds("float32", repeats=1)
    assert list(pieces) == ["pairs", "tanh", "scores", "forward", "backward"]
    assert all(0 < seconds < 10 for seconds in pieces.values())
