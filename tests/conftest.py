"""Shared fixtures: seeded generators, weights large enough to saturate some gates, the
built docs site, and lines a test adds to the end of pytest's report."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built docs site, one build for every test that reads it: $DOCS_SITE_DIR if
    set (it must hold a site), else a fresh `mkdocs build --strict` as published, never
    the writers' preview with less training (MINILSTM_DOCS_QUICK). Without MkDocs the
    tests are skipped, saying why; in CI (CI=true) that is a failure."""
    prebuilt = os.environ.get("DOCS_SITE_DIR")
    if prebuilt:
        site = Path(prebuilt)
        assert (site / "index.html").is_file(), (
            f"DOCS_SITE_DIR={prebuilt} holds no built site"
        )
        return site
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("MkDocs not installed (CI must run the docs tests)")
        pytest.skip("MkDocs not installed: pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if k != "MINILSTM_DOCS_QUICK"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, (
        f"mkdocs build --strict failed:\n{build.stderr[-5000:]}"
    )
    return site
