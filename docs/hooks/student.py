"""The student edition: with MINILSTM_DOCS_STUDENT_PARTS set, the handed-out functions
show as stubs on every page and in every notebook, and the exercises' answers are left
out.

The variable holds part names separated by commas (``python -m minilstm.assignment
site`` sets it; see minilstm/assignment/student_site.py). The hook writes the sources
the pages include, with those parts stubbed, into build/student/<parts>/, puts that
folder first among the snippets' folders, and remakes each example script's notebook
from that copy (so it runs after docs/hooks/notebooks.py). Unset, it does nothing.
"""

import importlib.util
import os
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from minilstm.assignment.student_site import ENV, parts_from, write_sources

SNIPPETS = "pymdownx.snippets"


def student_parts() -> list[str] | None:
    """The parts of the student edition being built, or None for the full site."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    return parts_from(None, [p.strip() for p in value.split(",") if p.strip()])


def _sources(config: MkDocsConfig) -> Path:
    root = Path(config.config_file_path).resolve().parent
    parts = student_parts() or []
    return root / "build" / "student" / "-".join(parts)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        parts = student_parts()
    except ValueError as err:
        raise PluginError(f"{ENV}: {err}") from err
    if parts is None:
        return config
    root = Path(config.config_file_path).resolve().parent
    out = _sources(config)
    write_sources(root, parts, out)
    snippets = config.mdx_configs.setdefault(SNIPPETS, {})
    snippets["base_path"] = [str(out), *snippets.get("base_path", [str(root)])]
    return config


def _notebook_hook(config: MkDocsConfig):
    path = Path(config.config_file_path).resolve().parent / "docs/hooks/notebooks.py"
    spec = importlib.util.spec_from_file_location("minilstm_docs_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def on_files(files: Files, config: MkDocsConfig) -> Files:
    if student_parts() is None:
        return files
    notebooks = _notebook_hook(config)
    examples = _sources(config) / "docs" / "examples"
    for file in list(files):
        uri = file.src_uri
        if not (uri.startswith("notebooks/") and uri.endswith(".ipynb")):
            continue
        script = examples / f"{Path(file.src_uri).stem}.py"
        files.remove(file)
        content = notebooks.nbformat.writes(notebooks.notebook(script))
        files.append(File.generated(config, file.src_uri, content=content))
    return files
