"""Open built book pages in headless Chromium, served from loopback with the network cut off.

Debian's chromium is driven through Playwright's Python package; Playwright's own browser
download is not used (it needs a host this project cannot reach).
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# What each kind of interactive figure leaves in the DOM once drawn: a widget rendered by the
# widgets HTML manager, or an animation player (matplotlib's to_jshtml, convlab's).
WIDGET = ".jupyter-widgets"
ANIMATION = ".animation img, .convlab-player img, .convlab-player canvas"
# A convlab parameter panel drawn in the page with no kernel (DESIGN.md, "The online book").
PANEL = ".convlab-panel"
# Every byte the page loaded: the document and each resource, as sent over the wire.
PAGE_BYTES = """() => performance.getEntriesByType('navigation').concat(
    performance.getEntriesByType('resource')).reduce((sum, e) => sum + e.transferSize, 0)"""
# Errors from upstream code that neither break the page nor load anything.
KNOWN_ERRORS = (
    # sphinx-thebe 0.3 (a Jupyter Book default extension; thebe is not used here) adds its
    # inline `const THEBE_JS_URL = ...` script twice, so the second one throws.
    "Identifier 'THEBE_JS_URL' has already been declared",
)


@dataclass
class PageReport:
    mathjax: int = 0  # typeset formulas (mjx-container elements)
    widgets: int = 0
    animations: int = 0
    panels: int = 0
    redrawn: int = 0  # panels whose picture changed when a slider was moved from the keyboard
    bytes: int = 0  # everything a first visit loads
    offsite: list[str] = field(default_factory=list)  # requests to anything but the server
    failed: list[str] = field(default_factory=list)  # local requests that failed or 4xx/5xx
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def render(html_dir: Path, pages: list[str], screenshot_dir: Path) -> dict[str, PageReport]:
    """Load each page (path relative to `html_dir`), wait for MathJax and widgets, report."""
    from playwright.sync_api import sync_playwright  # test-only dependency

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    reports = {}
    with serve(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for page_path in pages:
                screenshot = screenshot_dir / (page_path.replace("/", "__") + ".png")
                reports[page_path] = _render_page(browser, base, page_path, screenshot)
        finally:
            browser.close()
    return reports


def move_a_slider(page, panel) -> bool:
    """Press a key on the panel's first slider, as a reader would; did its picture change?"""
    slider = panel.locator('input[type="range"]').first
    picture = panel.locator(".convlab-picture")
    picture.scroll_into_view_if_needed()
    before = (slider.input_value(), picture.inner_html(), picture.screenshot())
    slider.focus()
    page.keyboard.press("ArrowLeft" if before[0] == slider.get_attribute("max") else "ArrowRight")
    after = (slider.input_value(), picture.inner_html(), picture.screenshot())
    return after[0] != before[0] and after[1] != before[1] and after[2] != before[2]


def _render_page(browser, base: str, page_path: str, screenshot: Path) -> PageReport:
    report = PageReport()
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def route(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            report.offsite.append(route.request.url)
            route.abort()

    def console(message):
        if message.type == "error":
            report.errors.append(f"console: {message.text}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: report.errors.append(f"exception: {error}"))
    # blocked off-site requests fail too: they are reported once, as off-site
    page.on("requestfailed", lambda r: r.url.startswith(base) and report.failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and report.failed.append(f"{r.status} {r.url}"))
    try:
        page.goto(base + page_path, wait_until="load")
        page.evaluate("() => window.MathJax?.startup?.promise")  # typeset of the whole page
        if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
            page.wait_for_selector(WIDGET, timeout=60_000)
        # fonts the typeset and widgets asked for; long pages on a busy machine take a while
        page.wait_for_load_state("networkidle", timeout=90_000)
        report.mathjax = page.locator("mjx-container").count()
        report.widgets = page.locator(WIDGET).count()
        report.animations = page.locator(ANIMATION).count()
        report.bytes = page.evaluate(PAGE_BYTES)
        report.panels = page.locator(PANEL).count()
        page.screenshot(path=str(screenshot), full_page=True)
        report.redrawn = sum(move_a_slider(page, page.locator(PANEL).nth(i))
                             for i in range(report.panels))
    finally:
        page.close()
    report.errors = [e for e in report.errors if not any(k in e for k in KNOWN_ERRORS)]
    return report
