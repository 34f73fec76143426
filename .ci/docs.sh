#!/usr/bin/env bash
# The docs site: `mkdocs build --strict`, then the browser test that opens every page in
# headless Chromium (tests/test_docs_site.py). Runs in the current Python environment.
#   bash .ci/docs.sh                 install what is missing, build, run the browser test
#   bash .ci/docs.sh --install-only  only make sure Chromium and the docs extra are there
# .ci/run uses --install-only: its test command then runs the browser test, which builds
# the site itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium; the test drives it over the DevTools protocol.
if ! command -v chromium >/dev/null; then
    echo "docs: installing chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# MkDocs, its plugins, MathJax (from PyPI, served by the site itself), the test's runner.
python -c "import mkdocs, material, mkdocstrings_handlers.python, mathjax, websocket, pytest" \
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
DOCS_SITE_DIR="$PWD/site" CI="${CI:-true}" python -m pytest -q tests/test_docs_site.py
