"""convlab.TrainingView: the live picture of a training run, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

import convlab


def test_picture_is_a_png_of_the_run():
    view = convlab.TrainingView(epochs=3)
    kernels = np.random.default_rng(0).standard_normal((16, 1, 3, 3))
    png = view.picture(np.linspace(2.3, 0.1, 50), np.array([0.9, 0.95]), kernels)
    assert png.startswith(b"\x89PNG")
    view.update(np.linspace(2.3, 0.1, 50), [0.9, 0.95], kernels)  # no display: no error


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        convlab.TrainingView(epochs=0)
    with pytest.raises(TypeError, match="epochs must be an int"):
        convlab.TrainingView(epochs=2.5)
    with pytest.raises(ValueError, match=r"kernels must be a 4-D conv weight"):
        convlab.TrainingView(epochs=1).picture(np.ones(3), np.ones(1), np.ones((3, 3)))
