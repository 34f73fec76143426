"""The notebooks of ``init DIR --notebooks``: made for each part, and each runs.

Each notebook is executed with nbclient on a fresh python3 kernel (ipykernel) from its
own folder, as a student opens it: with the stubs its check cell stops the run with the
self-check's "not written yet"; with the library's code (``--solution``) it runs to the
end and says the part passed.

Locally the tests are skipped, saying why, when nbformat, nbclient or ipykernel is
missing; in CI (CI=true) that is a failure.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minilstm.assignment.notebooks import IDEAS, part_markdown
from minilstm.assignment.parts import PARTS
from minilstm.seq2seq import Seq2Seq

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # runs the assignment's notebooks

# A forward-free part, a layer's backward, BPTT and an opt-in part: small, three kinds
# of module, and an opt-in part's cache (attention's) rebuilt by the self-check.
NOTEBOOK_PARTS = ["mse_backward", "dense_backward", "bptt", "attention_backward"]
CELL_TIMEOUT_S = 120
RUN_ENV = {
    "MPLBACKEND": "Agg",
    # Several kernels one after another on a small CI machine: one BLAS thread is
    # enough for these arrays and avoids oversubscription.
    "OPENBLAS_NUM_THREADS": "1",
}


def _require(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            reason = f"{module} not installed: pip install -e '.[test]'"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"{reason} (CI must run the assignment notebooks)")
            pytest.skip(reason)


def _workspace(path: Path, solution: bool) -> Path:
    # In a process of its own, as a teacher runs it: on Python 3.11, writing notebooks
    # in this process upsets a later ast.parse of another test ("AST constructor
    # recursion depth mismatch").
    argv = ["init", str(path), "--notebooks", "--parts", *NOTEBOOK_PARTS]
    command = [sys.executable, "-m", "minilstm.assignment", *argv]
    done = subprocess.run(
        [*command, "--solution"] if solution else command,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return path


def _execute(notebook: Path):
    """Run a notebook top to bottom in its own folder; return it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    old = {k: os.environ.get(k) for k in RUN_ENV}
    # The kernel inherits this process's environment.
    os.environ.update(RUN_ENV)
    try:
        NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            resources={"metadata": {"path": str(notebook.parent)}},
        ).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def _text(nb) -> str:
    return "".join(
        out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
    )


def test_every_part_has_an_idea():
    assert set(IDEAS) == set(PARTS)


def test_the_ideas_use_the_sites_letters_and_link_to_its_pages():
    # docs/dense-mse.md: the Dense kernel and bias are V and d (W, U, b are the
    # LSTM's); docs/index.md and docs/bptt.md: h_0 is the state before step 1.
    dense = IDEAS["dense_backward"].text
    assert "V" in dense and "d" in dense and "W" not in dense
    predict = IDEAS["predict"].text
    assert r"\hat y_t = h^d_t V + d" in predict and r"\hat y_0 = 0" in predict
    assert "t = 1, \\dots, T" in predict and "W_d" not in predict
    for part, idea in IDEAS.items():
        assert (ROOT / "docs" / idea.page).is_file(), part
    markdown = part_markdown("bptt", [], site="https://course.example/minilstm/")
    assert "](https://course.example/minilstm/bptt.html)" in markdown


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_the_predict_hint_is_right_for_every_cell(cell):
    hint = PARTS["predict"].hints["Seq2Seq.predict"]
    assert "lstm_step_forward" not in hint and "(h, c);" not in hint

    def as_the_hint_says(model: Seq2Seq, enc_x: np.ndarray, steps: int) -> np.ndarray:
        enc, dec, dense = model.encoder, model.decoder, model.dense
        N = len(enc_x)
        states = enc.zero_states(N)
        assert len(states) == len(enc.states)
        for t in range(enc_x.shape[1]):
            states = enc.step(enc_x[:, t], states)
        y_prev, ys = np.zeros((N, model.output_dim)), []
        for _ in range(steps):
            states = dec.step(y_prev, states)
            y_prev = states[0] @ dense.kernel + dense.bias
            ys.append(y_prev)
        return np.stack(ys, axis=1)

    for name in ("self.encoder.zero_states", "self.encoder.step(", "states[0]"):
        assert name in hint
    model = Seq2Seq(units=3, input_dim=2, output_dim=2, cell=cell, seed=1)
    enc_x = np.random.default_rng(0).normal(size=(4, 5, 2))
    np.testing.assert_allclose(
        as_the_hint_says(model, enc_x, 6), model.predict(enc_x, steps=6), rtol=1e-12
    )


def test_notebooks_are_written_for_the_parts(tmp_path):
    _require("nbformat")
    import nbformat

    workspace = _workspace(tmp_path / "ws", solution=False)
    written = sorted(p.stem for p in (workspace / "notebooks").glob("*.ipynb"))
    assert written == sorted(NOTEBOOK_PARTS)
    nb = nbformat.read(workspace / "notebooks" / "dense_backward.ipynb", as_version=4)
    nbformat.validate(nb)
    markdown, signature, check = nb.cells
    assert "`dense_backward` in `minilstm/dense.py`" in markdown.source
    # The link leads to the site's page (the student edition built into DIR/site),
    # not to the repository's Markdown.
    assert "](../site/dense-mse.html)" in markdown.source
    assert "docs/" not in markdown.source
    assert "below 1e-8" in markdown.source
    assert "def dense_backward(" in signature.source
    assert "Args:" in signature.source and "NotImplementedError" not in signature.source
    assert 'selfcheck.check("dense_backward")' in check.source


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory) -> dict[str, Path]:
    _require("nbformat", "nbclient", "ipykernel")
    root = tmp_path_factory.mktemp("notebooks")
    return {
        "stubs": _workspace(root / "stubs", solution=False),
        "solution": _workspace(root / "solution", solution=True),
    }


@pytest.mark.parametrize("part", NOTEBOOK_PARTS)
def test_stub_notebook_stops_with_not_written_yet(workspaces, part):
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError) as raised:
        _execute(workspaces["stubs"] / "notebooks" / f"{part}.ipynb")
    message = str(raised.value)
    assert "SelfCheckFailed" in message
    assert f"part '{part}': not written yet" in message


@pytest.mark.parametrize("part", NOTEBOOK_PARTS)
def test_solution_notebook_passes(workspaces, part):
    nb = _execute(workspaces["solution"] / "notebooks" / f"{part}.ipynb")
    assert "-> passed: every relative error is below 1e-08" in _text(nb)
