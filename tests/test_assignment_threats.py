"""The grader against a determined student: each attack below is planted in a workspace
whose parts are all stubs (0 points of work) and graded through the public commands,
as root with the students' code run as the unprivileged user ``nobody`` (as the
Gradescope bundle does). Every one must leave the workspace at 0 (or be refused),
finish within two minutes with a valid results.json under 10 MB, and leave no process
behind.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_assignment import keep_library_copy, plant
from test_assignment_autograder import (
    SYSTEM_PYTHON,
    gradescope_root,
    has_user,
    run_gradescope,
)

import minilstm
from minilstm.assignment import init_workspace
from minilstm.assignment.bundle import MAX_FILE, collect, open_to_all
from minilstm.assignment.grader import stand_ins
from minilstm.assignment.parts import DEFAULT_PARTS
from minilstm.assignment.sandbox import Limits, PartGroup
from minilstm.assignment.session import serve
from minilstm.data import load_task
from minilstm.seq2seq import Seq2Seq

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not has_user("nobody") or not SYSTEM_PYTHON.exists(),
    reason="runs code as the user nobody: needs root, that user and a system Python",
)
NOBODY = 65534
MARK = "minilstm-red-team"  # in the command line of every process an attack starts
WORKTREE = Path(minilstm.__file__).parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """NumPy where nobody can read it, for the system Python the grader runs with."""
    folder = Path(tempfile.mkdtemp(prefix="minilstm-site-", dir="/tmp"))
    package = Path(np.__file__).parent
    for path in (package, package.with_name("numpy.libs")):
        if path.exists():
            shutil.copytree(path, folder / path.name, symlinks=True)
    open_to_all(folder)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def stubs():
    """An all-stub workspace of the default parts, readable by nobody."""
    folder = Path(tempfile.mkdtemp(prefix="minilstm-threat-", dir="/tmp"))
    try:
        workspace = init_workspace(folder / "ws")
        open_to_all(folder)
        yield workspace
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def attack_at_import(workspace: Path, code: str) -> None:
    """Run ``code`` whenever the student's package is imported (in every part)."""
    init = workspace / "minilstm" / "__init__.py"
    init.write_text(init.read_text() + "\n" + code)


def command(site: Path, *argv: str, user: bool = True, walls: bool = True) -> dict:
    """Run ``python -m minilstm.assignment`` as a teacher would, within two minutes;
    the --json report it writes, checked for size and form."""
    report = Path(tempfile.mkdtemp(dir="/tmp")) / "results.json"
    options = ["--json", str(report)] + (["--user", "nobody"] if user else [])
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{WORKTREE}:{site}",
        "MINILSTM_GRADER_NO_WALLS": "0" if walls else "1",
    }
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-m", "minilstm.assignment", *argv, *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    try:
        assert report.stat().st_size < 10_000_000
        results = json.loads(report.read_text())
    finally:
        shutil.rmtree(report.parent)
    assert set(results) >= {"score", "output", "tests"}
    assert_nothing_left()
    return results


def assert_nothing_left() -> None:
    """No process of nobody's, none that an attack started."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            uid = entry.stat().st_uid
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and (uid == NOBODY or MARK.encode() in cmdline):
            left.append((entry.name, cmdline[:200]))
    assert not left


def by_part(results: dict) -> dict[str, int]:
    return {t["name"].rsplit("(", 1)[1][:-1]: t["score"] for t in results["tests"]}


# A2. The old grader wrote a plan.json with the library's code of every other part into
# each part's folder, which a part running beside it could read; here every file the
# process can reach is searched for it, and what is found is stashed for later parts.
STEALS_THE_REFERENCE = """
import glob as _glob, json as _json, os as _os, sys as _sys

def _steal():
    found = {}
    paths = _glob.glob("/tmp/**/plan.json", recursive=True)
    paths += _glob.glob("/proc/*/cwd/plan.json") + _glob.glob("/tmp/stash-*/*.json")
    for path in paths:
        try:
            plan = _json.load(open(path))
        except Exception:
            continue
        for item in plan.get("isolate", []):
            found[item["module"] + "." + item["qualname"]] = item
    try:
        _os.makedirs("/tmp/stash-MARK", exist_ok=True)
        stash = open("/tmp/stash-MARK/s.json", "w")
        _json.dump({"isolate": list(found.values())}, stash)
    except OSError:
        pass
    import importlib, textwrap
    for key, item in found.items():
        module = importlib.import_module("minilstm." + item["module"])
        scope = {}
        exec(textwrap.dedent(item["source"]), vars(module), scope)
        owner, _, name = item["qualname"].rpartition(".")
        setattr(getattr(module, owner) if owner else module, name, scope[name])

_steal()
""".replace("MARK", MARK)


@pytest.mark.slow
def test_a2_no_file_the_students_process_can_read_holds_the_reference(site, stubs):
    attack_at_import(stubs, STEALS_THE_REFERENCE)
    results = command(site, "grade", str(stubs))
    assert results["score"] == 0
    assert not Path(f"/tmp/stash-{MARK}").exists()  # nothing left in shared space


def test_a2_the_grader_computes_only_what_a_part_calls():
    assert stand_ins("bptt") == ["lstm.lstm_cell_backward", "lstm.lstm_step_backward"]
    # lstm_backward over one step would answer for lstm_step_backward.
    assert stand_ins("lstm_step_backward") == []
    assert stand_ins("end_to_end") == []


def test_a2_the_stand_ins_answer_only_for_other_parts():
    answer = serve(["lstm.lstm_step_forward"])
    header = {"function": "lstm.lstm_backward", "args": {"list": []}, "kwargs": {}}
    reply, arrays = answer(header, {})
    assert "is not another part's function" in reply["error"] and arrays == {}


# B1. A submission that is one link to the bundle's own minilstm, read as root.
@pytest.mark.slow
def test_b1_links_and_fifos_in_a_submission_are_refused(tmp_path):
    root = gradescope_root(tmp_path, None, {})
    try:
        reference = root / "source" / "lib" / "minilstm"
        results = run_gradescope(root, {"minilstm": reference})
        assert results["score"] == 0
        assert "was refused" in results["output"]
        # H9's kin: a FIFO where a module file should be must not block the grader.
        submission = root / "submission"
        shutil.rmtree(submission)
        submission.mkdir()
        os.mkfifo(submission / "lstm.py")
        done = subprocess.run(
            ["./run_autograder"],
            cwd=root,
            env={
                "PATH": os.environ["PATH"],
                "MINILSTM_PYTHON": str(SYSTEM_PYTHON),
                "PYTHONPATH": str(root / "site"),
                "AUTOGRADER_ROOT": str(root),
            },
            timeout=120,
        )
        assert done.returncode == 0
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == 0 and "lstm.py was refused" in results["output"]
    finally:
        shutil.rmtree(root)
    assert_nothing_left()


# A1. The old end-to-end check measured the loss from the student's own first
# get_weights and trusted their fit.
INFLATED_START = """
if not getattr(self, "_asked", False):
    self._asked = True
    return [10 * w for w in self.trainable_weights]
return [w.copy() for w in self.trainable_weights]
"""


def test_a1_the_end_to_end_check_trusts_no_fit_or_get_weights(site, stubs):
    # The old check scored 10 here, with every part a stub.
    plant(stubs, "seq2seq.py", "Seq2Seq.get_weights", INFLATED_START)
    plant(stubs, "seq2seq.py", "Seq2Seq.fit", "return None")
    results = command(site, "grade", str(stubs), "--parts", "end_to_end")
    assert results["score"] == 0
    assert "it should at least halve" in results["tests"][0]["output"]


def weights_found_at_home() -> list:
    """The weights the library's training reaches on the old check's fixed data."""
    data = load_task("sin_cos", num_points=40, window=8)
    model = Seq2Seq(units=8, seed=0)
    model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=10, batch_size=8, verbose=0)
    return [w.tolist() for w in model.get_weights()]


# Every part written (the library's code), but fit sets weights found elsewhere, or
# trains its own way (plain gradient descent, long enough to lower the loss as much).
OWN_TRAINING = """
for _ in range(300):
    _, grads = self.loss_and_grads(enc_x, dec_x, dec_y)
    for weight, grad in zip(self.trainable_weights, grads):
        weight -= 0.5 * grad
"""


# Weights found on other data may or may not lower the loss on the grader's data,
# which is drawn anew for every run: either refusal is right, and one must come.
HALVE = "it should at least halve"
NOT_TRAINED = "not those the library's training reaches"


@pytest.mark.parametrize(
    ("fit", "refusals"),
    [("found", (HALVE, NOT_TRAINED)), (OWN_TRAINING, (NOT_TRAINED,))],
)
def test_a1_weights_made_elsewhere_do_not_pass_for_training(site, fit, refusals):
    if fit == "found":
        fit = f"self.set_weights([np.array(w) for w in {weights_found_at_home()!r}])"
    folder = Path(tempfile.mkdtemp(prefix="minilstm-threat-", dir="/tmp"))
    try:
        workspace = init_workspace(folder / "ws", solution=True)
        plant(workspace, "seq2seq.py", "Seq2Seq.fit", fit)
        open_to_all(folder)
        results = command(site, "grade", str(workspace), "--parts", "end_to_end")
    finally:
        shutil.rmtree(folder)
    assert results["score"] == 0
    output = results["tests"][0]["output"]
    assert any(words in output for words in refusals), output


# A6. The student's own assignment.json gives all the points to the one part written.
def test_a6_points_and_parts_never_come_from_the_students_folder(site, stubs):
    keep_library_copy(stubs, "losses.py", "mse_backward")
    plant(
        stubs, "losses.py", "mse_backward", "return library_mse_backward(dloss, cache)"
    )
    manifest = stubs / "assignment.json"
    manifest.write_text(
        json.dumps({"parts": ["mse_backward"], "points": {"mse_backward": 100}})
    )
    results = command(site, "grade", str(stubs))
    assert results["score"] == 5
    assert sum(t["max_score"] for t in results["tests"]) == 100
    results = command(site, "grade", str(stubs), "--parts", "mse_backward")
    assert [(t["score"], t["max_score"]) for t in results["tests"]] == [(5, 5)]


# H1, H2, H3, H4: what comes back from the student's process. Their process writes to
# the grader's pipe itself: a header that promises 6 GB of arrays (the npz bomb's kin),
# then /dev/zero without end; FIFOs and links to /dev/zero wherever the old grader
# looked for results; and 50 MB error messages.
FLOODS_THE_GRADER = """
import json as _json, os as _os, struct as _struct, sys as _sys

for _name in ("out", "out/0.json", "out/0.npz"):
    try:
        if _name == "out":
            _os.mkdir(_name)
        elif _name.endswith("json"):
            _os.mkfifo(_name)
        else:
            _os.symlink("/dev/zero", _name)
    except OSError:
        pass

if _os.environ.get("TMPDIR", "").endswith("tmp"):
    _fd = int(_sys.argv[1])
    _header = _json.dumps(
        {"kind": "result", "key": "0", "record": {"result": {"a": "x"}},
         "arrays": [["x", "<f8", [800_000_000]]]}
    ).encode()
    try:
        _os.write(_fd, _struct.pack("<Q", len(_header)) + _header)
        _zero = open("/dev/zero", "rb")
        while True:
            _os.write(_fd, _zero.read(1 << 20))
    except OSError:
        pass
"""


def test_h1_to_h4_what_comes_back_is_bounded_and_never_blocks(site, stubs):
    attack_at_import(stubs, FLOODS_THE_GRADER)
    results = command(site, "grade", str(stubs))
    assert results["score"] == 0
    assert any("grader stopped listening" in t["output"] for t in results["tests"])


def test_h4_huge_error_messages_are_cut(site, stubs):
    for module, qualname in [
        ("losses.py", "mse_backward"),
        ("dense.py", "dense_backward"),
    ]:
        plant(stubs, module, qualname, 'raise ValueError("x" * 50_000_000)')
    parts = ["--parts", "mse_backward", "dense_backward"]
    results = command(site, "grade", str(stubs), *parts)
    assert results["score"] == 0
    for test in results["tests"]:
        assert len(test["output"]) < 25_000


# H5. Forked workers that together pass the memory limit, a fork bomb, and setsid
# sleepers that would outlive the grader.
FORKS = """
import os as _os, signal as _signal, subprocess as _sp, sys as _sys

_sp.Popen(["sh", "-c", "sleep 300", "MARK"], start_new_session=True)
if _os.fork() == 0:  # a daemon, out of the process group
    _os.setsid()
    if _os.fork() == 0:
        _os.execv("/bin/sh", ["sh", "-c", "sleep 301", "MARK"])
    _os._exit(0)
_workers, _refused = [], 0
for _k in range(200):
    try:
        _pid = _os.fork()
    except OSError:
        _refused += 1
        continue
    if _pid == 0:
        try:
            if _k < 5:  # 5 x 300 MB, touched: over the part's 1024 MB together
                try:
                    open("/proc/self/oom_score_adj", "w").write("1000")
                except OSError:
                    pass
                _block = bytearray(300 * 2**20)
                for _i in range(0, len(_block), 4096):
                    _block[_i] = 1
            else:
                import time as _t
                _t.sleep(30)
        finally:
            _os._exit(0)
    _workers.append(_pid)
_statuses = [_os.waitpid(_p, 0)[1] for _p in _workers[:5]]
for _p in _workers[5:]:
    _os.kill(_p, _signal.SIGKILL)
_killed = sum(_os.WIFSIGNALED(_s) for _s in _statuses)
raise RuntimeError(f"forks={len(_workers)} refused={_refused} killed={_killed}")
""".replace("MARK", MARK)


def test_h5_limits_hold_for_the_whole_tree_and_nothing_outlives_the_part(site, stubs):
    attack_at_import(stubs, FORKS)
    results = command(
        site, "grade", str(stubs), "--parts", "mse_backward", "--memory", "1024"
    )
    assert results["score"] == 0
    (test,) = results["tests"]
    found = re.search(r"forks=(\d+) refused=(\d+) killed=(\d+)", test["output"])
    assert found, test["output"]
    counts = dict(zip(("forks", "refused", "killed"), found.groups(), strict=True))
    assert int(counts["forks"]) < 64 and int(counts["refused"]) > 0
    with PartGroup(Limits(user="nobody")) as groups:
        pass
    if groups:
        # The part's control group holds its memory: the workers cannot all have it.
        assert int(counts["killed"]) >= 1


# H7. A daemon left by one part writes into every part's folder it can find.
DAEMON = """
import os as _os
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        import glob as _g, time as _t
        _os.execv("/bin/sh", ["sh", "-c",
            "for i in $(seq 600); do for d in /tmp/minilstm-part-*; do "
            "mkdir -p $d/out; mkfifo $d/out/0.json; echo x > $d/plan.json; done; "
            "sleep 0.1; done", "MARK"])
    _os._exit(0)
""".replace("MARK", MARK)


@pytest.mark.slow
def test_h7_a_leftover_daemon_cannot_upset_later_parts(site, stubs):
    attack_at_import(stubs, DAEMON)
    results = command(site, "grade", str(stubs), "--jobs", "1")
    assert results["score"] == 0
    assert len(results["tests"]) == len(DEFAULT_PARTS) + 1


# H9. The workspace's assignment.json as a FIFO: nothing reads it to its end.
def test_h9_a_fifo_for_a_manifest_blocks_neither_grade_nor_collect(site, stubs):
    (stubs / "assignment.json").unlink()
    os.mkfifo(stubs / "assignment.json")
    results = command(site, "grade", str(stubs), "--parts", "mse_backward")
    assert results["score"] == 0
    with pytest.raises(ValueError, match="not a regular file"):
        collect(stubs, stubs.parent / "s.zip")


def test_collect_takes_no_link():
    folder = Path(tempfile.mkdtemp(prefix="minilstm-threat-", dir="/tmp"))
    try:
        workspace = init_workspace(folder / "ws")
        (workspace / "minilstm" / "lstm.py").unlink()
        (workspace / "minilstm" / "lstm.py").symlink_to(
            Path(minilstm.__file__).with_name("lstm.py")
        )
        with pytest.raises(ValueError, match="not a link"):
            collect(workspace, folder / "s.zip")
        shutil.move(workspace / "minilstm", folder / "real")
        (workspace / "minilstm").symlink_to(folder / "real")
        with pytest.raises(ValueError, match="not a link"):
            collect(workspace, folder / "s.zip")
    finally:
        shutil.rmtree(folder)


# parts: [] in the teacher's file grades nothing, and says so; in the student's, it
# changes nothing.
@pytest.mark.slow
def test_no_parts_grades_to_an_empty_report(site, stubs, tmp_path):
    config = Path(tempfile.mkdtemp(dir="/tmp")) / "teacher.json"
    config.write_text(json.dumps({"parts": [], "points": {}}))
    try:
        results = command(site, "grade", str(stubs), "--config", str(config))
    finally:
        shutil.rmtree(config.parent)
    assert results["score"] == 0 and results["tests"] == []
    (stubs / "assignment.json").write_text(json.dumps({"parts": []}))
    results = command(site, "grade", str(stubs))
    assert len(results["tests"]) == len(DEFAULT_PARTS) + 1


# grade-zip: a zip slip, a link and a bomb are refused; only the module files count.
def test_grade_zip_is_safe_against_slips_links_and_bombs(site):
    folder = Path(tempfile.mkdtemp(prefix="minilstm-threat-", dir="/tmp"))
    try:
        solution = init_workspace(folder / "solution", solution=True)
        folder.chmod(0o755)
        path = folder / "s.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("../../evil.py", "x = 1\n")
            link = zipfile.ZipInfo("lstm.py")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(link, "/etc/passwd")
            archive.writestr("dense.py", b"#" * (MAX_FILE * 50))  # 50 MB, compressed
            losses = (solution / "minilstm" / "losses.py").read_bytes()
            archive.writestr("minilstm/losses.py", losses)
        config = folder / "teacher.json"
        parts = ["lstm_step_forward", "dense_backward", "mse_backward"]
        config.write_text(json.dumps({"parts": parts, "points": {"end_to_end": 0}}))
        results = command(site, "grade-zip", str(path), "--config", str(config))
        assert not (folder.parent / "evil.py").exists()
        assert by_part(results) == {
            "lstm_step_forward": 0,
            "dense_backward": 0,
            "mse_backward": 5,
        }
        assert results["score"] == 5
        assert "lstm.py was refused (not a regular file)" in results["output"]
        assert f"dense.py is over {MAX_FILE} bytes" in results["output"]
    finally:
        shutil.rmtree(folder)


@pytest.mark.slow
def test_the_reference_solution_still_scores_full_marks_as_nobody(site):
    folder = Path(tempfile.mkdtemp(prefix="minilstm-threat-", dir="/tmp"))
    try:
        workspace = init_workspace(folder / "ws", solution=True)
        open_to_all(folder)
        results = command(site, "grade", str(workspace))
    finally:
        shutil.rmtree(folder)
    assert results["score"] == 100, results


# Where the system grants no namespaces (a container without CAP_SYS_ADMIN), the parts
# run one at a time, and what each leaves (a stash, a setsid sleeper) goes with it.
SLEEPERS = """
import subprocess as _sp
_sp.Popen(["sh", "-c", "sleep 300", "MARK"], start_new_session=True)
""".replace("MARK", MARK)


def test_without_namespaces_nothing_is_left_for_the_next_part(site, stubs):
    attack_at_import(stubs, STEALS_THE_REFERENCE + SLEEPERS)
    parts = ["--parts", "mse_backward", "dense_backward"]
    results = command(site, "grade", str(stubs), *parts, walls=False)
    assert results["score"] == 0
    assert not Path(f"/tmp/stash-{MARK}").exists()
