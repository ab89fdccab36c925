"""Chapter 08's exercises against answers pasted from the book's own cells (see pastes.py)."""

# The glue is held to five lines, so a paste packs into one line what a student would: E501 off.
# ruff: noqa: E501

from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

POOL = (("08", "def pool2d"),)

PASTES = {
    "ch08.lookahead": [
        Paste("the text's (k - 1)d/2 steps into the future per 'same' layer", (("08", "def causal_corr1d"),),
              """def lookahead(layers):
    return sum((k - 1) * d / 2 for k, d, mode in layers if mode == "same")
""", "lookahead"),
        Paste("the same in integers", (("08", "def causal_corr1d"),),
              """def lookahead(layers):
    return sum((k - 1) * d // 2 for k, d, mode in layers if mode == "same")
""", "lookahead"),
    ],
    "ch08.input_window": [
        Paste("the text's receptive_fields, shifted by the paddings",
              (("08", "def receptive_fields"),),
              """def input_window(layers, index):
    r = receptive_fields([(k, s, d) for k, s, p, d in layers])[-1]
    first = index * int(np.prod([s for _, s, _, _ in layers])) - sum(p for _, _, p, _ in layers)
    return first, first + r - 1
""", "input_window"),
    ],
    "ch08.pool_input_range": [
        Paste("the text's floor formula solved for n, with chapter 02's dilated span",
              POOL,
              """def pool_input_range(out, kernel_size, stride, padding, dilation, ceil_mode):
    n = (out - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1
    return max(n, 1), n + stride - 1
""", "pool_input_range"),
        Paste("the text's sizes with the kernel size as the span", POOL,
              """def pool_input_range(out, kernel_size, stride, padding, dilation, ceil_mode):
    n = (out - 1) * stride - 2 * padding + kernel_size - (stride - 1 if ceil_mode else 0)
    return max(n, 1), n + stride - 1
""", "pool_input_range"),
    ],
    "ch08.max_pool2d_backward": [
        Paste("the text's reshape trick: the gradient where x equals its window's maximum", POOL,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    n, c, h, w = x.shape
    y = x[:, :, :h // stride * stride, :w // stride * stride].reshape(n, c, h // stride, stride, w // stride, stride).max(axis=(3, 5))
    up = lambda a: np.repeat(np.repeat(a, stride, axis=2), stride, axis=3)
    return np.pad(up(grad_output[:, :, :y.shape[2], :y.shape[3]]) * (up(y) == x[:, :, :up(y).shape[2], :up(y).shape[3]]), ((0, 0), (0, 0), (0, h - up(y).shape[2]), (0, w - up(y).shape[3])))
""", "max_pool2d_backward"),
    ],
    "ch08.max_bottleneck_width": [
        Paste("the text's bottleneck count, all layers at the input size, solved for the width",
              (("08", "bottleneck = 256 * 64"),),
              """def max_bottleneck_width(c_in, c_out, size, stride, budget):
    a, b = 9 * size * size, (c_in + c_out) * size * size
    return int((-b + np.sqrt(b * b + 4 * a * budget)) // (2 * a))
""", "max_bottleneck_width"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
