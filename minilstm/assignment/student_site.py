"""The student edition of the docs site: the handed-out functions as students have them.

The pages show minilstm's code with snippets cut from the sources
(``--8<-- "minilstm/lstm.py:sequence"``), so the full site holds every part's answer.
``build_site`` builds the site with the variable ``MINILSTM_DOCS_STUDENT_PARTS`` set to
the parts handed out; the build hook ``docs/hooks/student.py`` then calls
``write_sources``, which writes a copy of the sources the pages include:

- ``minilstm/*.py`` with each function of those parts stubbed exactly as in a workspace
  (signature, docstring, the ``NotImplementedError`` with its hint);
- ``docs/examples/*.py`` with each function that copies a line of a handed-out body
  (the planted slips of the gradient-check page) reduced to its docstring and a
  ``NotImplementedError`` saying what it was;

and puts that copy first among the folders the snippets are read from, and the
notebooks are made from the same copy. The exercises' answers are left out too. The
pages' prose, and so every equation, is unchanged; the numbers and pictures come from
the same runs as the full site's.

``leaks`` reads the built site back (pages, notebooks, search index) and lists every
line of a handed-out function's body it still holds; ``build_site`` fails when there is
one.
"""

import ast
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from minilstm.assignment.workspace import (
    MANIFEST,
    PACKAGE_DIR,
    check_parts,
    find_markers,
    functions_by_line,
    parse,
    replace_body,
    stub_source,
)

ENV = "MINILSTM_DOCS_STUDENT_PARTS"
# Lines that give nothing away: closing brackets and a bare return.
TRIVIAL = re.compile(r"^[\s()\[\]{},:]*$|^return$|^pass$|^\.\.\.$")
TAG = re.compile(r"<[^>]*>")
SPACE = re.compile(r"\s+")


def parts_from(workspace: str | Path | None, parts: list[str] | None) -> list[str]:
    """The parts of a student edition: a workspace's ``assignment.json``, or a list.

    Args:
        workspace: a folder made by ``init`` (its manifest names the parts), or None.
        parts: part names, used when ``workspace`` is None (None: the default parts).

    Raises:
        ValueError: both or an unknown part given, or a manifest without a parts list.
        FileNotFoundError: the workspace has no manifest.
    """
    if workspace is not None and parts is not None:
        raise ValueError("give the parts or a workspace, not both")
    if workspace is not None:
        manifest = Path(workspace) / MANIFEST
        if not manifest.is_file():
            raise FileNotFoundError(f"{workspace} has no {MANIFEST}")
        parts = json.loads(manifest.read_text()).get("parts")
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"{manifest} names no parts")
    return check_parts(parts)


def _squash(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def _body(source: str, function: ast.FunctionDef) -> list[str]:
    """The lines of a function after its docstring (what a stub replaces)."""
    first = function.body[0]
    documented = isinstance(first, ast.Expr) and isinstance(
        getattr(first, "value", None), ast.Constant
    )
    start = first.end_lineno if documented else first.lineno - 1
    return source.splitlines()[start : function.end_lineno]


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Every function and method by its qualified name, in the order they stand."""
    return dict(functions_by_line(tree).values())


def answer_lines(parts: list[str], package: Path = PACKAGE_DIR) -> dict[str, str]:
    """The lines that give away the handed-out functions, each with its function.

    A line of a handed-out body counts unless it is trivial (blank, brackets, a bare
    ``return``) or the student's own copy of the package holds it elsewhere (``N, T, D =
    x.shape`` in a function that is not handed out, ``g = tanh(z_g)`` in a docstring,
    give nothing away).

    Args:
        parts: the handed-out parts.
        package: the minilstm package the functions are read from.

    Returns:
        {line with its spaces squashed: "module.py: qualname"}.
    """
    found: dict[str, str] = {}
    kept = []
    for path in sorted(package.glob("*.py")):
        source = path.read_text()
        kept.append(_squash(stub_source(source, path.name, parts)))
        functions = _functions(parse(source))
        for marked in find_markers(source, path.name):
            if marked.part not in parts:
                continue
            for line in _body(source, functions[marked.qualname]):
                squashed = _squash(line)
                if squashed and not TRIVIAL.match(squashed):
                    found.setdefault(squashed, f"{path.name}: {marked.qualname}")
    student_copy = "\n".join(kept)
    return {line: w for line, w in found.items() if line not in student_copy}


def _left_out(lines: list[str], answers: dict[str, str]) -> str | None:
    """What to say instead of lines that copy an answer line, or None."""
    copied = sorted({answers[k] for k in map(_squash, lines) if k in answers})
    if not copied:
        return None
    return f"left out of the student edition: it copies {', '.join(copied)}"


def redact_example(source: str, answers: dict[str, str]) -> str:
    """An example script with what copies an answer line left out.

    A function that does keeps its signature and docstring; its body becomes a
    ``NotImplementedError`` naming the handed-out function it copies, so that the
    script still imports and the page's snippet markers stay in place. A module-level
    string that does (code a script plants into a workspace) becomes that sentence.

    Args:
        source: the script.
        answers: as ``answer_lines`` returns.
    """
    for name in _functions(parse(source)):
        # Each replacement moves the lines below it: look the function up afresh.
        function = _functions(parse(source))[name]
        message = _left_out(_body(source, function), answers)
        if message:
            body = f"raise NotImplementedError({message!r})\n"
            source = replace_body(source, name, body)
    strings = [
        node.value
        for node in parse(source).body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    lines = source.splitlines(keepends=True)
    for value in reversed(strings):
        message = _left_out(value.value.splitlines(), answers)
        if message:
            start, end = value.lineno - 1, value.end_lineno
            head = lines[start][: value.col_offset]
            tail = lines[end - 1][value.end_col_offset :]
            lines[start:end] = [f"{head}{message!r}{tail}"]
    return "".join(lines)


def write_sources(root: Path, parts: list[str], out: Path) -> None:
    """Write the sources a student edition's pages include.

    Args:
        root: the repository (it holds minilstm/ and docs/examples/).
        parts: the handed-out parts.
        out: the folder to write into: out/minilstm/ and out/docs/examples/, as in
            the repository.
    """
    package = root / "minilstm"
    answers = answer_lines(parts, package)
    (out / "minilstm").mkdir(parents=True, exist_ok=True)
    for path in sorted(package.glob("*.py")):
        stubbed = stub_source(path.read_text(), path.name, parts)
        (out / "minilstm" / path.name).write_text(stubbed)
    examples = out / "docs" / "examples"
    examples.mkdir(parents=True, exist_ok=True)
    for path in sorted((root / "docs" / "examples").glob("*.py")):
        (examples / path.name).write_text(redact_example(path.read_text(), answers))


def _site_text(path: Path) -> str:
    """The text a reader or the search can find in one file of a built site."""
    text = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        cells = json.loads(text).get("cells", [])
        text = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
        )
    elif path.suffix == ".json":
        docs = json.loads(text).get("docs", [])
        text = "\n".join(f"{d.get('title', '')}\n{d.get('text', '')}" for d in docs)
        text = html.unescape(TAG.sub("", text))
    else:
        text = html.unescape(TAG.sub("", text))
    return _squash(text)


def leaks(site: Path, parts: list[str]) -> list[tuple[str, str, str]]:
    """Every answer line a built site holds: in its pages, notebooks or search index.

    Args:
        site: the built site's folder.
        parts: the handed-out parts.

    Returns:
        (file relative to the site, the line, "module.py: function") for each find.
    """
    answers = answer_lines(parts)
    found = []
    files = [*site.rglob("*.html"), *site.rglob("*.ipynb")]
    files += site.rglob("search_index.json")
    for path in sorted(files):
        text = _site_text(path)
        for line, where in answers.items():
            if line in text:
                found.append((path.relative_to(site).as_posix(), line, where))
    return found


def build_site(
    parts: list[str], out: Path, config_file: Path = Path("mkdocs.yml")
) -> Path:
    """Build the student edition with ``mkdocs build --strict`` and check it.

    Args:
        parts: the handed-out parts.
        out: the folder the site goes to.
        config_file: the repository's mkdocs.yml (the docs are not part of the
            installed package: run from a clone of the repository).

    Returns:
        ``out``.

    Raises:
        FileNotFoundError: no such mkdocs.yml.
        RuntimeError: the build failed, or the site still holds a line of an answer.
    """
    config_file = Path(config_file).resolve()
    if not config_file.is_file():
        raise FileNotFoundError(
            f"no {config_file}: run from a clone of minilstm's repository or give "
            "--config-file"
        )
    out = Path(out).resolve()
    env = {**os.environ, ENV: ",".join(parts)}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    command += ["--config-file", str(config_file), "--site-dir", str(out)]
    done = subprocess.run(command, env=env, cwd=config_file.parent)
    if done.returncode:
        raise RuntimeError(f"mkdocs build failed (exit status {done.returncode})")
    found = leaks(out, parts)
    if found:
        listed = "; ".join(f"{f}: {line!r} ({where})" for f, line, where in found[:5])
        raise RuntimeError(f"the student edition still holds answers: {listed}")
    return out
