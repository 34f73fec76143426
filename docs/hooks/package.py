"""Put minilstm itself into the site: its wheel and its source archive, under download/.

A reader of the built site, online or from a copy on disk, installs minilstm from there
(Home's quickstart and every notebook's first cell say how). Both are made from the
checkout being built with `python -m build --no-isolation` (the `build` package of the
docs extra; setuptools from the environment, so no network is needed), into
build/docs/dist/, and made again only when a file they pack has changed. The source
archive holds the whole project but its history (MANIFEST.in): the package, its tests
and this site's sources.

Pages name the files as {{ package.wheel }} and {{ package.sdist }}, which
docs/hooks/generated.py fills in from build/docs/numbers/package.json.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

FOLDER = "download"
# What the two archives are made of: a change to any of these makes them again.
PACKED = ("minilstm", "reference_keras", "docs", "tests", ".ci")
PACKED_FILES = ("pyproject.toml", "MANIFEST.in", "README.md", "mkdocs.yml")


def _paths(config: MkDocsConfig) -> tuple[Path, Path]:
    root = Path(config.config_file_path).resolve().parent
    return root, root / "build" / "docs"


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    files = [root / name for name in PACKED_FILES]
    for folder in PACKED:
        files += [p for p in (root / folder).rglob("*") if "__pycache__" not in p.parts]
    for path in sorted(p for p in files if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def archives(config: MkDocsConfig) -> list[Path]:
    """The wheel and the source archive of the checkout, made if not current.

    Args:
        config: the site's configuration (its folder is the checkout's root).

    Returns:
        the paths of the .whl and the .tar.gz, in build/docs/dist/.

    Raises:
        PluginError: `python -m build` failed or made other files than the two.
    """
    root, out = _paths(config)
    dist = out / "dist"
    stamp = out / "stamps" / "package.sha256"
    digest = _digest(root)
    made = sorted(dist.glob("minilstm-*")) if dist.is_dir() else []
    if len(made) == 2 and stamp.is_file() and stamp.read_text() == digest:
        return made
    shutil.rmtree(dist, ignore_errors=True)
    run = subprocess.run(
        [
            *(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel"),
            *("--outdir", str(dist), str(root)),
        ],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise PluginError(
            "package: python -m build failed (pip install build, from the docs "
            f"extra):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
        )
    made = sorted(dist.glob("minilstm-*"))
    kinds = sorted(p.suffix for p in made)
    if kinds != [".gz", ".whl"]:
        raise PluginError(f"package: python -m build made {[p.name for p in made]}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return made


def on_pre_build(config: MkDocsConfig) -> None:
    _, out = _paths(config)
    made = archives(config)
    names = {("wheel" if p.suffix == ".whl" else "sdist"): p.name for p in made}
    names["sdist_folder"] = names["sdist"].removesuffix(".tar.gz")
    numbers = out / "numbers"
    numbers.mkdir(parents=True, exist_ok=True)
    (numbers / "package.json").write_text(json.dumps(names, indent=1))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    _, out = _paths(config)
    for path in sorted((out / "dist").glob("minilstm-*")):
        files.append(
            File.generated(config, f"{FOLDER}/{path.name}", abs_src_path=str(path))
        )
    return files
