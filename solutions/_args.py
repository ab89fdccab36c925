"""Argument checking shared by every function in the package.

Each helper turns a user-facing argument into one normal form (an ``int``, a
pair of ints, a float array) or raises an error that names the argument and
the rule it broke. Keeping the rules here means every convolution type rejects
bad input the same way, with the same words, as ``torch.nn.functional`` does.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


def check_int(value, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int``; bools, floats and strings are rejected."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        rule = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value}")
    return value


# Spatial axes by count, outermost first, as torch names them for conv1d/2d/3d.
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
# How an error message names an n-tuple of ints.
TUPLE_WORDS = {1: "a 1-tuple of ints", 2: "a pair of ints", 3: "a triple of ints"}


def check_tuple(value, name: str, length: int, minimum: int | None = None) -> tuple[int, ...]:
    """Return ``value`` (an int or ``length`` ints) as a ``length``-tuple, one per spatial axis."""
    words = TUPLE_WORDS[length]
    if isinstance(value, (tuple, list)):
        if len(value) != length:
            raise ValueError(f"{name} must be an int or {words}, got {value!r}")
        return tuple(check_int(v, f"{name}[{i}]", minimum) for i, v in enumerate(value))
    if isinstance(value, np.ndarray) or isinstance(value, bool) or not isinstance(
            value, numbers.Integral):
        raise TypeError(f"{name} must be an int or {words}, got {value!r}")
    return (check_int(value, name, minimum),) * length


def check_pair(value, name: str, minimum: int | None = None) -> tuple[int, int]:
    """Return ``value`` (an int or a pair of ints) as ``(height, width)``."""
    return check_tuple(value, name, 2, minimum)


def check_array(value, name: str) -> np.ndarray:
    """Require a real numpy array (lists, tensors and scalars are refused)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    return value


# The layout torch documents for a batched and an unbatched input, by spatial axis count.
LAYOUTS = {1: ("(N, C, L)", "(C, L)"), 2: ("(N, C, H, W)", "(C, H, W)"),
           3: ("(N, C, D, H, W)", "(C, D, H, W)")}


def check_input(value, name: str = "input", spatial: int = 2) -> tuple[np.ndarray, bool]:
    """Return a floating batched array and whether the caller passed an unbatched one.

    ``spatial`` is the number of spatial axes: 2 for NCHW (unbatched CHW also accepted).
    """
    value = check_array(value, name)
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), "
                        f"got {value.dtype}; convert it with .astype(float)")
    batched_layout, unbatched_layout = LAYOUTS[spatial]
    if value.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(f"{name} must be {spatial + 2}-D {batched_layout} or "
                         f"{spatial + 1}-D {unbatched_layout}, got shape {value.shape}")
    unbatched = value.ndim == spatial + 1
    batched = value[None] if unbatched else value
    if min(batched.shape[1:]) < 1:
        raise ValueError(f"{name} must have at least one channel and one value along each "
                         f"spatial axis ({', '.join(AXES[spatial])}), got shape {value.shape}")
    return batched, unbatched


def check_weight(value, dtype, name: str = "weight", spatial: int = 2) -> np.ndarray:
    """Return a weight with ``spatial`` kernel axes, cast to the input's dtype."""
    value = check_array(value, name)
    if value.ndim != spatial + 2:
        raise ValueError(f"{name} must be {spatial + 2}-D, got shape {value.shape}")
    if min(value.shape) < 1:
        raise ValueError(f"{name} must not have an empty dimension, got shape {value.shape}")
    return value.astype(dtype, copy=False)


def check_bias(value, out_channels: int, dtype) -> np.ndarray | None:
    """Return ``None`` or a 1-D bias of length ``out_channels`` in the input's dtype."""
    if value is None:
        return None
    value = check_array(value, "bias")
    if value.shape != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},) to match the "
                         f"{out_channels} output channels, got shape {value.shape}")
    return value.astype(dtype, copy=False)


def check_groups(groups, in_channels: int, out_channels: int) -> int:
    """Groups must divide both channel counts."""
    groups = check_int(groups, "groups", 1)
    if in_channels % groups:
        raise ValueError(f"groups={groups} must divide the {in_channels} input channels")
    if out_channels % groups:
        raise ValueError(f"groups={groups} must divide the {out_channels} output channels")
    return groups


@dataclass(frozen=True)
class Geometry:
    """Normalised spatial arguments of one convolution: one entry per spatial axis.

    Two axes are (height, width); three are (depth, height, width); one is (length,).
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pad_before: tuple[int, ...]
    pad_after: tuple[int, ...]

    def axes(self, which: slice) -> Geometry:
        """The geometry of a subset of the axes (e.g. ``slice(1, None)``: height and width)."""
        return Geometry(self.kernel[which], self.stride[which], self.dilation[which],
                        self.pad_before[which], self.pad_after[which])

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """Span of the dilated kernel: ``d(k - 1) + 1`` along each axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    def output_size(self, size: tuple[int, ...]) -> tuple[int, ...]:
        """``floor((n + pad_before + pad_after - d(k-1) - 1) / s) + 1`` along each axis.

        The dilated kernel must fit inside the padded input, else there is no output.
        """
        out = []
        for axis, n, eff, b, a, s in zip(AXES[len(size)], size, self.effective_kernel,
                                         self.pad_before, self.pad_after, self.stride):
            if eff > n + b + a:
                raise ValueError(
                    f"kernel larger than the padded input: the dilated kernel {axis} is {eff} "
                    f"but the padded input {axis} is only {n + b + a} ({n} + padding {b + a})")
            out.append((n + b + a - eff) // s + 1)
        return tuple(out)


def conv_geometry(kernel, stride, padding, dilation) -> Geometry:
    """Check stride/padding/dilation of a forward convolution.

    ``padding`` may be an int, one int per axis, ``'valid'`` (no padding) or ``'same'``
    (output as large as the input; stride 1 only). For an even effective kernel
    ``'same'`` pads one more on the bottom/right, as torch does.
    """
    ndim = len(kernel)
    stride = check_tuple(stride, "stride", ndim, 1)
    dilation = check_tuple(dilation, "dilation", ndim, 1)
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * ndim
        elif padding == "same":
            if stride != (1,) * ndim:
                raise ValueError(f"padding='same' needs stride 1 (the output could not "
                                 f"match the input size), got stride={stride}")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            before = tuple(t // 2 for t in total)
            after = tuple(t - b for t, b in zip(total, before))
        else:
            raise ValueError(f"padding must be an int, {TUPLE_WORDS[ndim]}, 'valid' or 'same', "
                             f"got {padding!r}")
    else:
        before = after = check_tuple(padding, "padding", ndim, 0)
    return Geometry(tuple(kernel), stride, dilation, before, after)
