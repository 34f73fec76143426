"""Make the pictures and numbers on the pages by running minilstm while the site builds.

Every script in docs/examples/ is run with the checkout's own minilstm, in build/docs/, and
leaves there what its page shows:

- output/NAME.txt   what the script printed (a page includes it with a snippet);
- figures/*.png     its pictures (added to the site under figures/);
- numbers/NAME.json numbers a page quotes inline as {{ NAME.key }}.

A script runs again only when it, docs/examples/_site.py or a source file of minilstm or
reference_keras changed since its last run, so `mkdocs serve` stays quick. A script that
fails, a picture a page links to that no script made, or a {{ NAME.key }} that no script
recorded, fails the build.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# Generous: the longest script trains the article's three tasks in a few seconds each.
SCRIPT_TIMEOUT_S = 300
PLACEHOLDER = re.compile(r"\{\{ ([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*) \}\}")
# A snippet line that a code formatter has respaced ("--8 < --") is no longer replaced by
# the code it names and would show as text.
SNIPPET_LIKE = re.compile(r"^[ \t]*-+8[ \t]*<[ \t]*-*[ \t]*\"", re.MULTILINE)
SNIPPET = re.compile(r"^[ \t]*--8<-- \"", re.MULTILINE)


def _paths(config: MkDocsConfig) -> tuple[Path, Path, Path]:
    root = Path(config.config_file_path).resolve().parent
    return root, root / "docs" / "examples", root / "build" / "docs"


def _sources_digest(root: Path, examples: Path) -> str:
    """One hash over everything a script's output depends on besides the script itself."""
    digest = hashlib.sha256()
    package_files = [
        p for pkg in ("minilstm", "reference_keras") for p in (root / pkg).rglob("*.py")
    ]
    for path in sorted([*package_files, examples / "_site.py"]):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _last_seconds(out: Path, script: Path) -> float:
    path = out / "stamps" / f"{script.stem}.seconds"
    return float(path.read_text()) if path.is_file() else 0.0


def _run(script: Path, root: Path, out: Path, stamp: str) -> tuple[str, float]:
    stamp_file = out / "stamps" / f"{script.stem}.sha256"
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        return script.stem, 0.0
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Two scripts run at once on a 2-core machine: one BLAS thread each avoids oversubscription.
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=out,
            env=env,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as err:
        raise PluginError(f"docs/examples/{script.name} ran over {SCRIPT_TIMEOUT_S} s") from err
    if done.returncode != 0:
        raise PluginError(
            f"docs/examples/{script.name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    seconds = time.perf_counter() - start
    (out / "output" / f"{script.stem}.txt").write_text(done.stdout)
    (out / "stamps" / f"{script.stem}.seconds").write_text(f"{seconds:.1f}")
    stamp_file.write_text(stamp)
    return script.stem, seconds


def on_pre_build(config: MkDocsConfig) -> None:
    root, examples, out = _paths(config)
    for sub in ("output", "figures", "numbers", "stamps"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    common = _sources_digest(root, examples)
    scripts = sorted(p for p in examples.glob("*.py") if not p.name.startswith("_"))
    stamps = {p: hashlib.sha256((common + p.read_text()).encode()).hexdigest() for p in scripts}
    # Slowest first (by the last run's time, else by size), so the two workers end together.
    scripts.sort(key=lambda p: (-_last_seconds(out, p), -p.stat().st_size))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, seconds in pool.map(lambda p: _run(p, root, out, stamps[p]), scripts):
            if seconds:
                print(f"INFO    -  docs/examples/{name}.py ran in {seconds:.1f} s")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _, _, out = _paths(config)
    for path in sorted((out / "figures").glob("*.png")):
        files.append(File.generated(config, f"figures/{path.name}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    _, _, out = _paths(config)
    for line in SNIPPET_LIKE.finditer(markdown):
        if not SNIPPET.match(line.group(0)):
            raise PluginError(f"{page.file.src_uri}: a snippet line is mangled: {line.group(0)!r}")

    def value(match: re.Match) -> str:
        name, key = match.groups()
        path = out / "numbers" / f"{name}.json"
        numbers = json.loads(path.read_text()) if path.is_file() else {}
        if key not in numbers:
            raise PluginError(
                f"{page.file.src_uri}: {match.group(0)} is not recorded by docs/examples/{name}.py"
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
