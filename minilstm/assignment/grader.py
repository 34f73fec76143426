"""Grade a workspace: one bounded process per part, a table for people, JSON for
autograders.

For each part the grader records the calls its check makes (``session.Recorder``), has
``child.py`` make them on the student's code in a process with a time, memory and output
limit (``sandbox``), and replays the check on what came back (``session.Replayer``). The
verdict is made here, in the grader's process; the student's process only computes.
Code that crashes, hangs, exits or runs out of memory costs that part its points and
nothing else. The processes run side by side, one per CPU core.
"""

import json
import os
import re
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
    run_child,
)
from minilstm.assignment.session import Recorder, Replayer
from minilstm.assignment.workspace import (
    MANIFEST,
    PACKAGE_DIR,
    check_parts,
    function_source,
    library_digest,
    library_markers,
)


class TestResult(NamedTuple):
    """The result of one part, as autograders list it."""

    part: str
    title: str
    score: int
    max_score: int
    output: str
    summary: str  # what failed, in a few words ("ok" when passed)


def read_manifest(workspace: Path) -> dict:
    """The workspace's manifest ({} if it has none).

    Raises:
        ValueError: a manifest that is not a JSON object; the message names its file.
    """
    manifest = workspace / MANIFEST
    if not manifest.exists():
        return {}
    try:
        content = json.loads(manifest.read_text())
    except ValueError as exc:
        raise ValueError(f"{manifest} is damaged: {exc}") from None
    if not isinstance(content, dict):
        raise ValueError(f"{manifest} is damaged: it is not a JSON object")
    return content


def workspace_parts(workspace: Path) -> list[str]:
    """The parts handed out in this workspace (from its manifest; the default ones if
    it has none)."""
    return check_parts(read_manifest(workspace).get("parts"))


def made_elsewhere(workspace: Path) -> bool:
    """Whether the workspace was made from other minilstm sources than the installed
    ones."""
    digest = read_manifest(workspace).get("library_digest")
    return digest is not None and digest != library_digest()


def isolation(part: str) -> list[dict]:
    """The library's code of every part but ``part``, to stand in for the student's
    while ``part`` is checked (none for the end-to-end check, which runs theirs)."""
    if part == END_TO_END.name:
        return []
    return [
        {
            "module": m.module.removesuffix(".py"),
            "qualname": m.qualname,
            "source": function_source((PACKAGE_DIR / m.module).read_text(), m.qualname),
        }
        for m in library_markers()
        if m.part != part
    ]


def output_note(run: ChildRun) -> str:
    """A sentence on the output the grader dropped, if it dropped any."""
    notes = [
        f"{name}: {captured.total} bytes, of which the first and last {KEEP} were kept"
        for name, captured in (("stdout", run.stdout), ("stderr", run.stderr))
        if captured.dropped
    ]
    return f" (Your code printed a lot; {'; '.join(notes)}.)" if notes else ""


def run_part(workspace: Path, part: str, limits: Limits) -> dict:
    """Check one part: {"passed", "output", "summary"}."""
    check = checks.CHECKS[part]
    recorder = Recorder(workspace)
    try:
        check(recorder)  # the library stands in for the student: this records the calls
    except Exception:
        text = "the grader failed:\n" + traceback.format_exc()
        return {"passed": False, "output": text, "summary": "the grader failed"}
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        recorder.write(run_dir, workspace, isolation(part))
        run = run_child(run_dir, limits)
        try:
            check(Replayer(workspace, run_dir, recorder.steps, run, limits))
            result = {"passed": True, "output": "passed", "summary": "ok"}
        except PartFailed as failure:
            result = {
                "passed": False,
                "output": str(failure),
                "summary": failure.summary,
            }
        except Exception:
            text = "the grader failed:\n" + traceback.format_exc()
            result = {"passed": False, "output": text, "summary": "the grader failed"}
    result["output"] += output_note(run)
    return result


def grade(
    workspace: str | Path,
    parts: list[str] | None = None,
    timeout: float = 60.0,
    jobs: int | None = None,
    memory_mb: int = Limits().memory_mb,
    points: dict[str, int] | None = None,
    user: str | None = None,
) -> list[TestResult]:
    """Check each part of a workspace, then the whole model end to end.

    Args:
        workspace: a folder made by ``init_workspace`` (with a student's code in it).
        parts: the checks to run, by part name, "end_to_end" included; None runs the
            parts of the workspace's manifest and the end-to-end check.
        timeout: seconds each part's process may take.
        jobs: checks run at once, each in its own process (None: one per CPU core).
        memory_mb: the address space each part's process may use.
        points: points by part name, over those of the workspace's manifest (which
            ``init_workspace`` wrote; see ``points_for`` for the defaults).
        user: run the students' code as this user (needs root; None: as the grader).

    Returns:
        one ``TestResult`` per check, in the order of ``parts``.
    """
    workspace = Path(workspace).resolve()
    if not (workspace / "minilstm" / "__init__.py").exists():
        raise FileNotFoundError(f"{workspace} holds no minilstm package")
    handed_out = workspace_parts(workspace)
    chosen = {**read_manifest(workspace).get("points", {}), **(points or {})}
    worth = points_for(handed_out, chosen)
    if user is not None:
        check_user(user)  # before any part, rather than once in each
    if parts is None:
        parts = handed_out + ([END_TO_END.name] if worth[END_TO_END.name] else [])
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        limits = Limits(timeout=timeout, memory_mb=memory_mb, user=user)
        runs = list(pool.map(lambda name: run_part(workspace, name, limits), parts))
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
    width = max(len(r.title) for r in results)
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
