"""Grade a workspace: one process per part, a table for people, JSON for autograders.

Each part runs in a fresh Python process with a time limit (``worker``), so code that
crashes, hangs or loops forever costs that part its points and nothing else. The
processes run side by side, one per CPU core.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from minilstm.assignment.parts import END_TO_END, PARTS
from minilstm.assignment.worker import BOOT
from minilstm.assignment.workspace import (
    MANIFEST,
    PACKAGE_DIR,
    check_parts,
    library_digest,
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
    """The workspace's manifest ({} if it has none)."""
    manifest = workspace / MANIFEST
    return json.loads(manifest.read_text()) if manifest.exists() else {}


def workspace_parts(workspace: Path) -> list[str]:
    """The parts handed out in this workspace (from its manifest; all if none)."""
    return check_parts(read_manifest(workspace).get("parts"))


def made_elsewhere(workspace: Path) -> bool:
    """Whether the workspace was made from minilstm sources other than the installed."""
    digest = read_manifest(workspace).get("library_digest")
    return digest is not None and digest != library_digest()


def run_part(workspace: Path, part: str, timeout: float) -> dict:
    """Run one part's check in a fresh process: {"passed", "output", "summary"}."""
    with tempfile.TemporaryDirectory() as tmp:
        result_file = Path(tmp) / "result.json"
        command = [
            sys.executable,
            "-c",
            BOOT,
            str(PACKAGE_DIR.parent),
            str(workspace),
            part,
            str(result_file),
        ]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        # What the student's code prints goes nowhere, and errors to a file, not a pipe:
        # a loop that prints must not fill the grader's memory before the time limit.
        with open(Path(tmp) / "stderr.txt", "w+b") as stderr:
            try:
                done = subprocess.run(
                    command,
                    cwd=tmp,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                text = (
                    f"stopped after the time limit of {timeout:g} s: an endless loop?"
                )
                return {
                    "passed": False,
                    "output": text,
                    "summary": "time limit exceeded",
                }
            if not result_file.exists():
                stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 2000))
                tail = stderr.read().decode(errors="replace").strip().splitlines()[-5:]
                text = (
                    f"the check crashed (exit code {done.returncode}):\n"
                    + "\n".join(tail)
                )
                return {"passed": False, "output": text, "summary": "crashed"}
        return json.loads(result_file.read_text())


def grade(
    workspace: str | Path,
    parts: list[str] | None = None,
    timeout: float = 60.0,
    jobs: int | None = None,
) -> list[TestResult]:
    """Check each part of a workspace, then the whole model end to end.

    Args:
        workspace: a folder made by ``init_workspace`` (with a student's code in it).
        parts: the checks to run, by part name, "end_to_end" included; None runs the
            parts of the workspace's manifest and the end-to-end check.
        timeout: seconds each check may take.
        jobs: checks run at once, each in its own process (None: one per CPU core).

    Returns:
        one ``TestResult`` per check, in the order of ``parts``.
    """
    workspace = Path(workspace).resolve()
    if not (workspace / "minilstm" / "__init__.py").exists():
        raise FileNotFoundError(f"{workspace} holds no minilstm package")
    if parts is None:
        parts = [*workspace_parts(workspace), END_TO_END.name]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        runs = list(pool.map(lambda name: run_part(workspace, name, timeout), parts))
    results = []
    for name, result in zip(parts, runs, strict=True):
        part = END_TO_END if name == END_TO_END.name else PARTS[name]
        score = part.points if result["passed"] else 0
        results.append(
            TestResult(
                name,
                part.title,
                score,
                part.points,
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
    ``score``, a summary ``output``, and ``tests``, one per part with name, score,
    max_score and output."""
    total, most = sum(r.score for r in results), sum(r.max_score for r in results)
    return {
        "score": total,
        "output": f"minilstm assignment: {total}/{most} points",
        "tests": [
            {
                "name": f"{r.title} ({r.part})",
                "score": r.score,
                "max_score": r.max_score,
                "output": r.output,
            }
            for r in results
        ],
    }
