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
    "ch08.ceil_mode_changes": [
        # the independent reader's pool_input_range paste (bisection on the text's size rule),
        # turned to the new question: count over the ranges of n the bisection finds per size
        Paste("the text's size rule in both modes, bisected per output size and the ranges compared", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    f = lambda n, c: (lambda o: o - 1 if c and (o - 1) * stride >= n + padding else o)((n + 2 * padding - dilation * (kernel_size - 1) - 1 + (stride - 1 if c else 0)) // stride + 1)
    first = lambda o, c: __import__("bisect").bisect_left(range(lo, hi + 1), o, key=lambda n: f(n, c)) + lo
    sizes = range(f(lo, False), min(f(hi, False), f(lo, False) + 300) + 1)
    return sum(abs(first(o, True) - first(o, False)) for o in sizes if o > f(lo, True) or o == f(lo, False))
""", "ceil_mode_changes"),
        Paste("brute force over the first 10^6 lengths with the text's rule, scaled to the range", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    n = np.arange(lo, min(hi, lo + 10**6 - 1) + 1, dtype=object)
    room = n + 2 * padding - dilation * (kernel_size - 1) - 1
    ceil = -(-room // stride) + 1 - ((-(-room // stride)) * stride >= n + padding)
    return int(round(np.mean(ceil != room // stride + 1) * (hi - lo + 1)))
""", "ceil_mode_changes"),
        Paste("the naive reading of the text: ceil mode adds a window unless the stride divides", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    c = dilation * (kernel_size - 1) + 1 - 2 * padding
    return (hi - lo + 1) - ((c - lo) // stride - (c - hi - 1) // stride)
""", "ceil_mode_changes"),
    ],
    "ch08.max_pool2d_backward": [
        Paste("the text's reshape trick: the gradient where x equals its window's maximum", POOL,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    y = x[:, :, :x.shape[2] // stride * stride, :x.shape[3] // stride * stride].reshape(*x.shape[:2], x.shape[2] // stride, stride, x.shape[3] // stride, stride).max(axis=(3, 5))
    up = lambda a: np.repeat(np.repeat(a, stride, axis=2), stride, axis=3)
    return np.pad(up(grad_output[:, :, :y.shape[2], :y.shape[3]]) * (up(y) == x[:, :, :up(y).shape[2], :up(y).shape[3]]), ((0, 0), (0, 0), (0, x.shape[2] - up(y).shape[2]), (0, x.shape[3] - up(y).shape[3])))
""", "max_pool2d_backward"),
    ],
    "ch08.narrowest_bottleneck": [
        # the reader's max_bottleneck_width pastes bisected the text's MAC count; the exercise
        # now asks for a width no cost formula gives. The strongest mechanical tries:
        Paste("the 1x1 layer as a matrix (cell 21): the rank of the weight as C_out x (C_in k k)",
              POOL,
              """def narrowest_bottleneck(weight):
    return int(np.linalg.matrix_rank(weight.reshape(weight.shape[0], -1)))
""", "narrowest_bottleneck"),
        Paste("the rank of each tap's channel matrix, the largest", POOL,
              """def narrowest_bottleneck(weight):
    return max(int(np.linalg.matrix_rank(weight[:, :, a, b])) for a in range(weight.shape[2]) for b in range(weight.shape[3]))
""", "narrowest_bottleneck"),
        Paste("the text's bottleneck shrinks to a quarter: the fewer channels, divided by 4",
              (("08", "bottleneck = 256 * 64"),),
              """def narrowest_bottleneck(weight):
    return min(weight.shape[:2]) // 4
""", "narrowest_bottleneck"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES, longer={
    "ch08.max_pool2d_backward": "the text's reshape trick covers only kernel = stride without "
    "padding, and written plainly it takes eight lines; a loop routing each window's gradient to "
    "its maximum needs the argmax, its unravelling and the padded offset, seven lines or more"})
