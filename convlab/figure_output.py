"""What each matplotlib figure a notebook shows carries: alt text, and text large enough to read.

In a Jupyter kernel, ``install()`` wraps IPython's PNG printer for figures so that each
figure's PNG output carries, as its metadata, ``alt``: ``describe(figure)``, made from the
figure's own words (its title, each panel's title and axis labels, the legend's entries),
and ``text_px``: the em size of its smallest text in the PNG's pixels. A figure whose text
would be under grid.MIN_TEXT_PX is printed at a higher dpi. The book
(bookbuild/sphinx_pages.py) makes the alt the image's alt text, where it would otherwise be
the image's hashed file name, and keeps the image wide enough for that text to stay
readable on a phone. Outside IPython, or before matplotlib's inline backend is set up, it
does nothing.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from . import _kernel
from .grid import MIN_TEXT_PX, figure_text_px

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
    def described(figure):
        # IPython's printer draws at figure.dpi (twice that, with half-size width and
        # height metadata, for "retina"): raised for the call when the text would be small.
        dpi = figure.dpi
        figure.draw_without_rendering()  # ticks (and their labels) are made when drawn
        text = figure_text_px(figure, dpi)
        if 0 < text < MIN_TEXT_PX:
            figure.set_dpi(dpi * MIN_TEXT_PX / text)
        try:
            data = printer(figure)
            text = figure_text_px(figure, figure.dpi)
        finally:
            figure.set_dpi(dpi)
        if data is None:
            return None
        data, metadata = data if isinstance(data, tuple) else (data, {})
        if "width" in metadata:  # retina: the PNG has twice the pixels it is shown at
            text *= 2
        return data, {**metadata, "alt": describe(figure), "text_px": round(float(text), 2)}

    setattr(described, _MARK, True)
    return described


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
    """Attach alt text and text size to every figure the running IPython kernel shows
    from now on."""
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
