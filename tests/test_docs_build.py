"""The docs build leaves no process behind when it stops early.

Each test builds a tiny MkDocs project that uses the site's own hook
(docs/hooks/generated.py) with example scripts that start a child process and then
sleep, records every process id, stops the build (Ctrl-C's SIGINT or SIGTERM to mkdocs,
a script over its time limit, a script that fails) and checks that none of those
processes is still running.

A last test checks that the writers' preview switch (MINILSTM_DOCS_QUICK=1) reruns only
the scripts that read it.

Locally the tests are skipped, saying why, when MkDocs is missing; in CI (CI=true) that
is a failure.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds the docs site

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "generated.py"
# A script starts, records its id and its child's id, then sleeps far longer than a
# test.
SLEEPER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from pathlib import Path

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pids = Path(os.environ["MINILSTM_TEST_PIDS"])
    (pids / f"{Path(__file__).stem}.pids").write_text(f"{os.getpid()} {child.pid}")
    time.sleep(120)
    """
)
# Fails once the sleeper has recorded its processes, so that there are some to end.
FAILING = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    sleeper = Path(os.environ["MINILSTM_TEST_PIDS"]) / "sleeper.pids"
    for _ in range(400):
        if sleeper.is_file():
            break
        time.sleep(0.05)
    sys.exit("this script fails")
    """
)
# Each test waits this long at most for the build to start its scripts or to end.
WAIT_S = 30


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {WAIT_S} s"
        time.sleep(0.05)


class Build:
    """`mkdocs build` of a project whose docs/examples/ holds the given scripts."""

    def __init__(
        self,
        project: Path,
        scripts: dict[str, str],
        timeout_s: float = 120,
        quick: bool = False,
    ) -> None:
        (project / "docs" / "examples").mkdir(parents=True, exist_ok=True)
        (project / "docs" / "index.md").write_text("# The hook under test\n")
        for name, text in scripts.items():
            (project / "docs" / "examples" / f"{name}.py").write_text(text)
        (project / "mkdocs.yml").write_text(
            f"site_name: hook test\nexclude_docs: examples/\nhooks:\n  - {HOOK}\n"
        )
        self.pid_dir = project / "pids"
        self.pid_dir.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "MINILSTM_DOCS_QUICK"}
        env["MINILSTM_TEST_PIDS"] = str(self.pid_dir)
        env["MINILSTM_DOCS_SCRIPT_TIMEOUT_S"] = str(timeout_s)
        if quick:
            env["MINILSTM_DOCS_QUICK"] = "1"
        # A session of its own keeps the test's SIGINT away from pytest, and the SIGINT
        # handler back at its default so that mkdocs turns it into KeyboardInterrupt, as
        # in a terminal, even if this test runs with SIGINT ignored (a background job).
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build"],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def started(self) -> dict[str, list[int]]:
        """The process ids each script recorded, by script name."""
        return {
            path.stem: [int(pid) for pid in path.read_text().split()]
            for path in self.pid_dir.glob("*.pids")
        }

    def finish(self) -> tuple[int, str]:
        """mkdocs's exit status and output."""
        output, _ = self.process.communicate(timeout=WAIT_S)
        return self.process.returncode, output

    def kill(self) -> None:
        """After a failed test: nothing it started outlives it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in (pid for pids in self.started().values() for pid in pids):
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def build(tmp_path: Path) -> Iterator[type[Build]]:
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("MkDocs not installed (CI must run the docs build tests)")
        pytest.skip("MkDocs not installed: pip install -e '.[docs]'")
    builds: list[Build] = []

    def make(
        scripts: dict[str, str], timeout_s: float = 120, quick: bool = False
    ) -> Build:
        builds.append(Build(tmp_path / "project", scripts, timeout_s, quick))
        return builds[-1]

    yield make
    for made in builds:
        made.kill()


def _assert_all_ended(pids: dict[str, list[int]]) -> None:
    every = [pid for script_pids in pids.values() for pid in script_pids]
    # Orphaned children are reaped by init a moment after they die.
    deadline = time.monotonic() + 5
    while any(map(_running, every)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in every if _running(pid)] == [], f"left running of {pids}"


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"]
)
def test_a_signal_to_mkdocs_ends_every_script_and_starts_no_other(
    build, signum: int
) -> None:
    # One script more than run at once: the last must never start.
    workers = os.cpu_count() or 1
    scripts = {f"sleeper{i}": SLEEPER for i in range(workers + 1)}
    running = build(scripts)
    _wait_for(lambda: len(running.started()) == workers, f"{workers} scripts started")
    running.process.send_signal(signum)
    status, output = running.finish()
    # Ctrl-C: click's "Aborted!" and status 1; SIGTERM: the hook's exit status 128 + 15.
    assert status == (1 if signum == signal.SIGINT else 128 + signal.SIGTERM), output
    pids = running.started()
    assert len(pids) == workers, f"a script started after Ctrl-C: {sorted(pids)}"
    _assert_all_ended(pids)


def test_a_script_over_its_time_limit_is_named_and_ended(build) -> None:
    running = build({"slow": SLEEPER}, timeout_s=1.5)
    _wait_for(lambda: running.started(), "the script started")
    status, output = running.finish()
    assert status != 0, output
    assert "docs/examples/slow.py stopped after running 1." in output, output
    assert "over its limit of 1.5 s" in output, output
    _assert_all_ended(running.started())


def test_a_failing_script_ends_the_others(build) -> None:
    running = build({"sleeper": SLEEPER, "failing": FAILING})
    status, output = running.finish()
    assert status != 0, output
    assert "docs/examples/failing.py failed (exit 1)" in output, output
    assert "this script fails" in output, output
    pids = running.started()
    assert list(pids) == ["sleeper"]
    _assert_all_ended(pids)


def test_the_preview_switch_reruns_only_the_scripts_that_read_it(build) -> None:
    # A script that ran is named in mkdocs's output
    # ("docs/examples/NAME.py ran in 0.1 s").
    reads = "import os\nprint(os.environ.get('MINILSTM_DOCS_QUICK'))\n"
    ignores = "print('the same either way')\n"
    scripts = {"reads": reads, "ignores": ignores}
    outputs = []
    for quick in (False, True, True, False):
        status, output = build(scripts, quick=quick).finish()
        assert status == 0, output
        outputs.append(output)
    assert ["reads.py ran" in o for o in outputs] == [True, True, False, True]
    assert ["ignores.py ran" in o for o in outputs] == [True, False, False, False]
    assert "MINILSTM_DOCS_QUICK=1: a preview" in outputs[1]
