"""Parameter panels: sliders and menus over a picture and a formula, computed in the browser.

    >>> ConvPanel()                          # kernel_size, stride, padding, dilation, input size
    >>> ConvPanel(kernel_size=2, values=True)  # numbers in the cells, the sum spelled out
    >>> TransposedPanel()                    # zero insertion, output_padding
    >>> GroupsPanel(in_channels=8, groups=4) # channel groups, block-diagonal weight
    >>> FilterPanel(image="photo", kernel="sobel x")  # a real image, input and output

A panel is an anywidget whose front end is ``convlab/js/panels.js``: the
picture (SVG or canvas) and the formula with the current numbers are drawn
there on every move, within a frame. In JupyterLab and Notebook 7 the settings
are traits synced with Python (``panel.stride = 2`` moves the slider; reading
``panel.stride`` gives the reader's choice). The display bundle also carries
``text/html`` that inlines the same module with a local stand-in for the
model, so the static book (which prefers that HTML, see ``_config.yml``)
redraws in the browser with no kernel and no network.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from ._geometry import as_int
from .filters import KERNEL_NAMES, _filter_image, named_kernel
from .images import SAMPLE_IMAGES, sample_image

_ESM = (Path(__file__).with_name("js") / "panels.js").read_text(encoding="utf-8")

# The model a panel gets in a page with no widget manager: the same get/set/on/off/
# save_changes calls as anywidget's, firing change events locally.
_STATIC_MODEL = """
const state = JSON.parse(document.getElementById("%(id)s-state").textContent);
const handlers = {};
const model = {
  get: (name) => state[name],
  set(name, value) {
    if (state[name] === value) return;
    state[name] = value;
    for (const handler of handlers["change:" + name] || []) handler();
  },
  on(event, handler) { (handlers[event] = handlers[event] || []).push(handler); },
  off(event, handler) { handlers[event] = (handlers[event] || []).filter((h) => h !== handler); },
  save_changes() {},
};
widget.render({ model, el: document.getElementById("%(id)s") });
"""


def _script_safe(text: str) -> str:
    """JSON or JS that cannot close the <script> element it is inlined in."""
    return text.replace("</", "<\\/")


class _Panel(anywidget.AnyWidget):
    """A panel drawn by ``panels.js``; ``_panel`` names which of its panels."""

    _esm = _ESM
    _panel = traitlets.Unicode().tag(sync=True)

    def __init__(self, **settings):
        # Constructor arguments get the package's usual errors naming the argument (the
        # traits alone would raise a TraitError on a bad assignment later).
        traits = type(self).class_traits()
        for name, value in settings.items():
            if isinstance(traits[name], traitlets.Int) and not name.startswith("_"):
                settings[name] = as_int(value, name, traits[name].min)
        super().__init__(_panel=type(self).__name__, **settings)

    def _state(self) -> dict:
        """The settings and data the front end reads: this panel's synced traits."""
        names = set(self.traits(sync=True)) - set(anywidget.AnyWidget.class_traits(sync=True))
        # anywidget's own (the module source, an id) are not settings
        return {name: getattr(self, name) for name in sorted(names)
                if name not in ("_esm", "_css") and not name.startswith("_anywidget")}

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data = dict(data[0] if isinstance(data, tuple) else data or {})
        ident = f"convlab-{uuid.uuid4().hex[:12]}"
        state = _script_safe(json.dumps(self._state()))
        data["text/html"] = (
            f'<div id="{ident}" class="convlab-static"></div>'
            f'<script type="application/json" id="{ident}-state">{state}</script>'
            f'<script type="module">{_script_safe(_ESM)}\n'
            f'{_STATIC_MODEL % {"id": ident}}</script>')
        return data


def _int(minimum: int) -> traitlets.Int:
    """A synced int setting; Python refuses values the picture has no meaning for."""
    return traitlets.Int(minimum, min=minimum).tag(sync=True)


class _WindowPanel(_Panel):
    """The settings of a sliding-window picture: the geometry and the output cell shown."""

    input_size = _int(1)
    kernel_size = _int(1)
    stride = _int(1)
    padding = _int(0)
    dilation = _int(1)
    position = _int(0)
    values = traitlets.Bool(False).tag(sync=True)


class ConvPanel(_WindowPanel):
    """Sliders for input size, kernel_size, stride, padding, dilation over a live grid diagram."""

    def __init__(self, input_size: int = 5, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, dilation: int = 1, values: bool = False):
        super().__init__(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation, values=bool(values))


class TransposedPanel(_WindowPanel):
    """Sliders for a transposed convolution, drawn as zero insertion plus a stride-1 convolution."""

    output_padding = _int(0)

    def __init__(self, input_size: int = 2, kernel_size: int = 3, stride: int = 2,
                 padding: int = 0, output_padding: int = 0, dilation: int = 1,
                 values: bool = False):
        super().__init__(input_size=input_size, kernel_size=kernel_size, stride=stride,
                         padding=padding, output_padding=output_padding, dilation=dilation,
                         values=bool(values))


class GroupsPanel(_Panel):
    """Sliders for channels and a groups menu over the channel-group picture."""

    in_channels = _int(1)
    out_channels = _int(1)
    groups = _int(1)
    highlight = traitlets.Int(None, allow_none=True).tag(sync=True)

    def __init__(self, in_channels: int = 4, out_channels: int = 4, groups: int = 2):
        in_channels = as_int(in_channels, "in_channels", 1)
        out_channels = as_int(out_channels, "out_channels", 1)
        groups = as_int(groups, "groups", 1)  # checked before the divisibility below
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        super().__init__(in_channels=in_channels, out_channels=out_channels, groups=groups)


def _encoded_image(image: np.ndarray) -> dict:
    """``image`` as its distinct values (exact floats) and one base64 index per pixel."""
    palette, index = np.unique(image, return_inverse=True)
    dtype = np.uint8 if len(palette) <= 256 else np.dtype("<u2")
    return {"size": int(image.shape[0]), "palette": palette.tolist(),
            "bytes": np.dtype(dtype).itemsize,
            "index": base64.b64encode(index.astype(dtype).tobytes()).decode("ascii")}


def _kernel_table(largest: int) -> dict[str, list]:
    """Every named kernel at sizes 1..largest, or the reason it does not exist at that size."""
    table = {}
    for name in KERNEL_NAMES:
        table[name] = []
        for size in range(1, largest + 1):
            try:
                table[name].append(named_kernel(name, size).tolist())
            except ValueError as error:
                table[name].append(str(error))
    return table


class FilterPanel(_Panel):
    """A named kernel applied live to a sample image: padded input, kernel, output side by side."""

    image = traitlets.Unicode().tag(sync=True)
    kernel = traitlets.Unicode().tag(sync=True)
    kernel_size = _int(1)
    stride = _int(1)
    padding = _int(0)
    dilation = _int(1)
    _images = traitlets.Dict().tag(sync=True)
    _kernels = traitlets.Dict().tag(sync=True)

    def __init__(self, image: str = "test card", kernel: str = "box blur", kernel_size: int = 3,
                 stride: int = 1, padding: int = 0, dilation: int = 1, size: int = 128):
        if image not in SAMPLE_IMAGES:
            raise ValueError(f"image must be one of {list(SAMPLE_IMAGES)}, got {image!r}")
        if kernel not in KERNEL_NAMES:
            raise ValueError(f"kernel must be one of {list(KERNEL_NAMES)}, got {kernel!r}")
        self.size = as_int(size, "size", 1)
        kernel_size = as_int(kernel_size, "kernel_size", 1)
        super().__init__(image=image, kernel=kernel, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation,
                         _images={name: _encoded_image(sample_image(name, self.size))
                                  for name in SAMPLE_IMAGES},
                         _kernels=_kernel_table(max(7, kernel_size)))

    @property
    def output(self) -> np.ndarray:
        """The filtered image for the current settings, as the panel shows it (scipy's)."""
        return _filter_image(sample_image(self.image, self.size),
                             named_kernel(self.kernel, self.kernel_size), self.stride,
                             self.padding, self.dilation)
