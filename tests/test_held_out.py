"""The held-out windows: the same curves sampled a quarter of a step after the training
points, never a window the model trains on, scored beside the training windows by the
demo."""

import numpy as np
import pytest

import minilstm as ml
from minilstm.data import TASKS, load_task, make_windows
from minilstm.demo import experiment, recipes
from minilstm.demo.report import format_table


@pytest.mark.parametrize("name", sorted(TASKS))
def test_held_out_points_lie_a_quarter_step_after_the_training_points(name):
    train, held_out = load_task(name), load_task(name, split="held_out")
    step = train.x[1] - train.x[0]
    # rtol: the points differ from linspace's by rounding only (measured 2e-16 relative)
    np.testing.assert_allclose(held_out.x, train.x[:-1] + step / 4, rtol=1e-14)
    # Every held-out point lies strictly between two neighbouring training points.
    assert np.all(train.x[:-1] < held_out.x) and np.all(held_out.x < train.x[1:])
    task = TASKS[name]
    np.testing.assert_array_equal(held_out.seq_in, task.encoder_curve(held_out.x))
    np.testing.assert_array_equal(held_out.seq_out, task.decoder_curve(held_out.x))


def test_held_out_windows_are_cut_like_the_training_windows_one_fewer():
    held_out = load_task("sin_cos", split="held_out")
    assert held_out.x.shape == (99,)
    assert held_out.enc_x.shape == held_out.dec_x.shape == (75, 24, 1)
    for array, expected in zip(
        held_out[3:],
        make_windows(held_out.seq_in, held_out.seq_out, 24),
        strict=True,
    ):
        np.testing.assert_array_equal(array, expected)
    # Window j starts at held-out point j, a quarter of the way from the start of
    # training window j to that of window j + 1.
    np.testing.assert_array_equal(held_out.enc_x[:, 0, 0], np.sin(held_out.x[:75]))


@pytest.mark.parametrize("name", sorted(TASKS))
def test_no_held_out_window_repeats_a_training_window(name):
    train, held_out = load_task(name), load_task(name, split="held_out")
    # For each held-out window, the largest difference from its closest training
    # window, over encoder inputs and targets (measured: at least 2.5e-3, on damped;
    # halfway points would repeat half of sin_cos's windows to 8e-16).
    windows = [
        np.concatenate([d.enc_x, d.dec_y], axis=1)[..., 0] for d in (train, held_out)
    ]
    gaps = np.abs(windows[1][:, None] - windows[0][None]).max(axis=2).min(axis=1)
    assert gaps.min() > 1e-3


def test_the_training_split_is_the_default_and_unchanged():
    default, train = load_task("damped"), load_task("damped", split="train")
    for a, b in zip(default, train, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(train.x, np.linspace(*TASKS["damped"].x_range, 100))


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        (
            {"split": "test"},
            r"split must be one of \['train', 'held_out'\]; got 'test'",
        ),
        # 20 points leave 19 midpoints: a held-out window holds at most 18.
        (
            {"split": "held_out", "num_points": 20, "window": 19},
            r"window must be an integer between 1 and 18; got 19",
        ),
    ],
)
def test_a_bad_split_or_a_window_too_long_for_the_midpoints_is_refused(kwargs, says):
    with pytest.raises(ValueError, match=says):
        load_task("sin_cos", **kwargs)


def test_run_task_scores_the_held_out_windows_both_ways():
    settings = recipes.Settings(epochs=2, units=6, window=8, batch_size=16, seed=3)
    result = experiment.run_task("square_sqrt", settings, verbose=False)
    held_out = load_task("square_sqrt", window=8, split="held_out")
    model = ml.Seq2Seq(6, seed=3)
    model.set_weights(result.model.get_weights())
    tf = np.mean((model.forward(held_out.enc_x, held_out.dec_x) - held_out.dec_y) ** 2)
    ar = np.mean((model.predict(held_out.enc_x) - held_out.dec_y) ** 2)
    assert result.held_out_teacher_forced_mse == tf
    assert result.held_out_autoregressive_mse == ar
    np.testing.assert_array_equal(result.held_out.enc_x, held_out.enc_x)
    # Held-out and training MSE are different numbers, measured on different windows.
    assert result.held_out_autoregressive_mse != result.autoregressive_mse


def test_the_table_heads_the_held_out_columns_apart_from_the_training_ones():
    settings = recipes.Settings(epochs=1, units=4, window=6, seed=0)
    result = experiment.run_task("sin_cos", settings, verbose=False)
    above, header, rule, row = format_table([result]).splitlines()
    assert set(rule) == {"-"} and len(rule) >= len(header)
    # Each heading sits above its two columns: teacher-forced, then autoregressive.
    first = header.index("teacher-forced")
    second = header.index("teacher-forced", first + 1)
    assert above.index("MSE, training windows") >= first
    assert above.index("MSE, held-out windows") >= second > above.index("training")
    values = [float(v) for v in row.split()[2:7]]
    expected = [
        result.final_loss,
        result.teacher_forced_mse,
        result.autoregressive_mse,
        result.held_out_teacher_forced_mse,
        result.held_out_autoregressive_mse,
    ]
    np.testing.assert_allclose(values, expected, rtol=5e-3)  # printed with 3 digits
