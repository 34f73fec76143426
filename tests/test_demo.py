"""``python -m minilstm.demo``: it trains, prints the table, writes real pictures, and
turns bad arguments away with one line and exit status 2."""

import dataclasses
import os
import struct
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

import minilstm as ml
from minilstm import article
from minilstm.data import TASKS, load_task
from minilstm.demo import experiment, keras_run, options, recipes
from minilstm.demo.__main__ import main

# Slow: runs the demo end to end. A picture whose legends or titles do not fit makes
# matplotlib's constrained layout give up with this warning: here it fails the test.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("error:constrained_layout not applied:UserWarning"),
]

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A few epochs of a small model: the pictures and the table, not the accuracy, are
# tested.
FAST = ["--epochs", "2", "--units", "8", "--quiet"]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header; fails unless the file starts like a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo on all three tasks, in-process, with its printed output."""
    out = tmp_path_factory.mktemp("demo") / "pictures"  # missing: the demo creates it
    buffer = StringIO()
    with redirect_stdout(buffer):
        status = main([*FAST, "--out", str(out)])
    return status, buffer.getvalue(), out


def listed_files(stdout: str) -> list[Path]:
    """The paths the demo lists on exit, one per line after 'pictures in'."""
    lines = stdout.split(" pictures in ", 1)[1].splitlines()[1:]
    return [Path(line.strip()) for line in lines if line.strip()]


def test_demo_runs_all_three_tasks_and_prints_the_summary_table(demo_run):
    status, stdout, _ = demo_run
    assert status == 0
    assert "final loss" in stdout and "autoregressive" in stdout
    assert "MSE, training windows" in stdout and "MSE, held-out windows" in stdout
    rows = [line.split() for line in stdout.splitlines()]
    table_rows = [row for row in rows if len(row) > 2 and row[1] == "minilstm"]
    assert [row[0] for row in table_rows] == list(TASKS)
    for row in table_rows:
        # final loss, then teacher-forced and autoregressive MSE on the training
        # windows, then on the held-out windows
        assert np.isfinite([float(v) for v in row[2:7]]).all()


def test_every_listed_file_is_a_png_of_real_size_in_the_out_folder(demo_run):
    _, stdout, out = demo_run
    paths = listed_files(stdout)
    # Per task: curves, loss, predictions; then the overview.
    assert len(paths) == 3 * len(TASKS) + 1
    assert {p.name for p in paths} >= {"all_tasks.png", "sin_cos_predictions.png"}
    for path in paths:
        assert path.parent == out
        width, height = png_size(path)
        assert width >= 600 and height >= 350
        # A blank 700x400 PNG is about 3 KB; drawn curves and text make 20 KB or more
        # (measured: 25 to 190 KB).
        assert path.stat().st_size > 10_000
    assert sorted(out.iterdir()) == sorted(paths)


def test_run_task_trains_as_one_fit_call_with_the_same_settings():
    settings = recipes.Settings(epochs=3, units=6, window=8, batch_size=16, seed=5)
    result = experiment.run_task("damped", settings, verbose=False)
    data = load_task("damped", window=8)
    model = ml.Seq2Seq(6, seed=5)
    history = model.fit(
        data.enc_x, data.dec_x, data.dec_y, epochs=3, batch_size=16, verbose=0
    )
    assert result.losses == history.history["loss"] == result.history["loss"]
    for a, b in zip(result.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    y = model.predict(data.enc_x)
    np.testing.assert_array_equal(result.predictions, y)
    assert result.autoregressive_mse == np.mean((y - data.dec_y) ** 2)
    assert result.train_seconds > 0


def test_exponential_decay_runs_from_the_first_rate_to_the_last_and_stays_there():
    schedule = recipes.exponential_decay(1e-2, 1e-5, steps=100)
    assert schedule(0) == pytest.approx(1e-2)
    assert schedule(50) == pytest.approx(np.sqrt(1e-2 * 1e-5))
    assert schedule(100) == pytest.approx(1e-5)
    assert schedule(1000) == pytest.approx(1e-5)


def test_command_line_options_override_the_recipe():
    args = options.parse_args(
        ["--recipe", "tuned", "--epochs", "7", "--task", "damped,sin_cos"]
    )
    tuned = recipes.RECIPES["tuned"]
    assert args.settings.epochs == 7
    assert args.settings.final_learning_rate == tuned.final_learning_rate
    assert args.settings.clipnorm == tuned.clipnorm
    assert args.task == ["damped", "sin_cos"]


def run_demo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "minilstm.demo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--epochs", "-3"], "--epochs"),
        (["--epochs", "many"], "--epochs"),
        (["--task", "tan_cot"], "unknown task 'tan_cot'"),
        (["--window", "100"], "--window 100 is too long"),
        (["--batch-size", "0"], "--batch-size"),
        (["--learning-rate", "-1"], "--learning-rate"),
        (["--optimizer", "adagrad"], "--optimizer"),
        (["--load", "no/such/model.npz", "--task", "sin_cos"], "no saved model"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line_and_no_traceback(args, says, tmp_path):
    proc = run_demo(*args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_out_folder_that_cannot_be_made_exits_2(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    proc = run_demo("--out", str(blocker / "pictures"), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "--out" in proc.stderr


def test_help_explains_every_option(tmp_path):
    proc = run_demo("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in [
        "--task",
        "--epochs",
        "--units",
        "--window",
        "--batch-size",
        "--optimizer",
        "--learning-rate",
        "--seed",
        "--out",
        "--quiet",
        "--show",
        "--save",
        "--load",
        "--compare-keras",
        "--recipe",
    ]:
        assert option in proc.stdout


def table_row(stdout: str, task: str, label: str) -> list[str]:
    """The summary table's row of ``task`` and model ``label``, split into cells."""
    rows = [line.split() for line in stdout.splitlines()]
    (row,) = [r for r in rows if r[:2] == [task, label]]
    return row


def test_a_saved_model_loads_and_decodes_exactly_as_it_did_after_training(tmp_path):
    models = tmp_path / "models"
    trained = StringIO()
    with redirect_stdout(trained):
        main(
            [
                *FAST,
                "--task",
                "damped",
                "--out",
                str(tmp_path / "a"),
                "--save",
                str(models),
            ]
        )
    assert (models / "damped.npz").is_file()
    loaded = StringIO()
    with redirect_stdout(loaded):
        main(
            [
                "--quiet",
                "--task",
                "damped",
                "--out",
                str(tmp_path / "b"),
                "--load",
                str(models),
            ]
        )
    before, after = (
        table_row(trained.getvalue(), "damped", "minilstm"),
        table_row(loaded.getvalue(), "damped", "minilstm"),
    )
    # Teacher-forced and autoregressive MSE, on the training and the held-out windows:
    # the same weights give the same numbers.
    assert after[3:7] == before[3:7]
    # A loaded model was not trained here: no loss, no time, and no loss picture.
    assert after[2] == "-" and after[7] == "-"
    assert not (tmp_path / "b" / "damped_loss.png").exists()
    assert (tmp_path / "b" / "damped_predictions.png").is_file()


def test_the_tuned_recipe_saves_its_model_without_the_schedule(tmp_path):
    path = tmp_path / "tuned.npz"
    with redirect_stdout(StringIO()):
        main(
            [
                *FAST,
                "--recipe",
                "tuned",
                "--task",
                "sin_cos",
                "--save",
                str(path),
                "--out",
                str(tmp_path / "out"),
            ]
        )
    model = ml.Seq2Seq.load(path)
    assert model.optimizer is None
    assert model.units == 8


def test_compare_keras_refuses_with_one_line_when_tensorflow_is_missing(
    monkeypatch, capsys
):
    monkeypatch.setattr(options, "module_exists", lambda name: name != "tensorflow")
    with pytest.raises(SystemExit) as exit_info:
        options.parse_args(["--compare-keras"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "needs tensorflow" in err


@pytest.mark.parametrize("recipe", ["article", "tuned"])
def test_keras_run_takes_the_same_steps_as_minilstm(recipe):
    """Keras starts from minilstm's weights and sees the batches in minilstm's order,
    with the same optimizer (for the tuned recipe: the same schedule, clipping and batch
    size 5), so both take the same steps. Measured over 3 epochs, float32 Keras against
    float64 minilstm: at most 6.4e-6 relative on the epoch losses and 2.3e-6 absolute on
    the predictions; the tolerances leave a margin of 10 or more, while another batch
    order changes the losses by 2e-3 (measured)."""
    pytest.importorskip("tensorflow", reason="the Keras reference needs TensorFlow")
    settings = dataclasses.replace(recipes.RECIPES[recipe], epochs=3, units=8, seed=3)
    ours = experiment.run_task("sin_cos", settings, verbose=False)
    theirs = keras_run.run_keras_task(
        "sin_cos", settings, ours.initial_weights, verbose=False
    )
    assert theirs.label == "Keras"
    np.testing.assert_allclose(theirs.losses, ours.losses, rtol=1e-4)
    np.testing.assert_allclose(theirs.predictions, ours.predictions, atol=3e-5)
    # The held-out windows, scored by each library's own model: measured at most 6.5e-6
    # relative apart (teacher-forced, tuned recipe).
    for score in ("held_out_teacher_forced_mse", "held_out_autoregressive_mse"):
        assert getattr(theirs, score) == pytest.approx(getattr(ours, score), rel=1e-4)


def test_the_article_recipe_is_the_article_settings():
    settings = recipes.RECIPES["article"]
    assert (settings.epochs, settings.units, settings.window) == (
        article.EPOCHS,
        article.UNITS,
        article.WINDOW,
    )
    assert (settings.batch_size, settings.optimizer) == (
        article.BATCH_SIZE,
        article.OPTIMIZER,
    )
    assert settings.learning_rate is None and settings.clipnorm is None


@pytest.mark.parametrize("name", sorted(ml.optimizers.OPTIMIZERS))
def test_every_optimizer_of_the_library_is_an_option_of_the_demo(name):
    settings = options.parse_args(
        ["--optimizer", name, "--learning-rate", "0.01"]
    ).settings
    optimizer = recipes.make_optimizer(settings, steps_per_epoch=8)
    assert type(optimizer) is ml.optimizers.OPTIMIZERS[name]
    assert optimizer.learning_rate == 0.01


@pytest.mark.parametrize("name", sorted(ml.optimizers.OPTIMIZERS))
def test_the_keras_run_steps_with_the_keras_optimizer_of_the_same_name(name):
    keras = pytest.importorskip("keras", reason="the Keras reference needs TensorFlow")
    settings = dataclasses.replace(recipes.RECIPES["tuned"], optimizer=name)
    optimizer = keras_run.keras_optimizer(keras, settings, steps_per_epoch=8)
    assert type(optimizer).__name__ == ml.optimizers.OPTIMIZERS[name].__name__
    assert optimizer.clipnorm == settings.clipnorm


@pytest.mark.parametrize(("cell", "name"), [("gru", "GRU"), ("rnn", "RNN")])
def test_the_demo_trains_the_chosen_cell_and_its_table_says_which(cell, name, tmp_path):
    buffer = StringIO()
    with redirect_stdout(buffer):
        status = main([*FAST, "--cell", cell, "--out", str(tmp_path)])
    assert status == 0
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    table_rows = [
        row for row in rows if len(row) > 3 and row[1:3] == ["minilstm", name]
    ]
    assert [row[0] for row in table_rows] == list(TASKS)
    for row in table_rows:
        assert np.isfinite([float(v) for v in row[3:6]]).all()


@pytest.mark.parametrize("attention", ["dot", "additive"])
def test_the_demo_trains_with_attention_and_draws_where_it_looks(attention, tmp_path):
    buffer = StringIO()
    with redirect_stdout(buffer):
        status = main(
            [*FAST, "--attention", attention, "--cell", "gru", "--out", str(tmp_path)]
        )
    assert status == 0
    label = ["minilstm", "GRU", "+", attention, "attention"]
    rows = [line.split() for line in buffer.getvalue().splitlines()]
    table_rows = [row for row in rows if row[1:6] == label]
    assert [row[0] for row in table_rows] == list(TASKS)
    for row in table_rows:
        assert np.isfinite([float(v) for v in row[6:9]]).all()
    # A row per task, a column per window of the article's start points.
    width, height = png_size(tmp_path / "attention.png")
    assert width > height > 0


def test_a_saved_model_with_attention_is_loaded_with_it(tmp_path):
    path = tmp_path / "model.npz"
    with redirect_stdout(StringIO()):
        main(
            [*FAST, "--task", "sin_cos", "--attention", "additive", "--save", str(path)]
        )
    buffer = StringIO()
    with redirect_stdout(buffer):
        main(["--task", "sin_cos", "--load", str(path), "--out", str(tmp_path)])
    assert "minilstm + additive attention" in buffer.getvalue()
    assert (tmp_path / "attention.png").exists()


def test_the_attention_weights_of_a_window_sum_to_one_over_the_encoder_steps():
    settings = options.parse_args([*FAST, "--attention", "dot"]).settings
    assert settings.attention == "dot"
    result = experiment.run_task("damped", settings, verbose=False)
    from minilstm.demo import plots

    weights = plots.attention_weights(result, [0, 5])
    assert weights.shape == (2, settings.window, settings.window)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
