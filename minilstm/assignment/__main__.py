"""``python -m minilstm.assignment init DIR``, ``check DIR``, ``grade DIR``,
``autograder OUT.zip``, ``collect DIR`` and ``site --out DIR``."""

import json
import sys
from pathlib import Path

from minilstm.assignment.bundle import DEFAULT_USER, build_autograder, collect
from minilstm.assignment.grader import grade, made_elsewhere, table, to_json
from minilstm.assignment.notebooks import SITE, write_notebooks
from minilstm.assignment.parts import DEFAULT_PARTS, END_TO_END, PARTS, parse_points
from minilstm.assignment.selfcheck import run_selfcheck
from minilstm.assignment.student_site import build_site, parts_from
from minilstm.assignment.workspace import check_parts, init_workspace, library_markers
from minilstm.cli import ArgumentParser, positive_float, positive_int, run

PROG = "python -m minilstm.assignment"


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
    init.add_argument(
        "--points",
        nargs="+",
        default=[],
        metavar="SPEC",
        help="points a part is worth, as part=N or JSON files of {part: N} "
        "(end_to_end=0 leaves the end-to-end check out; default: its usual share)",
    )
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
        "(default: the workspace's parts and end_to_end)",
    )
    check.add_argument(
        "--points",
        nargs="+",
        default=[],
        metavar="SPEC",
        help="points a part is worth, as part=N or JSON files of {part: N} "
        "(end_to_end=0 leaves the end-to-end check out; default: its usual share)",
    )
    check.add_argument(
        "--json", type=Path, help="also write the result to this JSON file"
    )
    check.add_argument(
        "--timeout", type=positive_float, default=60.0, help="seconds per part"
    )
    check.add_argument(
        "--memory", type=positive_int, default=2048, help="MB of address space per part"
    )
    check.add_argument(
        "--jobs",
        type=positive_int,
        help="parts checked at once (default: one per CPU core)",
    )
    check.add_argument(
        "--user",
        help="run the students' code as this user, e.g. one who cannot read the "
        "installed minilstm (needs root)",
    )
    collect_ = commands.add_parser(
        "collect", help="zip the module files a student edits, to hand in"
    )
    collect_.add_argument("directory", type=Path, help="the student's workspace")
    collect_.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("submission.zip"),
        help="the zip to write (default: submission.zip)",
    )
    bundle = commands.add_parser("autograder", help="build a Gradescope autograder zip")
    bundle.add_argument("output", type=Path, help="the zip to write")
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
        "--memory", type=positive_int, default=2048, help="MB of address space per part"
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
        except FileNotFoundError as exc:
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
    if made_elsewhere(args.directory):
        print(
            f"{PROG}: warning: {args.directory} was made from other minilstm sources "
            "than the installed ones; grade with the minilstm that made it",
            file=sys.stderr,
        )
    try:
        results = grade(
            args.directory,
            args.parts,
            timeout=args.timeout,
            jobs=args.jobs,
            memory_mb=args.memory,
            points=points,
            user=args.user,
        )
    except (FileNotFoundError, ValueError, PermissionError) as exc:
        parser.error(str(exc))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run(main, PROG))
