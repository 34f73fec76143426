"""Every page of the built site runs as a notebook: its code, copied in page order into
one fresh interpreter in an empty folder, runs and prints what the page shows.

The blocks are read from the built HTML, the text a reader copies after every snippet is
included, not from the Markdown. The rule that ties code to what the page says it
prints:

- A Python block runs, in page order, in one interpreter per page, in an empty
  temporary folder, with minilstm importable as if installed (the checkout's root on the
  path; docs/examples/, whose scripts only the build runs, is not). Two kinds of
  Python blocks do not run: a library excerpt, whose title is the file it is cut
  from (`minilstm/...` or `reference_keras/...`), shown for reading since the library
  is installed; and a block whose title says it is a fragment.
- A block titled "printed by ..." holds exactly what the Python blocks run since the
  previous "printed by" block (or since the top of the page) printed, line by line with
  trailing spaces ignored. A "printed by" block with no Python block above it to print
  it fails.

The pages' numbers come from seeded scripts run with one BLAS thread (as the build runs
them), so the blocks run so here too, and what they print is the same on every run.
The site is built with `mkdocs build --strict` (or taken from $DOCS_SITE_DIR) as
published: a preview build (MINILSTM_DOCS_QUICK=1) trains the tuned recipe less than its
page's code does, and that page then fails here.
Locally the test is skipped, saying why, when MkDocs is missing; in CI (CI=true) that
is a failure.
"""

import html.parser
import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("minilstm/", "reference_keras/")
PRINTED = "printed by "
# The longest page, Training, trains the tuned recipe on three tasks: it ran in about
# 8 minutes on 2 cores shared with other builds (load average 20); idle, in about 1.
PAGE_TIMEOUT_S = 2400

# Runs one page's blocks in one namespace; reads the blocks as JSON on stdin and writes,
# for each block, what it printed (and the error that stopped it) as JSON on stdout.
RUNNER = textwrap.dedent(
    """
    import contextlib, io, json, sys, traceback, types

    blocks = json.load(sys.stdin)
    real_stdout = sys.stdout
    # A module of its own as __main__, as in a notebook: a function the blocks define
    # can be pickled by name (a process pool's workers look it up there).
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    namespace = main.__dict__
    results = []
    for k, code in enumerate(blocks):
        out = io.StringIO()
        error = None
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"<block {k + 1}>", "exec"), namespace)
            except BaseException:
                error = traceback.format_exc(limit=-3)
        results.append({"printed": out.getvalue(), "error": error})
        if error:
            break
    real_stdout.write(json.dumps(results))
    """
)


class Block:
    def __init__(self, language: str, title: str) -> None:
        self.language, self.title, self.text = language, title, ""

    @property
    def runs(self) -> bool:
        return (
            self.language in ("python", "py")
            and not self.title.startswith(PRINTED)
            and not self.title.startswith(LIBRARY)
            and "fragment" not in self.title.lower()
        )

    @property
    def printed(self) -> bool:
        return self.title.startswith(PRINTED)


class _Blocks(html.parser.HTMLParser):
    """The code blocks of a page built by Material: div.highlight, its language in a
    language-X class, its title in span.filename, its text in pre > code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._depth = 0  # nesting of elements inside the current div.highlight
        self._in = ""  # "title" or "code" while reading one of them

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += tag not in VOID
            if tag == "span" and "filename" in classes:
                self._in = "title"
            elif tag == "code":
                self._in = "code"
            return
        if tag == "div" and "highlight" in classes:
            language = next(
                (
                    c.removeprefix("language-")
                    for c in classes
                    if c.startswith("language-")
                ),
                "",
            )
            self.blocks.append(Block(language, ""))
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self._depth or tag in VOID:
            return
        self._depth -= 1
        if tag in ("span", "code") and self._in == (
            "title" if tag == "span" else "code"
        ):
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.blocks[-1].title += data.strip()
        elif self._in == "code":
            self.blocks[-1].text += data


VOID = {"br", "img", "input", "hr", "meta", "link", "wbr"}


def page_blocks(page: Path) -> list[Block]:
    parser = _Blocks()
    parser.feed(page.read_text())
    return parser.blocks


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().split("\n")]


PAGES = sorted(
    p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
    for p in (ROOT / "docs").glob("*.md")
)


def test_blocks_are_read_as_a_reader_copies_them() -> None:
    parser = _Blocks()
    parser.feed(
        '<div class="language-python highlight"><span class="filename">a.py</span>'
        '<pre><span></span><code><span id="s1"><a id="l1"></a>'
        '<span class="n">x</span> <span class="o">=</span> '
        '<span class="s2">&quot;&lt;&quot;</span>\n</span>'
        '<span id="s2"><a id="l2"></a>    print(x)\n</span></code></pre></div>'
        '<div class="language-text highlight"><span class="filename">printed by a.py'
        "</span><pre><code>&lt;\n</code></pre></div>"
    )
    first, second = parser.blocks
    assert (first.language, first.title, first.runs) == ("python", "a.py", True)
    assert first.text == 'x = "<"\n    print(x)\n'
    assert (second.printed, second.runs, second.text) == (True, False, "<\n")


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_as_shown(page: str, built_site: Path, tmp_path: Path) -> None:
    blocks = page_blocks(built_site / page)
    code = [b.text for b in blocks if b.runs]
    printed_blocks = [b for b in blocks if b.printed]
    if not code:
        assert not printed_blocks, f"{page}: a 'printed by' block with no code above it"
        return
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "OPENBLAS", "OMP", "MKL"))
    }
    # minilstm as installed, and no example script of docs/examples/ on the path.
    env.update(
        PYTHONPATH=str(ROOT),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    run = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps(code),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT_S,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = iter(json.loads(run.stdout))
    since_last = ""
    k = 0
    for block in blocks:
        if block.runs:
            k += 1
            result = next(results)
            assert result["error"] is None, (
                f"{page}: block {k} ({block.title or 'untitled'}) failed:\n"
                f"{block.text}\n{result['error']}"
            )
            since_last += result["printed"]
        elif block.printed:
            assert since_last, f"{page}: '{block.title}' has no code above it printing"
            assert _lines(block.text) == _lines(since_last), (
                f"{page}: '{block.title}' is not what the code above it prints"
            )
            since_last = ""


def test_the_sites_wheel_installs_and_runs(built_site: Path, tmp_path: Path) -> None:
    """A reader can install minilstm from the built site alone: its wheel goes into a
    fresh virtual environment offline, imports from there, and trains."""
    wheels = sorted((built_site / "download").glob("minilstm-*.whl"))
    sdists = sorted((built_site / "download").glob("minilstm-*.tar.gz"))
    downloads = sorted((built_site / "download").iterdir())
    assert len(wheels) == 1 and len(sdists) == 1, downloads
    home = (built_site / "index.html").read_text()
    assert f'href="download/{wheels[0].name}"' in home
    assert f'href="download/{sdists[0].name}"' in home
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            wheels[0],
        ],
        env=clean,
        check=True,
    )
    # minilstm's two dependencies, taken from this environment instead of the network:
    # a .pth file adds their folder (and no .pth file of that folder, so no editable
    # install of the checkout comes with them).
    import matplotlib
    import numpy

    folders = {Path(m.__file__).parents[1] for m in (numpy, matplotlib)}
    site_packages = next((env_dir / "lib").glob("python3*/site-packages"))
    (site_packages / "dependencies.pth").write_text(
        "".join(f"{folder}\n" for folder in sorted(folders))
    )
    run = subprocess.run(
        [python, "-c", INSTALLED_RUN],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    where, loss = run.stdout.split()
    assert Path(where).is_relative_to(site_packages), where
    assert float(loss) > 0


# Run by the installed wheel: where minilstm was imported from, and one epoch's loss.
INSTALLED_RUN = """
import minilstm as ml
from minilstm.data import load_task

data = load_task("sin_cos")
model = ml.Seq2Seq(units=4, seed=0)
history = model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=1, verbose=0)
print(ml.__file__, history.history["loss"][-1])
"""
