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
    # Round 4a (tests/fixtures/reader_pastes/round4/05/separable_error.py, moved here and
    # deleted): the reader's SVD per C_out x k^2 slice with the tail of sigma^2 beat the old exercise (one
    # multiplier m for every channel). The exercise now gives a budget of weights that the
    # channels share as they need: the uniform tail, and sharing rules that look fair, lose.
    "ch05.separable_error": [
        Paste("the reader's round-4a paste: sigma^2 after the m-th per slice (the old signature)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, multiplier):
    return float(np.sum(np.linalg.svd(weight.swapaxes(0, 1).reshape(weight.shape[1], len(weight), -1), compute_uv=False)[:, multiplier:] ** 2))
""", "separable_error"),
        Paste("the reader's slices, the budget turned into one multiplier for every channel",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, budget):
    m = budget // (weight.shape[2] * weight.shape[3] + weight.shape[0]) // weight.shape[1]
    return float(np.sum(np.linalg.svd(weight.swapaxes(0, 1).reshape(weight.shape[1], len(weight), -1), compute_uv=False)[:, m:] ** 2))
""", "separable_error"),
        Paste("filters shared in proportion to each channel's energy (rounded down)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, budget):
    s2 = np.linalg.svd(weight.swapaxes(0, 1).reshape(weight.shape[1], len(weight), -1), compute_uv=False) ** 2
    m = np.floor(budget // (weight.shape[2] * weight.shape[3] + weight.shape[0]) * s2.sum(1) / s2.sum()).astype(int)
    return float(sum(s2[c, m[c]:].sum() for c in range(len(m))))
""", "separable_error"),
        Paste("the best rank-M approximation of the whole weight, M the filters the budget pays for",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, budget):
    sigma = np.linalg.svd(weight.reshape(len(weight), -1), compute_uv=False)
    return float(np.sum(sigma[budget // (weight.shape[2] * weight.shape[3] + weight.shape[0]):] ** 2))
""", "separable_error"),
        Paste("chapter 04's best rank-1 approximation of every k x k kernel", (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def conv2d(x, weight)"),
               ("05", "def relu(z)"), ("05", "W_eff = P[:, :, None, None]")),
              """def separable_error(weight, budget):
    return float(sum(np.sum(np.linalg.svd(weight[o, c], compute_uv=False)[1:] ** 2)
                     for o in range(weight.shape[0]) for c in range(weight.shape[1])))
""", "separable_error"),
    ],
    "ch05.fold_padding": [
        Paste("the independent reader's round-2 fold (W s, b + W shift) with the zero padding kept",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"), ("05", "folded = np.einsum")),
              """def fold_padding(gamma, beta, mean, var, eps=1e-5):
    return np.zeros(len(mean))
""", "fold_padding"),
        Paste("pad with the running mean, the value batch norm centres", (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"), ("05", "folded = np.einsum")),
              """def fold_padding(gamma, beta, mean, var, eps=1e-5):
    return np.asarray(mean, dtype=float)
""", "fold_padding"),
        Paste("probing: the displayed BN at 0 and 1, its root read off as -BN(0) / (BN(1) - BN(0)), "
              "numpy's inf and nan left as they come",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"), ("05", "folded = np.einsum")),
              """def fold_padding(gamma, beta, mean, var, eps=1e-5):
    bn = lambda z: gamma * (z - mean) / np.sqrt(var + eps) + beta
    with np.errstate(divide="ignore", invalid="ignore"):
        return -bn(0.0) / (bn(1.0) - bn(0.0))
""", "fold_padding"),
        Paste("bisection on the displayed BN for its root, channel by channel (gamma = 0 never brackets one)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"), ("05", "folded = np.einsum")),
              """def fold_padding(gamma, beta, mean, var, eps=1e-5):
    bn, lo, hi = lambda z: gamma * (z - mean) / np.sqrt(var + eps) + beta, np.full(len(mean), -1e12), np.full(len(mean), 1e12)
    for _ in range(200):
        lo, hi = np.where(np.sign(bn((lo + hi) / 2)) == np.sign(bn(lo)), (lo + hi) / 2, lo), np.where(np.sign(bn((lo + hi) / 2)) == np.sign(bn(lo)), hi, (lo + hi) / 2)
    return (lo + hi) / 2
""", "fold_padding"),
        Paste("probing the composition: a zero image through BN-then-conv and the folded conv with pad 0 and 1 "
              "(a 1 x 1 image, a 3 x 3 kernel of ones, padding 1), solved for the pad",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"), ("05", "folded = np.einsum")),
              """def fold_padding(gamma, beta, mean, var, eps=1e-5):
    s, bn0 = gamma / np.sqrt(var + eps), beta - gamma * mean / np.sqrt(var + eps)
    F, G = bn0, lambda u: 8 * s * u + 9 * bn0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite((F - G(0)) / (G(1) - G(0))), (F - G(0)) / (G(1) - G(0)), np.inf)
""", "fold_padding"),
    ],
    # max_expansion (the largest t within a MAC budget) was beaten in round 4a by cell 28's cost
    # rule with cell 38's widths, linear in t (tests/fixtures/reader_pastes/round4/05/
    # max_expansion.py, moved here and deleted). It is now fewest_slices: the fewest channel
    # slices of an inverted residual block within a memory budget (the peak is not displayed;
    # slices hold whole channels).
    "ch05.fewest_slices": [
        Paste("the reader's round-4a max_expansion: budget // the block's MACs at t = 1 (the old exercise)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs")),
              """def max_expansion(c_in, c_out, h, w, stride, budget):
    o = ((h + 2 * 1 - (3 - 1) - 1) // stride + 1) * ((w + 2 * 1 - (3 - 1) - 1) // stride + 1)
    return budget // (h * w * c_in * (1 * c_in) + o * (1 * c_in) * 3**2 + o * (1 * c_in) * c_out)
""", "max_expansion"),
        Paste("the room beside the input and output divided among the wide channels: the continuous bound",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs")),
              """def fewest_slices(c_in, c_out, t, h, w, stride, memory):
    o = ((h - 1) // stride + 1) * ((w - 1) // stride + 1)
    room = memory - c_in * h * w - c_out * o
    return 0 if room < h * w + o else min(t * c_in, -(-t * c_in * (h * w + o) // room))
""", "fewest_slices"),
        Paste("every tensor of the block split n ways: n = ceil(all values / memory)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs")),
              """def fewest_slices(c_in, c_out, t, h, w, stride, memory):
    o = ((h - 1) // stride + 1) * ((w - 1) // stride + 1)
    total = c_in * h * w + t * c_in * (h * w + o) + c_out * o
    return -(-total // memory) if -(-total // memory) <= t * c_in else 0
""", "fewest_slices"),
        Paste("cell 42's memory access cost of each layer of a slice of q channels, the largest slice "
              "that fits every layer, then n = ceil(T / q)",
              (("05", "X = (np.arange(16)"), ("05", "def depthwise2d"), ("05", "def relu(z)"),
               ("05", "def costs("), ("05", "def inverted_residual(x"), ("05", "def inverted_residual_macs"),
               ("05", "blocks = ([(32, 64, 112)"), ("05", "def memory(c_in, c_out, k, groups")),
              """def fewest_slices(c_in, c_out, t, h, w, stride, memory):
    o = ((h - 1) // stride + 1) * ((w - 1) // stride + 1)
    q = min((memory - c_in * h * w) // (h * w + c_in), memory // (h * w + o + 9), (memory - c_out * o) // (o + c_out))
    return -(-t * c_in // q) if q >= 1 else 0
""", "fewest_slices"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
