"""Starting a part's process as an unprivileged user, inside walls where the system
has them.

The grader (root) runs ``python -I -S -B launcher.py SETTINGS COMMAND...``. This script
has no threads, so it may do between fork and exec what a threaded grader may not:

1. join the part's control groups, if the grader could make them (memory and process
   count of the whole tree, forked workers included);
2. where the kernel allows it (root with CAP_SYS_ADMIN), enter new mount, network,
   IPC and PID namespaces: every mount is read-only but a fresh private tmpfs for the
   part's TMPDIR, there is no network (no socket to another part's process), and
   the process table holds this part alone;
3. fork: the first process of the new PID namespace stays as its init, waits for the
   part's process and exits with it, at which the kernel kills every process left in
   the namespace (a ``setsid`` sleeper included);
4. in the part's process: resource limits (address space, file size, process count,
   no core), no supplementary groups, the user's gid and uid, then exec COMMAND.

Without namespaces (a container without CAP_SYS_ADMIN) steps 2 and 3 are skipped;
the grader then kills every process of the user at the end of grading.
"""

import ctypes
import json
import os
import resource
import signal
import sys

CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID

libc = ctypes.CDLL(None, use_errno=True)


def mount(
    source: str | None,
    target: str,
    kind: str | None,
    flags: int,
    data: str | None = None,
) -> None:
    """mount(2); OSError on failure."""
    args = [None if a is None else a.encode() for a in (source, target, kind, data)]
    if libc.mount(args[0], args[1], args[2], flags, args[3]) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def mount_points() -> list[str]:
    """Every mount point of this mount namespace, parents first."""
    points = []
    with open("/proc/self/mountinfo") as table:
        for line in table:
            point = line.split()[4]
            points.append(point.encode().decode("unicode_escape"))
    return points


def walls(settings: dict) -> None:
    """Read-only mounts, a private tmpfs TMPDIR and a fresh /proc (in the
    namespaces)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    for point in mount_points():
        try:
            mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
        except OSError:
            pass  # e.g. a masked /proc entry: not a place to write in anyway
    options = (
        f"size={settings['file_mb']}m,mode=0700,"
        f"uid={settings['uid']},gid={settings['gid']}"
    )
    mount("tmpfs", settings["tmp"], "tmpfs", MS_NOSUID | MS_NODEV, options)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # the old /proc stays: it shows other processes, not their memory


def become_student(settings: dict, command: list[str]) -> None:
    """Limits, the user's identity, then ``command`` (this process is gone)."""
    for limit, value in (
        (resource.RLIMIT_AS, settings["memory_mb"] * 2**20),
        (resource.RLIMIT_FSIZE, settings["file_mb"] * 2**20),
        (resource.RLIMIT_NPROC, settings["processes"]),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    os.setgroups([])
    os.setgid(settings["gid"])
    os.setuid(settings["uid"])
    try:
        os.execv(command[0], command)
    except OSError as exc:
        print(
            f"the students' user cannot run {command[0]} ({exc.strerror}): grade "
            "with a Python installed where every user can run it, e.g. /usr/bin",
            file=sys.stderr,
        )
        os._exit(71)


def init(child: int, report: int) -> None:
    """Wait for ``child`` (reaping any other process that ends meanwhile), send how it
    ended on ``report``, and exit: the namespace's other processes die with us."""
    while True:
        pid, status = os.wait()
        if pid == child:
            os.write(report, str(status).encode())
            os._exit(0)


def main(settings: dict, command: list[str]) -> None:
    """Start ``command`` as the part's process, within ``settings`` (see the top)."""
    for group in settings["cgroups"]:
        with open(os.path.join(group, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
    if not settings["walls"] or libc.unshare(NAMESPACES) != 0:
        become_student(settings, command)  # no namespaces here
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:  # init of the new PID namespace
        os.close(read_end)
        walls(settings)
        part = os.fork()
        if part == 0:
            os.close(write_end)
            become_student(settings, command)
        for fd in (0, 1, 2, *settings["fds"]):
            os.close(fd)  # the pipes end when the part's processes are gone
        init(part, write_end)
    os.close(write_end)
    for fd in (0, 1, 2, *settings["fds"]):
        os.close(fd)
    os.waitpid(first, 0)
    status = int(os.read(read_end, 64) or b"-1")
    if status < 0:
        os._exit(70)  # the namespace's init failed
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    if sys.argv[1] == "--probe":  # whether this system lets us make the namespaces
        sys.exit(0 if libc.unshare(NAMESPACES) == 0 else 1)
    main(json.loads(sys.argv[1]), sys.argv[2:])
