"""The package's layout: modules import each other without cycles, and the teaching core
stands on its own, below the demo, the plots, the benchmark, the command lines and the
assignment kit.

Imports are read from the source with ``ast``, all of them: at the top of a module,
under ``if TYPE_CHECKING:`` and inside functions, since each of these ties two modules
together for a reader as much as for Python.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minilstm"
# The teaching core, and the leaf helpers it uses: the argument checks, the article's
# settings.
CORE = {
    f"minilstm.{name}"
    for name in (
        "activations",
        "initializers",
        "lstm",
        "gru",
        "simple_rnn",
        "dense",
        "layers",
        "losses",
        "optimizers",
        "seq2seq",
        "schedules",
        "validation",
        "article",
    )
}
# Below the core too: the model file format, which Seq2Seq.save and Seq2Seq.load write.
BELOW_CORE = {"minilstm.saving"}
TEACHING = CORE | {"minilstm.data", "minilstm.gradcheck"}
# What stands on the library: nothing in TEACHING may reach these. "minilstm" itself is
# the package's front door (minilstm/__init__.py), which imports most of the library.
ABOVE = (
    "minilstm",
    "minilstm.demo",
    "minilstm.plots",
    "minilstm.bench",
    "minilstm.cli",
)
ABOVE_PACKAGES = ("minilstm.demo.", "minilstm.assignment")


def module_name(path: Path) -> str:
    """The dotted name of a source file of the package: minilstm/demo/__init__.py is
    "minilstm.demo", minilstm/demo/__main__.py "minilstm.demo.__main__"."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that the source file ``path`` (module ``name``) imports."""
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


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {name: imported_modules(path, name, known) for name, path in paths.items()}


GRAPH = import_graph()


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


def is_above(module: str) -> bool:
    return module in ABOVE or module.startswith(ABOVE_PACKAGES)


def test_the_graph_sees_imports_under_type_checking_and_inside_functions():
    # plots names TaskResult only for type hints; the demo imports plots inside main.
    assert "minilstm.demo.experiment" in GRAPH["minilstm.plots"]
    assert "minilstm.plots" in GRAPH["minilstm.demo.__main__"]
    assert CORE <= set(GRAPH)


def test_no_module_of_the_package_imports_itself_through_others():
    cycles = {
        frozenset(m for m in reachable(module) if module in reachable(m))
        for module in GRAPH
        if module in reachable(module)
    }
    assert not cycles, "import cycles: " + "; ".join(
        " <-> ".join(sorted(cycle)) for cycle in cycles
    )


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_teaching_core_imports_only_the_core(module):
    outside = reachable(module) - CORE - BELOW_CORE
    assert not outside, f"{module} reaches {sorted(outside)}"


@pytest.mark.parametrize("module", sorted(TEACHING))
def test_no_teaching_module_depends_on_the_demo_the_benchmark_or_the_kit(module):
    above = sorted(m for m in reachable(module) if is_above(m))
    assert not above, f"{module} reaches {above}"
