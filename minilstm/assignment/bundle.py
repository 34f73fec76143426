"""A Gradescope autograder, and the submission a student hands in.

``build_autograder`` writes the zip Gradescope takes as an autograder: ``setup.sh``,
``run_autograder``, ``config.json`` (parts, points, limits, the students' user) and
``lib/minilstm``, this package (the reference and the grader). Gradescope unzips it in
``/autograder/source`` and runs ``setup.sh`` once as root: it installs NumPy if missing,
creates the students' user, and makes the folder readable by root alone.
``run_autograder`` then calls ``run_autograder`` below, which makes a fresh workspace,
copies into it only the module files the parts ask the student to edit, and grades it
with the students' code run as that user.

``collect`` makes the student's submission: exactly those module files.
"""

import json
import os
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from minilstm.assignment.grader import grade, read_manifest, to_json
from minilstm.assignment.parts import END_TO_END, points_for
from minilstm.assignment.workspace import (
    PACKAGE_DIR,
    check_parts,
    init_workspace,
    library_markers,
)

DEFAULT_USER = "minilstm-student"
MAX_FILE = 1_000_000  # bytes: a module file is a few kilobytes

SETUP = """\
#!/usr/bin/env bash
# Run once by Gradescope, as root, in the autograder's folder (/autograder/source).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${MINILSTM_PYTHON:-python3}
STUDENT=$("$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["user"])' \\
    < "$HERE/config.json")
if ! "$PYTHON" -c "import numpy" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet "numpy>=1.24" \\
        || "$PYTHON" -m pip install --quiet --break-system-packages "numpy>=1.24"
fi
# The user the students' code runs as: no home, no login, no access to this folder.
if ! id -u "$STUDENT" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$STUDENT"
fi
# The reference (lib/) and the settings are root's alone.
chown -R root:root "$HERE"
chmod -R go-rwx "$HERE"
"""

RUN = """\
#!/usr/bin/env bash
# Run by Gradescope, as root, for each submission.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${MINILSTM_PYTHON:-python3}
ROOT=${AUTOGRADER_ROOT:-/autograder}
# The bundle's minilstm comes before anything else on the path.
PYTHONPATH="$HERE/lib${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -B -c \\
    'import sys; from minilstm.assignment.bundle import main; sys.exit(main())' \\
    "$HERE/config.json" "$ROOT/submission" "$ROOT/results/results.json"
"""


def edited_modules(parts: list[str]) -> list[str]:
    """The module files (e.g. "lstm.py") that hold the functions of ``parts``.

    Args:
        parts: part names.
    """
    return sorted({m.module for m in library_markers() if m.part in parts})


def collect(workspace: str | Path, output: str | Path) -> list[str]:
    """Zip the module files a student edited, and nothing else.

    Args:
        workspace: the student's workspace.
        output: the zip to write.

    Returns:
        the files zipped.
    """
    workspace = Path(workspace)
    manifest = workspace / "assignment.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{workspace} has no assignment.json: not a workspace")
    modules = edited_modules(check_parts(read_manifest(workspace).get("parts")))
    # Before the zip is opened: a module gone missing leaves no half-written zip.
    missing = [m for m in modules if not (workspace / "minilstm" / m).is_file()]
    if missing:
        raise FileNotFoundError(f"{workspace / 'minilstm' / missing[0]} is missing")
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for module in modules:
            archive.write(workspace / "minilstm" / module, module)
    return modules


def build_autograder(
    output: str | Path,
    parts: list[str] | None = None,
    points: dict[str, int] | None = None,
    user: str = DEFAULT_USER,
    timeout: float = 60.0,
    memory_mb: int = 2048,
) -> Path:
    """Write a Gradescope autograder zip (see the module's docstring).

    Args:
        output: the zip to write.
        parts: the parts to grade (None: all).
        points: points by part name, for those that do not keep their defaults.
        user: the user the students' code runs as; ``setup.sh`` creates it if missing.
        timeout: seconds each part's process may take.
        memory_mb: the address space each part's process may use.

    Returns:
        the zip's path.
    """
    parts = check_parts(parts)
    worth = points_for(parts, points)
    config = {
        "parts": parts,
        "points": {name: worth[name] for name in [*parts, END_TO_END.name]},
        "user": user,
        "timeout": timeout,
        "memory_mb": memory_mb,
        "files": edited_modules(parts),
    }
    output = Path(output)

    def add(archive: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
        info = zipfile.ZipInfo(name)
        info.external_attr = (stat.S_IFREG | mode) << 16
        archive.writestr(info, text)

    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        add(archive, "setup.sh", SETUP, 0o755)
        add(archive, "run_autograder", RUN, 0o755)
        add(archive, "config.json", json.dumps(config, indent=2) + "\n", 0o644)
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            if "__pycache__" not in path.parts:
                name = f"lib/minilstm/{path.relative_to(PACKAGE_DIR)}"
                add(archive, name, path.read_text(), 0o644)
    return output


def submitted(submission: Path, name: str) -> bytes | None:
    """The content of module file ``name`` in a submission, or None.

    Taken from the submission's top folder or its ``minilstm/`` folder: a regular file,
    read without following links (as root, a link could fetch the reference).

    Args:
        submission: the submission's folder.
        name: the file's name, e.g. "lstm.py".
    """
    for path in (submission / name, submission / "minilstm" / name):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as file:
            if stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return file.read(MAX_FILE + 1)
    return None


def open_to_all(path: Path) -> None:
    """Let every user read ``path`` (a folder tree) and no one but root write it.

    Args:
        path: the top folder.
    """
    for item in [path, *path.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)


def run_autograder(config_file: Path, submission: Path, results_file: Path) -> dict:
    """Grade one submission as the autograder's ``run_autograder`` does.

    Args:
        config_file: the bundle's ``config.json``.
        submission: the folder with the student's files.
        results_file: where to write Gradescope's ``results.json``.

    Returns:
        what was written.
    """
    config = json.loads(config_file.read_text())
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = init_workspace(
            Path(tmp) / "workspace", config["parts"], points=config["points"]
        )
        # The self-check's data is of no use here.
        shutil.rmtree(workspace / "selfcheck_data")
        for name in config["files"]:
            content = submitted(submission, name)
            if content is None:
                notes.append(f"{name} is missing from the submission")
            elif len(content) > MAX_FILE:
                notes.append(f"{name} is over {MAX_FILE} bytes and was not graded")
            else:
                (workspace / "minilstm" / name).write_bytes(content)
        open_to_all(Path(tmp))
        results = grade(
            workspace,
            timeout=config["timeout"],
            memory_mb=config["memory_mb"],
            user=config["user"],
        )
    report = to_json(results)
    taken = [n for n in config["files"] if not any(x.startswith(n) for x in notes)]
    report["output"] += f". Graded from your submission: {', '.join(taken) or 'none'}"
    report["output"] += "".join(f"; {note}" for note in notes) + "."
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """``run_autograder``'s entry: CONFIG SUBMISSION RESULTS.

    Args:
        argv: the three paths (default: the command line's).
    """
    config, submission, results = map(Path, argv or sys.argv[1:])
    run_autograder(config, submission, results)
    return 0
