"""Step-through animations that play in a notebook and in a static page: no kernel, no network.

matplotlib's ``FuncAnimation.to_jshtml`` loads its button icons from a CDN, so
this module ships its own tiny player instead: frames as base64 PNGs (palette-
quantised, identical frames stored once), first / previous / play / next / last
buttons with plain-text labels, a range slider to scrub, and a frame counter.
Without JavaScript (an untrusted notebook) the first frame still shows.

    >>> from convlab import animate, conv_frames
    >>> animate(conv_frames(5, 3, stride=2, padding=1))     # displays the player
    >>> animate(figures).save("anim.html")                   # any matplotlib Figures

An :class:`Animation` displays through ``_repr_html_``, which MyST-NB embeds
into the book page as it is.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Iterable
from pathlib import Path

from matplotlib.figure import Figure
from PIL import Image

from .frames import Frame
from .grid import MIN_TEXT_PX, FrameArtist, figure_png, figure_text_px

_ids = itertools.count()  # two players on one page must not share element ids


def _png(image: Image.Image, colors: int) -> bytes:
    # An adaptive palette of a few dozen colours keeps flat diagrams crisp at a
    # quarter of the size of a full-colour PNG.
    if colors:
        image = image.quantize(colors, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return buffer.getvalue()


def _same_size(pngs: list[bytes], colors: int) -> list[bytes]:
    """Pad every frame onto a white canvas of the largest size, so the player never jumps."""
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    width = max(image.width for image in images)
    height = max(image.height for image in images)
    out = []
    for image in images:
        if image.size != (width, height):
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            image = canvas
        out.append(_png(image, colors))
    return out


# The player shows frames at their own size (max-width:none beats a page's
# `img {max-width: 100%}`; a wide frame scrolls inside the player, never the page), so on a
# phone too a frame's text is as large as in the PNG: at least grid.MIN_TEXT_PX.


def animate(frames: Iterable, interval: int = 800, dpi: float = 80, colors: int = 48,
            loop: bool = True, alt: str | None = None) -> Animation:
    """An :class:`Animation` of ``frames``: :class:`Frame` objects, Figures or PNG bytes.

    ``interval`` is the delay between frames in milliseconds while playing;
    ``colors`` the palette size (0 keeps full colour); ``dpi`` is raised where text would be
    smaller than MIN_TEXT_PX. ``alt`` describes the animation for screen readers; by default
    it is made from the first Frame's title and caption and the number of frames.
    """
    frames = list(frames)
    for frame in frames:
        if not isinstance(frame, Frame | Figure | bytes):
            raise TypeError(f"frames must be Frame objects, matplotlib Figures or PNG bytes, "
                            f"got {type(frame).__name__}")
    if not frames:
        raise ValueError("an animation needs at least one frame")
    artist = FrameArtist() if any(isinstance(f, Frame) for f in frames) else None

    def text_px(frame, at: float) -> float:
        if isinstance(frame, Frame):
            artist.update(frame)
            return artist.text_px(at)
        return figure_text_px(frame, at) if isinstance(frame, Figure) else 0.0

    # One dpi for every frame, so the picture keeps its scale while it plays.
    per_dpi = [px for px in (text_px(f, 1.0) for f in frames) if px > 0]
    dpi = max([dpi] + [MIN_TEXT_PX / px for px in per_dpi])
    pngs = []
    for frame in frames:
        if isinstance(frame, Frame):
            artist.update(frame)
            pngs.append(artist.png(dpi, compress_level=1))
        elif isinstance(frame, Figure):
            pngs.append(figure_png(frame, dpi, compress_level=1))
        else:
            pngs.append(frame)
    smallest = min(per_dpi) * dpi if per_dpi and len(per_dpi) == len(frames) else None
    return Animation(_same_size(pngs, colors), interval=interval, loop=loop,
                     alt=alt or _describe(frames), min_text_px=smallest)


def _describe(frames: list) -> str:
    """Alt text: the first frame's title and caption, and how many steps there are."""
    first = frames[0]
    words = [first.describe()] if isinstance(first, Frame) and first.title + first.caption else []
    if isinstance(first, Figure):
        words = [first.get_suptitle()] + [ax.get_title() for ax in first.axes]
    text = ". ".join(w.strip().rstrip(".") for w in words if w and w.strip())
    steps = f"step-through animation, {len(frames)} frames"
    return f"{text}. ({steps})" if text else steps.capitalize()


_PLAYER = """\
<div class="convlab-player" id="{id}" data-frames="{count}" \
style="display:inline-block;max-width:100%;font:13px/1.4 sans-serif">
<div tabindex="0" style="overflow-x:auto;max-width:100%">
<img src="data:image/png;base64,{first}" width="{width}" height="{height}" alt="{alt}"{text_px} \
style="display:block;max-width:none;border:0">
</div>
<div style="display:flex;align-items:center;gap:4px;margin-top:4px">
{buttons}
<input type="range" min="0" max="{last}" value="0" step="1" aria-label="frame" \
style="flex:1;min-width:80px;margin:0 6px">
<span style="min-width:4.5em;text-align:right;font-variant-numeric:tabular-nums">1 / {count}</span>
</div>
</div>
<script>
(function () {{
  var root = document.currentScript && document.currentScript.previousElementSibling;
  if (!root || root.id !== "{id}") root = document.getElementById("{id}");
  var frames = {frames}, order = {order}, n = order.length, delay = {interval}, loop = {loop};
  var img = root.querySelector("img"), slider = root.querySelector("input");
  var count = root.querySelector("span"), timer = null, i = 0;
  function button(act) {{ return root.querySelector('button[data-act="' + act + '"]'); }}
  function show(k) {{
    i = Math.max(0, Math.min(n - 1, k));
    img.src = "data:image/png;base64," + frames[order[i]];
    slider.value = i;
    count.textContent = (i + 1) + " / " + n;
  }}
  function stop() {{
    if (timer !== null) clearInterval(timer);
    timer = null;
    button("play").textContent = "\\u25B6\\uFE0E play";
  }}
  function tick() {{
    if (i < n - 1) show(i + 1); else if (loop) show(0); else stop();
  }}
  function play() {{
    if (timer !== null) {{ stop(); return; }}
    if (i === n - 1) show(0);
    timer = setInterval(tick, delay);
    button("play").textContent = "\\u275A\\u275A pause";
  }}
  var acts = {{first: function () {{ stop(); show(0); }},
              prev: function () {{ stop(); show(i - 1); }}, play: play,
              next: function () {{ stop(); show(i + 1); }},
              last: function () {{ stop(); show(n - 1); }}}};
  Object.keys(acts).forEach(function (act) {{ button(act).addEventListener("click", acts[act]); }});
  slider.addEventListener("input", function () {{ stop(); show(+slider.value); }});
}})();
</script>"""

_BUTTONS = (("first", "\u21E4", "first frame"), ("prev", "\u2039", "previous frame"),
            ("play", "\u25B6\uFE0E play", "play / pause"), ("next", "\u203A", "next frame"),
            ("last", "\u21E5", "last frame"))


class Animation:
    """PNG frames with a self-contained HTML/JS player: play, step, scrub; works offline."""

    def __init__(self, frames: list[bytes], interval: int = 800, loop: bool = True,
                 alt: str = "step-through animation", min_text_px: float | None = None):
        if not frames:
            raise ValueError("an animation needs at least one frame")
        self.frames, self.interval, self.loop, self.alt = list(frames), int(interval), loop, alt
        self.min_text_px = min_text_px  # the smallest text in a frame, in its pixels (if known)

    def __len__(self) -> int:
        return len(self.frames)

    def to_html(self) -> str:
        """The player as one HTML fragment: an ``<img>``, controls and an inline script."""
        unique: dict[bytes, int] = {}
        order = [unique.setdefault(png, len(unique)) for png in self.frames]
        encoded = [base64.b64encode(png).decode("ascii") for png in unique]
        width, height = Image.open(io.BytesIO(self.frames[0])).size
        digest = hashlib.sha1(b"".join(unique)).hexdigest()[:10]
        buttons = "\n".join(
            f'<button type="button" data-act="{act}" title="{label}" aria-label="{label}" '
            f'style="min-width:2.2em;padding:1px 6px;cursor:pointer">{text}</button>'
            for act, text, label in _BUTTONS)
        return _PLAYER.format(id=f"convlab-anim-{digest}-{next(_ids)}", count=len(order),
                              last=len(order) - 1, first=encoded[order[0]], width=width,
                              height=height, alt=html.escape(self.alt), buttons=buttons,
                              text_px="" if self.min_text_px is None else
                              f' data-min-text-px="{self.min_text_px:.1f}"',
                              frames=json.dumps(encoded), order=json.dumps(order),
                              interval=self.interval, loop=json.dumps(self.loop))

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path) -> Path:
        """Write a standalone HTML page holding the player; returns the path."""
        path = Path(path)
        path.write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
                        f"{html.escape(self.alt)}</title></head><body>\n{self.to_html()}\n"
                        "</body></html>\n", encoding="utf-8")
        return path
