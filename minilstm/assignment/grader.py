"""Grade a workspace: one bounded process per part, a table for people, JSON for
autograders.

For each part the grader records the calls its check makes (``session.Recorder``), has
``child.py`` make them on the student's code in a process with a time, memory and output
limit (``sandbox``), and replays the check on what came back (``session.Replayer``). The
verdict is made here, in the grader's process; the student's process only computes.
Code that crashes, hangs, exits or runs out of memory costs that part its points and
nothing else. The processes run side by side, one per CPU core (one at a time when
they run as a user without namespaces: see ``sandbox``). Parts and points are the
teacher's (``grade``'s arguments, ``read_config``), never the workspace's.
"""

import json
import os
import re
import secrets
import tempfile
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from minilstm.assignment import checks
from minilstm.assignment.compare import PartFailed
from minilstm.assignment.parts import END_TO_END, PARTS, points_for
from minilstm.assignment.sandbox import (
    KEEP,
    ChildRun,
    Limits,
    check_user,
    kill_user,
    remove_files_of,
    run_child,
    walls_available,
)
from minilstm.assignment.session import Recorder, Replayer, serve
from minilstm.assignment.untrusted import read_regular
from minilstm.assignment.workspace import (
    MANIFEST,
    check_parts,
    library_digest,
    library_markers,
)

MAX_CONFIG = 100_000  # bytes: a file of parts and points is a few hundred
# Characters of a part's report: results.json stays small whatever the code printed.
MAX_OUTPUT = 20_000


class TestResult(NamedTuple):
    """The result of one part, as autograders list it."""

    part: str
    title: str
    score: int
    max_score: int
    output: str
    summary: str  # what failed, in a few words ("ok" when passed)


def read_manifest(workspace: Path) -> dict:
    """The workspace's manifest ({} if it has none or it is not a small JSON file).
    It is the student's: only the warning of ``made_elsewhere`` reads it."""
    try:
        manifest = json.loads(read_regular(workspace / MANIFEST, MAX_CONFIG))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def made_elsewhere(workspace: Path) -> bool:
    """Whether the workspace was made from other minilstm sources than the installed
    ones."""
    digest = read_manifest(workspace).get("library_digest")
    return digest is not None and digest != library_digest()


def read_config(path: str | Path) -> dict:
    """A teacher's file of parts and points: ``{"parts": [...], "points": {...}}``,
    e.g. the ``assignment.json`` that ``init`` wrote, kept before handing it out.

    Args:
        path: the JSON file.

    Returns:
        {"parts": the parts handed out, "points": points by part name}.

    Raises:
        ValueError: the file is not such a JSON object.
    """
    try:
        config = json.loads(read_regular(Path(path), MAX_CONFIG))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON file of parts ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("parts"), list):
        raise ValueError(f'{path}: expected {{"parts": [...], "points": {{...}}}}')
    points = config.get("points", {})
    if not isinstance(points, dict):
        raise ValueError(f"{path}: points must be an object of part: points")
    parts = check_parts(config["parts"])
    points_for(parts, points)  # refuses unknown parts and bad points
    return {"parts": parts, "points": points}


# The parts whose functions a part's functions call. While a part is checked, the
# grader computes those for the student's process, and no other: a function that calls
# the checked part's would answer for it (lstm_backward over one step is
# lstm_step_backward).
CALLS = {"bptt": ["lstm_step_backward"], "predict": ["lstm_step_forward"]}


def stand_ins(part: str) -> list[str]:
    """The functions the grader runs for the student's process while ``part`` is
    checked (e.g. "lstm.lstm_step_backward" for "bptt"): those of the parts it calls,
    which are not the student's to be judged on here."""
    return [
        f"{m.module.removesuffix('.py')}.{m.qualname}"
        for m in library_markers()
        if m.part in CALLS.get(part, [])
    ]


def output_note(run: ChildRun) -> str:
    """A sentence on the output the grader dropped, if it dropped any."""
    notes = [
        f"{name}: {captured.total} bytes, of which the first and last {KEEP} were kept"
        for name, captured in (("stdout", run.stdout), ("stderr", run.stderr))
        if captured.dropped
    ]
    return f" (Your code printed a lot; {'; '.join(notes)}.)" if notes else ""


def run_part(workspace: Path, part: str, limits: Limits, handed_out: list[str]) -> dict:
    """Check one part: {"passed", "output", "summary"}."""
    check = checks.CHECKS[part]
    recorder = Recorder(workspace)
    # Inputs of the end-to-end check no student can know before: its data and weights.
    shift = secrets.randbelow(2**31) if part == END_TO_END.name else 0
    recorder.seed_shift, recorder.handed_out = shift, handed_out
    try:
        check(recorder)  # the library stands in for the student: this records the calls
    except Exception:
        text = "the grader failed:\n" + traceback.format_exc()
        return {"passed": False, "output": text, "summary": "the grader failed"}
    functions = stand_ins(part)
    plan, inputs = recorder.plan(workspace, functions)
    # The part's own folder, which the student's process may write in and no other
    # part's can read; whatever is left in it goes with it.
    with tempfile.TemporaryDirectory(
        prefix="minilstm-part-", ignore_cleanup_errors=True
    ) as place:
        run = run_child(plan, inputs, Path(place), limits, serve(functions))
    try:
        replayer = Replayer(workspace, recorder.steps, run, limits)
        replayer.seed_shift, replayer.handed_out = shift, handed_out
        check(replayer)
        result = {"passed": True, "output": "passed", "summary": "ok"}
    except PartFailed as failure:
        result = {"passed": False, "output": str(failure), "summary": failure.summary}
    except Exception:
        text = "the grader failed:\n" + traceback.format_exc()
        result = {"passed": False, "output": text, "summary": "the grader failed"}
    result["output"] = cut(result["output"]) + output_note(run)
    result["summary"] = cut(result["summary"], 200)
    return result


def cut(text: str, most: int = MAX_OUTPUT) -> str:
    """``text``, cut to ``most`` characters with a note if it is longer."""
    if len(text) <= most:
        return text
    return text[:most] + f" [... {len(text) - most} more characters cut by the grader]"


def grade(
    workspace: str | Path,
    parts: list[str] | None = None,
    timeout: float = 60.0,
    jobs: int | None = None,
    memory_mb: int = Limits().memory_mb,
    points: dict[str, int] | None = None,
    user: str | None = None,
    handed_out: list[str] | None = None,
) -> list[TestResult]:
    """Check each part of a workspace, then the whole model end to end.

    Args:
        workspace: a folder made by ``init_workspace`` (with a student's code in it).
        parts: the checks to run, by part name, "end_to_end" included; None runs the
            parts handed out and the end-to-end check.
        timeout: seconds each part's process may take.
        jobs: checks run at once, each in its own process (None: one per CPU core).
        memory_mb: the address space each part's process may use.
        points: points by part name, over the defaults (see ``points_for``).
        user: run the students' code as this user (needs root; None: as the grader).
        handed_out: the parts the student was given to write, whose functions alone
            are theirs in the end-to-end check (None: those of ``parts`` other than
            the end-to-end check, or the default parts if it names none). Never read
            from the workspace: the student's ``assignment.json`` is theirs to edit.

    Returns:
        one ``TestResult`` per check, in the order of ``parts``.
    """
    workspace = Path(workspace).resolve()
    if not (workspace / "minilstm" / "__init__.py").exists():
        raise FileNotFoundError(f"{workspace} holds no minilstm package")
    named = [p for p in parts or [] if p != END_TO_END.name]
    handed_out = check_parts(handed_out if handed_out is not None else named or None)
    worth = points_for(handed_out, points)
    if user is not None:
        check_user(user)  # before any part, rather than once in each
    if parts is None:
        parts = handed_out + ([END_TO_END.name] if worth[END_TO_END.name] else [])
    limits = Limits(timeout=timeout, memory_mb=memory_mb, user=user)
    # Without namespaces the parts of one user could meet in shared folders or
    # through their processes: they run one at a time, and what each leaves goes.
    walled = user is None or walls_available()

    def one(name: str) -> dict:
        try:
            return run_part(workspace, name, limits, handed_out)
        finally:
            if not walled:
                kill_user(user)
                remove_files_of(user)

    try:
        workers = (jobs or os.cpu_count() or 1) if walled else 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = list(pool.map(one, parts))
    finally:
        if user is not None:
            kill_user(user)  # where no PID namespace took them with their part
    results = []
    for name, result in zip(parts, runs, strict=True):
        part = END_TO_END if name == END_TO_END.name else PARTS[name]
        score = worth[name] if result["passed"] else 0
        results.append(
            TestResult(
                name,
                part.title,
                score,
                worth[name],
                result["output"],
                result["summary"],
            )
        )
    return results


def table(results: list[TestResult]) -> str:
    """The report as text: one row per part, then the details of what failed."""
    width = max([len("total"), *(len(r.title) for r in results)])
    lines = [f"{'part':<{width}}  {'points':<7}  result"]
    for r in results:
        lines.append(
            f"{r.title:<{width}}  {r.score:>3}/{r.max_score:<3}  {short(r.summary)}"
        )
    total, most = sum(r.score for r in results), sum(r.max_score for r in results)
    lines.append(f"{'total':<{width}}  {total:>3}/{most:<3}".rstrip())
    failed = [r for r in results if r.score < r.max_score]
    if failed:
        lines += ["", "What failed:"]
        lines += [f"- {r.title} ({r.part}): {r.output}" for r in failed]
    return "\n".join(lines)


def short(summary: str, width: int = 64) -> str:
    """The first clause of a summary, at most ``width`` characters."""
    clause = re.split(r"[:;] ", summary.splitlines()[0] if summary else "", maxsplit=1)[
        0
    ]
    return clause if len(clause) <= width else clause[: width - 3] + "..."


def to_json(results: list[TestResult]) -> dict:
    """The layout common course autograders read (Gradescope's results.json): the total
    ``score``, a summary ``output``, ``visibility``, and ``tests``, one per part with
    name, score, max_score, output, status ("passed" or "failed") and visibility."""
    total, most = sum(r.score for r in results), sum(r.max_score for r in results)
    return {
        "score": total,
        "output": f"minilstm assignment: {total}/{most} points",
        "visibility": "visible",
        "tests": [
            {
                "name": f"{r.title} ({r.part})",
                "score": r.score,
                "max_score": r.max_score,
                "output": r.output,
                "status": "passed" if r.summary == "ok" else "failed",
                "visibility": "visible",
            }
            for r in results
        ],
    }
