"""One check in a process of its own: the grader starts this once per part.

The process holds two packages named ``minilstm``: the library (the reference) and the
student's copy. The library is imported first, with every check bound to it; its modules
are then moved aside in ``sys.modules`` so that ``import minilstm`` finds the student's.
For a part's check, every function of the *other* parts is swapped for the library's in
the student's modules, so that a mistake in one part costs no other part its points.
"""

import importlib
import json
import sys
import traceback
from pathlib import Path

from minilstm.assignment import checks
from minilstm.assignment.compare import PartFailed, Student, describe_exception
from minilstm.assignment.workspace import library_markers

MODULES = ("lstm", "dense", "losses", "optimizers", "seq2seq")
# Run by the grader as: python -c BOOT LIBRARY_ROOT WORKSPACE PART RESULT_FILE
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from minilstm.assignment.worker import main; main(sys.argv[2:])"
)


def set_library_aside() -> dict:
    """Move the library's modules out of the name ``minilstm``; return them by name."""
    library = {}
    for name in [
        n for n in sys.modules if n == "minilstm" or n.startswith("minilstm.")
    ]:
        library[name] = sys.modules.pop(name)
        sys.modules["_library_" + name] = library[name]
    return library


def import_student(workspace: Path) -> Student:
    """The student's modules, imported from the workspace."""
    sys.path.insert(0, str(workspace))
    try:
        package = importlib.import_module("minilstm")
        modules = {
            name: importlib.import_module(f"minilstm.{name}") for name in MODULES
        }
    except Exception as exc:
        raise PartFailed(
            describe_exception("importing your minilstm", exc, workspace)
        ) from None
    if not Path(package.__file__).resolve().is_relative_to(workspace.resolve()):
        raise PartFailed(f"no minilstm package in {workspace}")
    return Student(workspace, **modules)


def isolate(library: dict, part: str) -> None:
    """Give the student's modules the library's functions of every other part."""
    students = [
        m
        for n, m in sys.modules.items()
        if n == "minilstm" or n.startswith("minilstm.")
    ]
    for marked in library_markers():
        name = "minilstm." + marked.module.removesuffix(".py")
        if marked.part == part or name not in sys.modules:
            continue
        owner_name, _, attr = marked.qualname.rpartition(".")
        reference, theirs = library[name], sys.modules[name]
        if owner_name:  # a method: replace it on the student's class
            owner = getattr(reference, owner_name)
            setattr(getattr(theirs, owner_name), attr, vars(owner)[attr])
            continue
        own = getattr(theirs, attr, None)
        for namespace in students:  # the function and every from-import of it
            for key, value in list(vars(namespace).items()):
                if value is own and own is not None:
                    setattr(namespace, key, getattr(reference, attr))


def run(workspace: Path, part: str) -> dict:
    """Run the check of ``part`` on the workspace: {"passed", "output", "summary"}."""
    library = set_library_aside()
    try:
        student = import_student(workspace)
        if part != "end_to_end":
            isolate(library, part)
        checks.CHECKS[part](student)
    except PartFailed as failure:
        return {"passed": False, "output": str(failure), "summary": failure.summary}
    except Exception:
        text = "the grader failed:\n" + traceback.format_exc()
        return {"passed": False, "output": text, "summary": "the grader failed"}
    return {"passed": True, "output": "passed", "summary": "ok"}


def main(argv: list[str]) -> None:
    workspace, part, result_file = argv
    result = run(Path(workspace), part)
    Path(result_file).write_text(json.dumps(result))
