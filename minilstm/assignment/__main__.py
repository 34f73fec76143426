"""``python -m minilstm.assignment init DIR``, ``check DIR``, ``grade DIR``,
``grade-zip SUBMISSION.zip``, ``autograder OUT.zip``, ``collect DIR`` and
``site --out DIR``."""

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

from minilstm.assignment.bundle import (
    DEFAULT_USER,
    build_autograder,
    collect,
    edited_modules,
    from_zip,
    grade_files,
)
from minilstm.assignment.grader import (
    grade,
    made_elsewhere,
    read_config,
    read_manifest,
    table,
    to_json,
)
from minilstm.assignment.notebooks import SITE, write_notebooks
from minilstm.assignment.parts import DEFAULT_PARTS, END_TO_END, PARTS, parse_points
from minilstm.assignment.selfcheck import run_selfcheck
from minilstm.assignment.student_site import build_site, parts_from
from minilstm.assignment.workspace import check_parts, init_workspace, library_markers
from minilstm.cli import (
    ArgumentParser,
    file_to_write,
    positive_float,
    positive_int,
    run,
)

PROG = "python -m minilstm.assignment"
# The largest address-space limit setrlimit takes (a C long of bytes), in MB.
MAX_MEMORY_MB = (2**63 - 1) // 2**20


def memory_mb(text: str) -> int:
    """argparse type: MB of address space per part, as many as a process limit holds."""
    value = positive_int(text)
    if value > MAX_MEMORY_MB:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_MEMORY_MB} MB, what a process limit holds; "
            f"got {text!r}"
        )
    return value


def add_points_option(command: argparse.ArgumentParser) -> None:
    """``--points``: init writes them into the workspace, grade and grade-zip apply
    them."""
    command.add_argument(
        "--points",
        nargs="+",
        default=[],
        metavar="SPEC",
        help="points a part is worth, as part=N or JSON files of {part: N} "
        "(end_to_end=0 leaves the end-to-end check out; default: its usual share)",
    )


def add_grading_options(command: argparse.ArgumentParser) -> None:
    """The options ``grade`` and ``grade-zip`` share: the teacher's parts and points,
    the JSON report, and each part's limits and user; defined once, so that both
    commands check them alike."""
    command.add_argument(
        "--config",
        type=Path,
        metavar="TEACHER.json",
        help="the parts handed out and their points, as init wrote them in the "
        "workspace's assignment.json: keep a copy, the student can edit theirs "
        "(default: the kit's default parts and points)",
    )
    add_points_option(command)
    command.add_argument(
        "--json", type=file_to_write, help="also write the result to this JSON file"
    )
    command.add_argument(
        "--timeout", type=positive_float, default=60.0, help="seconds per part"
    )
    command.add_argument(
        "--memory", type=memory_mb, default=2048, help="MB of address space per part"
    )
    command.add_argument(
        "--jobs",
        type=positive_int,
        help="parts checked at once (default: one per CPU core)",
    )
    command.add_argument(
        "--user",
        help="run the students' code as this user, e.g. one who cannot read the "
        "installed minilstm (needs root)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog=PROG,
        description="Make student workspaces from minilstm's source and grade them.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write a student workspace")
    init.add_argument("directory", type=Path, help="a new (or empty) folder")
    init.add_argument(
        "--parts",
        nargs="+",
        choices=list(PARTS),
        metavar="PART",
        help=f"the parts to hand out, from: {', '.join(PARTS)} "
        f"(default: {', '.join(DEFAULT_PARTS)})",
    )
    init.add_argument(
        "--solution",
        action="store_true",
        help="keep the library's code (a full-marks check)",
    )
    init.add_argument(
        "--notebooks",
        action="store_true",
        help="also write notebooks/PART.ipynb for each part (needs nbformat)",
    )
    init.add_argument(
        "--site-url",
        default=SITE,
        metavar="URL",
        help="where the notebooks' links find the site's pages (default: "
        f"{SITE}, the student edition built into DIR/site)",
    )
    add_points_option(init)
    selfcheck = commands.add_parser(
        "check",
        help="run a workspace's self-check (NumPy only, without the installed library)",
    )
    selfcheck.add_argument("directory", type=Path, help="a workspace")
    selfcheck.add_argument(
        "parts", nargs="*", metavar="PART", help="the parts to check (default: all)"
    )
    check = commands.add_parser("grade", help="grade a workspace")
    check.add_argument(
        "directory", type=Path, help="a workspace with the student's code"
    )
    check.add_argument(
        "--parts",
        nargs="+",
        choices=[*PARTS, END_TO_END.name],
        metavar="PART",
        help=f"the checks to run, from: {', '.join([*PARTS, END_TO_END.name])} "
        "(default: the parts handed out and end_to_end)",
    )
    add_grading_options(check)
    grade_zip = commands.add_parser(
        "grade-zip",
        help="grade a submission zip (as collect writes it) in a fresh workspace",
    )
    grade_zip.add_argument("zip", type=Path, help="the student's submission zip")
    add_grading_options(grade_zip)
    collect_ = commands.add_parser(
        "collect", help="zip the module files a student edits, to hand in"
    )
    collect_.add_argument("directory", type=Path, help="the student's workspace")
    collect_.add_argument(
        "-o",
        "--output",
        type=file_to_write,
        default=Path("submission.zip"),
        help="the zip to write (default: submission.zip)",
    )
    bundle = commands.add_parser("autograder", help="build a Gradescope autograder zip")
    bundle.add_argument("output", type=file_to_write, help="the zip to write")
    bundle.add_argument(
        "--parts",
        nargs="+",
        choices=list(PARTS),
        metavar="PART",
        help=f"the parts to grade, from: {', '.join(PARTS)} (default: all)",
    )
    bundle.add_argument(
        "--points",
        nargs="+",
        default=[],
        metavar="SPEC",
        help="points a part is worth, as part=N or JSON files of {part: N}",
    )
    bundle.add_argument(
        "--user",
        default=DEFAULT_USER,
        help=f"the user the students' code runs as (default: {DEFAULT_USER}; "
        "setup.sh creates it if missing)",
    )
    bundle.add_argument(
        "--timeout", type=positive_float, default=60.0, help="seconds per part"
    )
    bundle.add_argument(
        "--memory", type=memory_mb, default=2048, help="MB of address space per part"
    )
    site = commands.add_parser(
        "site",
        help="build the student edition of the docs site (from a clone of the "
        "repository, with the docs extra installed)",
    )
    given = site.add_mutually_exclusive_group()
    given.add_argument(
        "--parts",
        nargs="+",
        choices=list(PARTS),
        metavar="PART",
        help=f"the parts handed out (default: {', '.join(DEFAULT_PARTS)})",
    )
    given.add_argument(
        "--workspace", type=Path, help="take the parts from this workspace's manifest"
    )
    site.add_argument("--out", type=Path, required=True, help="the folder to build to")
    site.add_argument(
        "--config-file",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the repository's mkdocs.yml (default: ./mkdocs.yml)",
    )
    args = parser.parse_args(argv)
    if args.command == "site":
        try:
            parts = parts_from(args.workspace, args.parts)
            build_site(parts, args.out, args.config_file)
        except (FileNotFoundError, ValueError, RuntimeError) as exc:
            parser.error(str(exc))
        print(f"wrote {args.out}: the site with {', '.join(parts)} as stubs")
        return 0
    if args.command == "collect":
        try:
            files = collect(args.directory, args.output)
        except (FileNotFoundError, ValueError) as exc:
            parser.error(str(exc))
        print(f"wrote {args.output} with {', '.join(files)}; hand in that file")
        return 0
    if args.command == "check":
        try:
            status = run_selfcheck(args.directory, args.parts, capture=False).returncode
        except (FileNotFoundError, ValueError) as exc:
            parser.error(str(exc))
        if status:  # 1: a part did not pass (``run`` would turn a return into 0)
            sys.exit(status)
        return 0
    try:
        points = parse_points(args.points)
    except ValueError as exc:
        parser.error(str(exc))

    if args.command == "autograder":
        path = build_autograder(
            args.output,
            args.parts,
            points,
            user=args.user,
            timeout=args.timeout,
            memory_mb=args.memory,
        )
        print(f"wrote {path}: upload it as the Gradescope autograder")
        return 0
    if args.command == "init":
        if args.notebooks and importlib.util.find_spec("nbformat") is None:
            # Before the workspace is written, so that a refused init leaves nothing.
            parser.error("--notebooks needs nbformat: pip install nbformat")
        try:
            path = init_workspace(
                args.directory, args.parts, solution=args.solution, points=points
            )
            if args.notebooks:
                write_notebooks(
                    path, check_parts(args.parts), library_markers(), args.site_url
                )
        except (FileExistsError, ValueError, ModuleNotFoundError) as exc:
            parser.error(str(exc))
        parts = args.parts or DEFAULT_PARTS
        print(
            f"wrote {path} with the parts {', '.join(parts)}; see {path / 'README.md'}"
        )
        return 0
    if args.command == "grade-zip":
        try:
            config = read_config(args.config) if args.config else None
            parts = config["parts"] if config else list(DEFAULT_PARTS)
            files, notes = from_zip(args.zip, edited_modules(parts))
            report = grade_files(
                files,
                notes,
                parts,
                {**(config["points"] if config else {}), **points},
                timeout=args.timeout,
                memory_mb=args.memory,
                jobs=args.jobs,
                user=args.user,
            )
        except (FileNotFoundError, ValueError, PermissionError) as exc:
            parser.error(str(exc))
        warn_if_root(args.user)
        for test in report["tests"]:
            print(f"{test['score']:>3}/{test['max_score']:<3}  {test['name']}")
        print(report["output"])
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
        return 0
    named = read_manifest(args.directory).get("parts")
    if not args.config and not args.parts and named not in (None, DEFAULT_PARTS):
        print(
            f"{PROG}: warning: the workspace's assignment.json names other parts than "
            "the kit's defaults, which are graded here; give your copy of it with "
            "--config to grade those",
            file=sys.stderr,
        )
    if made_elsewhere(args.directory):
        print(
            f"{PROG}: warning: {args.directory} was made from other minilstm sources "
            "than the installed ones; grade with the minilstm that made it",
            file=sys.stderr,
        )
    try:
        config = read_config(args.config) if args.config else None
        results = grade(
            args.directory,
            args.parts,
            timeout=args.timeout,
            jobs=args.jobs,
            memory_mb=args.memory,
            points={**(config["points"] if config else {}), **points},
            user=args.user,
            handed_out=config["parts"] if config else None,
        )
    except (FileNotFoundError, ValueError, PermissionError) as exc:
        parser.error(str(exc))
    source = f"from {args.config}" if args.config else "the kit's defaults"
    if not args.config and args.parts:
        source = "the parts named; points: the kit's defaults"
    warn_if_root(args.user)
    print(table(results))
    print(f"\nParts and points: {source} (never the workspace's assignment.json).")
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n")
    return 0


def warn_if_root(user: str | None) -> None:
    """Warn that the students' code ran as root, if it did."""
    if user is None and os.geteuid() == 0:
        print(
            f"{PROG}: warning: graded as root without --user, so the students' code "
            "ran as root; see the threat model in the teachers' guide",
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(run(main, PROG))
