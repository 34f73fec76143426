"""The docs site, opened page by page in a real browser: headless Debian Chromium,
driven by Selenium through Debian's chromium-driver.

The site is built with `mkdocs build --strict` (or taken from $DOCS_SITE_DIR when a
build already ran), served from 127.0.0.1 by a server inside this test, and each page is
opened in Chromium. Every page must load with no console error, load every image, fetch
nothing from outside this machine, and show its math typeset by MathJax; the site's
search must work from the local server alone.
Every page is also opened at a laptop's width (1280 px) and a phone's (400 px) and must
read there (the rule is at WIDTHS below): nothing scrolls the page sideways, no display
equation is cut off, code keeps its lines and indentation, every table's columns can be
reached, and every figure opens full size when tapped.
Screenshots of the home page and of the BPTT page (light and dark), and of a few pages
at both widths, are left in test-artifacts/ for a person to look at, and the Chromium
version the test drove is the last line of pytest's report.

Locally the test is skipped, saying why, when Chromium, its driver, Selenium or MkDocs
is missing; in CI (CI=true) that is a failure.
"""

import base64
import functools
import http.server
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytestmark = pytest.mark.slow  # builds the docs site, reads it in a browser

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
PAGES = sorted(
    p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
    for p in (ROOT / "docs").rglob("*.md")
)
SCREENSHOTS = {"index.html": "home", "bptt.html": "bptt"}
# Chromium's flags for a machine with no network but loopback and no display: headless,
# no sandbox (the test may run as root in a container), and none of the background
# traffic a fresh profile starts (updates, sync, first-run pages).
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
]
# The widths every page must read at: a laptop's browser window, a phone held upright.
# The rule, checked by READABLE below:
# - the page itself never scrolls sideways;
# - a display equation fits its column (long ones are split into aligned rows in the
#   pages' TeX);
# - a code block keeps its lines as written, indentation included (no wrapping): it
#   stays inside the window and scrolls inside itself when a line is longer than the
#   screen is wide; at 1280 px the column is wide enough for the 88-character lines of
#   the Python sources without scrolling;
# - a table stays inside the window and, when wider than its column, scrolls inside
#   itself, so that every column can be reached;
# - every figure is a link to its own picture, which opens full size when tapped.
WIDTHS = (1280, 400)
# The longest line of the Python sources (ruff's line-length), which must fit unwrapped
# in a code block at the laptop's width.
CODE_COLUMNS = 88
# Pages photographed at both widths, for a person to look at.
WIDTH_SCREENSHOTS = ("bptt", "inference", "lstm-cell", "training", "why-gates")
# Full-page screenshots stop here: a long page at 400 px is tens of thousands of pixels.
SCREENSHOT_MAX_HEIGHT = 12000
# A page is given this long to load, typeset its math and load its images.
PAGE_TIMEOUT_S = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the docs browser test)")
    pytest.skip(reason)


def _executable(variable: str, name: str, debian: str) -> str:
    path = os.environ.get(variable) or shutil.which(name) or f"/usr/bin/{name}"
    if not Path(path).is_file():
        _unavailable(f"{name} not found: apt-get install {debian}")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Page:
    """The browser's one tab, driven by Selenium; what the page logged is kept in
    `events` (the console) and `requests` (every URL asked for, with the page that
    asked) until the next `open`."""

    def __init__(self, driver: "Chrome") -> None:
        self.driver = driver
        self.events: list[dict] = []
        self.requests: list[tuple[str, str]] = []

    def _collect(self) -> None:
        self.events += self.driver.get_log("browser")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                params = message["params"]
                self.requests.append((params["documentURL"], params["request"]["url"]))

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression; a promise is awaited."""
        return self.driver.execute_script(f"return await ({expression});")

    def open(self, url: str) -> None:
        self._collect()
        self.events.clear()
        self.requests.clear()
        self.driver.get(url)

    def errors(self) -> list[str]:
        """The console's errors since the page was opened: exceptions, console.error
        and resources that failed to load."""
        self._collect()
        return [e["message"] for e in self.events if e["level"] == "SEVERE"]

    def outside_requests(self, site_url: str) -> list[str]:
        """What the site's pages asked for from anywhere but the site (the browser's own
        start page, which the log shows too, is not the site's)."""
        self._collect()
        return [
            url
            for document, url in self.requests
            if document.startswith(site_url)
            and not url.startswith((site_url, "data:", "blob:"))
        ]

    def cdp(self, method: str, **params: object) -> dict:
        """A DevTools command, through Selenium's Chromium driver."""
        return self.driver.execute_cdp_cmd(method, params)

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))

    def full_screenshot(self, path: Path) -> None:
        """The whole page, not only the viewport, to SCREENSHOT_MAX_HEIGHT pixels."""
        metrics = self.cdp("Page.getLayoutMetrics")["cssContentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": metrics["width"],
            "height": min(metrics["height"], SCREENSHOT_MAX_HEIGHT),
            "scale": 1,
        }
        data = self.cdp(
            "Page.captureScreenshot",
            format="png",
            clip=clip,
            captureBeyondViewport=True,
        )["data"]
        path.write_bytes(base64.b64decode(data))


@pytest.fixture(scope="session")
def browser(summary_lines: list[str]) -> Iterator[Page]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("Selenium not installed: pip install -e '.[docs]'")
    chromium = _executable("CHROMIUM", "chromium", "chromium")
    chromedriver = _executable("CHROMEDRIVER", "chromedriver", "chromium-driver")
    with tempfile.TemporaryDirectory(
        prefix="minilstm-chromium-", ignore_cleanup_errors=True
    ) as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        # The console's messages, and the network's requests as DevTools events.
        options.set_capability(
            "goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"}
        )
        driver = webdriver.Chrome(options=options, service=Service(chromedriver))
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT_S)
            driver.set_script_timeout(PAGE_TIMEOUT_S)
            summary_lines.append(
                f"docs browser test drove {driver.capabilities['browserName']} "
                f"{driver.capabilities['browserVersion']} ({chromium}, {chromedriver})"
            )
            yield Page(driver)
        finally:
            driver.quit()


# Run in the page once it has loaded: waits for MathJax and for every image, then
# reports.
INSPECT = """
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })));
  const article = document.querySelector("article").cloneNode(true);
  article.querySelectorAll("pre, code, mjx-container").forEach(e => e.remove());
  const text = article.textContent;
  return {
    title: document.title,
    images: document.images.length,
    broken_images: [...document.images]
      .filter(i => i.naturalWidth === 0)
      .map(i => i.src),
    math: document.querySelectorAll(".arithmatex").length,
    typeset: document.querySelectorAll(".arithmatex mjx-container").length,
    math_errors: [...document.querySelectorAll("mjx-merror")].map(e => e.textContent),
    // A character MathJax drew without its glyph rule shows as blank space.
    blank_glyphs: [...document.querySelectorAll("mjx-c")]
      .filter(c => getComputedStyle(c, "::before").content === "none").length,
    raw_math: ["\\\\(", "\\\\)", "\\\\[", "\\\\]", "$$"].filter(d => text.includes(d)),
    // A snippet line left as text means its code was never included.
    snippet_lines: /--8\\s*<\\s*-/.test(document.querySelector("article").textContent),
  };
})()
"""


# Run in the page once it has loaded, with every collapsed block opened and in every
# tab: everything that breaks the rule at WIDTHS, each with the pixels out of reach.
READABLE = """
(async (CODE_COLUMNS) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const found = new Map();
  const text = e => e.textContent.trim().replace(/\\s+/g, " ").slice(0, 70);
  // A hidden element (an inactive tab) has no box and nothing to measure.
  const shown = e => e.getClientRects().length > 0;
  const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const check = () => {
    const column = document.querySelector("article").getBoundingClientRect();
    for (const m of document.querySelectorAll('mjx-container[display="true"]')) {
      if (!shown(m)) continue;
      const box = m.closest(".arithmatex") || m.parentElement;
      const drawn = m.querySelector("mjx-math").getBoundingClientRect();
      const over = Math.max(
        drawn.width - box.clientWidth,
        box.scrollWidth - box.clientWidth,
        m.scrollWidth - m.clientWidth,
        drawn.right - column.right,
      );
      if (over > 1) {
        found.set("equation " + text(m), Math.round(over));
      }
    }
    // On a phone Material lets a code block reach the screen's edges, past the column's
    // margins, on purpose: a code block must stay inside the window, not the column.
    for (const code of document.querySelectorAll("pre > code")) {
      if (!shown(code)) continue;
      const longest = code.textContent.split("\\n")
        .reduce((a, b) => (b.length > a.length ? b : a), "").trim().slice(0, 70);
      const space = getComputedStyle(code).whiteSpace;
      if (space !== "pre") {
        found.set(`code wraps its lines (white-space: ${space}) ` + longest, 0);
      }
      const over = code.getBoundingClientRect().right - window.innerWidth;
      if (over > 1) {
        found.set("code outside the window " + longest, Math.round(over));
      }
      if (code.scrollWidth > code.clientWidth + 1 && !scrolls(code) &&
          !scrolls(code.parentElement)) {
        found.set("code cut off " + longest, code.scrollWidth - code.clientWidth);
      }
    }
    // A table may be wider than the column if it scrolls inside itself.
    for (const table of document.querySelectorAll("article table")) {
      if (!shown(table)) continue;
      let box = table;
      while (box !== document.body && !scrolls(box)) box = box.parentElement;
      const head = text(table.querySelector("tr") || table).slice(0, 50);
      if (box === document.body) {
        const over = table.getBoundingClientRect().right - column.right;
        if (over > 1) found.set("table cut off " + head, Math.round(over));
        continue;
      }
      const over = box.getBoundingClientRect().right - window.innerWidth;
      if (over > 1) found.set("table outside the window " + head, Math.round(over));
      // A table that scrolls itself has every column in reach; one inside a scrolling
      // box must not be wider than what the box scrolls over (its borders aside).
      const hidden = box === table ? 0
        : table.getBoundingClientRect().width - box.scrollWidth;
      if (hidden > 2) {
        found.set("table columns out of reach " + head, Math.round(hidden));
      }
    }
    // A figure is a link to its picture, which the browser shows full size.
    for (const img of document.querySelectorAll("article img")) {
      const link = img.closest("a");
      if (!link || link.href !== img.src) {
        found.set("figure not a link to itself " + img.src.split("/").pop(), 0);
      }
      const over = img.getBoundingClientRect().right - column.right;
      if (over > 1) {
        found.set("figure wider than the column " + img.src, Math.round(over));
      }
    }
    const page = Math.max(document.documentElement.scrollWidth,
                          document.body.scrollWidth) - window.innerWidth;
    if (page > 1) {
      found.set("the page itself scrolls sideways", page);
    }
  };
  check();
  for (const input of document.querySelectorAll(".tabbed-set > input")) {
    input.click();
    check();
  }
  // Whether an unwrapped line of CODE_COLUMNS characters fits a code block unscrolled.
  const probe = document.createElement("div");
  probe.className = "highlight";
  probe.innerHTML = "<pre><code></code></pre>";
  const line = probe.querySelector("code");
  line.textContent = "x".repeat(CODE_COLUMNS);
  document.querySelector("article").append(probe);
  const fits = line.scrollWidth <= line.clientWidth;
  probe.remove();
  return { found: Object.fromEntries(found), fits };
})(%d)
"""


def test_the_site_has_a_page_for_every_step() -> None:
    for page in ("index.html", "lstm-cell.html", "bptt.html", "api.html"):
        assert page in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_in_a_browser(page: str, browser: Page, site_url: str) -> None:
    browser.open(f"{site_url}/{page}")
    report = browser.evaluate(INSPECT)
    ARTIFACTS.mkdir(exist_ok=True)
    if page in SCREENSHOTS:
        browser.screenshot(ARTIFACTS / f"{SCREENSHOTS[page]}.png")
    # Let late errors (a font or a lazily loaded MathJax part that fails) arrive.
    browser.evaluate("new Promise(done => setTimeout(done, 300))")

    assert report["title"].endswith("minilstm"), report["title"]
    assert browser.errors() == []
    assert browser.outside_requests(site_url) == []
    assert report["broken_images"] == []
    assert report["math_errors"] == []
    assert report["typeset"] == report["math"], "some math was not typeset"
    assert report["blank_glyphs"] == 0, "typeset math drawn without its characters"
    assert report["raw_math"] == [], "TeX delimiters left in the text"
    assert not report["snippet_lines"], (
        "a --8<-- line shows instead of the code it names"
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_page_reads_at_laptop_and_phone_width(
    page: str, width: int, browser: Page, site_url: str
) -> None:
    """Nothing scrolls the page sideways, is cut off or out of reach, code keeps its
    lines, figures open full size (rule: WIDTHS)."""
    browser.cdp(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 600,
    )
    try:
        browser.open(f"{site_url}/{page}")
        name = page.removesuffix(".html")
        if name in WIDTH_SCREENSHOTS:
            # Before READABLE opens the collapsed blocks: the page as first seen.
            browser.evaluate(INSPECT)
            ARTIFACTS.mkdir(exist_ok=True)
            browser.full_screenshot(ARTIFACTS / f"{name}-{width}.png")
        report = browser.evaluate(READABLE % CODE_COLUMNS)
        inner_width = browser.evaluate("window.innerWidth")
    finally:
        browser.cdp("Emulation.clearDeviceMetricsOverride")
    assert inner_width == width
    assert report["found"] == {}, (
        f"does not read at {width} px (pixels out of reach): {report['found']}"
    )
    if width >= 1280:
        assert report["fits"], (
            f"a {CODE_COLUMNS}-character code line does not fit at {width} px"
        )


def test_a_figure_opens_full_size(browser: Page, site_url: str) -> None:
    """Tapping a figure shows its picture alone, at its own size."""
    browser.open(f"{site_url}/index.html")
    src = browser.evaluate("document.querySelector('article img').src")
    browser.evaluate("document.querySelector('article img').closest('a').click()")
    browser.evaluate("new Promise(done => setTimeout(done, 500))")
    assert browser.driver.current_url == src
    natural = browser.evaluate("document.images[0].naturalWidth")
    assert natural > 400, "the picture itself, not a page around it"


def test_bptt_page_has_math_and_reads_in_dark_mode(
    browser: Page, site_url: str
) -> None:
    browser.open(f"{site_url}/bptt.html")
    # The palette toggle's radio inputs carry the scheme they switch to.
    toggle = "document.querySelector('input[data-md-color-scheme=\"%s\"]').click()"
    browser.evaluate(toggle % "slate")
    try:
        report = browser.evaluate(INSPECT)
        scheme = browser.evaluate("document.body.getAttribute('data-md-color-scheme')")
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "bptt-dark.png")
    finally:
        browser.evaluate(toggle % "default")
    assert scheme == "slate"
    assert browser.errors() == []
    assert report["math"] > 10, "the BPTT page derives its gradients in equations"
    assert report["typeset"] == report["math"]
    assert report["blank_glyphs"] == 0


def test_search_finds_the_bptt_page(browser: Page, site_url: str) -> None:
    browser.open(f"{site_url}/index.html")
    titles = browser.evaluate(
        """
        (async () => {
          const input = document.querySelector("input.md-search__input");
          input.focus();
          input.value = "backpropagation";
          input.dispatchEvent(new Event("input", { bubbles: true }));
          input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
          for (let waited = 0; waited < 20000; waited += 100) {
            const items = document.querySelectorAll(".md-search-result__item");
            if (items.length) {
              return [...items].map(item => item.textContent);
            }
            await new Promise(done => setTimeout(done, 100));
          }
          return [];
        })()
        """
    )
    assert any("Backpropagation through time" in title for title in titles), titles
    assert browser.errors() == []
