"""Running the student's side of a check (``child.py``) in a bounded process.

The process gets a time limit, an address-space limit (so that a 20 GB allocation fails
at once with ``MemoryError`` instead of swapping the machine), a cap on the files it may
write, no core dumps, and a folder of its own (mode 0700, its ``TMPDIR`` inside). Its
stdout and stderr are read through pipes, of which the grader keeps the first and the
last few kilobytes and counts the rest: a loop that prints cannot fill the grader's
memory or disk. Plan and results go through two more pipes (``channel``), where
every message is checked against size, kind and nesting limits before it is kept.

With a user (root only), ``launcher.py`` starts the process: control groups for the
whole tree where root may make them, namespaces where the kernel allows them (see
there), otherwise ``RLIMIT_NPROC`` and, in ``grader``, a sweep of the user's processes
and files after each part.
"""

import contextlib
import functools
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minilstm.assignment.channel import Conversation, Serve, message_bytes

CHILD = Path(__file__).with_name("child.py")
LAUNCHER = Path(__file__).with_name("launcher.py")
KEEP = 2000  # bytes of each stream kept at its start and at its end
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # where every user writes


class Limits(NamedTuple):
    """The bounds on each part's process."""

    timeout: float = 60.0  # seconds for the whole part
    memory_mb: int = 2048  # address space; NumPy and Python start with about 600 MB
    file_mb: int = 256  # largest file the process may write (its saved outputs)
    # The user the process runs as (None: the grader's own). Needs root; an autograder
    # runs students' code as a user who cannot read the reference.
    user: str | None = None
    # Processes of the user at once (RLIMIT_NPROC, which counts all of the user's,
    # threads included) and of the part's control group.
    processes: int = 64


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
    """How the student's process ended, and what it sent."""

    returncode: int
    timed_out: bool
    stdout: Captured
    stderr: Captured
    records: dict  # call key ("import", "0", ...) -> (record, arrays)
    problem: str | None  # why the grader stopped listening to it, if it did


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


def give_to(place: Path, user: str | None) -> None:
    """Make the part's folder its own: readable by its user alone (0700; ``user``'s
    if one is given), so that parts run side by side cannot look into each other's."""
    place.chmod(0o700)
    if user is not None:
        entry = check_user(user)
        for path in [place, *place.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


class PartGroup:
    """The control groups of one part's processes, where the system lets root make
    them (cgroup v1 memory and pids, or v2): memory and process count for the whole
    tree. On leaving, every process still in them is killed and they are removed."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.dirs = limits, []

    def __enter__(self) -> list[str]:
        if self.limits.user is None:  # only the launcher joins them
            return []
        name = f"minilstm-part-{os.getpid()}-{id(self)}"
        memory = str(self.limits.memory_mb * 2**20)
        processes = str(self.limits.processes)
        wanted = {
            "memory": {"memory.limit_in_bytes": memory},
            "pids": {"pids.max": processes},
            "": {"memory.max": memory, "memory.swap.max": "0", "pids.max": processes},
        }
        for controller, settings in wanted.items():
            base = own_cgroup(controller)
            if base is None:
                continue
            group = base / name
            try:
                group.mkdir()
            except OSError:
                continue
            self.dirs.append(group)
            try:
                for key, value in settings.items():
                    if (group / key).exists():
                        (group / key).write_text(value)
            except OSError:
                self.__exit__()
                return []
        return [str(d) for d in self.dirs]

    def __exit__(self, *exc) -> None:
        for group in self.dirs:
            for _ in range(50):
                try:
                    for pid in (group / "cgroup.procs").read_text().split():
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(int(pid), signal.SIGKILL)
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        self.dirs = []


def own_cgroup(controller: str) -> Path | None:
    """The folder of this process's control group for ``controller`` ("" for the
    unified hierarchy, if it has the memory controller), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller and controller in controllers.split(","):
            folder = Path("/sys/fs/cgroup", controller, path.lstrip("/"))
        elif not controller and not controllers:
            folder = Path("/sys/fs/cgroup", path.lstrip("/"))
            enabled = folder / "cgroup.subtree_control"
            if not enabled.exists() or "memory" not in enabled.read_text().split():
                return None
        else:
            continue
        return folder if folder.is_dir() else None
    return None


@functools.cache
def walls_available() -> bool:
    """Whether the launcher can put each part in its own namespaces here (root with
    CAP_SYS_ADMIN, which a container may not grant). MINILSTM_GRADER_NO_WALLS=1 turns
    them off, to try how the grader does without them."""
    if os.environ.get("MINILSTM_GRADER_NO_WALLS") == "1" or os.geteuid() != 0:
        return False
    probe = [sys.executable, "-I", "-S", "-B", str(LAUNCHER), "--probe"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def remove_files_of(user: str) -> None:
    """Remove whatever ``user`` left in the shared temporary folders, where a part
    without namespaces could leave something for the next one."""
    uid = check_user(user).pw_uid
    for top in SHARED_TMP:
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    if os.lstat(path).st_uid != uid:
                        continue
                    if name in dirs and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                        dirs.remove(name)
                    else:
                        os.unlink(path)
                except OSError:
                    continue


def kill_user(user: str) -> None:
    """SIGKILL every process whose real or effective user is ``user`` (where no PID
    namespace ended them with their part)."""
    uid = check_user(user).pw_uid
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def run_child(
    plan: dict, inputs: dict, place: Path, limits: Limits, serve: Serve
) -> ChildRun:
    """Run ``child.py`` on ``plan`` within ``limits``; see the module's docstring.

    Args:
        plan: the plan ``child.py`` takes.
        inputs: the plan's arrays.
        place: the part's own empty folder (the child's working folder and TMPDIR).
        limits: the bounds.
        serve: answers a stand-in's call: (header, arrays) -> (answer, arrays).
    """
    numpy_only_site(place)
    # A copy in the part's folder: the child's user may not read the grader's package.
    child = shutil.copy(CHILD, place / CHILD.name)
    (place / "tmp").mkdir()
    give_to(place, limits.user)
    with PartGroup(limits) as groups:
        return run_bounded(place, child, limits, groups, plan, inputs, serve)


def run_bounded(
    place: Path,
    child: str,
    limits: Limits,
    groups: list[str],
    plan: dict,
    inputs: dict,
    serve: Serve,
) -> ChildRun:
    """``run_child`` once the part's folder and control groups are made."""
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
        "HOME": str(place),
        "TMPDIR": str(place / "tmp"),
    }
    replies, replies_child = os.pipe()
    command = [
        *(sys.executable, "-I", "-S", "-B", str(child)),
        *(str(replies_child), str(place / "site")),
    ]
    options = {"preexec_fn": bound}  # only setrlimit: no lock the parent may hold
    if limits.user is not None:
        entry = check_user(limits.user)
        settings = {
            "uid": entry.pw_uid,
            "gid": entry.pw_gid,
            "memory_mb": limits.memory_mb,
            "file_mb": limits.file_mb,
            "processes": limits.processes,
            "tmp": str(place / "tmp"),
            "cgroups": groups,
            "fds": [replies_child],
            "walls": walls_available(),
        }
        launcher = [sys.executable, "-I", "-S", "-B", str(LAUNCHER)]
        command = [*launcher, json.dumps(settings), *command]
        options = {}  # the launcher bounds the process and switches user
    process = subprocess.Popen(
        command,
        cwd=place,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(replies_child,),
        start_new_session=True,  # its own process group, so that a kill reaches all
        **options,
    )
    os.close(replies_child)
    stdin = os.dup(process.stdin.fileno())
    process.stdin.close()
    conversation = Conversation(stdin, replies, message_bytes(plan, inputs), serve)
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
    records = conversation.close()
    for captured in (stdout, stderr):
        # A grandchild that left the group may hold the pipe open: wait a little only.
        captured.thread.join(timeout=2)
    return ChildRun(
        process.returncode, timed_out, stdout, stderr, records, conversation.problem
    )
