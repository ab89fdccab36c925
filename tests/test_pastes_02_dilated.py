"""Chapter 02: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py)."""

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

REACHABLE = (("02", "def reachable(dilations, k=3)"),)
CORR2D = (("01", "X = np.arange(9.0).reshape(3, 3)"), ("01", "def corr2d(X, K)"))

PASTES = {
    "ch02.remove_strides": [
        Paste("DeepLab's rule as the text states it: the rates double after each removed stride",
              (), """
def remove_strides(strides, dilations, output_stride):
    kept = [s if int(np.prod(strides[:i + 1])) <= output_stride else 1 for i, s in enumerate(strides)]
    twos = [2 ** sum(k != s for k, s in zip(kept[:i], strides[:i])) for i in range(len(strides))]
    return kept, [d * t for d, t in zip(dilations, twos)]
""", "remove_strides"),
        Paste("every layer from the first removed stride on multiplied by the removed product",
              (), """
def remove_strides(strides, dilations, output_stride):
    kept = [s if int(np.prod(strides[:i + 1])) <= output_stride else 1 for i, s in enumerate(strides)]
    gone = [int(np.prod(strides[:i + 1])) // int(np.prod(kept[:i + 1])) for i in range(len(strides))]
    return kept, [d * g for d, g in zip(dilations, gone)]
""", "remove_strides"),
    ],
    "ch02.field_and_holes": [
        Paste("the text's reachable and its formula for r, strides as they come", REACHABLE, """
def field_and_holes(kernel_sizes, strides, dilations):
    offsets = {0}
    for k, d in zip(kernel_sizes, dilations):
        offsets = {o + d * t for o in offsets for t in range(k)}
    return 1 + sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations)), 1 + sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations)) - len(offsets)
""", "field_and_holes"),
        Paste("the text's reachable, each stride multiplied into its own layer's rate", REACHABLE, """
def field_and_holes(kernel_sizes, strides, dilations):
    offsets = {0}
    for k, s, d in zip(kernel_sizes, strides, dilations):
        offsets = {o + d * s * t for o in offsets for t in range(k)}
    return max(offsets) - min(offsets) + 1, max(offsets) - min(offsets) + 1 - len(offsets)
""", "field_and_holes"),
    ],
    "ch02.equivalent_kernel": [
        Paste("zero-filled kernels (the PyTorch box) correlated in turn with chapter 01's corr2d, the nonzero entries listed",
              CORR2D, """
def equivalent_kernel(kernels, dilations, out=np.ones((1, 1))):
    for K, d in zip(kernels, dilations):
        Kd = np.kron(K, np.pad([[1.0]], ((0, d - 1), (0, d - 1))))[:d * (K.shape[0] - 1) + 1, :d * (K.shape[1] - 1) + 1]
        out = corr2d(np.pad(out, ((Kd.shape[0] - 1,) * 2, (Kd.shape[1] - 1,) * 2)), Kd[::-1, ::-1])
    return np.array([(i, j, out[i, j]) for i, j in zip(*np.nonzero(out))]).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("the reader's probe: the stack of zero-filled kernels run on every unit impulse of the field", CORR2D, """
def equivalent_kernel(kernels, dilations):
    Hs = [np.kron(K, np.pad([[1.0]], ((0, d - 1), (0, d - 1))))[:(K.shape[0] - 1) * d + 1, :(K.shape[1] - 1) * d + 1] for K, d in zip(kernels, dilations)]
    f = (1 + sum(H.shape[0] - 1 for H in Hs), 1 + sum(H.shape[1] - 1 for H in Hs))
    E = np.array([[Z := np.eye(f[0] * f[1])[q].reshape(f), [Z := corr2d(Z, H) for H in Hs][-1][0, 0]][1] for q in range(f[0] * f[1])]).reshape(f)
    return np.array([(i, j, E[i, j]) for i, j in zip(*np.nonzero(E))]).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("the text's reachable offsets with their weights' products, one row per chain of taps", (), """
def equivalent_kernel(kernels, dilations):
    chains = [(0, 0, 1.0)]
    for K, d in zip(kernels, dilations): chains = [(u + d * a, v + d * b, w * K[a, b]) for u, v, w in chains for a, b in np.ndindex(K.shape)]
    return np.array(sorted(chains)).reshape(-1, 3)
""", "equivalent_kernel"),
    ],
    "ch02.fewest_dense_layers": [
        Paste("the text's doubling stack, 2^(L+1) - 1 cells", (), """
def fewest_dense_layers(field, kernel_size):
    layers = 0
    while 2 ** (layers + 1) - 1 < field:
        layers += 1
    return layers
""", "fewest_dense_layers"),
        Paste("doubling rates with k taps: 1 + (k - 1)(2^L - 1) cells", (), """
def fewest_dense_layers(field, kernel_size):
    layers = 0
    while 1 + (kernel_size - 1) * (2 ** layers - 1) < field:
        layers += 1
    return layers
""", "fewest_dense_layers"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
