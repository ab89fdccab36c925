"""Chapter 03: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py).

The independent reader's pastes of 2026-12-06 (tests/fixtures/reader_pastes/README.md) beat
the four exercises this chapter had then; each was replaced, and each of the reader's
strategies is kept here, aimed at the exercise that replaced it."""

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

# the chapter's import cell (numpy): a paste of no other cell still runs it, as a student's
# notebook does (tests/pastes.py runs the import cell only of the chapters a paste names)
IMPORTS = (("03", "import numpy as np"),)
FIRST = ("03", "def stamps_frame(X, K)")  # X and K of the first example
STAMPS = (FIRST, ("03", "def trans_conv(X, K, stride=1)"))
SIZES = (("03", "def conv_size(n, k, s, p)"),)
SHUFFLE = (*STAMPS, ("03", "def pixel_shuffle(x, r)"))
TENT = """    k = 2 * factor - factor % 2
    t = 1 - np.abs(np.arange(k) - (k - 1) / 2) / factor
"""

PASTES = {
    "ch03.exact_input_size": [
        # the reader's search (they tried every padding for 6 min 40 s): here every size from
        # min_size up with the text's conv_size, stopped after 2,000 sizes so that the test
        # ends; in two cases of three the answer is 10^8 or more sizes away
        Paste("the reader's search: sizes counted up until the text's conv_size rounds nothing", SIZES, """
def exact_input_size(min_size, layers):
    exact = lambda n: all((n + 2 * p - k) % s == 0 and (n := conv_size(n, k, s, p)) for k, s, p in layers)
    return next((n for n in range(min_size, min_size + 2000) if exact(n)), min_size)
""", "exact_input_size"),
        Paste("the folk rule: a multiple of the product of the strides", IMPORTS, """
def exact_input_size(min_size, layers):
    step = int(np.prod([s for _, s, _ in layers]))
    return -(-min_size // step) * step
""", "exact_input_size"),
        Paste("the text's output_padding formula, (n + 2p - k) mod s, added per layer", SIZES, """
def exact_input_size(min_size, layers):
    n = min_size
    for k, s, p in layers:
        n += (n + 2 * p - k) % s
    return n
""", "exact_input_size"),
        Paste("the text's trans_size with output_padding 0, first layer undone first", SIZES, """
def exact_input_size(min_size, layers):
    back = lambda x: x if not layers else [x := trans_size(x, k, s, p) for k, s, p in layers][-1]
    step = back(2) - back(1)
    return back(max(1, -(-(min_size - back(0)) // step)))
""", "exact_input_size"),
    ],
    "ch03.bilinear_upsample": [
        # the reader read the tent off the old visible check; with it, the text's stamps
        Paste("the reader's tent, stamped with the text's trans_conv, padding f // 2 cropped", STAMPS, """
def bilinear_upsample(image, factor):
""" + TENT + """    y = trans_conv(image, np.outer(t, t), factor)[factor // 2:, factor // 2:]
    return y[:image.shape[0] * factor, :image.shape[1] * factor]
""", "bilinear_upsample"),
        Paste("the reader's tent on the edge-padded image, padding f // 2 cropped", STAMPS, """
def bilinear_upsample(image, factor):
""" + TENT + """    y = trans_conv(np.pad(image, 1, mode="edge"), np.outer(t, t), factor)[factor // 2:, factor // 2:]
    return y[:image.shape[0] * factor, :image.shape[1] * factor]
""", "bilinear_upsample"),
        Paste("the text's nearest-neighbour resize", IMPORTS, """
def bilinear_upsample(image, factor):
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)
""", "bilinear_upsample"),
    ],
    "ch03.balanced_kernel": [
        # the reader's probe (trans_conv of ones, one interior block read out) gives the phase
        # sums; a probe per unit kernel, for a least-squares fit, is hopeless on the hidden
        # 60..150-tap kernels (10^12 multiplications)
        Paste("the reader's probe for the phase sums, each phase moved to their plain mean", STAMPS, """
def balanced_kernel(kernel, stride):
    m = 2 * max(kernel.shape) // stride + 4
    sums = trans_conv(np.ones((m, m)), kernel, stride)[(m // 2) * stride:(m // 2 + 1) * stride, (m // 2) * stride:(m // 2 + 1) * stride]
    taps = trans_conv(np.ones((m, m)), np.ones(kernel.shape), stride)[(m // 2) * stride:(m // 2 + 1) * stride, (m // 2) * stride:(m // 2 + 1) * stride]
    return kernel + np.tile((sums.mean() - sums) / taps, (kernel.shape[0] // stride + 1, kernel.shape[1] // stride + 1))[:kernel.shape[0], :kernel.shape[1]]
""", "balanced_kernel"),
        Paste("the text's phase rule, every phase scaled to sum 1 like the bilinear kernel", IMPORTS, """
def balanced_kernel(kernel, stride):
    phase = (np.arange(kernel.shape[0]) % stride)[:, None] * stride + np.arange(kernel.shape[1]) % stride
    sums = np.bincount(phase.ravel(), kernel.ravel(), minlength=stride * stride)
    return kernel / sums[phase]
""", "balanced_kernel"),
    ],
    "ch03.transposed_as_subpixel": [
        # the round-3 reader's paste (tests/fixtures/reader_pastes/round3, 2026-12-07), which
        # passed then: W read column by column off cell 5's trans_conv with unit images
        # (cell 17's np.eye(16).reshape(16, 4, 4)), cropped by the padding, in cell 30's
        # channel order. Two hidden weights now have k > 330: np.eye(k^2) alone is a
        # zero-filled array of over 100 GB (and a loop over the k^2 images, 10^10 stamps)
        Paste("the round-3 reader's unit-image probe of trans_conv, cell 30's channel order", STAMPS, """
def transposed_as_subpixel(weight, upscale_factor):
    r, k = upscale_factor, weight.shape[2] // upscale_factor
    cols = np.array([[np.concatenate([trans_conv(e, Tc, stride=r)[r * (k - 1):r * k, r * (k - 1):r * k].ravel() for Tc in T_ci]) for e in np.eye(k * k).reshape(k * k, k, k)] for T_ci in weight])
    return cols.transpose(2, 0, 1).reshape(-1, weight.shape[0], k, k)
""", "transposed_as_subpixel"),
        # the round-1 reader's impulse probe: the response to one impulse is the stamp T
        # itself, which un-shuffled is this paste (five plain lines)
        Paste("the impulse response (the stamp T), un-shuffled with cell 31's reshape", SHUFFLE, """
def transposed_as_subpixel(weight, upscale_factor):
    r = upscale_factor
    k = weight.shape[2] // r
    blocks = weight.reshape(weight.shape[0], weight.shape[1], k, r, k, r)
    return blocks.transpose(1, 3, 5, 0, 2, 4).reshape(-1, weight.shape[0], k, k)
""", "transposed_as_subpixel"),
        Paste("the stamp rotated by 180 degrees (the zero-insertion view), then un-shuffled", SHUFFLE, """
def transposed_as_subpixel(weight, upscale_factor):
    r = upscale_factor
    k = weight.shape[2] // r
    blocks = weight[:, :, ::-1, ::-1].reshape(weight.shape[0], weight.shape[1], k, r, k, r)
    return blocks.transpose(1, 3, 5, 0, 2, 4).reshape(-1, weight.shape[0], k, k)
""", "transposed_as_subpixel"),
        Paste("the stamp cut into r x r tiles of k x k, each tile rotated (cell 31's shuffle read backwards)", SHUFFLE, """
def transposed_as_subpixel(weight, upscale_factor):
    r = upscale_factor
    k = weight.shape[2] // r
    tiles = weight.reshape(weight.shape[0], weight.shape[1], r, k, r, k)[:, :, :, ::-1, :, ::-1]
    return tiles.transpose(1, 2, 4, 0, 3, 5).reshape(-1, weight.shape[0], k, k)
""", "transposed_as_subpixel"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
