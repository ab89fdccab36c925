"""Sphinx extension (staged as `_ext/book_pages.py`): a page loads the widgets manager only
if a widget view is still on it, and each of its scripts once; every page gets the book's
accessible names and layout rules, and figures their alt text.

MyST-NB adds require.js, the widgets HTML manager (3.6 MB) and the saved widget state to
every page whose executed notebook recorded widget state. convlab's panels are widgets in
Jupyter but show their own self-contained `text/html` in the book (`nb_mime_priority_overrides`
in _config.yml), so on a page with only panels nothing would use the manager.
"""

import base64
import hashlib
import json
from pathlib import Path

from docutils import nodes

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
    """Alt text for the notebook's figures, from their outputs' metadata (convlab/alt_text.py).

    MyST-NB names each image by the SHA-256 of its bytes and keeps only its width and height
    from the output's metadata; without an alt the page would read out the hashed path.
    """
    images = [i for i in doctree.findall(nodes.image) if not i.get("alt")]
    if not images:
        return
    if not hasattr(app, "_book_alts"):
        app._book_alts = _alts_of_executed_notebooks(app)
    for image in images:
        alt = app._book_alts.get(Path(image.get("uri", "")).stem)
        if alt:
            image["alt"] = alt


def _alts_of_executed_notebooks(app) -> dict[str, str]:
    """SHA-256 of each PNG output -> its alt, over every executed notebook of the build.

    The execution cache holds them all; a page served from the cache finds its outputs
    there only (MyST-NB then writes jupyter_execute/ without them).
    """
    build = Path(app.outdir).parent
    config = getattr(app.env, "mystnb_config", None)  # MyST-NB sets the cache's final path
    cache = Path(getattr(config, "execution_cache_path", "") or build / ".jupyter_cache")
    found = {}
    for path in [*cache.glob("executed/*/*.ipynb"), *(build / "jupyter_execute").rglob("*.ipynb")]:
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                if png and alt:
                    png = "".join(png) if isinstance(png, list) else png
                    found[hashlib.sha256(base64.b64decode(png)).hexdigest()] = alt
    return found


def setup(app):
    # Once the page's doctree is resolved, MyST-NB's post-transform has picked one output
    # per mime bundle (the widget view or our HTML), and the page's scripts are not yet
    # added to it (html-page-context comes after).
    app.connect("doctree-resolved", _drop_unused_widget_scripts)
    app.connect("doctree-resolved", _describe_images)
    app.connect("html-page-context", _drop_repeated_scripts)
    # bookbuild/vendor.py's OWN_ASSETS, under _static/vendor/ (html_extra_path). Deferred, the
    # names script runs after sphinx-copybutton's (a plain script) has made its buttons.
    app.add_js_file("vendor/accessible-names.js", priority=900, loading_method="defer")
    app.add_css_file("vendor/book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
