"""The house's plan: the package stands in layers, the teaching core at the bottom, the
model on it, the programs on top, and no module imports one from a layer above its own.
The README's section on the layout shows the same table as ``LAYERS`` below.

Imports are read from the source with ``ast``, all of them: at the top of a module,
under ``if TYPE_CHECKING:`` and inside functions, since each of these ties two modules
together for a reader as much as for Python.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("minilstm", "reference_keras")
# Bottom to top: a module may import its own layer and the layers before it. A folder
# ("minilstm/demo/") stands for every module in it.
LAYERS = {
    "core": (
        "minilstm/activations.py",
        "minilstm/initializers.py",
        "minilstm/lstm.py",
        "minilstm/gru.py",
        "minilstm/simple_rnn.py",
        "minilstm/dense.py",
        "minilstm/attention.py",
        "minilstm/layers.py",
        "minilstm/losses.py",
        "minilstm/base_optimizer.py",
        "minilstm/optimizers.py",
        "minilstm/schedules.py",
        "minilstm/divergence.py",
        "minilstm/validation.py",
        "minilstm/article.py",
        "minilstm/data.py",
        "minilstm/gradcheck.py",
    ),
    "model": (
        "minilstm/decoding.py",
        "minilstm/seq2seq.py",
        "minilstm/saving.py",
        "minilstm/__init__.py",
        "reference_keras/",
    ),
    "programs": (
        "minilstm/cli.py",
        "minilstm/demo/",
        "minilstm/bench/",
        "minilstm/assignment/",
    ),
}
# The programs' folders stand side by side: none imports another's modules. They share
# the command line's helpers only.
SHARED_BY_PROGRAMS = "minilstm.cli"
# Readable in one sitting: every module of the core and the model is under this many
# lines. The longest, seq2seq.py, holds Seq2Seq with its attention and its scheduled
# sampling (about 560 lines); the sampled decoder's steps stand in decoding.py.
MAX_LINES = 600


def module_name(path: Path) -> str:
    """The dotted name of a source file: minilstm/demo/__init__.py is "minilstm.demo",
    minilstm/demo/__main__.py "minilstm.demo.__main__"."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that the source file ``path`` (module ``name``)
    imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                # "from minilstm import article" imports a module; "from minilstm.data
                # import TASKS" a name of one.
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in known else base)
    return {m for m in found if m in known and m != name}


PATHS = {module_name(p): p for source in SOURCES for p in (ROOT / source).rglob("*.py")}
GRAPH = {name: imported_modules(path, name, set(PATHS)) for name, path in PATHS.items()}


def folder_or_module(entry: str) -> str:
    """The dotted name a LAYERS entry stands for: "minilstm.demo" for "minilstm/demo/",
    "minilstm" for "minilstm/__init__.py"."""
    return module_name(ROOT / entry.rstrip("/"))


def entry_of(module: str) -> str:
    """The entry of LAYERS that holds ``module``: its own file, or its folder's."""
    entries = [
        entry
        for layer in LAYERS.values()
        for entry in layer
        if module == folder_or_module(entry)
        or (entry.endswith("/") and module.startswith(folder_or_module(entry) + "."))
    ]
    assert len(entries) == 1, f"{module} is in {len(entries)} entries of LAYERS"
    return entries[0]


def rank(module: str) -> int:
    """The layer of ``module``, counted from the bottom (the core is 0)."""
    entry = entry_of(module)
    return next(i for i, layer in enumerate(LAYERS.values()) if entry in layer)


def reachable(start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(GRAPH[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(GRAPH[module])
    return seen


def test_the_graph_sees_imports_under_type_checking_and_inside_functions():
    # plots names TaskResult only for type hints; the demo imports plots inside main.
    assert "minilstm.demo.experiment" in GRAPH["minilstm.demo.plots"]
    assert "minilstm.demo.plots" in GRAPH["minilstm.demo.__main__"]
    # The Keras side imports the reference inside a method, once TensorFlow may load.
    assert "reference_keras" in GRAPH["minilstm.bench.peers"]


@pytest.mark.parametrize("module", sorted(PATHS))
def test_every_module_has_one_place_in_the_plan(module):
    assert 0 <= rank(module) < len(LAYERS)


@pytest.mark.parametrize("module", sorted(PATHS))
def test_no_module_imports_from_a_layer_above_its_own(module):
    layers = list(LAYERS)
    upward = sorted(
        f"{m} ({layers[rank(m)]})" for m in GRAPH[module] if rank(m) > rank(module)
    )
    assert not upward, f"{module} ({layers[rank(module)]}) imports {upward}"


@pytest.mark.parametrize("module", sorted(m for m in PATHS if rank(m) == 2))
def test_the_programs_import_none_of_each_others_modules(module):
    others = sorted(
        m
        for m in GRAPH[module]
        if rank(m) == 2 and m != SHARED_BY_PROGRAMS and entry_of(m) != entry_of(module)
    )
    assert not others, f"{module} imports {others}"


def test_no_module_imports_itself_through_others():
    cycles = {
        frozenset(m for m in reachable(module) if module in reachable(m))
        for module in GRAPH
        if module in reachable(module)
    }
    assert not cycles, "import cycles: " + "; ".join(
        " <-> ".join(sorted(cycle)) for cycle in cycles
    )


@pytest.mark.parametrize("module", sorted(m for m in PATHS if rank(m) < 2))
def test_every_module_of_the_core_and_the_model_reads_in_one_sitting(module):
    lines = len(PATHS[module].read_text().splitlines())
    assert lines < MAX_LINES, f"{PATHS[module].relative_to(ROOT)}: {lines} lines"


def readme_layers() -> dict[str, tuple[str, ...]]:
    """The README's layout table: each row's layer (first cell) and the folders and
    modules it names in backticks (last cell), in the table's order."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^## The layout\b.*?(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no section '## The layout'"
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in match.group().splitlines()
        if line.startswith("|")
    ][2:]  # below the header and its rule
    return {row[0]: tuple(re.findall(r"`([^`]+)`", row[-1])) for row in rows}


def test_the_readme_shows_the_same_plan():
    assert readme_layers() == LAYERS
