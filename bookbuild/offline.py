"""Find what would make a built page fetch something from the network when it is viewed.

Checks tags that load a resource (script, stylesheet link, img, iframe, media), inline
styles and `<style>` blocks, and CSS files. Plain `<a href>` links load nothing and are fine.
`python -m bookbuild --check-only` runs this scan (and the other) on a built book.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# @import "x", @import url(x) and url(x) in CSS, with or without quotes
CSS_REMOTE = re.compile(
    r"""(?:@import\s+(?:url\()?|url\()\s*["']?\s*((?:https?:)?//[^"')\s;]+)""", re.IGNORECASE
)
LOADING_ATTRIBUTES = {
    "script": "src", "img": "src", "iframe": "src", "audio": "src", "video": "src",
    "source": "src", "track": "src", "embed": "src", "input": "src", "object": "data",
}
# link rels that only name a page (canonical URL, other formats) and fetch nothing
NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "next", "prev",
                    "search", "index", "bookmark", "nofollow", "noopener", "noreferrer"}


class _RemoteFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        url = attrs.get(LOADING_ATTRIBUTES.get(tag, ""), "")
        if tag == "link":
            rels = set(attrs.get("rel", "").lower().split())
            url = "" if rels and rels <= NON_LOADING_RELS else attrs.get("href", "")
        urls = [url] + attrs.get("srcset", "").split(",") + [attrs.get("poster", "")]
        for url in urls:
            if REMOTE.match(url):
                self.found.append((self.getpos()[0], f"<{tag}> {url.strip()}"))
        for match in CSS_REMOTE.finditer(attrs.get("style", "")):
            self.found.append((self.getpos()[0], f"style {match.group(1)}"))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            line = self.getpos()[0]
            self.found.extend((line, f"<style> {m.group(1)}") for m in CSS_REMOTE.finditer(data))


def remote_references(root: Path) -> list[str]:
    """`path:line: what` for every network reference in the HTML and CSS files under `root`."""
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".html":
            finder = _RemoteFinder()
            finder.feed(path.read_text(errors="replace"))
            hits = finder.found
        elif path.suffix == ".css":
            text = path.read_text(errors="replace")
            hits = [(text.count("\n", 0, m.start()) + 1, f"css {m.group(1)}")
                    for m in CSS_REMOTE.finditer(text)]
        else:
            continue
        problems.extend(f"{path.relative_to(root)}:{line}: {what}" for line, what in hits)
    return problems
