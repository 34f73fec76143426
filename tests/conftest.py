"""Shared fixtures: seeded generators, weights large enough to saturate some gates, and
lines a test adds to the end of pytest's report."""

import numpy as np
import pytest

SUMMARY_LINES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def summary_lines(pytestconfig: pytest.Config) -> list[str]:
    """Lines printed after the test results, with -q too: what a test ran against."""
    return pytestconfig.stash.setdefault(SUMMARY_LINES, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def lstm_weights(
    rng: np.random.Generator, D: int, H: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random kernel (D, 4H), recurrent_kernel (H, 4H) and a non-zero bias (4H,).

    Unit-normal weights with unit-normal inputs put some pre-activations beyond |z| = 3,
    where the gates saturate; zero biases and tiny weights would hide gate mix-ups.
    """
    kernel = rng.normal(size=(D, 4 * H))
    recurrent_kernel = rng.normal(size=(H, 4 * H))
    bias = rng.normal(size=4 * H)
    return kernel, recurrent_kernel, bias


@pytest.fixture(scope="module")
def keras_float64():
    """Keras in float64 for a module's tests (set up once, restored after); only the
    modules that ask for it import TensorFlow."""
    from keras_session import keras_float

    with keras_float("float64"):
        yield
