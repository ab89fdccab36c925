"""Chapter 05's exercises against answers pasted from the book's own cells (see pastes.py).

Not listed: depthwise_conv2d from chapter 01's corr2d, one output channel at a time, which is
right but computes the stride-1 output of the 1000 x 1000 case 100,000 times: it loses the
exercise to the grader's time limit, and a test without one would never finish."""

# The glue is held to five lines, so a paste packs into one line what a student would: E501 off.
# ruff: noqa: E501

from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

PASTES = {
    "ch05.depthwise_conv2d": [
        Paste("the text's depthwise2d on the input repeated m times, padded, subsampled",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d")),
              """def depthwise_conv2d(x, weight, bias, stride=1, padding=0):
    m = weight.shape[0] // x.shape[0]
    xp = np.pad(np.repeat(x, m, axis=0), ((0, 0), (padding, padding), (padding, padding)))
    return depthwise2d(xp, weight[:, 0])[:, ::stride, ::stride] + bias[:, None, None]
""", "depthwise_conv2d"),
    ],
    "ch05.separable_error": [
        Paste("chapter 04's best rank-1 approximation of every k x k kernel",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, multiplier):
    return float(sum(np.sum(np.linalg.svd(weight[o, c], compute_uv=False)[1:] ** 2)
                     for o in range(weight.shape[0]) for c in range(weight.shape[1])))
""", "separable_error"),
        Paste("the text's rank-1 slices W[:, c], made into an error",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, multiplier):
    c_out = weight.shape[0]
    return float(sum(np.sum(np.linalg.svd(weight[:, c].reshape(c_out, -1), compute_uv=False)[1:] ** 2)
                     for c in range(weight.shape[1])))
""", "separable_error"),
    ],
    "ch05.fold_batch_norm_before": [
        Paste("the text's folding of a batch norm after the layer",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "folded = np.einsum")),
              """def fold_batch_norm_before(weight, bias, gamma, beta, mean, var, eps=1e-5):
    s = gamma / np.sqrt(var + eps)
    return np.column_stack([s[:, None] * weight, s * (bias - mean) + beta])
""", "fold_batch_norm_before"),
        Paste("the text's folding, scale moved to the columns",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "folded = np.einsum")),
              """def fold_batch_norm_before(weight, bias, gamma, beta, mean, var, eps=1e-5):
    s = gamma / np.sqrt(var + eps)
    return np.column_stack([weight * s[None, :], bias + (beta - mean * s).sum()])
""", "fold_batch_norm_before"),
    ],
    "ch05.max_expansion": [
        Paste("the text's (and the paper's) block count, solved for t",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs")),
              """def max_expansion(c_in, c_out, h, w, stride, budget):
    return budget // inverted_residual_macs(c_in, c_out, 1, 3, h * w)
""", "max_expansion"),
        Paste("the text's block count on the strided map",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs")),
              """def max_expansion(c_in, c_out, h, w, stride, budget):
    return budget // inverted_residual_macs(c_in, c_out, 1, 3, (h // stride) * (w // stride))
""", "max_expansion"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
