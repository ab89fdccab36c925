"""Chapter 06's exercises against answers pasted from the book's own cells (see pastes.py)."""

# The glue is held to five lines, so a paste packs into one line what a student would: E501 off.
# ruff: noqa: E501

from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

PASTES = {
    "ch06.grouped_conv2d": [
        Paste("the text's grouped() with scipy as the chapter imports it, the kernel's zeros "
              "filled in for the dilation, stride 1 subsampled",
              (("06", "def grouped("),),
              """def grouped_conv2d(x, weight, bias, groups, stride=1, dilation=1):
    k = dilation * (np.array(weight.shape[2:]) - 1) + 1
    w = np.zeros((*weight.shape[:2], *k))
    w[:, :, ::dilation, ::dilation] = weight
    return grouped(x, w, groups)[:, ::stride, ::stride] + bias[:, None, None]
""", "grouped_conv2d"),
        Paste("the text's grouped(), scipy swapped for chapter 01's corr2d, the kernel's zeros "
              "filled in for the dilation, stride 1 subsampled",
              (("01", "X = np.arange(9.0)"), ("01", "def corr2d"), ("06", "def grouped(")),
              """correlate2d = lambda a, k, mode="valid": corr2d(a, k)
def grouped_conv2d(x, weight, bias, groups, stride=1, dilation=1):
    w = np.zeros((*weight.shape[:2], dilation * (weight.shape[2] - 1) + 1, dilation * (weight.shape[3] - 1) + 1))
    w[:, :, ::dilation, ::dilation] = weight
    return grouped(x, w, groups)[:, ::stride, ::stride] + bias[:, None, None]
""", "grouped_conv2d"),
        Paste("the dense block-diagonal route of the text, with chapter 01's corr2d",
              (("01", "X = np.arange(9.0)"), ("01", "def corr2d"), ("06", "def grouped("),
               ("06", "def block_mask")),
              """def grouped_conv2d(x, weight, bias, groups, stride=1, dilation=1):
    w = np.zeros((*weight.shape[:2], dilation * (weight.shape[2] - 1) + 1, dilation * (weight.shape[3] - 1) + 1))
    w[:, :, ::dilation, ::dilation] = weight
    dense = block_mask(len(w), len(x), groups)[:, :, None, None] * np.tile(w, (1, groups, 1, 1))
    return np.stack([sum(corr2d(x[c], f[c]) for c in range(len(x))) for f in dense])[:, ::stride, ::stride] + bias[:, None, None]
""", "grouped_conv2d"),
    ],
    "ch06.outputs_reached": [
        Paste("the text's unit read literally: the branch's C/2 outputs if the channel is in its half, else itself",
              (), """def outputs_reached(channels, units, channel):
    return channels // 2 if channel >= channels // 2 else 1
""", "outputs_reached"),
        Paste("brute force on one column of the dependency matrix, unit by unit, where it fits in memory "
              "(up to 2^16 channels), the text's literal reading beyond",
              (), """def outputs_reached(channels, units, channel):
    r, h = np.arange(min(channels, 2 ** 16)) == channel, channels // 2
    for _ in range(units * (channels <= 2 ** 16)):
        r = np.concatenate([r[:h], np.repeat(r[h:].any(), h)])[np.arange(channels).reshape(2, h).T.ravel()]
    return int(r.sum()) if channels <= 2 ** 16 else (h if channel >= h else 1)
""", "outputs_reached"),
    ],
    "ch06.layers_to_mix": [
        Paste("the text's D S D product, one more layer until all ones",
              (("06", "def grouped("), ("06", "def block_mask")),
              """def layers_to_mix(channels, groups):
    reach = [D := block_mask(channels, channels, groups)]
    while not (reach[-1] > 0).all() and len(reach) < 64: reach.append(D @ np.eye(channels)[np.arange(channels).reshape(groups, channels // groups).T.ravel()] @ reach[-1])
    return len(reach) * (reach[-1] > 0).all()
""", "layers_to_mix"),
        Paste("the round-9 reader's probe: a boolean column of the C channels pushed through "
              "the shuffle (reshape (g, C/g), transposed) and the block mask, layer by layer "
              "until all ones (at most 64 layers)", (),
              """def layers_to_mix(channels, groups, v=None, depth=1):
    v = np.arange(channels) < channels // groups if v is None else v
    return depth * v.all() if v.all() or depth > 63 else layers_to_mix(channels, groups, v.reshape(groups, -1).T.reshape(groups, -1).any(1).repeat(channels // groups), depth + 1)
""", "layers_to_mix"),
        Paste("the same probe one flag per group (a block's reach is a set of whole groups), "
              "through the shuffle's order read at the blocks' positions", (),
              """def layers_to_mix(channels, groups):
    b, v, depth = channels // groups, np.arange(groups) == 0, 1
    while not v.all() and depth < 64: v, depth = v[np.arange(channels).reshape(groups, b).T.ravel().reshape(groups, b) // b].any(1), depth + 1
    return depth * v.all() if groups > 1 else 1
""", "layers_to_mix"),
        Paste("the text's rule: one shuffle if C/g >= g, else a third layer", (),
              """def layers_to_mix(channels, groups):
    if groups == 1:
        return 1
    return 2 if channels // groups >= groups else 3
""", "layers_to_mix"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
