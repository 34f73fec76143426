import numpy as np
import pytest

from minilstm.data import TASKS, load_task, make_windows
from minilstm.gradcheck import gradient_report, numerical_gradient, rel_error


def test_windows_of_the_article_task():
    data = load_task("sin_cos")
    assert data.x.shape == (100,)
    assert data.enc_x.shape == data.dec_x.shape == data.dec_y.shape == (76, 24, 1)
    x = np.linspace(-2 * np.pi, 2 * np.pi, 100)
    np.testing.assert_array_equal(data.enc_x[5, :, 0], np.sin(x[5:29]))
    np.testing.assert_array_equal(data.dec_y[5, :, 0], np.cos(x[5:29]))
    np.testing.assert_array_equal(data.dec_x[5, :, 0], np.r_[0.0, np.cos(x[5:28])])


def test_decoder_input_is_the_target_shifted_right_by_one_with_a_zero_first():
    enc_x, dec_x, dec_y = make_windows(np.arange(10.0), np.arange(10.0) * 10, window=3)
    assert enc_x[:, :, 0].tolist()[:2] == [[0, 1, 2], [1, 2, 3]]
    assert dec_y[:, :, 0].tolist()[:2] == [[0, 10, 20], [10, 20, 30]]
    assert dec_x[:, :, 0].tolist()[:2] == [[0, 0, 10], [0, 10, 20]]
    assert len(enc_x) == 7


@pytest.mark.parametrize("name", sorted(TASKS))
def test_each_task_samples_its_curves_on_its_interval(name):
    task, data = TASKS[name], load_task(name)
    assert (data.x[0], data.x[-1]) == pytest.approx(task.x_range)
    np.testing.assert_array_equal(data.seq_in, task.encoder_curve(data.x))
    np.testing.assert_array_equal(data.seq_out, task.decoder_curve(data.x))


def test_numerical_gradient_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    numeric = numerical_gradient(lambda: np.sum(x**3), x)
    # central differences with h = 1e-6: measured 1.6e-10 relative, so rtol=1e-9
    np.testing.assert_allclose(numeric, 3 * x**2, rtol=1e-9)
    assert np.array_equal(x, [1.0, -2.0, 0.5])  # restored


def test_numerical_gradient_with_upstream_gradient_and_rel_error():
    rng = np.random.default_rng(0)
    x, W, dy = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    # measured 5e-11 for the right gradient; twice dy makes it wrong by a relative 1/3
    assert rel_error(x.T @ dy, numerical_gradient(lambda: x @ W, W, dy)) < 1e-9
    assert rel_error(x.T @ dy, numerical_gradient(lambda: x @ W, W, 2 * dy)) > 0.3


def test_gradient_report_flags_a_wrong_gradient():
    report = gradient_report(
        {"good": np.ones(3), "bad": np.ones(3)},
        {"good": np.ones(3), "bad": np.full(3, 1.1)},
    )
    lines = report.splitlines()
    assert lines[1].startswith("good") and lines[1].endswith("ok")
    assert lines[2].startswith("bad") and lines[2].endswith("WRONG?")
