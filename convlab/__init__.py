"""convlab: pictures, animations, widgets and sample images for "Convolutions in Deep Learning".

Student-side helpers; no graded answer lives here (the image demo filters
with scipy). One idea per module:

- :mod:`convlab.frames`  -- what a diagram shows, as data (``conv_frame``, ``transposed_frame``,
  ``groups_frame``); new convolution types add a builder here.
- :mod:`convlab.grid`    -- draws a frame with matplotlib (``draw``, ``frame_png``), and shows
  frames in a notebook.
- :mod:`convlab.player`  -- an offline HTML/JS player over a list of frames (``animate``).
- :mod:`convlab.widgets` -- slider panels (``ConvPanel``, ``TransposedPanel``, ``GroupsPanel``,
  ``FilterPanel``).
- :mod:`convlab.images`, :mod:`convlab.filters` -- sample images and named kernels.
- :mod:`convlab.channel_frames` -- across channels: ``depthwise_frames``, ``pointwise_frames``,
  ``shuffle_frame``; :mod:`convlab.cost_panel` -- ``SeparableCostPanel``.
- :mod:`convlab.figure_output` -- alt text and readable text for the matplotlib figures a
  notebook shows.
- :mod:`convlab.causal_frames` -- a WaveNet-style stack of causal 1-D convolutions
  (``causal_stack_frame``, ``causal_stack_frames``).
- :mod:`convlab.training_view` -- ``TrainingView``: a training run's loss, accuracy and
  first-layer kernels, redrawn after every epoch.

    >>> import convlab
    >>> convlab.conv_frame(5, 3, stride=2, padding=1, position=4)   # one diagram
    >>> convlab.animate(convlab.conv_frames(5, 3, dilation=2))       # a step-through player
    >>> convlab.ConvPanel()                                          # live sliders

Names are imported when first used (PEP 562): outside a kernel, ``import convlab`` (the
grader's hidden checks share :mod:`convlab.selfcheck`) then costs no matplotlib, scipy or
widget imports (about 1.8 s of CPU). In a kernel the display hooks are installed at import,
as before, so every figure has alt text and a frame left as a cell's value is a picture.
"""

from __future__ import annotations

import importlib
import importlib.util

from . import _kernel

_MODULES = {
    "player": ("Animation", "animate"),
    "causal_frames": ("causal_stack_frame", "causal_stack_frames"),
    "channel_frames": ("depthwise_frame", "depthwise_frames", "pointwise_frame",
                       "pointwise_frames", "shuffle_frame"),
    "cost_panel": ("SeparableCostPanel",),
    "filters": ("KERNEL_NAMES", "named_kernel"),
    "frames": ("Frame", "Grid", "conv_frame", "conv_frames", "groups_frame",
               "transposed_frame", "transposed_frames"),
    "grid": ("FrameArtist", "draw", "figure_png", "frame_png"),
    "images": ("SAMPLE_IMAGES", "checkerboard", "photo", "sample_image", "test_card"),
    "training_view": ("TrainingView",),
    "widgets": ("ConvPanel", "FilterPanel", "GroupsPanel", "TransposedPanel"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    """A public name (or a submodule, ``convlab.grid``), imported on first use."""
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    elif name.isidentifier() and importlib.util.find_spec(f"{__name__}.{name}"):
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


# In a Jupyter kernel, every matplotlib figure shown carries alt text (convlab/figure_output.py),
# and a Frame left as a cell's value is shown as its picture (convlab/grid.py).
if _kernel.shell() is not None:
    from . import figure_output, grid

    figure_output.install()
    grid.install()
