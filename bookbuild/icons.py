"""The theme's icons without its 1.5 MB Font Awesome bundle.

pydata-sphinx-theme loads `_static/scripts/fontawesome.js` on every page: all of Font Awesome
6's icons as SVG plus the code that swaps `<i class="fa-solid fa-bars">` for them. The book
shows a handful; `trim` replaces that file with one holding only the icons its pages name
(SVGs from @fortawesome/fontawesome-free, the same release, pinned in package.json).
"""

import json
import re
from pathlib import Path

from .vendor import NODE_MODULES

SVGS = NODE_MODULES / "@fortawesome" / "fontawesome-free" / "svgs"
BUNDLE = Path("_static", "scripts", "fontawesome.js")
STYLES = {"fa-solid": "solid", "fas": "solid", "fa-regular": "regular", "far": "regular",
          "fa-brands": "brands", "fab": "brands"}
ICON_CLASSES = re.compile(r'<i class="([^"]*)"')  # the class list of an <i> element
NOT_ICONS = {"fa-fw", "fa-lg", "fa-sm", "fa-xs", "fa-2x", "fa-spin", "fa-pulse"}

# Swaps each <i class="fa-... fa-name"> for its inline SVG once the page is parsed, and
# again for any added later (the theme adds some buttons from its own scripts).
SCRIPT = """/* Font Awesome Free 6.5.2 icons this book uses (CC BY 4.0); see bookbuild/icons.py */
(function () {
  var icons = %s;
  function swap(root) {
    root.querySelectorAll("i[class*='fa-']").forEach(function (i) {
      if (i.firstChild) return;
      for (var name of i.classList) {
        var icon = icons[name];
        if (!icon) continue;
        i.innerHTML = '<svg class="svg-inline--fa ' + name + '" aria-hidden="true" role="img" ' +
          'viewBox="' + icon[0] + '" style="height:1em;overflow:visible;vertical-align:-0.125em">' +
          '<path fill="currentColor" d="' + icon[1] + '"></path></svg>';
        return;
      }
    });
  }
  function start() {
    swap(document);
    new MutationObserver(function () { swap(document); })
      .observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""


def used_icons(html: Path) -> set[tuple[str, str]]:
    """`(style, icon)` for every icon element in the built pages, e.g. ("solid", "fa-bars")."""
    found = set()
    for page in html.rglob("*.html"):
        for classes in ICON_CLASSES.findall(page.read_text(errors="replace")):
            names = classes.split()
            style = next((STYLES[n] for n in names if n in STYLES), "solid")
            found.update((style, n) for n in names
                         if n.startswith("fa-") and n not in STYLES and n not in NOT_ICONS)
    return found


def _svg(style: str, icon: str) -> tuple[str, str] | None:
    path = SVGS / style / f"{icon[3:]}.svg"
    if not path.is_file():
        return None
    text = path.read_text()
    return (re.search(r'viewBox="([^"]+)"', text).group(1),
            re.search(r'<path d="([^"]+)"', text).group(1))


def trim(html: Path) -> int:
    """Replace the theme's bundle in the site at `html` by the used icons; return its size."""
    icons = {}
    for style, icon in sorted(used_icons(html)):
        svg = _svg(style, icon)
        if svg is not None:
            icons[icon] = svg
    data = (SCRIPT % json.dumps(icons, separators=(",", ":"))).encode()
    (html / BUNDLE).write_bytes(data)
    return len(data)
