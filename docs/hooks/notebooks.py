"""Offer each page's example script as a Jupyter notebook to download.

A page that includes an example script of docs/examples/ (a snippet of its code,
``--8<-- "docs/examples/NAME.py:section"``, or what it printed,
``--8<-- "output/NAME.txt"``) gets a line above the first block that comes from that
script:

    Made by `docs/examples/NAME.py` — [download as a notebook](notebooks/NAME.ipynb)

and the site gets notebooks/NAME.ipynb, made from the script at every build, so the
notebook cannot drift from the script. Its cells:

- the script's docstring, as Markdown, with how to run it;
- a cell that defines what the scripts import from docs/examples/_site.py and makes the
  figures/ and numbers/ folders, so that the notebook runs on its own in any folder (the
  scripts run in build/docs/ during the build, which has them);
- for a script that imports another example script (gradcheck_lstm imports
  planted_slips), a ``%%writefile`` cell that writes that script next to the notebook;
- the script's code, cut at its snippet markers: each top-level
  ``# --8<-- [start:x]`` ... ``# --8<-- [end:x]`` section is a cell (tagged ``x``), and
  the code between sections makes cells of its own. The marker lines are dropped;
  markers inside a loop or an ``if`` are dropped without a cut, since half a loop
  cannot run. A section inside a top-level ``with printed(...):`` block (_site.py's
  way to show a page what that section printed) is cut too: the notebook drops the
  ``with`` line and runs the block as a cell of its own, whose output shows below it.

Scripts no page includes (diagrams.py only draws pictures the pages show) get no
notebook: nothing would link to it. tests/test_notebooks.py makes every notebook with
``notebook`` below and runs it with nbclient, so a notebook that fails fails the tests.
"""

import ast
import json
import posixpath
import re
import textwrap
from collections.abc import Iterable
from pathlib import Path

import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# A snippet line that includes an example script's code or its printed output (all of
# it, output/NAME.txt, or one section's, output/NAME-SECTION.txt).
REFERENCE = re.compile(
    r'^[ \t]*--8<-- "(?:docs/examples/([a-z]\w*)\.py'
    r'|output/([a-z]\w*)(?:-[\w-]+)?\.txt)(?::[\w-]+)?"',
    re.MULTILINE,
)
MARKER = re.compile(r"^([ \t]*)# --8<-- \[(start|end):([\w-]+)\][ \t]*$")
# A top-level block whose printed output _site.printed keeps for a page.
PRINTED_BLOCK = re.compile(r"^with printed\(.*\):[ \t]*$")
# An import of another module, whose name may be a sibling script's in docs/examples/.
IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(\w+)", re.MULTILINE)
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# _site.record names the numbers file after the running script, sys.argv[0]; in a
# notebook that is the kernel's launcher, so the notebook names the script instead.
SCRIPT_NAME = "Path(sys.argv[0]).stem"
QUICK_VARIABLE = "MINILSTM_DOCS_QUICK"
# Where docs/hooks/package.py puts the wheel and the source archive in the site.
DOWNLOAD = "download"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _examples(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent / "docs" / "examples"


def referenced_scripts(markdown: str) -> list[tuple[str, int]]:
    """The example scripts a page includes, in order, each with its first line's index.

    Args:
        markdown: the page's Markdown source.

    Returns:
        (NAME, line index) for each docs/examples/NAME.py the page includes code or
        printed output of, in the order of their first snippet line.
    """
    first: dict[str, int] = {}
    for match in REFERENCE.finditer(markdown):
        name = match.group(1) or match.group(2)
        first.setdefault(name, markdown.count("\n", 0, match.start()))
    return list(first.items())


def offered_scripts(examples: Path, pages: Iterable[str]) -> list[Path]:
    """The example scripts that get a notebook: those some page includes.

    Args:
        examples: the docs/examples folder.
        pages: the Markdown source of every page.

    Returns:
        the scripts' paths, sorted by name.

    Raises:
        ValueError: a page includes the output of a script that does not exist.
    """
    names = {name for text in pages for name, _ in referenced_scripts(text)}
    missing = sorted(n for n in names if not (examples / f"{n}.py").is_file())
    if missing:
        raise ValueError(f"pages include scripts not in {examples}: {missing}")
    return [examples / f"{name}.py" for name in sorted(names)]


def _unwrap_printed(code: str) -> str:
    """The code with each top-level ``with printed(...):`` line dropped and its block
    dedented, so that the snippet markers inside become top-level ones that cut it."""
    lines = code.split("\n")
    out: list[str] = []
    k = 0
    while k < len(lines):
        if not PRINTED_BLOCK.match(lines[k]):
            out.append(lines[k])
            k += 1
            continue
        end = k + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
            end += 1
        out.append(textwrap.dedent("\n".join(lines[k + 1 : end])))
        k = end
    return "\n".join(out)


def _code_chunks(code: str) -> list[tuple[str, list[str]]]:
    """The code cut at its top-level markers: (source, section names) for each cell."""
    chunks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in code.split("\n"):
        marker = MARKER.match(line)
        if marker is None:
            chunks[-1][1].append(line)
        elif not marker.group(1):
            kind, name = marker.group(2), marker.group(3)
            chunks.append((name if kind == "start" else None, []))
    cells: list[tuple[str, list[str]]] = []
    pending: list[str] = []
    tags: list[str] = []
    for name, lines in chunks:
        text = "\n".join(lines).strip("\n")
        if not text.strip():
            continue
        pending.append(text)
        tags += [name] if name else []
        source = "\n\n".join(pending)
        try:
            ast.parse(source)
        except SyntaxError:
            # A cut inside a statement (a marker in a bracket or a string): keep going
            # until the code so far is whole.
            continue
        cells.append((source, tags))
        pending, tags = [], []
    if pending:
        raise ValueError("the code after the last whole cell does not parse")
    return cells


def _site_cell(examples: Path, name: str, siblings: list[str]) -> str:
    """The helpers of docs/examples/_site.py, defined inline for the script `name`."""
    source = (examples / "_site.py").read_text()
    tree = ast.parse(source)
    start = tree.body[0].end_lineno if ast.get_docstring(tree) else 0
    body = "\n".join(source.split("\n")[start:]).strip("\n")
    if body.count(SCRIPT_NAME) != 1:
        raise ValueError(
            f"docs/examples/_site.py should name the script once as {SCRIPT_NAME}"
        )
    body = body.replace(SCRIPT_NAME, f'"{name}"')
    public = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]
    exported = ", ".join(f"{n}={n}" for n in public)
    lines = [
        "# What minilstm's example scripts share (docs/examples/_site.py), defined",
        "# here so that this notebook runs on its own: pictures go to figures/ and the",
        f"# numbers a page quotes to numbers/{name}.json, in the folder it runs in.",
        body,
        "",
        "",
        'Path("figures").mkdir(exist_ok=True)',
        'Path("numbers").mkdir(exist_ok=True)',
        "",
        "# The script imports them from _site, as it does in the repository.",
        "import types",
        "",
        '_site = types.ModuleType("_site")',
        f"_site.__dict__.update({exported})",
        'sys.modules["_site"] = _site',
    ]
    if siblings:
        lines += [
            "",
            "# The files written by %%writefile above are new: look for them afresh.",
            "import importlib",
            "",
            "importlib.invalidate_caches()",
        ]
    return "\n".join(lines)


def _siblings(examples: Path, text: str, seen: set[str]) -> list[str]:
    """The other example scripts text imports, and theirs, those imported first."""
    found: list[str] = []
    for module in dict.fromkeys(IMPORT.findall(text)):
        path = examples / f"{module}.py"
        if module.startswith("_") or module in seen or not path.is_file():
            continue
        seen.add(module)
        found += [*_siblings(examples, path.read_text(), seen), module]
    return found


def _introduction(name: str, docstring: str, text: str, package: dict[str, str]) -> str:
    wheel, sdist = package["wheel"], package["sdist"]
    install = f"`pip install {wheel}`"
    if re.search(r"^[ \t]*import (keras|tensorflow)\b", text, re.MULTILINE):
        install = (
            f'`pip install "{wheel}[keras]"` (it runs Keras beside minilstm, '
            "so it needs TensorFlow)"
        )
    lines = [
        f"# `docs/examples/{name}.py`",
        "",
        docstring,
        "",
        "---",
        "",
        f"This notebook is made from `docs/examples/{name}.py` of minilstm, a",
        "NumPy LSTM encoder-decoder, whenever its documentation site is built; the",
        "site shows the script's results. To run it, download minilstm's wheel from",
        f"the site, [{wheel}](../{DOWNLOAD}/{wheel}) (Home's quickstart links it too),",
        f"install it with {install}, start Jupyter in that environment and run the",
        "cells in order. The whole repository, this script included, is the site's",
        f"source archive, [{sdist}](../{DOWNLOAD}/{sdist}). The notebook writes its",
        "pictures to `figures/` and its numbers to `numbers/`, in the folder it runs",
        "in.",
    ]
    if QUICK_VARIABLE in text:
        lines += [
            "",
            f"It trains for a few minutes; with `{QUICK_VARIABLE}=1` set in the",
            "environment Jupyter starts in, it runs a short preview instead.",
        ]
    return "\n".join(lines)


def _default_package(root: Path) -> dict[str, str]:
    """The names `python -m build` gives the archives of pyproject.toml's version."""
    text = (root / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', text, re.MULTILINE).group(1)
    return {
        "wheel": f"minilstm-{version}-py3-none-any.whl",
        "sdist": f"minilstm-{version}.tar.gz",
    }


def notebook(
    script: Path, package: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """The notebook made from an example script.

    Args:
        script: docs/examples/NAME.py.
        package: the file names of the site's wheel and source archive, as
            docs/hooks/package.py records them ({"wheel": ..., "sdist": ...}); by
            default, those of minilstm's version in pyproject.toml.

    Returns:
        a valid nbformat 4 notebook: the docstring, the helpers' cell, the sibling
        scripts it imports, then the script's code cut at its snippet markers.

    Raises:
        ValueError: the script's code cannot be cut into cells that parse, or
            _site.py no longer names the running script as this hook expects.
    """
    examples, name = script.parent, script.stem
    text = script.read_text()
    tree = ast.parse(text)
    docstring = ast.get_docstring(tree) or ""
    start = tree.body[0].end_lineno if docstring else 0
    code = "\n".join(text.split("\n")[start:])
    siblings = _siblings(examples, code, {name})
    v4 = nbformat.v4
    package = package or _default_package(Path(__file__).resolve().parents[2])
    cells = [v4.new_markdown_cell(_introduction(name, docstring, text, package))]
    for sibling in siblings:
        cells += [
            v4.new_markdown_cell(
                f"The script imports `docs/examples/{sibling}.py`, another example "
                "script of minilstm; the next cell writes it next to this notebook."
            ),
            v4.new_code_cell(
                f"%%writefile {sibling}.py\n"
                + (examples / f"{sibling}.py").read_text().rstrip("\n")
            ),
        ]
    cells.append(v4.new_code_cell(_site_cell(examples, name, siblings)))
    try:
        chunks = _code_chunks(_unwrap_printed(code))
    except ValueError as err:
        raise ValueError(f"docs/examples/{name}.py: {err}") from err
    for source, tags in chunks:
        cell = v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    for k, cell in enumerate(cells):
        # Fixed ids (nbformat draws random ones): the same script gives the same file.
        cell.id = f"{name}-{k}"[:64]
    nb = v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
    )
    nbformat.validate(nb)
    return nb


def _fences(lines: list[str]) -> list[int]:
    """For each line, the index of the fence that opens the code block it is in, or its
    own index when it is in none."""
    opener: int | None = None
    fence = ""
    starts: list[int] = []
    for k, line in enumerate(lines):
        match = FENCE.match(line)
        if opener is None:
            if match:
                opener, fence = k, match.group(1)
            starts.append(k if opener is None else opener)
        else:
            starts.append(opener)
            if (
                match
                and match.group(1).startswith(fence)
                and not line[match.end() :].strip()
            ):
                opener = None
    return starts


def add_links(markdown: str, page_uri: str) -> str:
    """The page with a notebook line above the first block from each example script.

    The line goes above the top-level block that holds the first snippet line from the
    script: above the code fence, or above the tab set or admonition it sits in, so that
    it is seen whichever tab is open.

    Args:
        markdown: the page's Markdown source.
        page_uri: the page's path in docs/ (as mkdocs's src_uri), for relative links.

    Returns:
        the page with the lines added; unchanged if it includes no example script.
    """
    references = referenced_scripts(markdown)
    if not references:
        return markdown
    lines = markdown.split("\n")
    starts = _fences(lines)
    here = posixpath.dirname(page_uri) or "."
    inserts: dict[int, list[str]] = {}
    for name, index in references:
        k = starts[index]
        while k > 0 and (not lines[k].strip() or lines[k][0] in " \t"):
            k = starts[k - 1]
        target = posixpath.relpath(f"notebooks/{name}.ipynb", here)
        inserts.setdefault(k, []).append(
            f"Made by `docs/examples/{name}.py` — "
            f'[download as a notebook]({target}){{ download="{name}.ipynb" }}'
        )
    out: list[str] = []
    for k, line in enumerate(lines):
        if k in inserts:
            if out and out[-1].strip():
                out.append("")
            for note in inserts[k]:
                out += [note, ""]
        out.append(line)
    return "\n".join(out)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    pages = [page.content_string for page in files.documentation_pages()]
    try:
        scripts = offered_scripts(_examples(config), pages)
        numbers = _examples(config).parents[1] / "build" / "docs" / "numbers"
        package = json.loads((numbers / "package.json").read_text())
        for script in scripts:
            content = nbformat.writes(notebook(script, package))
            files.append(
                File.generated(
                    config, f"notebooks/{script.stem}.ipynb", content=content
                )
            )
    except ValueError as err:
        raise PluginError(f"notebooks: {err}") from err
    return files


def on_page_markdown(
    markdown: str, page: Page, config: MkDocsConfig, files: Files
) -> str:
    return add_links(markdown, page.file.src_uri)
