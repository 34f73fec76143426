"""A Gradescope autograder, and the submission a student hands in.

``build_autograder`` writes the zip Gradescope takes as an autograder: ``setup.sh``,
``run_autograder``, ``config.json`` (parts, points, limits, the students' user) and
``lib/minilstm``, this package (the reference and the grader). Gradescope unzips it in
``/autograder/source`` and runs ``setup.sh`` once as root: it installs NumPy if missing,
creates the students' user, and makes the folder readable by root alone. For each
submission Gradescope runs its copy ``/autograder/run_autograder`` from ``/autograder``,
the submission in ``/autograder/submission``; that script calls ``run_autograder``
below, which makes a fresh workspace, copies into it only the module files the parts
ask the student to edit, grades it with the students' code run as that user, and writes
``/autograder/results/results.json``.

``collect`` makes the student's submission: exactly those module files.
"""

import json
import shutil
import stat
import sys
import tempfile
import zipfile
from pathlib import Path

from minilstm.assignment.grader import grade, to_json
from minilstm.assignment.parts import END_TO_END, points_for
from minilstm.assignment.untrusted import read_beneath
from minilstm.assignment.workspace import (
    MANIFEST,
    PACKAGE_DIR,
    check_parts,
    init_workspace,
    library_markers,
)

DEFAULT_USER = "minilstm-student"
MAX_FILE = 1_000_000  # bytes: a module file is a few kilobytes
MAX_MEMBERS = 10_000  # members of a submission zip looked at

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
# Run by Gradescope, as root, for each submission: a copy of this file stands at
# /autograder/run_autograder and runs from /autograder, so every path is taken from the
# autograder's root (AUTOGRADER_ROOT, to try the bundle elsewhere), none from here.
set -euo pipefail
ROOT=${AUTOGRADER_ROOT:-/autograder}
SOURCE="$ROOT/source"
PYTHON=${MINILSTM_PYTHON:-python3}
# The bundle's minilstm comes before anything else on the path.
PYTHONPATH="$SOURCE/lib${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -B -c \\
    'import sys; from minilstm.assignment.bundle import main; sys.exit(main())' \\
    "$SOURCE/config.json" "$ROOT/submission" "$ROOT/results/results.json"
"""


def edited_modules(parts: list[str]) -> list[str]:
    """The module files (e.g. "lstm.py") that hold the functions of ``parts``.

    Args:
        parts: part names.
    """
    return sorted({m.module for m in library_markers() if m.part in parts})


def collect(workspace: str | Path, output: str | Path) -> list[str]:
    """Zip the module files a student edited, and nothing else: regular files reached
    through no link, each at most ``MAX_FILE`` bytes.

    Args:
        workspace: the student's workspace.
        output: the zip to write.

    Returns:
        the files zipped.

    Raises:
        FileNotFoundError: the folder has no ``assignment.json``.
        ValueError: a module file is a link, not a regular file, or too large.
    """
    workspace = Path(workspace)
    try:
        manifest = json.loads(read_beneath(workspace, MANIFEST, MAX_FILE))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{workspace} has no assignment.json: not a workspace"
        ) from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{workspace / MANIFEST} is damaged: {exc}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{workspace / MANIFEST} is damaged: it is not a JSON object")
    modules = edited_modules(check_parts(manifest.get("parts")))
    # Every module is read before the zip is opened: a refusal leaves no zip behind.
    contents = {}
    for module in modules:
        try:
            contents[module] = read_beneath(workspace, f"minilstm/{module}", MAX_FILE)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{workspace / 'minilstm' / module} is missing"
            ) from None
        except OSError as exc:
            raise ValueError(
                f"minilstm/{module} must be a regular file, not a link ({exc})"
            ) from None
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for module, content in contents.items():
            archive.writestr(module, content)
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
        parts: the parts to grade (None: the default ones).
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


def from_folder(submission: Path, names: list[str]) -> tuple[dict, list[str]]:
    """The module files ``names`` of a submission folder, and a note for each one
    missing or refused.

    Each is taken from the folder's top or its ``minilstm/`` folder: a regular file of
    at most ``MAX_FILE`` bytes, reached through no link (as root, a link to a folder
    could fetch the reference), read without blocking (a FIFO is refused).

    Args:
        submission: the submission's folder.
        names: the files' names, e.g. ["lstm.py"].

    Returns:
        ({name: content}, notes).
    """
    files, notes = {}, []
    for name in names:
        refused = None
        for place in (name, f"minilstm/{name}"):
            try:
                files[name] = read_beneath(submission, place, MAX_FILE)
                break
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                refused = refused or f"{place} was refused ({exc})"
        if name not in files:
            notes.append(refused or f"{name} is missing from the submission")
    return files, notes


def from_zip(path: Path, names: list[str]) -> tuple[dict, list[str]]:
    """The module files ``names`` of a submission zip, and a note for each one missing
    or refused, as ``from_folder`` does for a folder.

    A member is taken by its name (``lstm.py`` or ``.../minilstm/lstm.py``), never
    extracted to a path it gives (no zip slip); links are refused, and no more than
    ``MAX_FILE`` bytes are ever decompressed from a member (no zip bomb).

    Args:
        path: the submission's zip.
        names: the files' names, e.g. ["lstm.py"].
    """
    files, notes = {}, []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a zip file ({exc})") from None
    with archive:
        members = archive.infolist()[:MAX_MEMBERS]
        for name in names:
            found = [
                m
                for m in members
                if m.filename in (name, f"minilstm/{name}")
                or m.filename.endswith(f"/minilstm/{name}")
            ]
            if not found:
                notes.append(f"{name} is missing from the submission")
                continue
            member = min(found, key=lambda m: len(m.filename))
            kind = stat.S_IFMT(member.external_attr >> 16)
            if kind not in (0, stat.S_IFREG):
                notes.append(f"{member.filename} was refused (not a regular file)")
                continue
            try:
                with archive.open(member) as file:
                    content = file.read(MAX_FILE + 1)
            except (OSError, ValueError, zipfile.BadZipFile, NotImplementedError) as e:
                notes.append(f"{member.filename} was refused ({e})")
                continue
            if len(content) > MAX_FILE:
                notes.append(f"{member.filename} is over {MAX_FILE} bytes")
                continue
            files[name] = content
    return files, notes


def open_to_all(path: Path) -> None:
    """Let every user read ``path`` (a folder tree) and no one but root write it.

    Args:
        path: the top folder.
    """
    for item in [path, *path.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)


def grade_files(
    files: dict[str, bytes],
    notes: list[str],
    parts: list[str],
    points: dict[str, int],
    **options: float | str | None,
) -> dict:
    """Grade a submission's module files in a fresh workspace of ``parts``: every
    other file is the grader's own.

    Args:
        files: module file name -> content, as ``from_folder`` or ``from_zip`` give.
        notes: what those said of files missing or refused.
        parts: the parts handed out.
        points: points by part name.
        **options: ``grade``'s timeout, memory_mb, user, jobs.

    Returns:
        the report, as results.json holds it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        workspace = init_workspace(Path(tmp) / "workspace", parts, points=points)
        # The self-check's data is of no use here.
        shutil.rmtree(workspace / "selfcheck_data")
        for name, content in files.items():
            (workspace / "minilstm" / name).write_bytes(content)
        if options.get("user") is not None:
            open_to_all(Path(tmp))
        results = grade(workspace, handed_out=parts, points=points, **options)
    report = to_json(results)
    taken = ", ".join(sorted(files)) or "none"
    report["output"] += f". Graded from your submission: {taken}"
    report["output"] += "".join(f"; {note}" for note in notes) + "."
    return report


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
    files, notes = from_folder(submission, config["files"])
    report = grade_files(
        files,
        notes,
        config["parts"],
        config["points"],
        timeout=config["timeout"],
        memory_mb=config["memory_mb"],
        user=config["user"],
    )
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
