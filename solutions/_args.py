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


def check_pair(value, name: str, minimum: int | None = None) -> tuple[int, int]:
    """Return ``value`` (an int or a pair of ints) as ``(height, width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return (check_int(value[0], f"{name}[0]", minimum),
                check_int(value[1], f"{name}[1]", minimum))
    if isinstance(value, np.ndarray) or isinstance(value, bool) or not isinstance(
            value, numbers.Integral):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    value = check_int(value, name, minimum)
    return value, value


def check_array(value, name: str) -> np.ndarray:
    """Require a real numpy array (lists, tensors and scalars are refused)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    return value


def check_input(value, name: str = "input") -> tuple[np.ndarray, bool]:
    """Return a floating NCHW array and whether the caller passed an unbatched CHW one."""
    value = check_array(value, name)
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), "
                        f"got {value.dtype}; convert it with .astype(float)")
    if value.ndim not in (3, 4):
        raise ValueError(f"{name} must be 4-D (N, C, H, W) or 3-D (C, H, W), "
                         f"got shape {value.shape}")
    unbatched = value.ndim == 3
    batched = value[None] if unbatched else value
    if min(batched.shape[1:]) < 1:
        raise ValueError(f"{name} must have at least one channel, row and column, "
                         f"got shape {value.shape}")
    return batched, unbatched


def check_weight(value, dtype, name: str = "weight") -> np.ndarray:
    """Return a 4-D weight cast to the input's dtype (dtype follows the input)."""
    value = check_array(value, name)
    if value.ndim != 4:
        raise ValueError(f"{name} must be 4-D, got shape {value.shape}")
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
    """Normalised spatial arguments of one convolution (all pairs are (height, width))."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad_before: tuple[int, int]
    pad_after: tuple[int, int]

    @property
    def effective_kernel(self) -> tuple[int, int]:
        """Span of the dilated kernel: ``d(k - 1) + 1`` along each axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """``floor((n + pad_before + pad_after - d(k-1) - 1) / s) + 1`` along each axis.

        The dilated kernel must fit inside the padded input, else there is no output.
        """
        out = []
        for axis, n, eff, b, a, s in zip(("height", "width"), size, self.effective_kernel,
                                         self.pad_before, self.pad_after, self.stride):
            if eff > n + b + a:
                raise ValueError(
                    f"kernel larger than the padded input: the dilated kernel {axis} is {eff} "
                    f"but the padded input {axis} is only {n + b + a} ({n} + padding {b + a})")
            out.append((n + b + a - eff) // s + 1)
        return tuple(out)


def conv_geometry(kernel, stride, padding, dilation) -> Geometry:
    """Check stride/padding/dilation of a forward convolution.

    ``padding`` may be an int, a pair, ``'valid'`` (no padding) or ``'same'``
    (output as large as the input; stride 1 only). For an even effective kernel
    ``'same'`` pads one more on the bottom/right, as torch does.
    """
    stride = check_pair(stride, "stride", 1)
    dilation = check_pair(dilation, "dilation", 1)
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"padding='same' needs stride 1 (the output could not "
                                 f"match the input size), got stride={stride}")
            total = [d * (k - 1) for k, d in zip(kernel, dilation)]
            before = tuple(t // 2 for t in total)
            after = tuple(t - b for t, b in zip(total, before))
        else:
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    else:
        before = after = check_pair(padding, "padding", 0)
    return Geometry(tuple(kernel), stride, dilation, before, after)
