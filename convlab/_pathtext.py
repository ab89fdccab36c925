"""Text drawn as one path collection built from cached glyph outlines.

A matplotlib ``Text`` costs about 2 ms to draw (layout and glyph rendering run
again on every draw), and a numbered diagram has a hundred of them: that alone
would blow a widget's 50 ms budget. Here every character's outline is made once,
and each redraw only shifts and scales cached vertices into a single
``PathCollection``, which Agg fills in one call.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib import ft2font
from matplotlib.collections import PathCollection
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.path import Path
from matplotlib.textpath import TextPath

# Fractions of the em size, used to place the baseline for vertical alignment.
_ASCENT, _DESCENT, _MIDDLE = 0.76, 0.24, 0.36
_LINE = 1.45


@cache
def _glyph(char: str, weight: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Outline (vertices, codes) of ``char`` at em size 1, and its advance width."""
    prop = FontProperties(weight=weight)
    font = get_font(findfont(prop))
    font.set_size(100, 72)
    advance = font.load_char(ord(char), flags=ft2font.LoadFlags.NO_HINTING)
    advance = advance.linearHoriAdvance / 65536 / 100
    if char.isspace():
        return np.zeros((0, 2)), np.zeros(0, dtype=np.uint8), advance
    path = TextPath((0, 0), char, size=1, prop=prop)
    return np.asarray(path.vertices), np.asarray(path.codes), advance


def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of ``text`` at em size ``size`` (same units as ``size``)."""
    return size * sum(_glyph(ch, weight)[2] for ch in text)


def wrap(text: str, width: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width``."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, weight) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


class PathText:
    """A set of strings drawn as one ``PathCollection`` in data units with ``y`` pointing down."""

    def __init__(self, ax, color: str, weight: str = "normal", zorder: float = 5):
        self.weight = weight
        self.collection = ax.add_collection(
            PathCollection([], facecolors=[color], edgecolors="none", zorder=zorder))

    def show(self, items) -> None:
        """Draw ``(x, y, text, size, ha, va)`` items; ``text`` may hold newlines."""
        vertices, codes = [], []
        for x, y, text, size, ha, va in items:
            lines = text.split("\n")
            first = {"center": _MIDDLE - (len(lines) - 1) * _LINE / 2,
                     "top": _ASCENT, "bottom": -_DESCENT - (len(lines) - 1) * _LINE}[va]
            for i, line in enumerate(lines):
                pen = x - {"left": 0, "center": 0.5, "right": 1}[ha] * text_width(
                    line, size, self.weight)
                baseline = y + (first + i * _LINE) * size
                for char in line:
                    glyph, glyph_codes, advance = _glyph(char, self.weight)
                    if len(glyph):
                        vertices.append(glyph * (size, -size) + (pen, baseline))
                        codes.append(glyph_codes)
                    pen += advance * size
        path = Path(np.concatenate(vertices), np.concatenate(codes)) if vertices else Path(
            np.zeros((0, 2)))
        self.collection.set_paths([path])
