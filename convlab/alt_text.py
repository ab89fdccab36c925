"""Alt text for the matplotlib figures a notebook shows, made from the figures' own words.

In a Jupyter kernel, ``install()`` wraps IPython's PNG printer for figures so that each
figure's PNG output carries ``{"alt": describe(figure)}`` as its metadata: its title, each
panel's title and axis labels, and the legend's entries. The book (bookbuild/sphinx_pages.py)
turns that into the image's alt text, where it would otherwise be the image's hashed file
name. Outside IPython, or before matplotlib's inline backend is set up, it does nothing.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from . import _kernel

_MARK = "_convlab_alt"  # set on our wrapper, so it is never wrapped twice


def _words(text: str) -> str:
    return " ".join(text.replace("$", "").split())


def describe(figure: Figure) -> str:
    """A sentence naming what the figure shows, from its titles, axis labels and legends."""
    parts = []
    title = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    if title.strip():
        parts.append(_words(title))
    panels = []
    for ax in figure.axes:
        if not ax.get_visible() or not ax.axison and not ax.get_title():
            continue
        words = [_words(ax.get_title())] if ax.get_title().strip() else []
        axes = [f"{name}: {_words(label)}" for name, label in
                (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if label.strip()]
        legend = ax.get_legend()
        if legend is not None:
            entries = [_words(t.get_text()) for t in legend.get_texts() if t.get_text().strip()]
            if entries:
                axes.append("lines: " + ", ".join(entries))
        if axes:
            words.append("(" + "; ".join(axes) + ")")
        if words:
            panels.append(" ".join(words))
    if panels:
        parts.append(("panels: " if len(panels) > 1 else "") + "; ".join(panels))
    text = ". ".join(parts)
    return f"Figure: {text}" if text else "Figure"


def _wrap(printer):
    def with_alt(figure):
        data = printer(figure)
        return None if data is None else (data, {"alt": describe(figure)})

    setattr(with_alt, _MARK, True)
    return with_alt


def _ensure(shell) -> None:
    """Wrap the current PNG printer for figures, if there is one and it is not ours."""
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return
    try:
        printer = formatter.lookup_by_type(Figure)
    except KeyError:
        return
    if not getattr(printer, _MARK, False):
        formatter.for_type(Figure, _wrap(printer))


def install() -> None:
    """Attach alt text to every figure the running IPython kernel shows from now on."""
    shell = _kernel.shell()
    if shell is None:
        return
    # matplotlib loads its backend (the inline one registers its printer) only when pyplot
    # first needs it, maybe mid-cell just before `plt.show()` displays: load it now, while no
    # pyplot figure is open (switching closes them), so there is a printer to wrap.
    import matplotlib
    import matplotlib.pyplot as plt

    if not plt.get_fignums():
        plt.switch_backend(matplotlib.get_backend())
    _ensure(shell)
    # A backend set up later registers its printer again: our post_execute callback, before
    # its own, wraps that one before the figures left at the end of a cell are shown.
    if not getattr(shell, _MARK, False):
        shell.events.register("post_execute", lambda: _ensure(shell))
        setattr(shell, _MARK, True)
