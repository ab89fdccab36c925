"""convlab: pictures, animations, widgets and sample images for "Convolutions in Deep Learning".

Student-side helpers; no graded answer lives here (the image demo filters
with scipy). One idea per module:

- :mod:`convlab.frames`  -- what a diagram shows, as data (``conv_frame``, ``transposed_frame``,
  ``groups_frame``); new convolution types add a builder here.
- :mod:`convlab.grid`    -- draws a frame with matplotlib (``draw``, ``frame_png``), and shows
  frames in a notebook.
- :mod:`convlab.animate` -- an offline HTML/JS player over a list of frames (``animate``).
- :mod:`convlab.widgets` -- slider panels (``ConvPanel``, ``TransposedPanel``, ``GroupsPanel``,
  ``FilterPanel``).
- :mod:`convlab.images`, :mod:`convlab.filters` -- sample images and named kernels.
- :mod:`convlab.channel_frames` -- across channels: ``depthwise_frames``, ``pointwise_frames``,
  ``shuffle_frame``; :mod:`convlab.cost_panel` -- ``SeparableCostPanel``.
- :mod:`convlab.alt_text` -- alt text for the matplotlib figures a notebook shows.
- :mod:`convlab.causal_frames` -- a WaveNet-style stack of causal 1-D convolutions
  (``causal_stack_frame``, ``causal_stack_frames``).
- :mod:`convlab.training_view` -- ``TrainingView``: a training run's loss, accuracy and
  first-layer kernels, redrawn after every epoch.

    >>> import convlab
    >>> convlab.conv_frame(5, 3, stride=2, padding=1, position=4)   # one diagram
    >>> convlab.animate(convlab.conv_frames(5, 3, dilation=2))       # a step-through player
    >>> convlab.ConvPanel()                                          # live sliders
"""

from . import alt_text, grid
from .animate import Animation, animate
from .causal_frames import causal_stack_frame, causal_stack_frames
from .channel_frames import (
    depthwise_frame,
    depthwise_frames,
    pointwise_frame,
    pointwise_frames,
    shuffle_frame,
)
from .cost_panel import SeparableCostPanel
from .filters import KERNEL_NAMES, named_kernel
from .frames import (
    Frame,
    Grid,
    conv_frame,
    conv_frames,
    groups_frame,
    transposed_frame,
    transposed_frames,
)
from .grid import FrameArtist, draw, figure_png, frame_png
from .images import SAMPLE_IMAGES, checkerboard, photo, sample_image, test_card
from .training_view import TrainingView
from .widgets import ConvPanel, FilterPanel, GroupsPanel, TransposedPanel

__all__ = [
    "KERNEL_NAMES",
    "SAMPLE_IMAGES",
    "Animation",
    "ConvPanel",
    "FilterPanel",
    "Frame",
    "FrameArtist",
    "Grid",
    "GroupsPanel",
    "SeparableCostPanel",
    "TrainingView",
    "TransposedPanel",
    "animate",
    "causal_stack_frame",
    "causal_stack_frames",
    "checkerboard",
    "conv_frame",
    "conv_frames",
    "depthwise_frame",
    "depthwise_frames",
    "draw",
    "figure_png",
    "frame_png",
    "groups_frame",
    "named_kernel",
    "photo",
    "pointwise_frame",
    "pointwise_frames",
    "sample_image",
    "shuffle_frame",
    "test_card",
    "transposed_frame",
    "transposed_frames",
]

# In a Jupyter kernel, every matplotlib figure shown carries alt text (convlab/alt_text.py),
# and a Frame left as a cell's value is shown as its picture (convlab/grid.py).
alt_text.install()
grid.install()
