#!/usr/bin/env bash
# The docs site: `mkdocs build --strict`, then the browser test that opens every page in
# headless Chromium through Selenium (tests/test_docs_site.py), and the test that runs
# every page's code as a reader copies it (tests/test_docs_blocks.py). Runs in the current
# Python environment.
#   bash .ci/docs.sh                 install what is missing, build, run the browser test
#   bash .ci/docs.sh --install-only  only make sure Chromium, its driver and the docs
#                                    extra are there
# .ci/run uses --install-only: its test command then runs the browser test, which builds
# the site itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium and its WebDriver, chromium-driver (/usr/bin/chromedriver), the same
# version; the test drives them with Selenium.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "docs: installing chromium and chromium-driver (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# MkDocs, its plugins, MathJax (from PyPI, served by the site itself), build (the site's
# wheel and source archive), Selenium and pytest for the tests.
python -c "import mkdocs, material, mkdocstrings_handlers.python, mathjax, build, selenium, pytest
import setuptools  # the build backend pyproject.toml names, which build runs in place
assert int(setuptools.__version__.split('.')[0]) >= 68" \
    2>/dev/null \
    || pip install --quiet -e ".[docs]"

if [[ "${1:-}" == "--install-only" ]]; then
    exit 0
fi

export NO_MKDOCS_2_WARNING=1 MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=3
unset MINILSTM_DOCS_QUICK  # the full build, never the writers' preview
start=$SECONDS
python -m mkdocs build --strict --site-dir site
echo "docs: built in $((SECONDS - start)) s"
DOCS_SITE_DIR="$PWD/site" CI="${CI:-true}" python -m pytest -q tests/test_docs_site.py \
    tests/test_docs_blocks.py
