"""Where a kernel window sits along one axis: the private arithmetic behind every picture.

The diagrams, animations and widgets all need the same few facts (how much
padding lands on each side, which input coordinates a window touches, how many
windows fit). Keeping them here, one axis at a time, means a picture can never
disagree with the formula printed next to it. Nothing here is public API.
"""

from __future__ import annotations

import numbers


def as_int(value, name: str, minimum: int) -> int:
    """``value`` as an ``int`` of at least ``minimum`` (bools and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def as_pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``value`` (an int or a pair of ints) as ``(height, width)``, checked against ``minimum``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    try:
        return as_int(items[0], name, minimum), as_int(items[1], name, minimum)
    except TypeError:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}") from None


def span(kernel_size: int, dilation: int) -> int:
    """Cells covered by a dilated kernel: ``d(k - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def paddings(padding, kernel_size, stride, dilation) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding before and after, as ``((top, left), (bottom, right))``.

    ``'same'`` splits ``d(k - 1)`` zeros with the odd one at the bottom/right,
    exactly as torch does, so an even kernel pads asymmetrically.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, got stride={stride}")
        total = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        before = (total[0] // 2, total[1] // 2)
        return before, (total[0] - before[0], total[1] - before[1])
    pad = as_pair(padding, "padding", 0)
    return pad, pad


def window_count(n: int, kernel_size: int, stride: int, before: int, after: int,
                 dilation: int) -> int:
    """How many windows of the dilated kernel fit in the padded axis (raises if none)."""
    padded, width = n + before + after, span(kernel_size, dilation)
    if width > padded:
        raise ValueError(f"the dilated kernel spans {width} cells but the padded input has only "
                         f"{padded} ({n} + padding {before + after}): there is no output")
    return (padded - width) // stride + 1


def size_formula(n: int, kernel_size: int, stride: int, padding: int, dilation: int) -> str:
    """The output-size formula, then the same formula with the numbers filled in (HTML-safe)."""
    top = n + 2 * padding - dilation * (kernel_size - 1) - 1
    result = top // stride + 1
    text = (f"o = ⌊(i + 2p − d(k−1) − 1)/s⌋ + 1 = ⌊({n} + 2·{padding} − {dilation}·"
            f"{kernel_size - 1} − 1)/{stride}⌋ + 1 = {result}")
    if result < 1:
        text += " — the kernel does not fit: no output"
    return text


def transposed_size(n: int, kernel_size: int, stride: int, padding: int, output_padding: int,
                    dilation: int) -> int:
    """Output length of a transposed convolution (may be < 1 when padding crops everything)."""
    return (n - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def transposed_size_formula(n: int, kernel_size: int, stride: int, padding: int,
                            output_padding: int, dilation: int) -> str:
    """The transposed-convolution size formula with the numbers filled in (HTML-safe)."""
    result = transposed_size(n, kernel_size, stride, padding, output_padding, dilation)
    return (f"o = (i − 1)s − 2p + d(k−1) + output_padding + 1 = ({n} − 1)·{stride} − 2·{padding}"
            f" + {dilation}·{kernel_size - 1} + {output_padding} + 1 = {result}")
