"""Make the pictures and numbers on the pages by running minilstm while the site builds.

Every script in docs/examples/ is run with the checkout's own minilstm, in build/docs/,
and leaves there what its page shows:

- output/NAME.txt   what the script printed, and output/NAME-SECTION.txt what one
                    section of it printed (_site.printed); a page includes them
                    with a snippet;
- figures/*.png     its pictures (added to the site under figures/);
- numbers/NAME.json numbers a page quotes inline as {{ NAME.key }}.

A script runs again only when it, an example script it imports, docs/examples/_site.py
or a source file of minilstm or reference_keras changed since its last run, so
`mkdocs serve` stays quick. A script that fails, a picture a page links to that no
script made, or a {{ NAME.key }} that no script recorded, fails the build.

As many scripts run at once as the machine has cores, each in a process group of its
own. A script that fails or runs over its time limit, or Ctrl-C (SIGINT) or SIGTERM to
mkdocs (`mkdocs serve` rebuilds in its main thread too), ends the build: no script
starts after that, and every running one is ended with all it started.

MINILSTM_DOCS_QUICK=1 builds a preview for prose edits: a script that reads it
(the tuned recipe) trains less and prints so on its page. CI and the browser test never
set it.
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# Generous: the longest script, the tuned recipe, trains for under a minute on 2 idle
# cores, but past 300 s on 2 cores shared with several other builds.
# MINILSTM_DOCS_SCRIPT_TIMEOUT_S overrides it.
SCRIPT_TIMEOUT_S = 900.0
# How long a script and what it started have to end after SIGTERM before SIGKILL.
TERM_GRACE_S = 5.0
# Set to 1, the long scripts make a preview with less training, and their pages say so.
QUICK_VARIABLE = "MINILSTM_DOCS_QUICK"
PLACEHOLDER = re.compile(r"\{\{ ([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*) \}\}")
# A snippet line that a code formatter has respaced ("--8 < --") is no longer replaced
# by the code it names and would show as text.
SNIPPET_LIKE = re.compile(r"^[ \t]*-+8[ \t]*<[ \t]*-*[ \t]*\"", re.MULTILINE)
SNIPPET = re.compile(r"^[ \t]*--8<-- \"", re.MULTILINE)


def _paths(config: MkDocsConfig) -> tuple[Path, Path, Path]:
    root = Path(config.config_file_path).resolve().parent
    return root, root / "docs" / "examples", root / "build" / "docs"


def _sources_digest(root: Path, examples: Path) -> str:
    """One hash over everything a script's output depends on besides the script
    itself."""
    digest = hashlib.sha256()
    package_files = [
        p for pkg in ("minilstm", "reference_keras") for p in (root / pkg).rglob("*.py")
    ]
    for path in sorted([*package_files, examples / "_site.py"]):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# An import of another module, whose name may be a sibling script's in docs/examples/.
IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(\w+)", re.MULTILINE)


def _stamp(common: str, script: Path) -> str:
    text = script.read_text()
    # A script that imports another example script
    # (gradcheck_lstm imports planted_slips) depends on its text too.
    for name in sorted(set(IMPORT.findall(text))):
        sibling = script.with_name(f"{name}.py")
        if sibling.is_file() and sibling != script:
            text += sibling.read_text()
    # A preview's results are never taken for a full build's, nor the other way; a
    # script that ignores the switch is not run again for it.
    quick = f"quick={_quick()}" if QUICK_VARIABLE in text else ""
    return hashlib.sha256((common + text + quick).encode()).hexdigest()


def _last_seconds(out: Path, script: Path) -> float:
    path = out / "stamps" / f"{script.stem}.seconds"
    return float(path.read_text()) if path.is_file() else 0.0


def _quick() -> bool:
    return os.environ.get(QUICK_VARIABLE) == "1"


def _script_timeout() -> float:
    value = os.environ.get("MINILSTM_DOCS_SCRIPT_TIMEOUT_S", "")
    try:
        seconds = float(value) if value else SCRIPT_TIMEOUT_S
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise PluginError(
            f"MINILSTM_DOCS_SCRIPT_TIMEOUT_S={value!r} is not a positive number"
        )
    return seconds


def _signal_group(pgid: int, signum: int) -> bool:
    """Send signum to a process group; False when no process of the group is left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


def _end_groups(processes: list[subprocess.Popen]) -> None:
    """End each script with everything it started: SIGTERM, then SIGKILL what is
    left."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        left = [p for p in processes if _signal_group(p.pid, signum)]
        deadline = time.monotonic() + TERM_GRACE_S
        while left and time.monotonic() < deadline:
            time.sleep(0.05)
            for process in left:
                # An ended script stays in its group as a zombie until it is reaped.
                process.poll()
            left = [p for p in left if _signal_group(p.pid, 0)]
        if not left:
            return


class _Scripts:
    """The example scripts of one build, run side by side; stop() ends them all."""

    def __init__(self, root: Path, out: Path, timeout: float) -> None:
        self.root, self.out, self.timeout = root, out, timeout
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stopped = False

    def run(self, script: Path, stamp: str) -> tuple[str, float]:
        """Run one script unless its stamp says its results are current; its seconds."""
        out = self.out
        stamp_file = out / "stamps" / f"{script.stem}.sha256"
        if stamp_file.is_file() and stamp_file.read_text() == stamp:
            return script.stem, 0.0
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.root), env.get("PYTHONPATH")])
        )
        env["MPLBACKEND"] = "Agg"
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        # One script per core: one BLAS thread each avoids oversubscription.
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
        start = time.perf_counter()
        with self._lock:
            if self._stopped:
                raise PluginError(
                    f"docs/examples/{script.name} not run: the build stopped"
                )
            # A session of its own: a signal to the group reaches the script's own
            # workers, and Ctrl-C in the terminal reaches mkdocs only, which then ends
            # the group.
            process = subprocess.Popen(
                [sys.executable, str(script)],
                cwd=out,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            self._running.add(process)
        try:
            stdout, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired as err:
            raise PluginError(
                f"docs/examples/{script.name} stopped after running "
                f"{time.perf_counter() - start:.1f} s, over its limit of "
                f"{self.timeout:g} s (MINILSTM_DOCS_SCRIPT_TIMEOUT_S)"
            ) from err
        finally:
            # Also after a clean exit: a process the script left behind goes with it.
            _end_groups([process])
            with self._lock:
                self._running.discard(process)
        if process.returncode != 0:
            raise PluginError(
                f"docs/examples/{script.name} failed (exit {process.returncode}):\n"
                f"{stderr[-3000:]}"
            )
        seconds = time.perf_counter() - start
        (out / "output" / f"{script.stem}.txt").write_text(stdout)
        (out / "stamps" / f"{script.stem}.seconds").write_text(f"{seconds:.1f}")
        stamp_file.write_text(stamp)
        return script.stem, seconds

    def stop(self) -> None:
        """Start no more scripts, and end the running ones with all they started."""
        with self._lock:
            self._stopped = True
            running = list(self._running)
        _end_groups(running)


def _exit(signum: int, frame: object) -> None:
    # Python's default for SIGTERM ends mkdocs at once, leaving the scripts' groups
    # running.
    raise SystemExit(128 + signum)


def on_pre_build(config: MkDocsConfig) -> None:
    root, examples, out = _paths(config)
    for sub in ("output", "figures", "numbers", "stamps"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    common = _sources_digest(root, examples)
    scripts = sorted(p for p in examples.glob("*.py") if not p.name.startswith("_"))
    stamps = {p: _stamp(common, p) for p in scripts}
    # Slowest first (by the last run's time, else by size), so the workers end together.
    scripts.sort(key=lambda p: (-_last_seconds(out, p), -p.stat().st_size))
    if _quick():
        print(f"INFO    -  {QUICK_VARIABLE}=1: a preview, the long scripts train less")
    runner = _Scripts(root, out, _script_timeout())
    # Only the main thread may set a signal handler, and only it receives signals
    # (a build run from another thread by some other tool ends its scripts on an error
    # only).
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous_sigterm = signal.signal(signal.SIGTERM, _exit)
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        futures = [pool.submit(runner.run, p, stamps[p]) for p in scripts]
        for future in as_completed(futures):
            name, seconds = future.result()
            if seconds:
                print(f"INFO    -  docs/examples/{name}.py ran in {seconds:.1f} s")
    except BaseException:
        # A failed script, a time-out, Ctrl-C or SIGTERM
        # (KeyboardInterrupt or SystemExit, raised in this thread while the workers wait
        # on their scripts): the build is over, leave nothing running.
        runner.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_sigterm or signal.SIG_DFL)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _, _, out = _paths(config)
    for path in sorted((out / "figures").glob("*.png")):
        files.append(
            File.generated(config, f"figures/{path.name}", abs_src_path=str(path))
        )
    return files


def on_page_markdown(
    markdown: str, page: Page, config: MkDocsConfig, files: Files
) -> str:
    _, _, out = _paths(config)
    for line in SNIPPET_LIKE.finditer(markdown):
        if not SNIPPET.match(line.group(0)):
            raise PluginError(
                f"{page.file.src_uri}: a snippet line is mangled: {line.group(0)!r}"
            )

    def value(match: re.Match) -> str:
        name, key = match.groups()
        path = out / "numbers" / f"{name}.json"
        numbers = json.loads(path.read_text()) if path.is_file() else {}
        if key not in numbers:
            raise PluginError(
                f"{page.file.src_uri}: {match.group(0)} is not recorded by "
                f"docs/examples/{name}.py"
            )
        return str(numbers[key])

    return PLACEHOLDER.sub(value, markdown)


def on_serve(server, config: MkDocsConfig, builder):
    """`mkdocs serve` rebuilds when the package changes too, not only docs/."""
    root, _, _ = _paths(config)
    for watched in (root / "minilstm", root / "reference_keras"):
        if watched.is_dir():
            server.watch(str(watched))
    return server
