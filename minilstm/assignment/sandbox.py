"""Running the student's side of a check (``child.py``) in a bounded process.

The process gets a time limit, an address-space limit (so that a 20 GB allocation fails
at once with ``MemoryError`` instead of swapping the machine), a cap on the files it may
write, and no core dumps. Its stdout and stderr are read through pipes, of which the
grader keeps the first and the last few kilobytes and counts the rest: a loop that
prints cannot fill the grader's memory or disk.
"""

import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np

CHILD = Path(__file__).with_name("child.py")
KEEP = 2000  # bytes of each stream kept at its start and at its end


class Limits(NamedTuple):
    """The bounds on each part's process."""

    timeout: float = 60.0  # seconds for the whole part
    memory_mb: int = 2048  # address space; NumPy and Python start with about 600 MB
    file_mb: int = 256  # largest file the process may write (its saved outputs)
    # The user the process runs as (None: the grader's own). Needs root; an autograder
    # runs students' code as a user who cannot read the reference.
    user: str | None = None


class Captured:
    """What a process wrote to one stream: its start, its end, and how much in all."""

    def __init__(self, stream) -> None:
        self.head, self.tail, self.total = b"", b"", 0
        self.thread = threading.Thread(target=self.read, args=(stream,), daemon=True)
        self.thread.start()

    def read(self, stream) -> None:
        """Read ``stream`` to its end, keeping its start and its end (in the thread)."""
        while chunk := stream.read1(65536):
            self.total += len(chunk)
            if len(self.head) < KEEP:
                self.head += chunk[: KEEP - len(self.head)]
            self.tail = (self.tail + chunk)[-KEEP:]

    @property
    def dropped(self) -> int:
        return max(0, self.total - 2 * KEEP)

    def text(self) -> str:
        """The start and the end of what was written, noting what was dropped."""
        if self.total <= 2 * KEEP:
            rest = self.total - len(self.head)
            return (self.head + (self.tail[-rest:] if rest else b"")).decode(
                errors="replace"
            )
        note = f"\n[... {self.dropped} bytes dropped by the grader ...]\n"
        return (
            self.head.decode(errors="replace")
            + note
            + self.tail.decode(errors="replace")
        )


class ChildRun(NamedTuple):
    """How the student's process ended."""

    returncode: int
    timed_out: bool
    stdout: Captured
    stderr: Captured


def numpy_only_site(run_dir: Path) -> None:
    """A folder on the child's path with NumPy and nothing else (not site-packages,
    where the installed minilstm, the reference, may live)."""
    site = run_dir / "site"
    site.mkdir()
    package = Path(np.__file__).parent
    for path in (package, package.with_name("numpy.libs")):
        if path.exists():
            (site / path.name).symlink_to(path)


def check_user(user: str) -> pwd.struct_passwd:
    """The password entry of ``user``, whom the grader can run code as.

    Args:
        user: a user name.

    Raises:
        PermissionError: the grader does not run as root.
        ValueError: there is no such user.
    """
    if os.geteuid() != 0:
        raise PermissionError(f"running the students' code as {user!r} needs root")
    try:
        return pwd.getpwnam(user)
    except KeyError:
        raise ValueError(f"there is no user {user!r}") from None


def as_user(run_dir: Path, user: str | None) -> dict:
    """The ``Popen`` options that run the child as ``user``, who is also given
    ``run_dir`` (to write its outputs in); none for None.

    Args:
        run_dir: the part's folder of plan, inputs and outputs.
        user: a user name, or None.

    Raises:
        PermissionError: a user is asked for, but the grader does not run as root.
    """
    if user is None:
        return {}
    entry = check_user(user)
    for path in [run_dir, *run_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    # Popen switches user in C after the fork (no preexec_fn, which is unsafe with the
    # grader's threads), dropping root's supplementary groups as well.
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def run_child(run_dir: Path, limits: Limits) -> ChildRun:
    """Run ``child.py`` on ``run_dir`` within ``limits``; see the module's docstring."""
    numpy_only_site(run_dir)
    # A copy in the run's folder: the child's user may not read the grader's package.
    child = shutil.copy(CHILD, run_dir / CHILD.name)
    memory = limits.memory_mb * 2**20
    size = limits.file_mb * 2**20

    def bound() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # One BLAS thread: parts run side by side, and every thread reserves memory.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-I", "-S", "-B", str(child), str(run_dir)],
        cwd=run_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=bound,  # only setrlimit, which takes no lock the parent may hold
        start_new_session=True,  # its own process group, so that a kill reaches all
        **as_user(run_dir, limits.user),
    )
    stdout, stderr = Captured(process.stdout), Captured(process.stderr)
    try:
        process.wait(timeout=limits.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    # Whatever the student's code started in the background goes with it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    for captured in (stdout, stderr):
        # A grandchild that left the group may hold the pipe open: wait a little only.
        captured.thread.join(timeout=2)
    return ChildRun(process.returncode, timed_out, stdout, stderr)
