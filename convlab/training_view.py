"""A live view of a training run: the loss curve, held-out accuracy and the first layer's kernels.

    >>> view = TrainingView(epochs=8)
    >>> view.update(losses, accuracies, first_layer_weight)   # after every epoch

In Jupyter the view redraws in place after every epoch (one display, updated through its
display id, so the notebook keeps a single picture); in the static book the executed
notebook keeps the last picture: the recorded run. It is a picture (PNG), not a
widget: it needs no widget manager and nothing synced back.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from IPython.display import HTML, display

from ._geometry import as_int


class TrainingView:
    """The loss per step, the held-out accuracy per epoch and the kernels, redrawn in place."""

    def __init__(self, epochs: int, title: str = "training"):
        self.epochs = as_int(epochs, "epochs", 1)
        self.title = title
        self._handle = display(HTML(f"<p>{title}: waiting for the first epoch</p>"),
                               display_id=True)

    def update(self, losses, accuracies, kernels) -> None:
        """Redraw: losses so far (per step), accuracies (per epoch), kernels (O, 1, k, k)."""
        png = self.picture(np.asarray(losses, float), np.asarray(accuracies, float),
                           np.asarray(kernels, float))
        tag = (f'<img alt="{self.title}: loss, accuracy and first-layer kernels" '
               f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')
        if self._handle is not None:
            self._handle.update(HTML(tag))

    def picture(self, losses: np.ndarray, accuracies: np.ndarray,
                kernels: np.ndarray) -> bytes:
        """The PNG: loss curve, accuracy, and one tile per first-layer kernel."""
        from matplotlib.figure import Figure

        if kernels.ndim != 4:
            raise ValueError(f"kernels must be a 4-D conv weight (O, C, k, k), got shape "
                             f"{kernels.shape}")
        fig = Figure(figsize=(10, 2.8), dpi=80)
        grid = fig.add_gridspec(1, 3, width_ratios=(1.3, 1, 1))
        ax = fig.add_subplot(grid[0])
        ax.plot(losses, lw=0.8)
        ax.set(xlabel="step", ylabel="loss (cross-entropy)", yscale="log",
               title=f"{self.title}: loss")
        ax = fig.add_subplot(grid[1])
        ax.plot(np.arange(1, len(accuracies) + 1), accuracies, "o-")
        ax.set(xlabel="epoch", ylabel="held-out accuracy", xlim=(0.5, self.epochs + 0.5),
               ylim=(min(0.8, *accuracies) if len(accuracies) else 0.8, 1.0),
               title="accuracy")
        fig.add_subplot(grid[2]).imshow(_tiles(kernels[:, 0]), cmap="RdBu_r",
                                        interpolation="nearest")
        fig.axes[-1].set(xticks=[], yticks=[], title=f"{len(kernels)} first-layer kernels")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()


def _tiles(kernels: np.ndarray, columns: int = 8) -> np.ndarray:
    """Kernels (O, k, k) side by side, each scaled to [-1, 1], one blank cell between them."""
    count, k, _ = kernels.shape
    rows = -(-count // columns)
    out = np.full((rows * (k + 1) - 1, columns * (k + 1) - 1), np.nan)
    for i, kernel in enumerate(kernels):
        r, c = divmod(i, columns)
        out[r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = \
            kernel / (np.abs(kernel).max() or 1.0)
    return out

