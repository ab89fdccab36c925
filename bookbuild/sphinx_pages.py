"""Sphinx extension (staged as `_ext/book_pages.py`): a page loads the widgets manager only
if a widget view is still on it, and each of its scripts once; every page gets the book's
accessible names and layout rules, and figures their alt text and a width that keeps their
text readable.

MyST-NB adds require.js, the widgets HTML manager (3.6 MB) and the saved widget state to
every page whose executed notebook recorded widget state. convlab's panels are widgets in
Jupyter but show their own self-contained `text/html` in the book (`nb_mime_priority_overrides`
in _config.yml), so on a page with only panels nothing would use the manager.
"""

import base64
import hashlib
import json
import math
import re
from pathlib import Path

from docutils import nodes

from convlab.grid import MIN_TEXT_PX

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_KEYS = ("ipywidgets_",)  # MyST-NB's keys: ipywidgets_state, ipywidgets_0, ...


def _drop_unused_widget_scripts(app, doctree, docname) -> None:
    metadata = getattr(app.env, "nb_metadata", {}).get(docname, {})
    js_files = metadata.get("js_files", {})
    if not any(key.startswith(WIDGET_KEYS) for key in js_files):
        return
    if any(WIDGET_VIEW in node.astext() for node in doctree.findall(nodes.raw)):
        _drop_panel_models(js_files)
        return
    for key in [k for k in js_files if k.startswith(WIDGET_KEYS)]:
        del js_files[key]


def _drop_panel_models(js_files: dict) -> None:
    """Keep convlab's panels out of the saved widget state the manager loads.

    The manager builds every model in the state, and an anywidget model would make it
    fetch anywidget's front end from a CDN; the panels draw themselves anyway.
    """
    uri, attributes = js_files["ipywidgets_state"]
    state = json.loads(attributes["body"])
    state["state"] = {key: model for key, model in state["state"].items()
                      if model.get("model_module") != "anywidget"}
    body = json.dumps(state).replace("</", "<\\/")  # as MyST-NB writes it into <script>
    js_files["ipywidgets_state"] = (uri, {**attributes, "body": body})


def _drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    """Keep the first of identical scripts (same file or same inline body, same attributes).

    An inline script that an extension adds once the builder exists (sphinx-thebe's
    `const THEBE_JS_URL = ...`, sphinx-togglebutton's selector) reaches the builder twice:
    directly, with file name None, and again from Sphinx's registry, with file name "".
    Sphinx's de-duplication tells the two apart, so every page declared the constant twice
    and the second declaration threw "Identifier 'THEBE_JS_URL' has already been declared".
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _describe_images(app, doctree, docname) -> None:
    """Alt text for the notebook's figures, from their outputs' metadata
    (convlab/figure_output.py).

    MyST-NB names each image by the SHA-256 of its bytes and keeps only its width and height
    from the output's metadata; without an alt the page would read out the hashed path.
    """
    images = [i for i in doctree.findall(nodes.image) if not i.get("alt")]
    for image in images:
        alt = _figures(app).get(Path(image.get("uri", "")).stem, {}).get("alt")
        if alt:
            image["alt"] = alt


# An image MyST-NB wrote from a notebook's output: its file is named by its bytes' SHA-256.
_OUTPUT_IMAGE = re.compile(r'<img\b[^>]*\bsrc="[^"]*/([0-9a-f]{64})\.png"[^>]*>')


def _keep_figure_text_readable(app, pagename, templatename, context, doctree) -> None:
    """A figure whose output says how small its text is (``text_px``, in the PNG's pixels)
    shrinks with a narrow window only down to where that text is MIN_TEXT_PX; below, it
    keeps that width and scrolls sideways inside its own box, never the page.

    Done on the page's HTML: docutils writes no data attributes on an image, and its box
    must be focusable (tabindex) to be scrolled from the keyboard, as axe-core requires.
    """
    body = context.get("body")
    if not body or "<img" not in body:
        return

    def readable(match: re.Match) -> str:
        figure = _figures(app).get(match.group(1), {})
        if not figure.get("text_px"):
            return match.group(0)
        # both in the PNG's pixels, so a retina PNG (shown at half its width) is right too
        narrowest = math.ceil(figure["png_width"] * MIN_TEXT_PX / figure["text_px"])
        tag = match.group(0)
        tag = (tag[:4] + f' data-min-text-px="{figure["text_px"]:g}"'
               f' style="min-width:{narrowest}px"' + tag[4:])
        return f'<div class="convlab-figure" tabindex="0">{tag}</div>'

    context["body"] = _OUTPUT_IMAGE.sub(readable, body)


def _figures(app) -> dict[str, dict]:
    """SHA-256 of each PNG output -> its metadata (alt, text_px) and its width in pixels
    (png_width),
    over every executed notebook of the build (read once per build).

    The execution cache holds them all; a page served from the cache finds its outputs
    there only (MyST-NB then writes jupyter_execute/ without them).
    """
    if hasattr(app, "_book_figures"):
        return app._book_figures
    build = Path(app.outdir).parent
    config = getattr(app.env, "mystnb_config", None)  # MyST-NB sets the cache's final path
    cache = Path(getattr(config, "execution_cache_path", "") or build / ".jupyter_cache")
    found = {}
    for path in [*cache.glob("executed/*/*.ipynb"), *(build / "jupyter_execute").rglob("*.ipynb")]:
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                metadata = output.get("metadata", {}).get("image/png", {})
                if png and metadata.get("alt"):
                    png = base64.b64decode("".join(png) if isinstance(png, list) else png)
                    width = int.from_bytes(png[16:20], "big")  # the PNG's IHDR chunk
                    found[hashlib.sha256(png).hexdigest()] = {**metadata, "png_width": width}
    app._book_figures = found
    return found


def setup(app):
    # Once the page's doctree is resolved, MyST-NB's post-transform has picked one output
    # per mime bundle (the widget view or our HTML), and the page's scripts are not yet
    # added to it (html-page-context comes after).
    app.connect("doctree-resolved", _drop_unused_widget_scripts)
    app.connect("doctree-resolved", _describe_images)
    app.connect("html-page-context", _drop_repeated_scripts)
    app.connect("html-page-context", _keep_figure_text_readable)
    # bookbuild/vendor.py's OWN_ASSETS, under _static/vendor/ (html_extra_path). Deferred, the
    # names script runs after sphinx-copybutton's (a plain script) has made its buttons.
    app.add_js_file("vendor/accessible-names.js", priority=900, loading_method="defer")
    app.add_css_file("vendor/book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
