"""The docs site, opened page by page in a real browser (headless Debian Chromium).

The site is built with `mkdocs build --strict` (or taken from $DOCS_SITE_DIR when a
build already ran), served from 127.0.0.1 by a server inside this test, and each page is
opened through Chromium's DevTools protocol. Every page must load with no console error,
load every image, fetch nothing from outside this machine, and show its math typeset by
MathJax; the site's search must work from the local server alone.
Every page is also opened at a laptop's width (1280 px) and a phone's (400 px), and no
display equation or code block may be cut off at its column's edge (the rule is at
WIDTHS below).
Screenshots of the home page and of the BPTT page (light and dark), and of a few pages
at both widths, are left in test-artifacts/ for a person to look at, and the Chromium
version the test drove is the last line of pytest's report.

Locally the test is skipped, saying why, when Chromium or MkDocs is missing; in CI
(CI=true) that is a failure.
"""

import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytestmark = pytest.mark.slow  # builds the docs site, reads it in a browser

if TYPE_CHECKING:
    import websocket

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
PAGES = sorted(
    p.relative_to(ROOT / "docs").with_suffix(".html").as_posix()
    for p in (ROOT / "docs").rglob("*.md")
)
SCREENSHOTS = {"index.html": "home", "bptt.html": "bptt"}
# Chromium's flags for a machine with no network but loopback and no display.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
]
# The widths every page must read at: a laptop's browser window, a phone held upright.
# The rule, checked by OVERFLOW below: nothing is cut at the column's edge and nothing
# needs a sideways scroll. A display equation must fit its column (long ones are split
# into aligned rows in the pages' TeX). A code block must show its whole lines: at
# 1280 px the column is wide enough for the 88-character lines of the Python sources;
# on a narrow screen extra.css wraps long code lines instead of scrolling them. Tables
# are the one thing Material lets scroll sideways on purpose; they are not checked.
WIDTHS = (1280, 400)
# The longest line of the Python sources (ruff's line-length), which must fit unwrapped
# in a code block at the laptop's width.
CODE_COLUMNS = 88
# Pages photographed at both widths, for a person to look at.
WIDTH_SCREENSHOTS = ("bptt", "inference", "lstm-cell", "training")
# Full-page screenshots stop here: a long page at 400 px is tens of thousands of pixels.
SCREENSHOT_MAX_HEIGHT = 12000
# A page is given this long to load, typeset its math and load its images.
PAGE_TIMEOUT_S = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the docs browser test)")
    pytest.skip(reason)


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        _unavailable("Chromium not found: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: $DOCS_SITE_DIR if set, else a fresh `mkdocs build --strict`."""
    prebuilt = os.environ.get("DOCS_SITE_DIR")
    if prebuilt:
        site = Path(prebuilt)
        assert (site / "index.html").is_file(), (
            f"DOCS_SITE_DIR={prebuilt} holds no built site"
        )
        return site
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        _unavailable("MkDocs not installed: pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("site")
    # The site as published: no preview with less training.
    env = {k: v for k, v in os.environ.items() if k != "MINILSTM_DOCS_QUICK"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, (
        f"mkdocs build --strict failed:\n{build.stderr[-5000:]}"
    )
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def devtools_connection(websocket_url: str) -> "websocket.WebSocket":
    """A websocket to Chromium's DevTools, sent with no Origin header.

    Chromium 111 and later refuse a DevTools connection whose Origin they were not told
    to allow (--remote-allow-origins), and which origins pass has changed between
    versions; a connection without an Origin, as a program that is not a web page makes,
    passes in every version.
    """
    import websocket  # websocket-client, from the docs extra

    return websocket.create_connection(
        websocket_url, timeout=PAGE_TIMEOUT_S, suppress_origin=True
    )


class Page:
    """One browser tab, driven over the DevTools protocol's websocket."""

    def __init__(self, websocket_url: str) -> None:
        self.ws = devtools_connection(websocket_url)
        self.next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return message["result"]
            self.events.append(message)

    def wait_for_event(self, method: str) -> None:
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while not any(e.get("method") == method for e in self.events):
            assert time.monotonic() < deadline, f"no {method} within {PAGE_TIMEOUT_S} s"
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str) -> object:
        """The value of a JavaScript expression; a promise is awaited."""
        result = self.call(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def full_screenshot(self, path: Path) -> None:
        """The whole page, not only the viewport, to SCREENSHOT_MAX_HEIGHT pixels."""
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {
            "x": 0,
            "y": 0,
            "width": metrics["width"],
            "height": min(metrics["height"], SCREENSHOT_MAX_HEIGHT),
            "scale": 1,
        }
        data = self.call(
            "Page.captureScreenshot",
            format="png",
            clip=clip,
            captureBeyondViewport=True,
        )["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="session")
def browser(summary_lines: list[str]) -> Iterator[Page]:
    try:
        import websocket  # noqa: F401
    except ImportError:
        _unavailable("websocket-client not installed: pip install -e '.[docs]'")
    chromium = _chromium()
    with tempfile.TemporaryDirectory(
        prefix="minilstm-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + PAGE_TIMEOUT_S
            while not port_file.is_file() or not port_file.read_text().strip():
                assert process.poll() is None, (
                    f"Chromium exited with {process.returncode}"
                )
                assert time.monotonic() < deadline, (
                    "Chromium did not open its DevTools port"
                )
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT"
            )
            with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT_S) as response:
                target = json.load(response)
            page = Page(target["webSocketDebuggerUrl"])
            version = page.call("Browser.getVersion")
            summary_lines.append(
                f"docs browser test drove {version['product']} ({chromium})"
            )
            yield page
            page.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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


# Run in the page once it has loaded: every display equation and code block that does
# not fit its column, looked at with every collapsed block opened and in every tab.
OVERFLOW = """
(async (CODE_COLUMNS) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const cut = new Map();
  const text = e => e.textContent.trim().replace(/\\s+/g, " ").slice(0, 70);
  // A hidden element (an inactive tab) has no box and nothing to measure.
  const shown = e => e.getClientRects().length > 0;
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
        cut.set("equation " + text(m), Math.round(over));
      }
    }
    // On a phone Material lets a code block reach the screen's edges, past the column's
    // margins, on purpose: a code block must stay inside the window, not the column.
    for (const code of document.querySelectorAll("pre > code, .highlight pre")) {
      if (!shown(code)) continue;
      const over = Math.max(
        code.scrollWidth - code.clientWidth,
        code.getBoundingClientRect().right - window.innerWidth,
      );
      if (over > 1) {
        const longest = code.textContent.split("\\n")
          .reduce((a, b) => (b.length > a.length ? b : a), "");
        cut.set("code " + longest.trim().slice(0, 70), Math.round(over));
      }
    }
    const page = document.documentElement.scrollWidth - window.innerWidth;
    if (page > 1) {
      cut.set("the page itself scrolls sideways", page);
    }
  };
  check();
  for (const input of document.querySelectorAll(".tabbed-set > input")) {
    input.click();
    check();
  }
  // Long lines wrap (extra.css), so a too narrow column would not show as a cut line:
  // measure whether an unwrapped line of CODE_COLUMNS characters fits a code block.
  const probe = document.createElement("div");
  probe.className = "highlight";
  probe.innerHTML = "<pre><code></code></pre>";
  const line = probe.querySelector("code");
  line.style.whiteSpace = "pre";
  line.textContent = "x".repeat(CODE_COLUMNS);
  document.querySelector("article").append(probe);
  const fits = line.scrollWidth <= line.clientWidth;
  probe.remove();
  // Each thing cut, with how many pixels of it are out of sight.
  return { cut: Object.fromEntries(cut), fits };
})(%d)
"""


def _console_errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in (
            "error",
            "assert",
        ):
            errors.append(
                " ".join(
                    str(a.get("value", a.get("description"))) for a in params["args"]
                )
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
    return errors


def _outside_requests(events: list[dict], site_url: str) -> list[str]:
    urls = [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return [u for u in urls if not u.startswith((site_url, "data:", "blob:"))]


def test_the_site_has_a_page_for_every_step() -> None:
    for page in ("index.html", "lstm-cell.html", "bptt.html", "api.html"):
        assert page in PAGES


def test_devtools_connection_sends_no_origin() -> None:
    """The handshake Chromium 150 answered with 403 Forbidden carried an Origin
    header."""
    try:
        import websocket
    except ImportError:
        _unavailable("websocket-client not installed: pip install -e '.[docs]'")
    requests = []

    def refuse(server: socket.socket) -> None:
        connection, _ = server.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(4096)
            requests.append(request.decode())
            connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    with socket.create_server(("127.0.0.1", 0)) as server:
        thread = threading.Thread(target=refuse, args=(server,))
        thread.start()
        with pytest.raises(websocket.WebSocketBadStatusException):
            devtools_connection(
                f"ws://127.0.0.1:{server.getsockname()[1]}/devtools/page/1"
            )
        thread.join()
    headers = [
        line.split(":")[0].lower() for line in requests[0].split("\r\n")[1:] if line
    ]
    assert "upgrade" in headers
    assert "origin" not in headers


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
    assert _console_errors(browser.events) == []
    assert _outside_requests(browser.events, site_url) == []
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
def test_nothing_is_cut_off(
    page: str, width: int, browser: Page, site_url: str
) -> None:
    """No display equation or code block is wider than its column (rule: WIDTHS)."""
    browser.call(
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
            # Before OVERFLOW opens the collapsed blocks: the page as first seen.
            browser.evaluate(INSPECT)
            ARTIFACTS.mkdir(exist_ok=True)
            browser.full_screenshot(ARTIFACTS / f"{name}-{width}.png")
        report = browser.evaluate(OVERFLOW % CODE_COLUMNS)
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")
    assert report["cut"] == {}, (
        f"cut off at {width} px (pixels out of sight): {report['cut']}"
    )
    if width >= 1280:
        assert report["fits"], (
            f"a {CODE_COLUMNS}-character code line wraps at {width} px"
        )


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
    assert _console_errors(browser.events) == []
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
    assert _console_errors(browser.events) == []
