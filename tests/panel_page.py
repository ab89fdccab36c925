"""Drive convlab panels in headless Chromium, as the static book shows them (no kernel).

Each panel's `text/html` output is put in a blank page with every request refused; the
helpers set controls the way a reader does (an `input`/`change` event on the element)
and read what the panel shows back from its root element.
"""

from __future__ import annotations

from contextlib import contextmanager

from book_browser import CHROMIUM, CHROMIUM_ARGS

# Set the named controls of the panel at `index` (only those that differ, so a sweep
# redraws once a step) and return what the panel shows: its data-* numbers, formula,
# caption and, for the filter, the output image.
SET_AND_READ = """([index, settings]) => {
  const root = document.querySelectorAll('.convlab-panel')[index];
  for (const [name, value] of Object.entries(settings)) {
    const control = root.querySelector(`[name="${name}"]`);
    if (control.type === 'checkbox') {
      if (control.checked !== value) {
        control.checked = value;
        control.dispatchEvent(new Event('change'));
      }
    } else if (control.value !== String(value)) {
      control.value = String(value);
      if (control.value !== String(value)) throw new Error(`${name} cannot be ${value}`);
      control.dispatchEvent(new Event(control.tagName === 'SELECT' ? 'change' : 'input'));
    }
  }
  const out = root.convlabOutput;
  return {data: {...root.dataset}, formula: root.querySelector('.convlab-formula').textContent,
          caption: root.querySelector('.convlab-caption')?.textContent ?? '',
          output: out ? {size: out.out, data: Array.from(out.data)} : null};
}"""

SWEEP = """([index, names, grid]) => {
  const results = [];
  for (const values of grid) {
    const settings = Object.fromEntries(names.map((n, i) => [n, values[i]]));
    results.push(window.__setAndRead([index, settings]));
  }
  return results;
}"""


def page_html(*panels) -> str:
    """A bare page holding the static HTML of each panel."""
    body = "".join(p._repr_mimebundle_()["text/html"] for p in panels)
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


@contextmanager
def panel_page(*panels):
    """A Chromium page showing `panels`, offline; yields (page, errors, offsite requests)."""
    from playwright.sync_api import sync_playwright  # test-only dependency

    errors, offsite = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: (offsite.append(route.request.url), route.abort()))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.set_content(page_html(*panels))
            page.wait_for_function(
                f"document.querySelectorAll('.convlab-panel').length === {len(panels)}")
            page.evaluate(f"() => {{ window.__setAndRead = {SET_AND_READ}; }}")
            yield page, errors, offsite
        finally:
            browser.close()


def set_and_read(page, index: int, **settings) -> dict:
    return page.evaluate("(args) => window.__setAndRead(args)", [index, settings])


def sweep(page, index: int, names: list[str], grid: list[tuple]) -> list[dict]:
    """What the panel shows for each row of `grid` (values of `names`), in order."""
    return page.evaluate(SWEEP, [index, names, [list(row) for row in grid]])
