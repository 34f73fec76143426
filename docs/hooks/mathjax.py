"""Serve MathJax from the site itself, so the math renders with no internet connection.

MathJax 3 comes from PyPI with the docs extra (`django-static-mathjax`, a package with
no dependencies whose `mathjax` module holds MathJax's own release files). Its browser
build is added to the site under javascripts/mathjax/, where mkdocs.yml's
extra_javascript points. Nothing of MathJax is committed, and no page loads it from a
CDN.
"""

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

SITE_PREFIX = "javascripts/mathjax"
ENTRY_POINT = "tex-chtml.js"

MISSING = (
    "MathJax is missing: the docs need it to typeset their math offline. "
    "Install the docs extra, which brings it from PyPI: pip install -e '.[docs]' "
    "(package django-static-mathjax)."
)


def mathjax_dir() -> Path:
    """The folder of MathJax's browser build (es5/), or a PluginError saying how to get
    it."""
    try:
        import mathjax  # the module of the django-static-mathjax distribution
    except ImportError as err:
        raise PluginError(MISSING) from err
    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / ENTRY_POINT).is_file():
        raise PluginError(
            f"{MISSING} Found a 'mathjax' module without {es5 / ENTRY_POINT}."
        )
    return es5


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    mathjax_dir()  # fail before anything is built
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    es5 = mathjax_dir()
    for path in sorted(p for p in es5.rglob("*") if p.is_file()):
        uri = f"{SITE_PREFIX}/{path.relative_to(es5).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
