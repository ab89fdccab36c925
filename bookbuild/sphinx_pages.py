"""Sphinx extension (staged as `_ext/book_pages.py`): a page loads the widgets manager only
if a widget view is still on it.

MyST-NB adds require.js, the widgets HTML manager (3.6 MB) and the saved widget state to
every page whose executed notebook recorded widget state. convlab's panels are widgets in
Jupyter but show their own self-contained `text/html` in the book (`nb_mime_priority_overrides`
in _config.yml), so on a page with only panels nothing would use the manager.
"""

import json

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


def setup(app):
    # Once the page's doctree is resolved, MyST-NB's post-transform has picked one output
    # per mime bundle (the widget view or our HTML), and the page's scripts are not yet
    # added to it (html-page-context comes after).
    app.connect("doctree-resolved", _drop_unused_widget_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
