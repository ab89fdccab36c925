"""Open built book pages in headless Chromium, served from loopback with the network cut off.

Debian's chromium is driven through Playwright's Python package; Playwright's own browser
download is not used (it needs a host this project cannot reach).
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bookbuild: the project's tool
from bookbuild import vendor  # noqa: E402

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
# A desktop and a phone (an iPhone 12-15 is 390 CSS px wide).
DESKTOP, PHONE = 1280, 390
# The smallest text a figure may show, in CSS px, at any width.
MIN_FIGURE_TEXT = 10
# Images whose alt text is a file name (what a page without a description falls back to):
# axe accepts them, a screen-reader user hears a hashed path.
FILE_NAME_ALT = """() => [...document.querySelectorAll('img[alt]')].map(i => i.alt)
    .filter(alt => /\\.(png|jpe?g|gif|svg)$/i.test(alt.trim()))"""
# axe-core's impacts that fail a page (minor and moderate ones are reported by axe only).
FAILING_IMPACTS = ("serious", "critical")
# How far the page scrolls sideways: the document is wider than the window.
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# A notebook's figures that do not fit the column at the width their text needs, so they
# scroll sideways inside their own box (bookbuild/sphinx_pages.py): fine on a phone only.
CRAMPED = """() => [...document.querySelectorAll('.convlab-figure')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => `${box.scrollWidth} px in ${box.clientWidth}: ${box.querySelector('img').alt}`)"""
# Each figure's smallest text as shown, in CSS px: an SVG's <text> (its font size times the
# SVG's scale on screen) and a picture's: a player's frame or a notebook's figure
# (data-min-text-px is the smallest text in the PNG's own pixels, convlab/player.py and
# bookbuild/sphinx_pages.py, times the image's scale on screen).
FIGURE_TEXT = """() => {
    const found = [];
    const svgText = '.convlab-panel svg text, .convlab-player svg text';
    for (const text of document.querySelectorAll(svgText)) {
        if (!text.textContent.trim() || !text.getClientRects().length) continue;
        const size = parseFloat(getComputedStyle(text).fontSize);
        const ctm = text.getScreenCTM();
        found.push([size * Math.hypot(ctm.a, ctm.b), text.textContent.trim().slice(0, 30)]);
    }
    for (const img of document.querySelectorAll('img[data-min-text-px]')) {
        const scale = img.getBoundingClientRect().width / img.naturalWidth;
        found.push([parseFloat(img.dataset.minTextPx) * scale, img.alt.slice(0, 30)]);
    }
    return found;
}"""


@dataclass
class PageReport:
    mathjax: int = 0  # typeset formulas (mjx-container elements)
    widgets: int = 0
    animations: int = 0
    panels: int = 0
    redrawn: int = 0  # panels whose picture changed when a slider was moved from the keyboard
    bytes: int = 0  # everything a first visit loads
    sideways: int = 0  # CSS px the page scrolls horizontally (0: it fits the window)
    small_text: list[str] = field(default_factory=list)  # figure text under MIN_FIGURE_TEXT
    cramped: list[str] = field(default_factory=list)  # figures scrolling in their box (CRAMPED)
    bad_alt: list[str] = field(default_factory=list)  # images whose alt is a file name
    axe: list[str] = field(default_factory=list)  # serious or critical axe-core violations
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


def render(html_dir: Path, pages: list[str], screenshot_dir: Path,
           width: int = DESKTOP) -> dict[str, PageReport]:
    """Load each page (path relative to `html_dir`) `width` CSS px wide, wait for MathJax and
    widgets, audit it, and report."""
    from playwright.sync_api import sync_playwright  # test-only dependency

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    reports = {}
    with serve(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for page_path in pages:
                name = page_path.replace("/", "__").removesuffix(".html")
                screenshot = screenshot_dir / f"{name}-{width}px.png"
                reports[page_path] = _render_page(browser, base, page_path, screenshot, width)
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


def audit(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per rule."""
    page.add_script_tag(path=str(vendor.test_asset("axe")))  # inline: nothing is fetched
    found = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes'][:3]]} ({len(v['nodes'])} in all)"
            for v in found["violations"] if v["impact"] in FAILING_IMPACTS]


def _render_page(browser, base: str, page_path: str, screenshot: Path,
                 width: int) -> PageReport:
    report = PageReport()
    page = browser.new_page(viewport={"width": width, "height": 900 if width > 600 else 844})

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
        report.sideways = page.evaluate(SIDEWAYS)
        report.small_text = [f"{size:.1f} px: {text!r}" for size, text in
                             page.evaluate(FIGURE_TEXT) if size < MIN_FIGURE_TEXT - 0.05]
        report.cramped = page.evaluate(CRAMPED)
        report.bad_alt = page.evaluate(FILE_NAME_ALT)
        report.axe = audit(page)
        page.screenshot(path=str(screenshot), full_page=True)
        report.redrawn = sum(move_a_slider(page, page.locator(PANEL).nth(i))
                             for i in range(report.panels))
    finally:
        page.close()
    return report
