"""The theme's icons without its 1.5 MB Font Awesome bundle.

pydata-sphinx-theme loads `_static/scripts/fontawesome.js` on every page: all of Font Awesome
6's icons as SVG plus the code that swaps `<i class="fa-solid fa-bars">` for them. The book
shows a handful; `trim` replaces that file with one holding only the icons its pages name
(SVGs from @fortawesome/fontawesome-free, the same release, pinned in package.json).
"""

import io
import json
import re
from pathlib import Path

import pydata_sphinx_theme
from fontTools import subset
from fontTools.ttLib import TTFont

from .vendor import NODE_MODULES

SVGS = NODE_MODULES / "@fortawesome" / "fontawesome-free" / "svgs"
BUNDLE = Path("_static", "scripts", "fontawesome.js")
# The theme's stylesheet and the icon fonts it draws its own icons with (admonition titles,
# toggles): it names every Font Awesome icon, ~1,900 rules, and the fonts hold them all.
THEME_STATIC = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
THEME_STATIC = THEME_STATIC / "static"
STYLESHEET = Path("_static", "styles", "pydata-sphinx-theme.css")
FONTS = Path("_static", "vendor", "fontawesome", "webfonts")
# one rule per icon: `.fa-bars:before,.fa-navicon:before{content:"\f0c9"}`
ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"([^"]*)"\}')
# every glyph a stylesheet puts in a `content` or an icon variable: Font Awesome's private-use
# code points, written raw or as a CSS escape
GLYPH = re.compile(r'(?:content:|--pst-icon-[a-z-]+:)\s*"(\\[0-9a-f]{2,6}\s?|[\ue000-\uf8ff])')
STYLES = {"fa-solid": "solid", "fas": "solid", "fa-regular": "regular", "far": "regular",
          "fa-brands": "brands", "fab": "brands"}
# the class list of an element that may be an icon (the theme writes <i> and <span>)
ICON_CLASSES = re.compile(r'<(?:i|span)\b[^>]*\bclass="([^"]*\bfa-[^"]*)"')
NOT_ICONS = {"fa-fw", "fa-lg", "fa-sm", "fa-xs", "fa-2x", "fa-spin", "fa-pulse"}

# Replaces each <i class="fa-... fa-name"> (or <span>) by its inline SVG, attributes kept,
# as Font Awesome's own script does (left in place, the element would also show the theme
# CSS's glyph), once the page is parsed and again for icons the theme's scripts add later.
SCRIPT = """/* Font Awesome Free 6.5.2 icons this book uses (CC BY 4.0); see bookbuild/icons.py */
(function () {
  var icons = %s;
  var SVG = "http://www.w3.org/2000/svg";
  function swap(root) {
    root.querySelectorAll("i[class*='fa-'], span[class*='fa-']").forEach(function (i) {
      for (var name of i.classList) {
        var icon = icons[name];
        if (!icon) continue;
        var svg = document.createElementNS(SVG, "svg");
        for (var attribute of i.attributes) svg.setAttribute(attribute.name, attribute.value);
        svg.setAttribute("class", "svg-inline--fa " + i.className);
        svg.setAttribute("viewBox", icon[0]);
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("style", "height:1em;overflow:visible;vertical-align:-0.125em");
        var path = document.createElementNS(SVG, "path");
        path.setAttribute("fill", "currentColor");
        path.setAttribute("d", icon[1]);
        svg.appendChild(path);
        i.replaceWith(svg);
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
    """Cut the site at `html` to the icons it uses; return the bytes the icon files now take.

    Reads the theme's originals, not the site's copies, so a page that starts using another
    icon gets it on the next build.
    """
    used = used_icons(html)
    sizes = [_trim_bundle(html, used), _trim_stylesheet(html, {icon for _, icon in used})]
    codepoints = set().union(*(_glyphs(css.read_text(errors="replace"))
                               for css in (html / "_static").rglob("*.css")))
    for font in sorted((THEME_STATIC / "vendor" / "fontawesome" / "webfonts").glob("*.woff2")):
        sizes.append(_subset_font(font, codepoints, html / FONTS / font.name))
    return sum(sizes)


def _trim_stylesheet(html: Path, icons: set[str]) -> int:
    """The theme's stylesheet less the rules of icons no page names."""
    def keep(match: re.Match) -> str:
        selectors = [s for s in match.group(1).split(",") if s[1:-len(":before")] in icons]
        return f'{",".join(selectors)}{{content:"{match.group(2)}"}}' if selectors else ""

    text = ICON_RULE.sub(keep, (THEME_STATIC / "styles" / STYLESHEET.name).read_text())
    (html / STYLESHEET).write_text(text)
    return len(text.encode())


def _glyphs(css: str) -> set[int]:
    points = set()
    for glyph in GLYPH.findall(css):
        points.add(int(glyph[1:].strip(), 16) if glyph.startswith("\\") else ord(glyph))
    return points


def _subset_font(source: Path, codepoints: set[int], target: Path) -> int:
    """`source` with only the glyphs of `codepoints`, as WOFF2 at `target`."""
    font = TTFont(source)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints & set(font.getBestCmap())))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.flavor = "woff2"
    font.save(buffer)
    target.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def _trim_bundle(html: Path, used: set[tuple[str, str]]) -> int:
    """The theme's script bundle of every icon, replaced by one with the `used` icons."""
    icons = {}
    for style, icon in sorted(used):
        svg = _svg(style, icon)
        if svg is not None:
            icons[icon] = svg
    data = (SCRIPT % json.dumps(icons, separators=(",", ":"))).encode()
    (html / BUNDLE).write_bytes(data)
    return len(data)
