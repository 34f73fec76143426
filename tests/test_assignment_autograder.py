"""The Gradescope autograder bundle, end to end: built, unzipped into a temporary root,
set up, and run on a correct, a wrong and a forging submission as Gradescope would,
with the students' code run as the unprivileged user ``nobody``."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_assignment import ADAM_WITHOUT_BIAS_CORRECTION, keep_library_copy, plant
from test_assignment_sandbox import FORGING_INIT

from minilstm.assignment import init_workspace
from minilstm.assignment.__main__ import main
from minilstm.assignment.bundle import build_autograder, collect

pytestmark = pytest.mark.slow  # grades workspaces end to end

PARTS = ["mse_backward", "adam"]
# The system's interpreter of this version: the venv's may live where an unprivileged
# user cannot run it (here under /root), as on Gradescope it would not.
SYSTEM_PYTHON = Path(
    f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
)


def has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not has_user("nobody") or not SYSTEM_PYTHON.exists(),
    reason="runs code as the user nobody: needs root, that user and a system Python",
)


def test_collect_zips_exactly_the_edited_module_files(tmp_path, capsys):
    workspace = init_workspace(tmp_path / "ws", parts=["bptt", "adam"])
    (workspace / "minilstm" / "notes.py").write_text("x = 1\n")
    main(["collect", str(workspace), "-o", str(tmp_path / "s.zip")])
    assert "optimizers.py" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        assert sorted(archive.namelist()) == ["lstm.py", "optimizers.py"]


def test_the_bundle_holds_setup_run_config_and_the_reference(tmp_path):
    path = build_autograder(tmp_path / "a.zip", PARTS, {"adam": 7}, user="someone")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        config = json.loads(archive.read("config.json"))
        mode = archive.getinfo("run_autograder").external_attr >> 16
    assert {"setup.sh", "run_autograder", "lib/minilstm/lstm.py"} <= set(names)
    assert "lib/minilstm/assignment/grader.py" in names
    assert not any("__pycache__" in n for n in names)
    assert config["points"] == {"mse_backward": 5, "adam": 7, "end_to_end": 1}
    assert config["files"] == ["losses.py", "optimizers.py"]
    assert config["user"] == "someone" and mode & 0o111


@pytest.fixture
def autograder(tmp_path_factory):
    """An unzipped, set-up autograder in a temporary root; yields a function that
    grades a submission folder's files and returns results.json."""
    # Under /tmp with modes an unprivileged user can pass: pytest's own folders are
    # root's alone.
    base = Path(tmp_path_factory.mktemp("base"))
    root = Path(shutil.copytree(base, Path("/tmp") / f"minilstm-ag-{os.getpid()}"))
    try:
        root.chmod(0o755)
        source = root / "source"
        zip_path = build_autograder(
            base / "autograder.zip", PARTS, {"end_to_end": 0}, user="nobody"
        )
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(source)
        # root/site: NumPy, as a system install would give. Copied, not linked: the
        # test's own NumPy may live where nobody cannot read (CI's venv is in a
        # private temporary folder).
        package = Path(np.__file__).parent
        for path in (package, package.with_name("numpy.libs")):
            if path.exists():
                shutil.copytree(path, root / "site" / path.name, symlinks=True)
        env = {
            "PATH": os.environ["PATH"],
            "MINILSTM_PYTHON": str(SYSTEM_PYTHON),
            "PYTHONPATH": str(root / "site"),
            "AUTOGRADER_ROOT": str(root),
        }
        subprocess.run(["bash", str(source / "setup.sh")], env=env, check=True)
        assert (source / "lib").stat().st_mode & 0o077 == 0

        def run(files: dict[str, bytes | Path]) -> dict:
            submission = root / "submission"
            shutil.rmtree(submission, ignore_errors=True)
            submission.mkdir()
            for name, content in files.items():
                target = submission / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, Path):
                    target.symlink_to(content)
                else:
                    target.write_bytes(content)
            subprocess.run(
                ["bash", str(source / "run_autograder")],
                env=env,
                check=True,
                timeout=600,
            )
            return json.loads((root / "results" / "results.json").read_text())

        yield run, source
    finally:
        shutil.rmtree(root)


def unzip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def by_name(results: dict) -> dict[str, tuple[int, str]]:
    return {
        t["name"].rsplit("(", 1)[1][:-1]: (t["score"], t["status"])
        for t in results["tests"]
    }


@needs_root
def test_the_bundle_grades_correct_wrong_and_forging_submissions(autograder, tmp_path):
    run, source = autograder
    solution = init_workspace(tmp_path / "solution", PARTS, solution=True)
    collect(solution, tmp_path / "right.zip")
    results = run(unzip(tmp_path / "right.zip"))
    assert results["score"] == 15
    assert by_name(results) == {"mse_backward": (5, "passed"), "adam": (10, "passed")}
    for test in results["tests"]:
        assert test["visibility"] == "visible" and test["max_score"] > 0
    assert "Graded from your submission: losses.py, optimizers.py." in results["output"]

    # The files may come in a minilstm/ folder too; adam is wrong here.
    wrong = init_workspace(tmp_path / "wrong", PARTS, solution=True)
    plant(wrong, "optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION)
    collect(wrong, tmp_path / "wrong.zip")
    files = {f"minilstm/{k}": v for k, v in unzip(tmp_path / "wrong.zip").items()}
    results = run(files)
    assert by_name(results) == {"mse_backward": (5, "passed"), "adam": (0, "failed")}
    assert "bias correction is missing" in results["tests"][1]["output"]

    # A forged verdict at import, and an __init__.py that would run first.
    optimizers = (solution / "minilstm" / "optimizers.py").read_bytes()
    losses = (solution / "minilstm" / "losses.py").read_bytes()
    results = run(
        {
            "optimizers.py": FORGING_INIT.encode() + optimizers,
            "losses.py": losses,
            "__init__.py": FORGING_INIT.encode(),
            "minilstm/__init__.py": FORGING_INIT.encode(),
        }
    )
    assert by_name(results) == {"mse_backward": (0, "failed"), "adam": (0, "failed")}
    assert results["score"] == 0

    # The students' code cannot read the reference...
    reference = source / "lib" / "minilstm" / "losses.py"
    reads = init_workspace(tmp_path / "reads", PARTS, solution=True)
    keep_library_copy(reads, "losses.py", "mse_backward")
    plant(
        reads,
        "losses.py",
        "mse_backward",
        f"open({str(reference)!r}).read()\nreturn library_mse_backward(dloss, cache)",
    )
    files = {"losses.py": (reads / "minilstm" / "losses.py").read_bytes()}
    results = run({**files, "optimizers.py": optimizers})
    assert by_name(results) == {"mse_backward": (0, "failed"), "adam": (10, "passed")}
    assert "raised PermissionError" in results["tests"][0]["output"]

    # ...and a link to it is not followed, though the grader (root) could read it.
    results = run({"losses.py": reference, "optimizers.py": optimizers})
    assert by_name(results)["mse_backward"] == (0, "failed")
    assert "losses.py is missing from the submission" in results["output"]
