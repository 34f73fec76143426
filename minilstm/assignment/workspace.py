"""Student workspaces cut from minilstm's own source.

A line ``# assignment: <part>`` above a ``def`` (a function or a method; only comments
may stand between them) marks that function as belonging to a part. ``init_workspace``
copies the whole package and, in each function of a chosen part, replaces everything
after the docstring with a ``raise NotImplementedError(hint)``: the signature and the
docstring (shapes included) stay as the library has them, so the workspace cannot drift
from it.
"""

import ast
import gc
import hashlib
import json
import re
import shutil
import textwrap
from pathlib import Path

import minilstm
from minilstm.assignment.parts import (
    DEFAULT_PARTS,
    END_TO_END,
    PARTS,
    Marked,
    points_for,
)

MARKER = re.compile(r"^\s*# assignment: (\w+)\s*$")
MANIFEST = "assignment.json"
PACKAGE_DIR = Path(minilstm.__file__).parent


def functions_by_line(tree: ast.Module) -> dict[int, tuple[str, ast.FunctionDef]]:
    """Every function and method by the line its definition starts on
    (decorators first)."""
    found = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.ClassDef):
                qualname = prefix + child.name
                if isinstance(child, ast.FunctionDef):
                    first = min(
                        [child.lineno] + [d.lineno for d in child.decorator_list]
                    )
                    found[first] = (qualname, child)
                visit(child, qualname + ".")

    visit(tree, "")
    return found


def parse(source: str) -> ast.Module:
    """``ast.parse`` with the garbage collector paused.

    On Python 3.11 a collection that runs other code in the middle of a parse can make
    the parse fail with "SystemError: AST constructor recursion depth mismatch"
    (CPython gh-106905); the test suite met it when the grader parsed the library after
    hypothesis's tests.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        if enabled:
            gc.enable()


def find_markers(source: str, module: str) -> list[Marked]:
    """The marked functions of one module's source, in source order.

    Raises:
        ValueError: a marker with something else than comments between it and the next
            ``def``, or naming an unknown part.
    """
    functions = functions_by_line(parse(source))
    lines = source.splitlines()
    marked = []
    for k, line in enumerate(lines, start=1):
        match = MARKER.match(line)
        if not match:
            continue
        part = match.group(1)
        if part not in PARTS:
            raise ValueError(f"{module}:{k}: marker names unknown part {part!r}")
        # Other comments (e.g. the docs' snippet markers) may stand between marker and
        # def.
        below = k + 1
        while below <= len(lines) and lines[below - 1].strip()[:1] in ("", "#"):
            below += 1
        if below not in functions:
            raise ValueError(
                f"{module}:{k}: an assignment marker must stand above a def"
            )
        marked.append(Marked(part, module, functions[below][0]))
    return marked


def library_markers() -> list[Marked]:
    """Every marked function of the installed minilstm package."""
    return [
        m
        for path in sorted(PACKAGE_DIR.glob("*.py"))
        for m in find_markers(path.read_text(), path.name)
    ]


def library_digest() -> str:
    """A hash of the installed package's modules: a workspace made from other sources
    may expect caches laid out differently from those the grader hands its functions."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef:
    """The one function or method ``qualname`` of a module; ValueError if there is not
    exactly one."""
    matches = [f for name, f in functions_by_line(tree).values() if name == qualname]
    if len(matches) != 1:
        raise ValueError(f"no single function {qualname!r} in the source")
    return matches[0]


def replace_body(source: str, qualname: str, body: str) -> str:
    """The source with the body of function ``qualname`` replaced by ``body``.

    The signature and the docstring stay; ``body`` is dedented code, indented here to
    the function's level. Everything after the docstring (code and comments) goes.
    """
    func = find_function(parse(source), qualname)
    first = func.body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(
        first.value, ast.Constant
    )
    has_docstring = has_docstring and isinstance(first.value.value, str)
    lines = source.splitlines(keepends=True)
    start = first.end_lineno if has_docstring else first.lineno - 1
    indent = " " * first.col_offset
    new = textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", indent)
    return "".join(lines[:start]) + new + "".join(lines[func.end_lineno :])


def function_source(source: str, qualname: str) -> str:
    """The dedented source of function ``qualname`` (its decorators left out)."""
    func = find_function(parse(source), qualname)
    lines = source.splitlines(keepends=True)[func.lineno - 1 : func.end_lineno]
    return textwrap.dedent("".join(lines))


def stub_body(part: str, qualname: str) -> str:
    """The body of a stub: a ``NotImplementedError`` naming the part, with its hint."""
    message = (
        f"assignment part {part!r}: write {qualname}. Hint: "
        f"{PARTS[part].hints[qualname]}"
    )
    pieces = textwrap.wrap(message, 72, drop_whitespace=False)
    return (
        "raise NotImplementedError(\n"
        + "".join(f"    {json.dumps(p)}\n" for p in pieces)
        + ")\n"
    )


def stub_source(source: str, module: str, parts: list[str]) -> str:
    """A module's source with every function of the chosen parts stubbed."""
    for m in find_markers(source, module):
        if m.part in parts:
            source = replace_body(source, m.qualname, stub_body(m.part, m.qualname))
    return source


def check_parts(parts: list[str] | None) -> list[str]:
    """The chosen part names, in the library's order (the default parts for None)."""
    if parts is None:
        return list(DEFAULT_PARTS)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown parts {unknown}; choose from {list(PARTS)}")
    return [p for p in PARTS if p in parts]


def init_workspace(
    directory: str | Path,
    parts: list[str] | None = None,
    solution: bool = False,
    points: dict[str, int] | None = None,
) -> Path:
    """Write a student workspace: the minilstm package with the chosen parts stubbed,
    a README for the student, the manifest the grader reads, the self-check
    (``selfcheck.py`` and its data; see ``selfcheck``). ``notebooks.write_notebooks``
    adds one notebook per part (``init DIR --notebooks``).

    Args:
        directory: where to write; must not exist or be empty.
        parts: part names (see ``PARTS``); None chooses the default ones.
        solution: keep the library's code in place (a reference solution that the grader
            must score full marks, to try a set-up before handing it out).
        points: points by part name, "end_to_end" included, for those that do not keep
            their defaults (see ``points_for``).

    Returns:
        the workspace's path.
    """
    parts = check_parts(parts)
    points = points_for(parts, points)
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty")
    package = directory / "minilstm"
    shutil.copytree(
        PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__", "assignment")
    )
    marked = library_markers()
    if not solution:
        for module in sorted({m.module for m in marked if m.part in parts}):
            path = package / module
            path.write_text(stub_source(path.read_text(), module, parts))
    manifest = {
        "parts": parts,
        "points": {name: points[name] for name in [*parts, END_TO_END.name]},
        "minilstm_version": minilstm.__version__,
        "library_digest": library_digest(),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    # Imported here: the self-check records the checks, which import this module.
    from minilstm.assignment.selfcheck import write_selfcheck

    write_selfcheck(directory, parts, marked)
    (directory / "README.md").write_text(student_readme(parts, marked, points))
    return directory


def student_readme(
    parts: list[str], marked: list[Marked], points: dict[str, int]
) -> str:
    """The README of a workspace: what to write, where, its points, how to check it."""
    rows = []
    for name in parts:
        functions = ", ".join(
            f"`minilstm/{m.module}: {m.qualname}`" for m in marked if m.part == name
        )
        rows.append(f"| {PARTS[name].title} | {points[name]} | {functions} |")
    e2e = points[END_TO_END.name]
    if e2e:
        rows.append(
            "| End to end: a short training run with all your code lowers the loss | "
            f"{e2e} | |"
        )
    total = sum(points[p] for p in parts) + e2e
    return README.format(
        table="\n".join(rows), total=total, version=minilstm.__version__
    )


README = """\
# Your minilstm assignment

This folder holds a complete copy of minilstm {version}, an LSTM encoder-decoder written
in NumPy. Some of its functions have lost their bodies: they raise `NotImplementedError`
with a hint. Write them. Everything else works, so once your parts are in place the
whole model trains with your code.

| part | points | write the body of |
|---|---|---|
{table}

Total: {total} points.

## Rules

- Keep every signature as it is and return exactly what the docstring says, in that
  order and with those shapes. The docstrings give the shapes: N batch, T time steps, D
  input features, H units, O outputs.
- NumPy only, vectorised over the batch; the only Python loop the LSTM needs is the one
  over time in backpropagation through time.
- Do not rename or move functions: the grader calls them by name.

## Run your code

From this folder, `python -m minilstm.demo` trains the sin -> cos model with your
functions (it stops with your `NotImplementedError` until the parts it needs are
written). Python code run from this folder imports this copy of `minilstm`.

## Check your parts

`python selfcheck.py` (or `python selfcheck.py bptt adam` for some parts) runs your
functions on the inputs in `selfcheck_data/` and prints, for every output, its relative
error against the reference's outputs stored there. Your error should be below 1e-8;
correct code gives about 1e-15. It needs NumPy only, and it imports the minilstm of this
folder whatever else is installed. The grader uses other inputs.

## Check your gradients

Every backward pass can be checked against central differences with
`minilstm.gradcheck`:

```python
import numpy as np
from minilstm.gradcheck import numerical_gradient, rel_error
from minilstm.dense import dense_forward, dense_backward

rng = np.random.default_rng(0)
x = rng.normal(size=(2, 3, 4))
kernel, bias = rng.normal(size=(4, 2)), rng.normal(size=2)
dy = rng.normal(size=(2, 3, 2))
_, cache = dense_forward(x, kernel, bias)
dx, dkernel, dbias = dense_backward(dy, cache)
numeric = numerical_gradient(lambda: dense_forward(x, kernel, bias)[0], kernel, dy)
print(rel_error(dkernel, numeric))   # a correct backward gives about 1e-10
```

Use random weights of size about 1 and non-zero biases: with tiny weights and zero
biases many mistakes (a gate using the wrong state, a mixed-up block) give almost the
right answer.

## How you are graded

Each part is checked on its own, with the library's code for every other part, on
several random shapes: against the reference implementation and, for gradients, against
central differences. A part scores all its points or none; the report says what failed
and, where it can tell, the likely mistake. A part that crashes or runs longer than the
time limit costs that part only. The end-to-end test then trains a small model with all
your code.

With minilstm installed, you can run the grader yourself, from outside this folder:
`python -m minilstm.assignment grade path/to/this/folder --config
path/to/this/folder/assignment.json` (your teacher grades with their own copy of that
file).
"""
