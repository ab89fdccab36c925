"""Chapter 04 (spatially separable): every formula and number in its text, checked.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pytorch_box import run_pytorch_box
from scipy import ndimage
from single_channel import corr

import convlab
import solutions as S
from convlab.separable_frames import separable_frames

COL, ROW = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])
SOBEL = np.outer(COL, ROW)
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
RAMP = np.arange(16.0).reshape(4, 4)


def two_passes(x, col, row):
    """Column pass (a k_h x 1 kernel), then row pass (1 x k_w), as in the text."""
    return corr(corr(x, np.asarray(col, float)[:, None]), np.asarray(row, float)[None, :])


def test_ch04_sobel_is_column_times_row():
    """Section "Kernels that are outer products": [1,2,1]^T [-1,0,1] = Sobel x."""
    np.testing.assert_array_equal(SOBEL, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(SOBEL[1], 2 * ROW)
    np.testing.assert_array_equal(SOBEL, convlab.named_kernel("sobel x"))
    np.testing.assert_array_equal(np.outer(ROW, COL), convlab.named_kernel("sobel y"))


def test_ch04_outer_product_iff_rank_one():
    """K = c r^T has rank 1; a rank-1 matrix is an outer product (rows proportional)."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        c, r = rng.standard_normal(int(rng.integers(2, 6))), rng.standard_normal(
            int(rng.integers(2, 6)))
        k = np.outer(c, r)
        assert np.linalg.matrix_rank(k) == 1
        for row in k:
            np.testing.assert_allclose(row, (row @ r / (r @ r)) * r, atol=1e-12)
        col, row = S.separable_split(k * 3.0)
        np.testing.assert_allclose(np.outer(col, row), 3.0 * k, atol=1e-12)
    assert np.linalg.matrix_rank(rng.standard_normal((3, 3))) == 3


def test_ch04_box_binomial_gaussian_are_separable():
    """Box 1/9 = (1/3)(1/3); binomial (1/4)[1,2,1] twice = [[1,2,1],[2,4,2],[1,2,1]]/16;
    5x5 from [1,4,6,4,1]/16; the Gaussian e^{-(a²+b²)/2σ²} factorises."""
    np.testing.assert_allclose(np.outer(np.ones(3) / 3, np.ones(3) / 3), np.full((3, 3), 1 / 9))
    np.testing.assert_allclose(np.outer([1, 2, 1], [1, 2, 1]) / 16,
                               np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
    np.testing.assert_allclose(np.outer(np.array([1, 2, 1]) / 4, np.array([1, 2, 1]) / 4),
                               convlab.named_kernel("gaussian blur", 3))
    b5 = np.array([1.0, 4, 6, 4, 1]) / 16
    np.testing.assert_allclose(np.outer(b5, b5), convlab.named_kernel("gaussian blur", 5))
    np.testing.assert_allclose(np.full((3, 3), 1 / 9), convlab.named_kernel("box blur"))
    a = np.arange(-3, 4)
    sigma = 1.3
    gauss = np.exp(-(a[:, None] ** 2 + a[None, :] ** 2) / (2 * sigma**2))
    g1 = np.exp(-(a**2) / (2 * sigma**2))
    np.testing.assert_allclose(gauss, np.outer(g1, g1), atol=1e-15)


def test_ch04_two_passes_equal_the_2d_pass_in_either_order():
    """Section "One 2-D pass = ...": reorder the double sum; sizes (n-k+1) x n, then output."""
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.standard_normal((int(rng.integers(6, 12)), int(rng.integers(6, 12))))
        c, r = rng.standard_normal(int(rng.integers(1, 6))), rng.standard_normal(
            int(rng.integers(1, 6)))
        z = corr(x, c[:, None])
        assert z.shape == (x.shape[0] - len(c) + 1, x.shape[1])
        full = corr(x, np.outer(c, r))
        np.testing.assert_allclose(corr(z, r[None, :]), full, atol=1e-12)
        np.testing.assert_allclose(corr(corr(x, r[None, :]), c[:, None]), full, atol=1e-12)
        np.testing.assert_allclose(S.spatially_separable_conv2d(x[None], c, r)[0], full,
                                   atol=1e-12)
        xt = torch.from_numpy(x[None, None])
        torch_full = F.conv2d(xt, torch.from_numpy(np.outer(c, r)[None, None])).numpy()[0, 0]
        np.testing.assert_allclose(full, torch_full, atol=1e-12)


def test_ch04_ramp_worked_example():
    """The ramp rises 1 per column and 4 per row; Z row 0 = 16 + 4j = [16, 20, 24, 28];
    Y = -1·16 + 0·20 + 1·24 = 8 everywhere (a rise of 2 weighted by 1 + 2 + 1 = 4)."""
    assert np.all(np.diff(RAMP, axis=1) == 1) and np.all(np.diff(RAMP, axis=0) == 4)
    z = corr(RAMP, COL[:, None])
    np.testing.assert_array_equal(z[0], [16 + 4 * j for j in range(4)])
    np.testing.assert_array_equal(z[0], [16, 20, 24, 28])
    assert -1 * 16 + 0 * 20 + 1 * 24 == 8 == 2 * (1 + 2 + 1)
    np.testing.assert_array_equal(two_passes(RAMP, COL, ROW), np.full((2, 2), 8.0))


def test_ch04_animation_shows_the_two_passes():
    """The animation: one frame per cell of Z (2x4), then one per output cell (2x2)."""
    frames = separable_frames(RAMP, COL, ROW)
    assert len(frames) == 8 + 4
    assert frames[1].caption == "Z[0, 1] = 1×1 + 5×2 + 9×1 = 20"
    assert frames[-1].caption.endswith("= 8")
    np.testing.assert_array_equal(frames[7].grids[1].values, corr(RAMP, COL[:, None]))
    np.testing.assert_array_equal(frames[-1].grids[1].values, np.full((2, 2), 8.0))
    with pytest.raises(ValueError):
        separable_frames(np.ones((2, 2)), COL, ROW)


@pytest.mark.parametrize("k", range(1, 16))
def test_ch04_cost_per_output_and_weights(k):
    """Section "What it saves": k_h + k_w instead of k_h k_w multiplications and weights."""
    one = S.conv_macs(1, 1, k, 1)
    two = S.conv_macs(1, 1, (k, 1), 1) + S.conv_macs(1, 1, (1, k), 1)
    assert (one, two) == (k * k, 2 * k)
    assert S.conv_params(1, 1, k, bias=False) == k * k
    assert S.conv_params(1, 1, (k, 1), bias=False) + S.conv_params(1, 1, (1, k),
                                                                  bias=False) == 2 * k
    assert math.isclose(two / one, 2 / k)
    assert (two < one) == (k >= 3)


def test_ch04_cost_numbers_of_the_text():
    """6 vs 9; 10 vs 25; 14 vs 49; 30 vs 225; 4 and 4 for k = 2; 2 instead of 1 for k = 1."""
    assert [(2 * k, k * k) for k in (3, 5, 7, 15)] == [(6, 9), (10, 25), (14, 49), (30, 225)]
    assert (2 * 2, 2 * 2) == (4, 4) and (2 * 1, 1 * 1) == (2, 1)


@pytest.mark.parametrize("n, k", [(128, 7), (20, 3), (9, 5), (5, 5), (31, 1)])
def test_ch04_image_costs_same_and_valid(n, k):
    """'same': 2k n² vs k² n²; valid: k(n-k+1)n + k(n-k+1)² = k(n-k+1)(2n-k+1) vs k²(n-k+1)²."""
    assert S.conv_macs(1, 1, k, n) == k * k * n * n
    same = S.conv_macs(1, 1, (k, 1), n) + S.conv_macs(1, 1, (1, k), n)
    assert same == 2 * k * n * n
    o = n - k + 1
    column, row = S.conv_macs(1, 1, (k, 1), (o, n)), S.conv_macs(1, 1, (1, k), (o, o))
    assert (column, row) == (k * o * n, k * o * o)
    assert column + row == k * o * (2 * n - k + 1)
    assert S.conv_macs(1, 1, k, o) == k * k * o * o


def test_ch04_cost_example_128():
    """213,500 instead of 729,316 for k = 7 on a 128 x 128 image."""
    assert 7 * (128 - 7 + 1) * (2 * 128 - 7 + 1) == 213_500
    assert 7 * 7 * (128 - 7 + 1) ** 2 == 729_316


def test_ch04_ndimage_two_1d_filters_equal_the_2d_filter():
    """scipy.ndimage: correlate1d along axis 0, then axis 1 = correlate with the outer product."""
    rng = np.random.default_rng(2)
    image, g = rng.random((40, 50)), rng.random(7)
    np.testing.assert_allclose(
        ndimage.correlate1d(ndimage.correlate1d(image, g, axis=0), g, axis=1),
        ndimage.correlate(image, np.outer(g, g)), atol=1e-12)


def test_ch04_svd_sum_rank_and_split():
    """Section "The SVD test": K = sum σ_i u_i v_i^T; rank = number of non-zero σ;
    rank 1 iff σ_2 = 0; split sqrt(σ_1) u_1, sqrt(σ_1) v_1; unique up to t, -1 included."""
    rng = np.random.default_rng(3)
    for shape in [(3, 3), (2, 5), (5, 4)]:
        k = rng.standard_normal(shape)
        u, s, vt = np.linalg.svd(k)
        np.testing.assert_allclose(sum(s[i] * np.outer(u[:, i], vt[i]) for i in range(len(s))),
                                   k, atol=1e-12)
        assert np.all(np.diff(s) <= 0) and np.all(s >= 0)
    k = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    s = np.linalg.svd(k, compute_uv=False)
    assert np.sum(s > 1e-10 * s[0]) == np.linalg.matrix_rank(k) == 2
    k1 = np.outer(rng.standard_normal(4), rng.standard_normal(3))
    u, s, vt = np.linalg.svd(k1)
    assert s[1] < 1e-12 * s[0]
    c, r = np.sqrt(s[0]) * u[:, 0], np.sqrt(s[0]) * vt[0]
    np.testing.assert_allclose(np.outer(c, r), k1, atol=1e-12)
    for t in (2.5, -1.0):
        np.testing.assert_allclose(np.outer(t * c, r / t), k1, atol=1e-12)


def test_ch04_sobel_singular_values_and_normalised_split():
    """||[1,2,1]|| = √6, ||[-1,0,1]|| = √2, σ_1 = √12 ≈ 3.46, σ_2 = σ_3 = 0;
    normalising col by its first non-zero entry gives [1, 2, 1] and [-1, 0, 1]."""
    assert math.isclose(np.linalg.norm(COL), math.sqrt(6))
    assert math.isclose(np.linalg.norm(ROW), math.sqrt(2))
    u, s, vt = np.linalg.svd(SOBEL)
    assert math.isclose(s[0], math.sqrt(12)) and round(s[0], 2) == 3.46
    assert s[1] < 1e-14 and s[2] < 1e-14
    np.testing.assert_allclose(np.abs(u[:, 0]), COL / np.linalg.norm(COL))
    np.testing.assert_allclose(np.abs(vt[0]), np.abs(ROW) / np.linalg.norm(ROW), atol=1e-15)
    col, row = S.separable_split(SOBEL)
    np.testing.assert_allclose(col, COL)
    np.testing.assert_allclose(row, ROW, atol=1e-15)


def test_ch04_relative_tolerance_is_scale_free():
    """σ_2 <= tol·σ_1 does not change when the kernel is scaled; matrix_rank's tolerance
    is relative too."""
    rng = np.random.default_rng(4)
    k1, k2 = np.outer(rng.standard_normal(3), rng.standard_normal(3)), rng.standard_normal((3, 3))
    for scale in (1e-12, 1.0, 1e12):
        for k, separable in ((k1, True), (k2, False)):
            s = np.linalg.svd(scale * k, compute_uv=False)
            assert (s[1] <= 1e-8 * s[0]) == separable
            assert (np.linalg.matrix_rank(scale * k) == 1) == separable


def test_ch04_laplacian_singular_values():
    """Section "not separable": σ = 2 + √6 ≈ 4.45, √6 - 2 ≈ 0.45, 0: rank 2."""
    s = np.linalg.svd(LAPLACIAN, compute_uv=False)
    np.testing.assert_allclose(s, [2 + math.sqrt(6), math.sqrt(6) - 2, 0], atol=1e-12)
    assert (round(s[0], 2), round(s[1], 2)) == (4.45, 0.45)
    assert np.linalg.matrix_rank(LAPLACIAN) == 2


def test_ch04_eckart_young_and_relative_error():
    """||K||_F² = Σσ²; ||K - K_1||_F = sqrt(σ_2² + ...); K_1 beats other rank-1 kernels;
    Laplacian: 0.45 / sqrt(4.45² + 0.45²) ≈ 0.10."""
    rng = np.random.default_rng(5)
    for k in [LAPLACIAN, rng.standard_normal((4, 4)), rng.standard_normal((3, 5))]:
        u, s, vt = np.linalg.svd(k)
        k1 = s[0] * np.outer(u[:, 0], vt[0])
        assert math.isclose(np.sum(k**2), np.sum(s**2))
        assert math.isclose(np.linalg.norm(k - k1), math.sqrt(np.sum(s[1:] ** 2)), abs_tol=1e-12)
        error = S.rank1_approximation(k)[2]
        assert math.isclose(error, math.sqrt(np.sum(s[1:] ** 2) / np.sum(s**2)))
        col, row, _ = S.rank1_approximation(k)
        np.testing.assert_allclose(np.outer(col, row), k1, atol=1e-12)
        for _ in range(200):  # no random rank-1 kernel is closer
            other = np.outer(rng.standard_normal(k.shape[0]), rng.standard_normal(k.shape[1]))
            best = (other.ravel() @ k.ravel()) / (other.ravel() @ other.ravel())
            assert np.linalg.norm(k - best * other) >= np.linalg.norm(k - k1) - 1e-12
    error = S.rank1_approximation(LAPLACIAN)[2]
    assert round(error, 2) == 0.10
    assert round(0.45 / math.sqrt(4.45**2 + 0.45**2), 2) == 0.10


def test_ch04_laplacian_is_two_separable_terms_and_their_cost():
    """L = [0,1,0]^T[1,-2,1] + [1,-2,1]^T[0,1,0]; ρ passes of 2k: 12 vs 9 for 3x3, 28 vs 49
    for a 7x7 kernel of rank 2; pays off while ρ < k/2."""
    a, d2 = np.array([0.0, 1.0, 0.0]), np.array([1.0, -2.0, 1.0])
    np.testing.assert_array_equal(np.outer(a, d2) + np.outer(d2, a), LAPLACIAN)
    x = np.random.default_rng(6).standard_normal((9, 8))
    np.testing.assert_allclose(two_passes(x, a, d2) + two_passes(x, d2, a), corr(x, LAPLACIAN),
                               atol=1e-12)
    assert (2 * 3 * 2, 3 * 3) == (12, 9)
    assert (2 * 7 * 2, 7 * 7) == (28, 49)
    for k in range(1, 12):
        for rho in range(1, k + 1):
            assert (2 * k * rho < k * k) == (rho < k / 2)
    # any kernel: the sum of its rank-1 SVD terms, each filtered in two passes
    k = np.random.default_rng(7).standard_normal((4, 4))
    u, s, vt = np.linalg.svd(k)
    np.testing.assert_allclose(sum(two_passes(x, s[i] * u[:, i], vt[i]) for i in range(4)),
                               corr(x, k), atol=1e-12)


def test_ch04_laplacian_rank1_weights_and_the_blur():
    """L sums to 0; K_1 sums to -√6/2 ≈ -1.22; L - K_1 = σ_2 u_2 v_2^T has positive weights."""
    assert LAPLACIAN.sum() == 0
    u, s, vt = np.linalg.svd(LAPLACIAN)
    k1 = s[0] * np.outer(u[:, 0], vt[0])
    assert math.isclose(k1.sum(), -math.sqrt(6) / 2) and round(k1.sum(), 2) == -1.22
    rest = LAPLACIAN - k1
    np.testing.assert_allclose(rest, s[1] * np.outer(u[:, 1], vt[1]), atol=1e-12)
    assert np.all(rest > 0)


def test_ch04_real_image_kernels():
    """[1,6,15,20,15,6,1]/64 is the 7-tap binomial; blurs and Sobel kernels are separable,
    sharpen and the edge Laplacian are identity ± box: rank 2."""
    b7 = np.array([1.0, 6, 15, 20, 15, 6, 1]) / 64
    assert b7.sum() == 1
    np.testing.assert_allclose(np.outer(b7, b7), convlab.named_kernel("gaussian blur", 7))
    for k in range(3, 8):
        for name in ("box blur", "gaussian blur", "sobel x", "sobel y"):
            assert np.linalg.matrix_rank(convlab.named_kernel(name, k)) == 1, (name, k)
        for name in ("sharpen", "laplacian (edges)"):
            kernel = convlab.named_kernel(name, k)
            assert np.linalg.matrix_rank(kernel) == 2, (name, k)
            identity = kernel - kernel[0, 0] * np.ones((k, k))  # what is left after the box
            assert np.count_nonzero(np.abs(identity) > 1e-12) == 1


def test_ch04_inception_factorisation_cost():
    """A 1x7 then a 7x1 convolution: 14C² weights instead of 49C² (C channels in and out)."""
    for c in (1, 32, 192):
        pair = S.conv_params(c, c, (1, 7), bias=False) + S.conv_params(c, c, (7, 1), bias=False)
        assert pair == 14 * c * c
        assert S.conv_params(c, c, 7, bias=False) == 49 * c * c


def test_ch04_two_laplacians_named():
    """Sections "When a kernel is not separable" and "On a real image": L is the 4-neighbour
    (five-point) Laplacian; the panel's "laplacian (edges)" is the 8-neighbour one, a box of
    ones minus 9 times the centre impulse; both rank 2, weights summing to 0, symmetric,
    so neither responds to a constant or a ramp."""
    eight = np.array([[1.0, 1, 1], [1, -8, 1], [1, 1, 1]])
    np.testing.assert_array_equal(convlab.named_kernel("laplacian (edges)", 3), eight)
    centre = np.zeros((3, 3))
    centre[1, 1] = 1
    np.testing.assert_array_equal(eight, np.ones((3, 3)) - 9 * centre)
    x = np.arange(-3, 4.0)
    ramp = 2.0 * x[:, None] - 3.0 * x[None, :] + 5.0
    bowl = x[:, None] ** 2 + x[None, :] ** 2
    for kernel in (LAPLACIAN, eight):
        assert np.linalg.matrix_rank(kernel) == 2 and kernel.sum() == 0
        np.testing.assert_array_equal(kernel, kernel[::-1, ::-1])
        np.testing.assert_allclose(corr(ramp, kernel), 0, atol=1e-12)
    # the 4-neighbour L is d^2/dx^2 + d^2/dy^2: 4 on i^2 + j^2; the 8-neighbour one gives 12
    np.testing.assert_allclose(corr(bowl, LAPLACIAN), 4)
    np.testing.assert_allclose(corr(bowl, eight), 12)


def _pair(rng, c_in, c_mid, c_out, k=7):
    """Random 1 x k (C_in -> C_mid) and k x 1 (C_mid -> C_out) weights and their composition."""
    first = rng.standard_normal((c_mid, c_in, 1, k))
    second = rng.standard_normal((c_out, c_mid, k, 1))
    return first, second, np.einsum("oma,mcb->ocab", second[..., 0], first[:, :, 0])


def _unfold(w):
    return w.transpose(0, 2, 1, 3).reshape(w.shape[0] * w.shape[2], w.shape[1] * w.shape[3])


def test_ch04_inception_pair_is_a_sum_of_outer_products():
    """Section "Spatially separable is not depthwise separable": 1x7 then 7x1 with nothing
    between is one 7x7 conv with W[o, c] = sum_m q[o, m] p[m, c]^T (checked against torch)."""
    rng = np.random.default_rng(8)
    first, second, w = _pair(rng, 4, 6, 5)
    x = rng.standard_normal((1, 4, 12, 13))
    two = F.conv2d(F.conv2d(torch.from_numpy(x), torch.from_numpy(first)),
                   torch.from_numpy(second)).numpy()
    np.testing.assert_allclose(S.conv2d(x, w), two, atol=1e-10)
    np.testing.assert_allclose(S.compose_conv2d(first, None, second, None)[0], w, atol=1e-12)
    np.testing.assert_allclose(w[2, 1], sum(np.outer(second[2, m, :, 0], first[m, 1, 0])
                                            for m in range(6)), atol=1e-12)


@pytest.mark.parametrize("c_mid, pair_rank, layer_rank", [(1, 1, 1), (3, 3, 3), (6, 6, 6),
                                                          (16, 7, 16)])
def test_ch04_inception_pair_ranks(c_mid, pair_rank, layer_rank):
    """Each 7x7 kernel has rank min(C_mid, 7) (generic factors), the (7 C_out) x (7 C_in)
    unfolding rank <= C_mid; the code cell's C_in = 4, C_out = 5 give a 35 x 28 matrix."""
    rng = np.random.default_rng(c_mid)
    _, _, w = _pair(rng, 4, c_mid, 5)
    ranks = {int(np.linalg.matrix_rank(w[o, c])) for o in range(5) for c in range(4)}
    assert ranks == {pair_rank} == {min(c_mid, 7)}
    assert _unfold(w).shape == (35, 28)
    assert np.linalg.matrix_rank(_unfold(w)) == layer_rank <= c_mid


def test_ch04_inception_pair_restricts_the_layer_not_the_kernels():
    """Once C_mid >= 7 any single kernel is reachable (rank 7), but a general 7x7 layer's
    unfolding reaches 7 min(C_out, C_in), which a pair with C_mid channels cannot exceed;
    14 C^2 weights for C channels in, between and out."""
    rng = np.random.default_rng(9)
    general = rng.standard_normal((5, 4, 7, 7))
    assert np.linalg.matrix_rank(_unfold(general)) == 7 * min(5, 4)
    target = rng.standard_normal((7, 7))  # any kernel: the SVD gives 7 rows and columns
    cols, rows = S.low_rank_approximation(target, 7)
    first = rows[:, None, None, :]            # (C_mid = 7, C_in = 1, 1, 7)
    second = cols.T[None, :, :, None]         # (C_out = 1, C_mid = 7, 7, 1)
    np.testing.assert_allclose(S.compose_conv2d(first, None, second, None)[0][0, 0], target,
                               atol=1e-10)
    for c in (1, 64, 192):
        assert S.conv_params(c, c, (1, 7), bias=False) + S.conv_params(c, c, (7, 1),
                                                                       bias=False) == 14 * c * c


def test_ch04_inception_pair_with_relu_is_not_linear():
    """With BN and ReLU between the two layers the pair is not a convolution at all: it is
    not even additive, f(x + x') != f(x) + f(x')."""
    rng = np.random.default_rng(10)
    first, second, _ = _pair(rng, 2, 3, 2)

    def pair(x):
        return S.conv2d(np.maximum(S.conv2d(x, first), 0), second)

    x1, x2 = rng.standard_normal((2, 1, 2, 9, 9))
    assert not np.allclose(pair(x1 + x2), pair(x1) + pair(x2))


def test_ch04_compose_conv2d_equals_two_convolutions():
    """The reference behind exercise 5's text: two convolutions (any kernel sizes, biases)
    are one, kernel = full convolution of the kernels; bias1 goes through kernel 2."""
    rng = np.random.default_rng(11)
    for _ in range(30):
        c_in, c_mid, c_out = (int(v) for v in rng.integers(1, 4, 3))
        k1, k2 = tuple(int(v) for v in rng.integers(1, 4, 2)), tuple(
            int(v) for v in rng.integers(1, 4, 2))
        w1, w2 = rng.standard_normal((c_mid, c_in, *k1)), rng.standard_normal((c_out, c_mid, *k2))
        b1, b2 = rng.standard_normal(c_mid), rng.standard_normal(c_out)
        x = rng.standard_normal((2, c_in, 9, 8))
        w, b = S.compose_conv2d(w1, b1, w2, b2)
        expected = F.conv2d(F.conv2d(torch.from_numpy(x), torch.from_numpy(w1),
                                     torch.from_numpy(b1)),
                            torch.from_numpy(w2), torch.from_numpy(b2)).numpy()
        np.testing.assert_allclose(S.conv2d(x, w, b), expected, atol=1e-10)
    with pytest.raises(ValueError, match="weight2"):
        S.compose_conv2d(np.ones((2, 1, 1, 3)), None, np.ones((1, 3, 3, 1)), None)
    with pytest.raises(TypeError, match="weight1"):
        S.compose_conv2d([[1.0]], None, np.ones((1, 1, 1, 1)), None)


def test_ch04_low_rank_reference_functions():
    """low_rank_approximation is the truncated SVD (cols @ rows, r two-pass filterings);
    rank_for_error inverts the relative error; bad arguments are refused by name."""
    rng = np.random.default_rng(12)
    for _ in range(30):
        k = rng.standard_normal((int(rng.integers(1, 6)), int(rng.integers(1, 6))))
        u, s, vt = np.linalg.svd(k)
        for r in range(1, min(k.shape) + 1):
            cols, rows = S.low_rank_approximation(k, r)
            np.testing.assert_allclose(cols @ rows, (u[:, :r] * s[:r]) @ vt[:r], atol=1e-12)
            x = rng.standard_normal((9, 9))
            np.testing.assert_allclose(sum(two_passes(x, cols[:, i], rows[i]) for i in range(r)),
                                       corr(x, cols @ rows), atol=1e-10)
        errors = [np.sqrt(np.sum(s[r:] ** 2) / np.sum(s ** 2)) for r in range(len(s) + 1)]
        for tol in (0.0, 0.05, 0.3, 0.7):
            r = S.rank_for_error(k, tol)
            assert errors[r] <= tol + 1e-12 and (r == 0 or errors[r - 1] > tol)
    assert S.rank_for_error(np.zeros((3, 3)), 0.1) == 0
    assert S.rank_for_error(LAPLACIAN, 0.2) == 1 and S.rank_for_error(LAPLACIAN, 0.05) == 2
    with pytest.raises(ValueError, match="rank"):
        S.low_rank_approximation(LAPLACIAN, 4)
    with pytest.raises(ValueError, match="max_error"):
        S.rank_for_error(LAPLACIAN, 1.5)
    with pytest.raises(ValueError, match="kernel"):
        S.rank_for_error(np.ones(3), 0.1)


def test_ch04_pytorch_box():
    """The "In PyTorch" box: two F.conv2d passes = one pass with the outer product = the
    chapter's two passes; the (1, 7) then (7, 1) pair = one conv with the composed kernel."""
    box = run_pytorch_box("04_separable")
    two, one = box["two_passes"].numpy(), box["one_pass"].numpy()
    np.testing.assert_allclose(two, one, atol=1e-10)
    np.testing.assert_allclose(two, S.spatially_separable_conv2d(
        box["x"].numpy(), box["col"].numpy(), box["row"].numpy()), atol=1e-10)
    first, second = (layer.weight.detach().numpy() for layer in box["pair"])
    assert first.shape == (16, 4, 1, 7) and second.shape == (5, 16, 7, 1)
    w, _ = S.compose_conv2d(first, None, second, None)
    np.testing.assert_allclose(box["y"].detach().numpy(), S.conv2d(box["z"].numpy(), w),
                               atol=1e-10)


def test_ch04_visible_check_literals():
    """The literal expectations of the exercise check cells, recomputed independently: costs
    from conv_macs of each pass (the first pass at the rows or columns the second reads),
    ranks from rank_for_error, completions and splits by their defining property."""
    def plan(kernel, h, w, s, max_error):
        kh, kw = kernel.shape
        oh, ow = S.conv_output_size(h, kh, s), S.conv_output_size(w, kw, s)
        r = S.rank_for_error(kernel, max_error)
        columns_first = (S.conv_macs(1, 1, (kh, 1), (oh, w))
                         + S.conv_macs(1, 1, (1, kw), (oh, ow)))
        rows_first = S.conv_macs(1, 1, (1, kw), (h, ow)) + S.conv_macs(1, 1, (kh, 1), (oh, ow))
        options = {0: S.conv_macs(1, 1, (kh, kw), (oh, ow)),
                   r: r * min(columns_first, rows_first)}
        return min(options.items(), key=lambda item: item[1])

    assert plan(LAPLACIAN, 128, 128, 1, 0.2) == (1, 96012)
    assert S.rank_for_error(LAPLACIAN, 0.2) == 1 and S.rank_for_error(LAPLACIAN, 0.05) == 2
    assert plan(LAPLACIAN, 128, 128, 1, 0.05) == (0, 142_884) and 2 * 96012 > 142_884
    assert plan(SOBEL, 9, 200, 1, 1e-9) == (1, 8358) and 9 - 3 + 1 == 7
    assert plan(SOBEL.T, 200, 9, 1, 1e-9) == (1, 8358)
    assert plan(SOBEL, 9, 200, 2, 1e-9) == (0, 3564)
    completions = [([[1.0, 2.0, np.nan], [np.nan, 4.0, 2.0]], [[1, 2, 1], [2, 4, 2]]),
                   ([[np.nan, -1.0, 0.5], [3.0, np.nan, -1.5], [np.nan, 2.0, np.nan]],
                    [[-1, -1, 0.5], [3, 3, -1.5], [2, 2, -1]])]
    for partial, full in completions:
        partial, full = np.array(partial), np.array(full, dtype=float)
        known = ~np.isnan(partial)
        assert np.array_equal(full[known], partial[known])
        assert np.linalg.matrix_rank(full) == 1
    # exercise 3: the pair with rows [1, 0], [0, 1] and columns [3, 0], [0, 4] composes
    # diag(3, 4); with both columns [3, 0], [[3, 3], [0, 0]]
    first = np.zeros((2, 1, 1, 2))
    first[0, 0, 0], first[1, 0, 0] = [1.0, 0.0], [0.0, 1.0]
    second = np.zeros((1, 2, 2, 1))
    second[0, 0, :, 0], second[0, 1, :, 0] = [3.0, 0.0], [0.0, 4.0]
    w, _ = S.compose_conv2d(first, None, second, None)
    np.testing.assert_array_equal(w[0, 0], np.diag([3.0, 4.0]))
    assert pruned_error_by_forming(first, second, 1) == pytest.approx(0.6)
    assert pruned_error_by_forming(first, second, 2) == pytest.approx(0.0, abs=1e-15)
    second[0, 1, :, 0] = [3.0, 0.0]
    w, _ = S.compose_conv2d(first, None, second, None)
    np.testing.assert_array_equal(w[0, 0], [[3.0, 3.0], [0.0, 0.0]])
    assert pruned_error_by_forming(first, second, 1) == pytest.approx(0.0, abs=1e-15)
    # exercise 4: the nearest c c^T, by a search over c (no eigenvector used)
    binomial = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0])
    np.testing.assert_allclose(nearest_cct_by_search(binomial), binomial, atol=1e-6)
    np.testing.assert_allclose(nearest_cct_by_search(np.array([[3.0, 1.0], [-1.0, 1.0]])),
                               [[3, 0], [0, 0]], atol=1e-6)
    np.testing.assert_allclose(nearest_cct_by_search(-np.eye(2)), np.zeros((2, 2)), atol=1e-6)
    np.testing.assert_allclose(nearest_cct_by_search(np.diag([-4.0, 1.0])), np.diag([0.0, 1.0]),
                               atol=1e-6)
    # "every c c^T but 0 is further away" from -I: ||-I - c c^T||^2 = 2 + 2|c|^2 + |c|^4
    c = np.array([0.3, -0.7])
    assert np.sum((-np.eye(2) - np.outer(c, c)) ** 2) == pytest.approx(
        2 + 2 * c @ c + (c @ c) ** 2)


def pruned_error_by_forming(first, second, c):
    """The pair's layer composed (solutions.compose_conv2d), unfolded as in the text, and the
    relative error of its first c SVD terms (Eckart-Young)."""
    w, _ = S.compose_conv2d(first, None, second, None)
    m = w.transpose(0, 2, 1, 3).reshape(w.shape[0] * w.shape[2], -1)
    sigma = np.linalg.svd(m, compute_uv=False)
    return float(np.sqrt(np.sum(sigma[c:] ** 2) / np.sum(sigma ** 2)))


def nearest_cct_by_search(kernel, starts=40, steps=4000):
    """The c c^T nearest to kernel, found by gradient descent on ||K - c c^T||^2 (gradient
    -4 S c + 4 |c|^2 c, with S the symmetric part) from many random starts and from 0."""
    rng = np.random.default_rng(0)
    sym = (kernel + kernel.T) / 2
    best = np.zeros(len(kernel))
    for _ in range(starts):
        c = rng.standard_normal(len(kernel))
        for _ in range(steps):
            c = c - 0.01 * (-4 * sym @ c + 4 * (c @ c) * c)
        if np.sum((kernel - np.outer(c, c)) ** 2) < np.sum((kernel - np.outer(best, best)) ** 2):
            best = c
    return np.outer(best, best)


def test_ch04_pruned_pair_reference():
    """Exercise 3's reference: the singular values of Q P from the core R1 R2^T equal those of
    the composed layer; a pair with c middle channels composes the first c SVD terms exactly
    (so their error is the least); and the hidden pairs the text calls large have more than
    16,000 channels in and out and a W of over 100 GB (8-byte floats)."""
    from chapter_text import markdown

    from autograder.checks import cases_for
    from autograder.checks.ch04_separable import _pair_singular_values, _pruned_pair_error
    rng = np.random.default_rng(5)
    for first, second, c in cases_for("ch04.pruned_pair_error", 3)[:28]:
        w, _ = S.compose_conv2d(first, None, second, None)
        m = w.transpose(0, 2, 1, 3).reshape(w.shape[0] * w.shape[2], -1)
        np.testing.assert_allclose(_pair_singular_values(first, second),
                                   np.linalg.svd(m, compute_uv=False)[:first.shape[0]],
                                   rtol=1e-10, atol=1e-12)
        assert _pruned_pair_error(first, second, c) == pytest.approx(
            pruned_error_by_forming(first, second, c), abs=1e-12)
        # the first c terms as a pair with c channels: q[o, m, a] and p[m, c, b]
        u, sigma, vt = np.linalg.svd(m, full_matrices=False)
        q = (u[:, :c] * sigma[:c]).reshape(w.shape[0], w.shape[2], c).transpose(0, 2, 1)
        p = vt[:c].reshape(c, w.shape[1], w.shape[3])
        w_c, _ = S.compose_conv2d(p[:, :, None, :], None, q[..., None], None)
        error = np.linalg.norm(w - w_c) / np.linalg.norm(w)
        assert error == pytest.approx(_pruned_pair_error(first, second, c), abs=1e-12)
        # and a random pair with c channels is no closer
        q2, p2 = rng.standard_normal(q.shape), rng.standard_normal(p.shape)
        w_r, _ = S.compose_conv2d(p2[:, :, None, :], None, q2[..., None], None)
        assert np.linalg.norm(w - w_r) / np.linalg.norm(w) >= error
    assert "more than 16,000 channels in and out: their $W$ would take over 100 GB" in \
        markdown("04_separable")
    for seed in (1, 2, 3):
        for first, second, _ in cases_for("ch04.pruned_pair_error", seed)[-2:]:
            c_in, c_out = first.shape[1], second.shape[0]
            assert c_in > 16_000 and c_out > 16_000
            assert 8 * c_out * second.shape[2] * c_in * first.shape[3] > 100e9


def test_ch04_symmetric_separable_reference():
    """Exercise 4's reference: the top eigenvalue of the symmetric part (or 0) is the nearest
    c c^T, checked against a search over c on small hidden cases; the hidden kernels hold
    cases where the text's best rank-1 term of the symmetric part is lambda v v^T with
    lambda < 0, and cases whose answer is 0."""
    from autograder.checks import cases_for
    from autograder.checks.ch04_separable import _symmetric_separable
    cases = cases_for("ch04.symmetric_separable", 1)
    small = [k for (k,) in cases if len(k) <= 4][:8]
    for kernel in small:
        np.testing.assert_allclose(_symmetric_separable(kernel), nearest_cct_by_search(kernel),
                                   atol=1e-6)
    negative_first = zero = 0
    for (kernel,) in cases:
        lam = np.linalg.eigvalsh((kernel + kernel.T) / 2)
        negative_first += abs(lam[0]) > abs(lam[-1]) and lam[-1] > 0
        zero += lam[-1] <= 0
    assert negative_first >= 5 and zero >= 2
    assert max(len(k) for (k,) in cases) > 150


def _determined(known) -> bool:
    """The measured taps fix c r^T when the map (c, r) -> measured taps has rank h + w - 1
    (one factor, t in (t c)(r/t)^T, is free in the kernel itself): its Jacobian at random
    non-zero factors, numerically."""
    h, w = known.shape
    a, b = np.nonzero(known)
    rng = np.random.default_rng(0)
    c, r = rng.uniform(1, 2, h), rng.uniform(1, 2, w)
    jac = np.zeros((len(a), h + w))
    jac[np.arange(len(a)), a], jac[np.arange(len(a)), h + b] = r[b], c[a]
    return len(a) > 0 and np.linalg.matrix_rank(jac) == h + w - 1


def test_ch04_taps_to_measure_is_the_fewest_by_exhaustive_search():
    """Exercise 2: on every pattern of kernels up to 3 x 3 (and random 4 x 5 ones), the
    reference's count (linked sets of rows and columns, less one) is the fewest further taps
    after which the measured taps fix the kernel, found by trying every set of further taps;
    and the notebook's solution agrees on every hidden case; the visible literals."""
    import itertools

    from mutants import notebook_solution

    from autograder.checks import cases_for
    from autograder.checks.ch04_separable import _taps_to_measure

    def fewest(known):
        free = np.flatnonzero(~known.ravel())
        return next(n for n in range(len(free) + 1) for extra in itertools.combinations(free, n)
                    if _determined(known | np.isin(np.arange(known.size),
                                                   extra).reshape(known.shape)))

    patterns = [np.array(bits, bool).reshape(h, w) for h in range(1, 4) for w in range(1, 4)
                for bits in itertools.product([False, True], repeat=h * w)]
    rng = np.random.default_rng(5)
    patterns += [rng.random((4, 5)) < rng.uniform(0.1, 0.6) for _ in range(30)]
    for known in patterns:
        assert _taps_to_measure(known) == fewest(known), known
    solution = notebook_solution("04", "taps_to_measure")
    for seed in (None, 1):
        cases = cases_for("ch04.taps_to_measure") if seed is None else \
            cases_for("ch04.taps_to_measure", seed)
        assert all(solution(k) == _taps_to_measure(k) for (k,) in cases)
    assert [_taps_to_measure(np.array(k, bool)) for k in (
        np.ones((2, 3)), [[1, 0], [0, 1]], [[1, 1, 0], [0, 0, 0]], [[1, 1], [1, 1], [0, 0]])] == \
        [0, 1, 2, 1]


def test_ch04_taps_to_measure_large_cases():
    """Exercise 2's prompt: some hidden kernels are over 10^5 taps long and about 30 wide (one
    tall, one wide), for every student; the rank route (an incidence matrix of h + w columns)
    would need over 10^10 entries there."""
    from chapter_text import markdown

    from autograder.checks import cases_for

    assert "Some hidden kernels are over $10^5$ taps long and about 30 wide." in \
        " ".join(markdown("04_separable").split())
    for seed in (None, 1, 2):
        cases = cases_for("ch04.taps_to_measure") if seed is None else \
            cases_for("ch04.taps_to_measure", seed)
        (tall,), (wide,) = cases[-2:]
        assert tall.shape[0] > 10**5 and 28 <= tall.shape[1] <= 36
        assert wide.shape[1] > 10**5 and 28 <= wide.shape[0] <= 36
        for known in (tall, wide):
            assert int(known.sum()) * sum(known.shape) > 10**9


def test_ch04_inception_citations_name_their_sources():
    """Section "Spatially separable is not depthwise separable": Szegedy et al. Section 3.2
    and Figure 6 (n = 7 on the 17x17 grid, a size inside the 12-20 range where the paper
    found the factorisation good); Table 3's caption (batch-normalised convolutions);
    Section 3.1 and Figure 2 (linear activation always inferior)."""
    from chapter_text import markdown
    text = markdown("04_separable")
    for cited in ("Section 3.2 and Figure 6", "with $m$ between 12 and 20",
                  "the caption of the paper's Table 3",
                  '"using linear activation was always inferior to using rectified linear '
                  'units in all stages of the factorization", Section 3.1 and Figure 2'):
        assert cited in text, cited


def test_ch04_scipy_gaussian_filter_is_two_1d_passes():
    """Section "What it saves": scipy's gaussian_filter ("a sequence of one-dimensional
    convolution filters", its Notes) equals correlate1d along each axis in turn."""
    from chapter_text import markdown
    assert '"a sequence of one-dimensional convolution filters"' in markdown("04_separable")
    image = np.random.default_rng(4).random((40, 50))
    g = np.exp(-0.5 * (np.arange(-8, 9) / 2.0) ** 2)
    g /= g.sum()
    # truncate=4 with sigma=2 gives the 17 taps of g
    np.testing.assert_allclose(ndimage.gaussian_filter(image, 2.0),
                               ndimage.correlate1d(ndimage.correlate1d(image, g, axis=0), g,
                                                   axis=1), atol=1e-12)
