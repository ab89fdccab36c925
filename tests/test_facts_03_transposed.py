"""Chapter 03 (transposed): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d, correlate2d
from single_channel import corr
from torch_reference import conv_transpose2d

import solutions as S

X = np.array([[0.0, 1.0], [2.0, 3.0]])
K = np.array([[0.0, 1.0], [2.0, 3.0]])
K3 = np.arange(1.0, 10.0).reshape(3, 3)


def tconv(x, k, **kwargs):
    """Single-channel transposed convolution (any conv_transpose2d keyword)."""
    return S.conv_transpose2d(np.asarray(x, float)[None, None], np.asarray(k, float)[None, None],
                              **kwargs)[0, 0]


def scatter(x, k, stride=1):
    """The definition of the text: x[i, j] * k stamped at (i*stride, j*stride)."""
    kh, kw = k.shape
    y = np.zeros(((x.shape[0] - 1) * stride + kh, (x.shape[1] - 1) * stride + kw))
    for (i, j), v in np.ndenumerate(x):
        y[i * stride:i * stride + kh, j * stride:j * stride + kw] += v * k
    return y


def test_ch03_stamps_worked_example():
    """Section "Every input value stamps the kernel": Y[1,1] = 0·3+1·2+2·1+3·0 = 4, corner 9."""
    assert 0 * 3 + 1 * 2 + 2 * 1 + 3 * 0 == 4
    y = tconv(X, K)
    np.testing.assert_array_equal(y, [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    assert y[1, 1] == 4 and y[2, 2] == 3 * 3 == 9
    np.testing.assert_array_equal(y, scatter(X, K))
    np.testing.assert_array_equal(y, conv_transpose2d(X[None, None], K[None, None])[0, 0])


def test_ch03_scatter_formula_and_size():
    """Y[u,v] = sum X[i,j] K[u-i, v-j]; size (n_h + k_h - 1) x (n_w + k_w - 1)."""
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((3, 5)), rng.standard_normal((2, 4))
    y = np.zeros((3 + 2 - 1, 5 + 4 - 1))
    for u, v in np.ndindex(y.shape):
        y[u, v] = sum(x[i, j] * k[u - i, v - j] for i in range(3) for j in range(5)
                      if 0 <= u - i < 2 and 0 <= v - j < 4)
    np.testing.assert_allclose(tconv(x, k), y, atol=1e-12)


def test_ch03_stride_places_stamps_s_apart():
    """Stride s: X[i,j]K[a,b] lands at (si+a, sj+b); length (n-1)s + k; 4x4 without overlap."""
    rng = np.random.default_rng(1)
    for s in (1, 2, 3):
        x, k = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
        y = tconv(x, k, stride=s)
        assert y.shape == ((3 - 1) * s + 3, (4 - 1) * s + 2)
        np.testing.assert_allclose(y, scatter(x, k, s), atol=1e-12)
    y2 = tconv(X, K, stride=2)
    np.testing.assert_array_equal(y2, [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]])
    np.testing.assert_array_equal(y2, np.block([[0 * K, 1 * K], [2 * K, 3 * K]]))


def test_ch03_stride1_transposed_is_full_true_convolution():
    """"The same with a library": convolve2d(X, K, mode="full") (a flipping convolution)."""
    rng = np.random.default_rng(2)
    x, k = rng.standard_normal((4, 5)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(convolve2d(x, k, mode="full"), tconv(x, k), atol=1e-12)
    assert not np.allclose(tconv(x, k), tconv(x, k[::-1, ::-1]))


@pytest.mark.parametrize("s, k, p", [(s, k, p) for s in (1, 2, 3) for k in (1, 2, 3, 4)
                                     for p in range(k)])
def test_ch03_zero_insertion_view(s, k, p):
    """Section "Zero insertion": spread (s-1 zeros), pad k-1-p, correlate with the rotated
    kernel; the true convolution of the spread input, cropped by p."""
    rng = np.random.default_rng(10 * s + k)
    x, w = rng.standard_normal((4, 5)), rng.standard_normal((k, k))
    z = S.insert_zeros(x, s - 1)
    assert z.shape == ((4 - 1) * s + 1, (5 - 1) * s + 1)
    padded = np.pad(z, k - 1 - p)
    np.testing.assert_allclose(correlate2d(padded, w[::-1, ::-1], mode="valid"),
                               tconv(x, w, stride=s, padding=p), atol=1e-12)
    # the true convolution of the spread input with K, then padding crops p per side
    full = convolve2d(z, w, mode="full")
    np.testing.assert_allclose(full, tconv(x, w, stride=s), atol=1e-12)
    np.testing.assert_allclose(full[p:full.shape[0] - p, p:full.shape[1] - p],
                               tconv(x, w, stride=s, padding=p), atol=1e-12)
    n = 4
    assert (n - 1) * s + 1 + 2 * (k - 1) - k + 1 == (n - 1) * s + k == full.shape[0]


def test_ch03_zero_insertion_worked_frame_and_zero_fraction():
    """Last frame: rotated kernel [[3,2],[1,0]], Y[3,3] = 3·3 = 9; one value per window at s=2;
    about 1 - 1/s^2 of the spread input is zeros."""
    np.testing.assert_array_equal(K[::-1, ::-1], [[3, 2], [1, 0]])
    padded = np.pad(S.insert_zeros(X, 1), 1)
    window = padded[3:5, 3:5]
    assert np.sum(window * K[::-1, ::-1]) == 9 == tconv(X, K, stride=2)[3, 3]
    inputs = np.pad(S.insert_zeros(np.ones((2, 2)), 1), 1)
    assert max(inputs[i:i + 2, j:j + 2].sum() for i in range(4) for j in range(4)) == 1
    for s in (2, 3, 4):
        n = 200
        zeros = 1 - n * n / ((n - 1) * s + 1) ** 2
        assert abs(zeros - (1 - 1 / s**2)) < 0.01


SIZES = [(n, k, s, p, d) for n in range(1, 9) for k in range(1, 5) for s in range(1, 4)
         for p in range(3) for d in (1, 2)]


def test_ch03_output_size_formula():
    """Section "Output size": (n-1)s - 2p + d(k-1) + output_padding + 1, op < s or op < d."""
    for n, k, s, p, d in SIZES:
        _check_output_size(n, k, s, p, d)


def _check_output_size(n, k, s, p, d):
    for op in range(max(s, d)):
        size = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        if size < 1:
            continue
        assert S.conv_transpose_output_size(n, k, s, p, op, d) == size
        x = np.zeros((1, 1, n, n))
        w = np.zeros((1, 1, k, k))
        assert conv_transpose2d(x, w, stride=s, padding=p, output_padding=op,
                           dilation=d).shape[-1] == size
    with pytest.raises(RuntimeError):
        conv_transpose2d(np.zeros((1, 1, n, n)), np.zeros((1, 1, k, k)), stride=s,
                    output_padding=max(s, d), dilation=d)


@pytest.mark.parametrize("k", range(1, 6))
@pytest.mark.parametrize("s", range(1, 5))
@pytest.mark.parametrize("p", range(0, 3))
@pytest.mark.parametrize("d", (1, 2))
def test_ch03_output_padding_is_the_dropped_remainder(k, s, p, d):
    """n + 2p - d(k-1) - 1 = (o-1)s + r  =>  n = (o-1)s - 2p + d(k-1) + 1 + r; s sizes per o."""
    sizes_for = {}
    for n in range(max(1, d * (k - 1) + 1 - 2 * p), 40):
        o = S.conv_output_size(n, k, s, p, d)
        r = (n + 2 * p - d * (k - 1) - 1) % s
        assert n + 2 * p - d * (k - 1) - 1 == (o - 1) * s + r
        assert n == (o - 1) * s - 2 * p + d * (k - 1) + 1 + r
        if (o - 1) * s - 2 * p + d * (k - 1) + 1 >= 1 and (r < s or r < d):
            assert S.conv_transpose_output_size(o, k, s, p, r, d) == n
        sizes_for.setdefault(o, []).append(n)
    full = [ns for o, ns in sizes_for.items() if min(ns) > 1 and o < max(sizes_for)]
    assert full and all(len(ns) == s for ns in full)


def test_ch03_output_padding_worked_examples():
    """7 and 8 -> 4 (k=3, s=2, p=1); back 7, with output_padding 1 -> 8; doubling recipes."""
    assert S.conv_output_size(7, 3, 2, 1) == S.conv_output_size(8, 3, 2, 1) == 4
    assert (7 + 2 - 3) // 2 + 1 == (8 + 2 - 3) // 2 + 1 == 4
    assert S.conv_transpose_output_size(4, 3, 2, 1) == (4 - 1) * 2 - 2 + 2 + 0 + 1 == 7
    assert S.conv_transpose_output_size(4, 3, 2, 1, 1) == 8
    for n in range(1, 30):
        assert S.conv_transpose_output_size(n, 3, 2, 1, 1) == (n - 1) * 2 - 2 + 2 + 1 + 1 == 2 * n
        assert S.conv_transpose_output_size(n, 4, 2, 1) == 2 * n


def test_ch03_torch_output_size_argument_picks_output_padding():
    """ConvTranspose2d accepts output_size= and works out output_padding itself."""
    layer = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1).double()
    x = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    assert layer(x).shape[-1] == 7
    assert layer(x, output_size=[8, 8]).shape[-1] == 8


def test_ch03_conv_matrix_of_the_text():
    """Section "The matrix picture": C is 4x16, its first row, C^T = transposed conv."""
    C = S.conv_matrix((1, 4, 4), K3[None, None])
    assert C.shape == (4, 16)
    np.testing.assert_array_equal(C[0], [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0])
    for t in range(1, 4):  # "each further row is the same pattern shifted to the next window"
        i, j = divmod(t, 2)
        np.testing.assert_array_equal(C[t], np.roll(C[0], 4 * i + j))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 4))
    np.testing.assert_allclose(C @ x.ravel(), corr(x, K3).ravel(), atol=1e-12)
    y = rng.standard_normal((2, 2))
    np.testing.assert_allclose((C.T @ y.ravel()).reshape(4, 4), tconv(y, K3), atol=1e-12)
    C2 = S.conv_matrix((1, 5, 5), K3[None, None], stride=2)
    assert C2.shape == (4, 25)
    np.testing.assert_allclose((C2.T @ y.ravel()).reshape(5, 5), tconv(y, K3, stride=2),
                               atol=1e-12)


def test_ch03_same_connectivity_not_the_inverse():
    """Same nonzero pattern, reversed; C^T C has rank <= 4 (not I); C C^T diagonal 285."""
    C = S.conv_matrix((1, 4, 4), K3[None, None])
    transposed = np.stack([tconv(e, K3).ravel() for e in np.eye(4).reshape(4, 2, 2)], axis=1)
    np.testing.assert_array_equal(transposed, C.T)
    assert np.linalg.matrix_rank(C.T @ C) == 4
    assert not np.allclose(C.T @ C, np.eye(16))
    assert sum(v * v for v in range(1, 10)) == 285
    np.testing.assert_array_equal(np.diag(C @ C.T), [285] * 4)
    assert not np.allclose(C @ C.T, np.eye(4))


def test_ch03_adjoint_and_gradient_with_output_padding():
    """Section "The gradient": <Cx, y> = <x, C^T y>; dL/dx = C^T dL/dy, output_padding = r."""
    rng = np.random.default_rng(4)
    for n, k, s, p in [(8, 3, 2, 1), (7, 3, 2, 1), (9, 4, 3, 1), (6, 2, 1, 0)]:
        x, w = rng.standard_normal((1, 2, n, n)), rng.standard_normal((3, 2, k, k))
        y = rng.standard_normal(S.conv2d(x, w, stride=s, padding=p).shape)
        r = (n + 2 * p - k) % s
        back = S.conv_transpose2d(y, w, stride=s, padding=p, output_padding=r)
        assert back.shape == x.shape
        assert np.isclose(np.sum(S.conv2d(x, w, stride=s, padding=p) * y), np.sum(x * back))
        xt = torch.from_numpy(x).requires_grad_()
        F.conv2d(xt, torch.from_numpy(w), stride=s, padding=p).backward(torch.from_numpy(y))
        np.testing.assert_allclose(back, xt.grad.numpy(), atol=1e-10)


def test_ch03_gradient_of_the_squared_loss():
    """L = ½||corr2d(x, K) - t||²: dL/dx = trans_conv(corr2d(x, K) - t, K)."""
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((4, 4)), rng.standard_normal((2, 2))
    xt = torch.from_numpy(x[None, None]).requires_grad_()
    out = F.conv2d(xt, torch.from_numpy(K3[None, None]))
    (0.5 * ((out - torch.from_numpy(t[None, None])) ** 2).sum()).backward()
    np.testing.assert_allclose(xt.grad.numpy()[0, 0], tconv(corr(x, K3) - t, K3), atol=1e-12)


def test_ch03_weight_layout():
    """Section "Channels": (C_in, C_out/groups, kH, kW); ConvTranspose2d(16, 3, 4) is (16, 3, 4, 4),
    the shape of Conv2d(3, 16, 4); grouped: (C_in, C_out/g, ...)."""
    assert tuple(torch.nn.ConvTranspose2d(16, 3, 4).weight.shape) == (16, 3, 4, 4)
    assert tuple(torch.nn.Conv2d(3, 16, 4).weight.shape) == (16, 3, 4, 4)
    assert tuple(torch.nn.ConvTranspose2d(6, 4, 3, groups=2).weight.shape) == (6, 2, 3, 3)
    assert tuple(torch.nn.Conv2d(6, 4, 3, groups=2).weight.shape) == (4, 3, 3, 3)
    # The pair shares one tensor: the transposed conv is the adjoint of the conv with that weight.
    rng = np.random.default_rng(6)
    w = rng.standard_normal((16, 3, 4, 4))
    x, y = rng.standard_normal((1, 3, 9, 9)), rng.standard_normal((1, 16, 6, 6))
    assert np.isclose(np.sum(S.conv2d(x, w) * y), np.sum(x * S.conv_transpose2d(y, w)))


def test_ch03_channel_formula_and_worked_example():
    """Y[o, su+a, sv+b] += X[c,u,v] W[c,o,a,b]; 1·W00 + 2·W10 = [[2, 3], [4, 5]]."""
    x2 = np.array([[[1.0]], [[2.0]]])
    w2 = np.array([[[[0.0, 1.0], [2.0, 3.0]]], [[[1.0, 1.0], [1.0, 1.0]]]])
    np.testing.assert_array_equal(S.conv_transpose2d(x2, w2)[0], [[2, 3], [4, 5]])
    rng = np.random.default_rng(7)
    x, w, s = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 2, 3)), 2
    y = np.zeros((3, (3 - 1) * s + 2, (2 - 1) * s + 3))
    for c, u, v, a, bb in np.ndindex(2, 3, 2, 2, 3):
        for o in range(3):
            y[o, s * u + a, s * v + bb] += x[c, u, v] * w[c, o, a, bb]
    np.testing.assert_allclose(y, conv_transpose2d(x[None], w, stride=s)[0], atol=1e-12)


def test_ch03_overlap_counts():
    """Section "Checkerboard": k=3, s=2 counts alternate 1, 2 per axis (4 at crossings);
    k=4 covers every interior cell 4 times, 2 per axis."""
    c3 = scatter(np.ones((4, 4)), np.ones((3, 3)), 2)
    np.testing.assert_array_equal(c3[4], [2, 2, 4, 2, 4, 2, 4, 2, 2])
    np.testing.assert_array_equal(c3[3, 1:-1], [1, 2, 1, 2, 1, 2, 1])
    assert set(np.unique(c3)) == {1, 2, 4}
    c4 = scatter(np.ones((4, 4)), np.ones((4, 4)), 2)
    assert np.all(c4[2:-2, 2:-2] == 4)
    np.testing.assert_array_equal(scatter(np.ones((1, 6)), np.ones((1, 4)), 2)[0, 2:-2],
                                  [2] * 10)


@pytest.mark.parametrize("k", range(1, 9))
@pytest.mark.parametrize("s", range(1, 5))
def test_ch03_phase_rule(k, s):
    """Interior cell of phase q gets the taps a ≡ q (mod s); s | k: k/s each; otherwise k mod s
    phases get ceil(k/s) taps, the others floor(k/s)."""
    rng = np.random.default_rng(k * 10 + s)
    kernel = rng.standard_normal(k)
    n = 12
    y = scatter(np.ones((1, n)), kernel[None], s)[0]
    taps = [len(range(q, k, s)) for q in range(s)]
    for u in range(k, (n - 1) * s):  # interior: every stamp that could reach u exists
        q = u % s
        assert np.isclose(y[u], kernel[q::s].sum())
    if k % s == 0:
        assert taps == [k // s] * s
    else:
        assert sorted(taps).count(-(-k // s)) == k % s
        assert sorted(taps).count(k // s) == s - k % s


def test_ch03_deconvolution_example():
    """Section "deconvolution misleads": C is 18x16, interior rows of C^T C are [1, 4, 6, 4, 1]/16,
    least squares recovers x, C^T C x is blurrier."""
    blur = np.array([1.0, 2.0, 1.0]) / 4
    C = np.stack([np.convolve(e, blur) for e in np.eye(16)], axis=1)
    assert C.shape == (18, 16)
    gram = C.T @ C
    for row in range(2, 14):
        np.testing.assert_allclose(16 * gram[row, row - 2:row + 3], [1, 4, 6, 4, 1])
    signal = np.array([0, 0, 1, 1, 1, 0, 0, 0, 3, 0, 0, 0, -1, -1, 0, 0.0])
    recovered = np.linalg.lstsq(C, C @ signal, rcond=None)[0]
    np.testing.assert_allclose(recovered, signal, atol=1e-10)
    assert np.abs(np.diff(gram @ signal)).max() < np.abs(np.diff(signal)).max()
    # C^T C is the kernel, then its mirror image: the autocorrelation of the blur
    np.testing.assert_allclose(np.convolve(blur, blur[::-1]), np.array([1, 4, 6, 4, 1]) / 16)


def test_ch03_shrinking_convolution_has_no_inverse():
    """When a convolution makes its input smaller, C has fewer rows than columns."""
    for n, k, s, p in [(8, 3, 2, 1), (5, 3, 1, 0), (9, 1, 2, 0)]:
        C = S.conv_matrix((1, n, n), np.ones((1, 1, k, k)), stride=s, padding=p)
        assert C.shape[0] < C.shape[1]
        assert np.linalg.matrix_rank(C) < C.shape[1]


def test_ch03_visible_check_literals():
    """The literal expectations of the exercise check cells."""
    # Exercise 1: the smallest bottleneck, found by counting up through the transposed sizes
    assert _bottleneck_counted_up([(4, 2, 1, 0)] * 3, [8, 8, 8]) == 4
    assert _bottleneck_counted_up([(3, 2, 1, 0), (3, 2, 1, 0)], [3, 5]) == 2
    assert _bottleneck_counted_up([(3, 2, 1, 1), (4, 2, 1, 0)], [7, 12]) == 21
    assert _bottleneck_counted_up([(3, 1, 2, 0)], [5]) == 7
    with pytest.raises(ValueError, match="size 0"):       # x = 2: a level of 0 cells
        S.conv_transpose_output_size(2, 3, 1, 2)
    assert _bottleneck_counted_up([(3, 2, 1, 0), (4, 2, 1, 0)], [2, 4]) == 0
    assert all(S.conv_transpose_output_size(x, 3, 2, 1) % 2 for x in range(1, 100))
    # Exercise 2
    x4 = X[None, None]
    np.testing.assert_array_equal(S.conv_transpose2d(x4, K[None, None])[0, 0],
                                  [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    np.testing.assert_array_equal(tconv(X, K, stride=2, padding=1), [[0, 2], [2, 0]])
    np.testing.assert_array_equal(tconv([[5.0]], np.ones((2, 2)), dilation=2),
                                  [[5, 0, 5], [0, 0, 0], [5, 0, 5]])
    np.testing.assert_array_equal(
        S.conv_transpose2d(np.concatenate([x4, -x4]), K[None, None])[:, 0, 1, 1], [4, -4])
    assert S.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 3, 3, 3)), stride=2, padding=1,
                              output_padding=1).shape == (1, 3, 4, 4)
    # Exercise 3
    np.testing.assert_array_equal(np.pad(S.insert_zeros(X, 1), 1),
                                  [[0, 0, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0],
                                   [0, 2, 0, 3, 0], [0, 0, 0, 0, 0]])
    z = np.pad(S.insert_zeros(X, 1), ((1, 2), (1, 2)))
    assert z.shape == (6, 6) and S.conv_transpose_output_size(2, 3, 2, 1, 1) == 6 - 3 + 1
    # Exercise 2: bilinear upsampling as PyTorch computes it, border included
    for image, f, expected in [(np.array([[0.0, 1.0]]), 2, [[0, 0.25, 0.75, 1]] * 2),
                               (np.full((3, 2), 5.0), 3, np.full((9, 6), 5.0)),
                               (np.arange(6.0).reshape(2, 3), 1, np.arange(6.0).reshape(2, 3))]:
        got = F.interpolate(torch.from_numpy(image)[None, None], scale_factor=f,
                            mode="bilinear", align_corners=False)[0, 0].numpy()
        np.testing.assert_allclose(got, expected, atol=1e-12)
    # Exercise 3: the nearest balanced kernel, by orthogonal projection onto the kernels
    # whose phase sums are all equal (least squares, independent of the check's formula)
    def nearest_balanced(kernel, s):
        kh, kw = kernel.shape
        phase = np.add.outer(np.arange(kh) % s * s, np.arange(kw) % s).ravel()
        sums = (phase == np.arange(s * s)[:, None]).astype(float)   # (s^2, taps)
        spread = sums - sums.mean(axis=0)                            # zero iff sums equal
        x = kernel.ravel()
        return (x - np.linalg.pinv(spread) @ (spread @ x)).reshape(kernel.shape)

    np.testing.assert_allclose(nearest_balanced(np.ones((4, 4)), 2), np.ones((4, 4)))
    np.testing.assert_allclose(nearest_balanced(np.array([[1.0, 2.0]]), 3), [[0, 0]], atol=1e-12)
    box = nearest_balanced(np.ones((3, 3)), 2)
    np.testing.assert_allclose(box, np.outer([2, 4, 2], [2, 4, 2]) / 9)
    flat = tconv(np.ones((6, 6)), box, stride=2)[4:8, 4:8]
    np.testing.assert_allclose(flat, 16 / 9)


def test_ch03_exercise_references_agree_with_independent_ones():
    """The hidden checks' references: smallest_bottleneck against counting up, bilinear_upsample
    against PyTorch, balanced_kernel against least squares (small random cases)."""
    from autograder.checks import ch03_transposed as C
    rng = np.random.default_rng(5)
    for _ in range(2000):
        layers = []
        for _ in range(int(rng.integers(1, 5))):
            k, s = int(rng.integers(1, 8)), int(rng.integers(1, 5))
            layers.append((k, s, int(rng.integers(0, k)), int(rng.integers(0, s))))
        windows = [int(rng.integers(1, 13)) for _ in layers]
        assert C._smallest_bottleneck(layers, windows) == _bottleneck_counted_up(layers, windows)
    for _ in range(30):
        h, w, f = (int(v) for v in rng.integers(1, 8, 3))
        x = rng.standard_normal((h, w))
        ref = F.interpolate(torch.from_numpy(x)[None, None], scale_factor=f, mode="bilinear",
                            align_corners=False)[0, 0].numpy()
        np.testing.assert_allclose(C._bilinear_upsample(x, f), ref, atol=1e-12)
        np.testing.assert_allclose(C._tent_route(x, f), ref, atol=1e-12)
        ac = F.interpolate(torch.from_numpy(x)[None, None], scale_factor=f, mode="bilinear",
                           align_corners=True)[0, 0].numpy()
        np.testing.assert_allclose(C._bilinear_upsample(x, f, align_corners=True), ac, atol=1e-12)
    for _ in range(40):
        kernel, s = rng.standard_normal(tuple(int(v) for v in rng.integers(1, 9, 2))), \
            int(rng.integers(1, 5))
        kh, kw = kernel.shape
        phase = np.add.outer(np.arange(kh) % s * s, np.arange(kw) % s).ravel()
        spread = (phase == np.arange(s * s)[:, None]) - (phase == np.arange(s * s)[:, None]).mean(0)
        x = kernel.ravel()
        np.testing.assert_allclose(C._balanced_kernel(kernel, s).ravel(),
                                   x - np.linalg.pinv(spread) @ (spread @ x), atol=1e-10)


def _bottleneck_counted_up(layers, windows):
    """Exercise 1 by its definition, with torch's size rule: the first x whose every level is
    a positive multiple of its window. The levels' conditions repeat in x with a period that
    divides the product of the windows, so a search that long (and a few more, for the first
    positive levels) finds the answer if there is one."""
    for x in range(1, 30 + 2 * int(np.prod(windows))):
        o, ok = x, True
        for (k, s, p, q), w in zip(layers, windows):
            try:
                o = S.conv_transpose_output_size(o, k, s, p, q)
            except ValueError:               # padding crops the whole level: no map
                o = 0
            if o < 1 or o % w:
                ok = False
                break
        if ok:
            return x
    return 0


def test_ch03_smallest_bottleneck_sizes_of_the_prompt():
    """The prompt's sizes are the hidden cases': windows of 10^12 cells and more, and in every third
    case an answer beyond 10^12 (below 2^62, so that it is a plain integer)."""
    from pytorch_box import CHAPTERS

    from autograder.checks import cases_for
    from autograder.checks.ch03_transposed import _smallest_bottleneck
    text = (CHAPTERS / "03_transposed" / "03_transposed.ipynb").read_text()
    assert "Windows may be $10^{12}$ cells wide and the answer\\n" in text
    assert '"beyond $10^{12}$."' in text
    for cases in (cases_for("ch03.smallest_bottleneck"), cases_for("ch03.smallest_bottleneck", 1)):
        answers = [_smallest_bottleneck(*case) for case in cases]
        assert all(w < 10**13 for _, windows in cases for w in windows)
        assert sum(a > 10**12 for a in answers) >= len(cases) // 3 - 1
        assert sum(max(windows) > 10**12 for _, windows in cases) >= len(cases) // 3 - 1
        assert all(a < 2**62 for a in answers) and 0 < answers.count(0) <= 8


@pytest.mark.parametrize("f", range(1, 9))
def test_ch03_bilinear_kernel_is_bilinear_upsampling(f):
    """Section "Checkerboard artifacts" and Exercise 2: with stride f and padding f // 2 the
    tent kernel maps n to n f and equals F.interpolate(bilinear, align_corners=False) away
    from the border; every phase's taps sum to 1 (no checkerboard)."""
    rng = np.random.default_rng(f)
    x = rng.standard_normal((1, 1, 7, 9))
    k = S.bilinear_kernel(f)
    assert k.shape == (2 * f - f % 2,) * 2 and np.isclose(k.sum(), f * f)
    up = S.conv_transpose2d(x, k[None, None], stride=f, padding=f // 2)
    assert up.shape == (1, 1, 7 * f, 9 * f)
    ref = F.interpolate(torch.from_numpy(x), scale_factor=f, mode="bilinear",
                        align_corners=False).numpy()
    np.testing.assert_allclose(up[..., f:-f, f:-f], ref[..., f:-f, f:-f], atol=1e-12)
    np.testing.assert_allclose([k[q::f, r::f].sum() for q in range(f) for r in range(f)], 1.0)


def test_ch03_history_and_notation():
    """Section "deconvolution misleads": Zeiler et al. 2010 predates Zeiler & Fergus 2014; the
    true convolution is written \\ast."""
    from pytorch_box import CHAPTERS
    text = (CHAPTERS / "03_transposed" / "03_transposed.ipynb").read_text()
    assert "Deconvolutional Networks* (2010)" in text and "(2014)" in text
    assert "\\\\star" not in text and "k \\\\ast x" in text


def test_ch03_in_pytorch_box():
    """The "In PyTorch" box: ConvTranspose2d with output_padding, dilation, and the gradient of
    conv2d are `solutions.conv_transpose2d`."""
    from pytorch_box import run_pytorch_box
    ns = run_pytorch_box("03_transposed")
    x, w, layer = ns["x"].numpy(), ns["w"].numpy(), ns["layer"]
    assert ns["y"].shape == (1, 2, 10, 10) and ns["y_dil"].shape == (1, 2, 13, 13)
    np.testing.assert_allclose(
        ns["y"].detach().numpy(),
        S.conv_transpose2d(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(),
                           stride=2, padding=1, output_padding=1), atol=1e-12)
    np.testing.assert_allclose(ns["y_dil"].numpy(), S.conv_transpose2d(x, w, stride=2, dilation=2),
                               atol=1e-12)
    np.testing.assert_allclose(ns["big"].grad.numpy(),
                               S.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                               atol=1e-12)
    assert S.conv_output_size(10, 3, 2, 1) == 5 and (10 + 2 - 3) % 2 == 1


def test_ch03_dcgan_reference_generator_doubles_with_k4_s2_p1():
    """Section "Output size": in soumith/dcgan.torch the generator's four
    SpatialFullConvolution(..., 4, 4, 2, 2, 1, 1) layers take 4 -> 8 -> 16 -> 32 -> 64."""
    from chapter_text import markdown
    text = markdown("03_transposed")
    assert "(`soumith/dcgan.torch`: $4 \\to 8 \\to 16 \\to 32 \\to 64$)" in text
    sizes = [4]
    for _ in range(4):
        sizes.append(S.conv_transpose_output_size(sizes[-1], 4, 2, 1))
    assert sizes == [4, 8, 16, 32, 64]
    x = torch.zeros(1, 8, 4, 4)
    for _ in range(4):
        x = torch.nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1)(x)
    assert x.shape == (1, 8, 64, 64)


def test_ch03_citations_name_their_sources():
    """Odena et al. (Distill 2016), Long et al. (2015, Sections 3.3 and 4.3), Zeiler and
    Fergus (2014, Section 2.1), PyTorch's cuDNN path (aten/src/ATen/native/cudnn): the claims
    quote what the sources say."""
    from chapter_text import markdown
    text = markdown("03_transposed")
    for cited in ('"struggle to avoid it completely"',
                  '"often learn kernels that cause similar artifacts"',
                  "their best results came from nearest neighbour",
                  "(2015, Section 4.3) fix their last upsampling layer to it and initialise the "
                  "intermediate ones with it",
                  '"transposed versions of the same filters" (their Section 2.1)',
                  '"backwards convolution (sometimes called deconvolution)" (their Section 3.3)',
                  "`cudnn_convolution_transpose_forward` simply calls "
                  "`cudnn_convolution_backward_input`"):
        assert cited in text, cited


def test_ch03_subpixel_convolution_is_a_transposed_convolution():
    """Section "Checkerboard artifacts", the other cure: a stride-1 conv to C r^2 channels then
    PixelShuffle equals a stride-r transposed convolution with a k r x k r kernel (padding
    r(k - 1)); that kernel size is a multiple of the stride, so every output cell is covered
    by the same number of stamps. Exercise 4's literals follow from the same identity."""
    from chapter_text import markdown

    from autograder.checks.ch03_transposed import _transposed_as_subpixel
    rng = np.random.default_rng(11)
    for r, k, c, c_in in [(2, 1, 1, 1), (2, 2, 1, 1), (3, 2, 2, 3), (2, 3, 2, 1), (4, 2, 1, 2)]:
        t = rng.standard_normal((c_in, c, k * r, k * r))
        x = rng.standard_normal((2, c_in, 6, 5))
        w = _transposed_as_subpixel(t, r)
        assert w.shape == (c * r * r, c_in, k, k)
        np.testing.assert_allclose(S.pixel_shuffle(S.conv2d(x, w), r),
                                   S.conv_transpose2d(x, t, stride=r, padding=r * (k - 1)),
                                   atol=1e-12)
        counts = S.conv_transpose2d(np.ones((1, 1, 6, 6)), np.ones((1, 1, k * r, k * r)),
                                    stride=r)
        interior = counts[0, 0, k * r:-k * r, k * r:-k * r]
        assert interior.size == 0 or np.all(interior == k * k)
    # exercise 4's visible literals
    np.testing.assert_array_equal(_transposed_as_subpixel(np.arange(4.0).reshape(1, 1, 2, 2), 2),
                                  np.arange(4.0).reshape(4, 1, 1, 1))
    np.testing.assert_array_equal(_transposed_as_subpixel(np.array([[[[5.0]]], [[[7.0]]]]), 1),
                                  [[[[5]], [[7]]]])
    assert _transposed_as_subpixel(np.ones((3, 2, 6, 6)), 3).shape == (18, 3, 2, 2)
    text = markdown("03_transposed")
    for cited in ("Shi et al. (2016, \"Real-Time Single Image and", "Aitken et al. (2017,",
                  "arXiv 1707.02937", "convolution NN resize"):
        assert cited in text, cited


def test_ch03_subpixel_hidden_weights_defeat_unit_image_probes():
    """Exercise 4's prompt: some hidden weights have sub-kernels of more than 330 taps a side;
    the check's docstring: reading W off trans_conv with unit images then takes C_in k^2 > 10^5
    images, or np.eye(k^2), over 100 GB of 8-byte zeros. The reference still equals the
    transposed convolution on those weights (the stamp rule, on a k x k input)."""
    from chapter_text import markdown

    from autograder.checks import cases_for
    from autograder.checks.ch03_transposed import _transposed_as_subpixel
    assert "sub-kernels of more than 330 taps a side ($k > 330$)" in markdown("03_transposed")
    for seed in (1, 2, 3):
        large = [(t, r) for t, r in cases_for("ch03.transposed_as_subpixel", seed)
                 if t.shape[2] // r > 330]
        assert len(large) == 2
        for t, r in large:
            k = t.shape[2] // r
            assert t.shape[0] * k * k > 10**5 and 8 * (k * k) ** 2 > 100e9
    # on a k x k input the sub-pixel layer makes one low-resolution cell, r x r outputs;
    # the transposed convolution's cells there, from the stamp rule: input (h', w') adds
    # T[u + p - r h', v + p - r w'] to output (u, v) once padding p = r (k - 1) has cropped
    t, r = large[0]
    k = t.shape[2] // r
    x = np.random.default_rng(3).standard_normal((k, k))
    w = _transposed_as_subpixel(t, r)
    taps = r * (k - 1 - np.arange(k))
    for u in range(r):
        for v in range(r):
            stamped = np.sum(x * t[0, 0][np.ix_(u + taps, v + taps)])
            assert np.sum(w[u * r + v, 0] * x) == pytest.approx(stamped, rel=1e-9, abs=1e-9)
