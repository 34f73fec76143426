"""The notebooks the docs site offers: how they are cut and linked, and that each runs.

The site (docs/hooks/notebooks.py) turns every example script a page includes into
notebooks/NAME.ipynb. Here each notebook is made with the hook's own function and run
with nbclient on a fresh python3 kernel (ipykernel) in an empty folder, as a reader who
downloads it would; a cell that raises fails the test. MINILSTM_DOCS_QUICK=1 makes the
tuned recipe train its preview length, so all of them run in a few minutes.

Locally the tests are skipped, saying why, when nbformat, nbclient, ipykernel or MkDocs
is missing; in CI (CI=true) that is a failure.
"""

import importlib.util
import os
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow  # runs the pages' notebooks

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "notebooks.py"
EXAMPLES = ROOT / "docs" / "examples"
# Per notebook; the slowest, the Keras comparison, takes well under a minute.
CELL_TIMEOUT_S = 600
RUN_ENV = {
    "MPLBACKEND": "Agg",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # One notebook at a time on a small CI machine: one BLAS thread is as fast here.
    "OPENBLAS_NUM_THREADS": "1",
    "MINILSTM_DOCS_QUICK": "1",
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the docs notebooks)")
    pytest.skip(reason)


def _load_hook() -> ModuleType:
    for module in ("mkdocs", "nbformat"):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} not installed: pip install -e '.[docs]'")
    spec = importlib.util.spec_from_file_location("notebooks_hook", HOOK)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    return _load_hook()


def _offered() -> list[str]:
    """The scripts some page includes, found apart from the hook (no MkDocs needed)."""
    pages = [p.read_text() for p in sorted((ROOT / "docs").rglob("*.md"))]
    names = set()
    for text in pages:
        for line in text.splitlines():
            line = line.strip()
            for prefix, suffix in (
                ('--8<-- "docs/examples/', ".py"),
                ('--8<-- "output/', ".txt"),
            ):
                if line.startswith(prefix):
                    # output/NAME-SECTION.txt is what one section of NAME.py printed
                    names.add(line[len(prefix) :].split(suffix)[0].split("-")[0])
    return sorted(names)


def test_the_pages_scripts_are_the_ones_offered(hook: ModuleType) -> None:
    pages = [p.read_text() for p in sorted((ROOT / "docs").rglob("*.md"))]
    offered = [p.stem for p in hook.offered_scripts(EXAMPLES, pages)]
    assert offered == _offered()
    # Only the diagrams, which the pages show as pictures, have no notebook.
    every = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
    assert sorted(set(every) - set(offered)) == ["diagrams"]


def test_a_script_is_cut_at_its_markers(hook: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "_site.py").write_text((EXAMPLES / "_site.py").read_text())
    (tmp_path / "helper.py").write_text("VALUE = 3\n")
    script = tmp_path / "example.py"
    script.write_text(
        textwrap.dedent(
            '''\
            """An example: the docstring.

            Its second paragraph.
            """

            from _site import printed, record
            from helper import VALUE

            # --8<-- [start:first]
            x = VALUE + 1
            # --8<-- [end:first]
            y = 2
            for k in range(2):
                # --8<-- [start:inner]
                y += k
                # --8<-- [end:inner]
            # --8<-- [start:second]
            record(x=x, y=y)
            # --8<-- [end:second]

            with printed("example-third"):
                # --8<-- [start:third]
                print(x)

                print(y)
                # --8<-- [end:third]
            '''
        )
    )
    nb = hook.notebook(script)
    markdown = nb.cells[0]
    assert markdown.cell_type == "markdown"
    assert "An example: the docstring.\n\nIts second paragraph." in markdown.source
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    assert sources[0] == "%%writefile helper.py\nVALUE = 3"
    assert "def record" in sources[1] and 'script = "example"' in sources[1]
    assert sources[2:] == [
        "from _site import printed, record\nfrom helper import VALUE",
        "x = VALUE + 1",
        "y = 2\nfor k in range(2):\n    y += k",
        "record(x=x, y=y)",
        # A notebook shows what a cell prints below it: no need for printed().
        "print(x)\n\nprint(y)",
    ]
    tags = [c.metadata.get("tags") for c in nb.cells if c.cell_type == "code"]
    assert tags[2:] == [None, ["first"], None, ["second"], ["third"]]
    assert len({c.id for c in nb.cells}) == len(nb.cells)


def test_each_script_gets_a_line_above_its_first_block(hook: ModuleType) -> None:
    page = textwrap.dedent(
        """\
        # A page

        Text.

        === "One"

            ```python title="docs/examples/alpha.py"
            --8<-- "docs/examples/alpha.py:first"
            ```

        === "Two"

            ```python
            --8<-- "docs/examples/alpha.py:second"
            ```

        ```text title="printed by docs/examples/beta.py"
        --8<-- "output/beta.txt"
        ```
        """
    )
    lines = hook.add_links(page, "part/page.md").split("\n")
    alpha = [k for k, line in enumerate(lines) if "docs/examples/alpha.py` —" in line]
    beta = [k for k, line in enumerate(lines) if "docs/examples/beta.py` —" in line]
    assert len(alpha) == 1 and len(beta) == 1
    # Above the tab set, not inside the first tab; above the fence, not inside it.
    assert lines[alpha[0] + 2] == '=== "One"'
    assert lines[beta[0] + 2].startswith("```text")
    assert "](../notebooks/alpha.ipynb)" in lines[alpha[0]]
    assert hook.add_links("No examples here.\n", "index.md") == "No examples here.\n"


@pytest.mark.parametrize("name", _offered())
def test_notebook_runs(
    name: str, hook: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("nbclient", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            _unavailable(f"{module} not installed: pip install -e '.[docs]'")
    from nbclient import NotebookClient

    for key, value in RUN_ENV.items():
        monkeypatch.setenv(key, value)
    # The kernel imports minilstm from this checkout even when it is not installed.
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    nb = hook.notebook(EXAMPLES / f"{name}.py")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        # The kernel runs in the empty folder: the notebook makes what it needs there.
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    assert (tmp_path / "figures").is_dir()
    # record() names the numbers' file after the script, not after the kernel.
    assert {p.name for p in (tmp_path / "numbers").iterdir()} <= {f"{name}.json"}
