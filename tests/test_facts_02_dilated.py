"""Chapter 02 (dilated): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import itertools
import math
import operator

import numpy as np
import pytest
from single_channel import corr

import solutions as S

X5 = np.arange(25.0).reshape(5, 5)
KD = np.array([[1.0, 2.0], [3.0, 4.0]])


def test_ch02_worked_example_and_zero_filled_kernel():
    """Section "Spreading the kernel": 1·0 + 2·2 + 3·10 + 4·12 = 82; a 3x3 output."""
    assert 1 * 0 + 2 * 2 + 3 * 10 + 4 * 12 == 82
    y = corr(X5, KD, dilation=2)
    np.testing.assert_array_equal(y, [[82, 92, 102], [132, 142, 152], [182, 192, 202]])
    holes = np.array([[1.0, 0, 2], [0, 0, 0], [3, 0, 4]])
    np.testing.assert_array_equal(S.dilate_kernel(KD, 2), holes)
    np.testing.assert_array_equal(corr(X5, holes), y)


@pytest.mark.parametrize("k", range(1, 7))
@pytest.mark.parametrize("d", range(1, 6))
def test_ch02_effective_kernel_size_two_forms(k, d):
    assert S.effective_kernel_size(k, d) == d * (k - 1) + 1 == k + (k - 1) * (d - 1)
    assert S.dilate_kernel(np.ones((k, k)), d).shape == (d * (k - 1) + 1,) * 2


def test_ch02_effective_size_examples_and_same_padding():
    assert [S.effective_kernel_size(3, d) for d in (1, 2, 4)] == [3, 5, 9]
    for d, p in ((2, 2), (4, 4)):
        assert p == d * (3 - 1) // 2
        assert S.conv_output_size(17, 3, 1, p, d) == 17
    assert S.conv_output_size(9, 3, dilation=3) == 3  # exercise 3's literal check
    for n, k, s, p, d in [(7, 3, 1, 2, 2), (20, 3, 2, 1, 3), (11, 5, 3, 0, 2)]:
        assert S.conv_output_size(n, k, s, p, d) == (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_ch02_dilation_spreads_taps_not_windows():
    """Consecutive windows start one cell apart: dilation is not stride."""
    assert not np.array_equal(corr(X5, KD, dilation=2), corr(X5, KD, stride=2))
    assert corr(X5, KD, dilation=2).shape != corr(X5, KD, stride=2).shape


def test_ch02_receptive_fields():
    """Section "Receptive field": 7 and 15; 2^(L+1) - 1 vs 2L + 1; WaveNet's 1,024."""
    assert S.receptive_field([3, 3, 3]) == 1 + 2 + 2 + 2 == 7
    assert S.receptive_field([3, 3, 3], dilations=[1, 2, 4]) == 1 + 2 + 4 + 8 == 15
    for layers in range(1, 11):
        assert S.receptive_field([3] * layers) == 2 * layers + 1
        assert S.receptive_field([3] * layers,
                                 dilations=[2**i for i in range(layers)]) == 2**(layers + 1) - 1
    assert (S.receptive_field([3] * 10), S.receptive_field(
        [3] * 10, dilations=[2**i for i in range(10)])) == (21, 2047)
    assert S.receptive_field([2] * 10, dilations=[2**i for i in range(10)]) == 1024


def _footprint(dilations, size=33):
    """Which input pixels reach the centre output of a 'same'-padded stack of 3x3 layers."""
    reach = np.zeros((size, size), bool)
    rng = np.random.default_rng(3)
    ws = [rng.random((1, 1, 3, 3)) + 0.5 for _ in dilations]
    for i in range(size):
        probe = np.zeros((1, 1, size, size))
        probe[0, 0, i, size // 2] = 1.0
        out = probe
        for w, d in zip(ws, dilations):
            out = S.conv2d(out, w, padding=d, dilation=d)
        reach[i, size // 2] = out[0, 0, size // 2, size // 2] != 0
    return reach[:, size // 2]


def test_ch02_gridding_footprints():
    """Section "gridding": (2, 2, 2) reaches 7 of 13 offsets per axis (49 of 169), (1, 2, 3) all."""
    lattice = _footprint((2, 2, 2))
    assert lattice.sum() == 7 and np.ptp(np.flatnonzero(lattice)) + 1 == 13
    assert lattice.sum() ** 2 == 49
    dense = _footprint((1, 2, 3))
    assert dense.sum() == 13 and np.ptp(np.flatnonzero(dense)) + 1 == 13


def test_ch02_stride_one_formula_and_strided_examples():
    """Section "Receptive field": r = 1 + sum d(k - 1) at stride 1; Exercise 3's stacks."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        ks = [int(v) for v in rng.integers(1, 8, 4)]
        ds = [int(v) for v in rng.integers(1, 9, 4)]
        assert S.receptive_field(ks, dilations=ds) == 1 + sum(d * (k - 1) for k, d in zip(ks, ds))
    assert S.receptive_field([3, 3, 3], strides=[1, 1, 1], dilations=[1, 2, 4]) == 15
    assert S.receptive_field([3, 3], strides=[2, 1]) == 1 + 2 + 2 * 2 == 7
    assert S.receptive_field([7, 3], strides=[2, 2]) == 1 + 6 + 2 * 2 == 11


def test_ch02_no_common_factor_is_necessary_not_sufficient():
    """Section "gridding": (1, 2, 3) dense; (1, 2, 9) and (2, 3, 4) coprime with holes;
    a common factor g > 1 always leaves holes; order does not matter."""
    from itertools import permutations
    from math import gcd
    assert S.is_dense([3] * 3, [1, 2, 3])
    for rates in ([1, 2, 9], [2, 3, 4]):
        assert gcd(*rates) == 1 and not S.is_dense([3] * 3, rates)
    assert 8 not in S.reachable_offsets([3] * 3, [2, 3, 4])
    for rates in ([2, 2, 2], [2, 4, 8], [3, 6, 9], [2, 4]):
        assert gcd(*rates) > 1 and not S.is_dense([3] * len(rates), rates)
    for order in permutations([1, 2, 9]):
        assert S.reachable_offsets([3] * 3, order) == S.reachable_offsets([3] * 3, [1, 2, 9])


def test_ch02_hdc_max_distance_examples():
    """HDC (Wang et al. 2018): M_2 = 2 for (1, 2, 5), 5 for (1, 2, 9); (2, 3, 4) has M_2 = 3
    and (2, 2, 2) M_2 = 2, but r_1 = 2 and holes."""
    assert S.hdc_max_distances([1, 2, 5]) == [1, 2, 5]
    assert max(5 - 2 * 2, 5 - 2 * (5 - 2), 2) == 2
    assert S.hdc_max_distances([1, 2, 9])[1] == max(9 - 4, 9 - 2 * 7, 2) == 5
    assert S.hdc_max_distances([2, 3, 4])[1] == 3
    assert S.hdc_max_distances([2, 2, 2])[1] == 2 and not S.is_dense([3] * 3, [2, 2, 2])
    assert S.is_dense([3] * 3, [1, 2, 5])


def test_ch02_hdc_agrees_with_reachable():
    """Stacks of 2-4 rates up to 10 starting at 1: in increasing order M_2 <= 3 iff dense
    (285 of 285); in any order M_2 <= 3 never calls a gridded stack dense."""
    from itertools import product
    stacks = [r for n in (2, 3, 4) for r in product(range(1, 11), repeat=n) if r[0] == 1]
    ascending = [r for r in stacks if list(r) == sorted(r)]
    assert len(ascending) == 285
    assert all((S.hdc_max_distances(r)[1] <= 3) == S.is_dense([3] * len(r), r) for r in ascending)
    assert not any(S.hdc_max_distances(r)[1] <= 3 and not S.is_dense([3] * len(r), r)
                   for r in stacks)
    assert any(S.hdc_max_distances(r)[1] > 3 and S.is_dense([3] * len(r), r) for r in stacks)


def test_ch02_aspp_spans_union_and_valid_taps():
    """Section "Atrous pyramids": rates 6/12/18 (12/24/36 at output stride 8); the union of
    the branches' taps is 25 cells of 37x37; large rates degenerate toward 1x1."""
    assert [S.effective_kernel_size(3, d) for d in (6, 12, 18)] == [13, 25, 37]
    assert [2 * d for d in (6, 12, 18)] == [12, 24, 36]
    for d in (6, 12, 18):
        assert S.conv_output_size(33, 3, 1, d, d) == 33  # "same" padding keeps the map
    taps = {(0, 0)} | {(a * d, b * d) for d in (6, 12, 18) for a in (-1, 0, 1) for b in (-1, 0, 1)}
    assert len(taps) == 1 + 8 * 3 == 25
    assert (513 - 1) // 8 + 1 == 65
    n = 65

    def valid(d):
        # Count, by convolving a map of ones with a kernel of ones, the taps off the padding.
        return S.conv2d(np.ones((1, 1, n, n)), np.ones((1, 1, 3, 3)), padding=d, dilation=d)[0, 0]

    assert valid(1).mean() > 8.8
    assert round(valid(6).mean(), 2) == round((1 + 2 * 59 / 65) ** 2, 2) == 7.93
    assert round(valid(64).mean(), 2) == 1.06
    assert round(np.mean(valid(64) == 1), 2) == round((63 / 65) ** 2, 2) == 0.94


def test_ch02_cost_of_dilation_instead_of_stride():
    """Section "What dilation costs": 36%; output stride 8 vs 32 is 16x the positions
    (65x65 = 4225 vs 17x17 = 289, 14.6x, for a 513 crop)."""
    assert S.conv_macs(1, 1, 3, 1) == 9 and S.conv_macs(1, 1, 5, 1) == 25
    assert round(9 / 25 * 100) == 36
    x = np.zeros((1, 20, 20))
    assert S.im2col(x, 3, dilation=2).shape[0] == S.im2col(x, 3).shape[0] == 9
    assert (32 // 8) ** 2 == 16
    assert (16 // 8) ** 2 == 4  # output stride 16's maps are four times smaller than 8's
    fine, coarse = (513 - 1) // 8 + 1, (513 - 1) // 32 + 1
    assert (fine**2, coarse**2) == (4225, 289) and f"{fine**2 / coarse**2:.1f}" == "14.6"
    big = [((n - 1) // 8 + 1) ** 2 / ((n - 1) // 32 + 1) ** 2 for n in (1025, 2049, 8193)]
    assert big == sorted(big) and 15 < big[-1] < 16


def test_ch02_visible_check_literals():
    """The literal expectations of the exercise check cells, recomputed independently: the
    cells no output reads from unit impulses run through S.conv1d, the cheapest removals by
    trying every set of strides, the fewest dense layers from S.is_dense."""
    def unread(ks, ss, ds, n):
        """Input cells whose impulse changes no output of the stack (all-ones kernels)."""
        silent = 0
        for j in range(n):
            x = np.zeros((1, 1, n))
            x[0, 0, j] = 1.0
            for k, s, d in zip(ks, ss, ds):
                x = S.conv1d(x, np.ones((1, 1, k)), stride=s, dilation=d)
            silent += not x.any()
        return silent

    assert unread([1], [2], [1], 8) == 4
    assert unread([3], [2], [1], 8) == 1
    assert unread([1, 3], [2, 1], [1, 1], 12) == 6
    assert unread([3, 3, 3], [1, 1, 1], [2, 2, 2], 20) == 0
    assert unread([3, 3, 3], [1, 1, 1], [2, 2, 2], 13) == 6
    assert unread([3, 2], [4, 1], [1, 5], 40) == 10
    # 10^15 cells: the first layer reads cells 10^6 j and 10^6 j + 1 for each of its 10^9
    # outputs, and the second layer's windows (taps 0, 10^7, 2 10^7) cover all of them
    n, o1 = 10**15, (10**15 - 2) // 10**6 + 1
    o2 = o1 - 2 * 10**7
    assert o1 == 10**9 and o2 > 10**7 and n - 2 * o1 == 999998000000000

    def cheapest(strides, macs, factor):
        """Every set of strides whose product is factor; layer l costs macs * F_l^2."""
        costs = []
        for removed in itertools.product([False, True], repeat=len(strides)):
            if math.prod(s for s, r in zip(strides, removed) if r) == factor:
                scale = itertools.accumulate((s if r else 1 for s, r in zip(strides, removed)),
                                             operator.mul)
                costs.append(sum(m * f * f for m, f in zip(macs, scale, strict=True)))
        return min(costs)

    assert cheapest([2, 2, 2, 2, 2], [64, 16, 4, 1, 1], 4) == 104 == 64 + 16 + 4 + 4 + 16
    assert cheapest([2, 4, 2], [160, 10, 10], 4) == 480 < 4 * 160 + 4 * 10 + 16 * 10
    assert cheapest([2, 2], [5, 5], 1) == 10
    assert cheapest([5, 2, 2, 2, 2, 2, 2], [400, 200, 100, 50, 25, 12, 6], 5) == 19825
    for strides, kept, rates in [([2] * 5, [2, 2, 2, 1, 1], [1, 1, 1, 1, 2]),
                                 ([2, 1, 2, 2, 2, 1], [2, 1, 2, 2, 1, 1], [1, 1, 1, 1, 1, 2])]:
        # the text's rule: a removed stride multiplies the later rates; every field is kept
        ks = [3] * len(strides)
        for end in range(1, len(ks) + 1):
            assert S.receptive_field(ks[:end], strides=strides[:end]) == S.receptive_field(
                ks[:end], strides=kept[:end], dilations=rates[:end])
    # L layers of k taps: at most k**L offsets; rates 1, k, k**2 reach all of them
    for k, layers, field in [(3, 3, 15), (2, 10, 1024), (2, 11, 1025), (5, 0, 1)]:
        assert k ** layers >= field > (k ** (layers - 1) if layers else 0)
        if layers:
            assert S.is_dense([k] * layers, [k ** i for i in range(layers)])
    assert S.receptive_field([2] * 10, dilations=[2 ** i for i in range(10)]) == 1024


def test_ch02_exercise_references_against_brute_force():
    """The hidden checks' references of exercises 1 and 2 (a search over removed products;
    runs of read cells per residue) equal brute force on small stacks."""
    from autograder.checks.ch02_dilated import _cheapest_removal, _unread_cells
    rng = np.random.default_rng(11)
    for _ in range(300):
        layers = int(rng.integers(1, 7))
        strides = [int(v) for v in rng.choice([1, 2, 2, 3, 4], layers)]
        macs = [int(v) for v in rng.integers(1, 100, layers)]
        removed = [s for s in strides if rng.random() < 0.5]
        factor, best = math.prod(removed), None
        for pick in itertools.product([False, True], repeat=layers):
            if math.prod(s for s, r in zip(strides, pick) if r) == factor:
                scale = itertools.accumulate((s if r else 1 for s, r in zip(strides, pick)),
                                             operator.mul)
                cost = sum(m * f * f for m, f in zip(macs, scale))
                best = cost if best is None else min(best, cost)
        assert _cheapest_removal(strides, macs, factor) == best
    for _ in range(300):
        layers = int(rng.integers(1, 4))
        ks, ss, ds = ([int(v) for v in rng.integers(1, hi, layers)] for hi in (5, 5, 4))
        field = 1 + sum(d * (k - 1) * math.prod(ss[:i]) for i, (k, d) in enumerate(zip(ks, ds)))
        n = field + int(rng.integers(0, 30))
        sizes = [n]
        for k, s, d in zip(ks, ss, ds):
            sizes.append((sizes[-1] - d * (k - 1) - 1) // s + 1)
        need = np.ones(sizes[-1], bool)
        for (k, s, d), m in zip(list(zip(ks, ss, ds))[::-1], sizes[-2::-1]):
            cells = (np.flatnonzero(need)[:, None] * s + d * np.arange(k)).ravel()
            need = np.bincount(cells, minlength=m) > 0
        assert _unread_cells(ks, ss, ds, n) == n - need.sum()


def test_ch02_one_by_one_stride_two_reads_a_quarter():
    """Exercise 2's prompt: a 1x1 convolution of stride 2 never reads three of every four
    cells of its input (Bag of Tricks, Section 4, ResNet-B)."""
    n = 8
    read = np.zeros((n, n), bool)
    for i, j in itertools.product(range(n), repeat=2):
        x = np.zeros((1, 1, n, n))
        x[0, 0, i, j] = 1.0
        read[i, j] = S.conv2d(x, np.ones((1, 1, 1, 1)), stride=2).any()
    assert read.sum() * 4 == n * n


def test_ch02_equivalent_kernel_literals():
    """Exercise 3's literals: the stack run by S.conv2d equals one correlation."""
    def stack(kernels, dilations, x):
        for k, d in zip(kernels, dilations):
            x = S.conv2d(x, k[None, None], dilation=d)
        return x

    z = np.random.default_rng(8).standard_normal((1, 1, 6, 14))
    for kernels, dilations, expected in [
            ([np.ones((1, 2))] * 2, [1, 1], [[1, 2, 1]]),
            ([np.ones((1, 3))] * 2, [2, 2], [[1, 0, 2, 0, 3, 0, 2, 0, 1]]),
            ([np.array([[1.0, 2.0]]), np.array([[3.0], [4.0]])], [1, 1], [[3, 6], [4, 8]])]:
        e = np.array(expected, float)
        np.testing.assert_allclose(stack(kernels, dilations, z), S.conv2d(z, e[None, None]),
                                   atol=1e-12)


def test_ch02_in_pytorch_box():
    """The "In PyTorch" box: dilation=, padding='same', the zero-filled kernel, per-axis rates."""
    from pytorch_box import run_pytorch_box
    ns = run_pytorch_box("02_dilated")
    x, w = ns["x"].numpy(), ns["w"].numpy()
    ours = S.conv2d(x, w, dilation=2, padding=2)
    assert ns["y"].shape == (1, 3, 12, 12)
    for name in ("y", "y_same", "y_holes"):
        np.testing.assert_allclose(ns[name].numpy(), ours, atol=1e-12)
    np.testing.assert_allclose(ns["w_holes"].numpy(), S.dilate_kernel(w, 2), atol=0)
    layer = ns["layer"]
    np.testing.assert_allclose(
        ns["y_layer"].detach().numpy(),
        S.conv2d(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(),
                 dilation=(1, 3), padding=(1, 3)), atol=1e-12)


def test_ch02_two_dilated_layers_are_one_dilated_layer_with_the_full_convolution_kernel():
    """Further exercise 3: stacking two 3x3 d=2 layers = one 5x5 d=2 layer."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    x = rng.standard_normal((15, 15))
    full = corr(np.pad(a, 2), b[::-1, ::-1])  # full 2-D convolution of a and b: 5 x 5
    np.testing.assert_allclose(corr(corr(x, a, dilation=2), b, dilation=2),
                               corr(x, full, dilation=2), atol=1e-10)


def test_ch02_citations_name_their_sources():
    """WaveNet (Section 2.1, Figure 3's 2-tap kernels, "receptive field of size 1024"); HDC
    (arXiv 1702.08502, the "like 2, 4, 8" heuristic); DeepLab v3 (Sections 3.1, 3.3, 4.1,
    Figures 4 and 5, Tables 4 and 6)."""
    from chapter_text import markdown
    text = markdown("02_dilated")
    for cited in ("van den Oord et al., 2016, Section 2.1", "Figure 3",
                  "a receptive field of size 1024", "arXiv 1702.08502", '"like 2, 4, 8"',
                  "Section 3.3 and Figure 5", "Section 3.3 and its Figure 4",
                  "DeepLab v3, Section 3.1", "(Section 4.1)", "(Tables 4 and 6)",
                  "fine-tunes at output stride 8 on the PASCAL VOC trainval set (Section 4, "
                  "the paragraph on batch normalization)",
                  '"ResNet-B" tweak (He et al., 2019, "Bag of Tricks for Image '
                  'Classification with Convolutional Neural Networks", Section 4)'):
        assert cited in text, cited
    # "like 2, 4, 8": a common factor, so every reachable offset is even (holes between).
    offsets = S.reachable_offsets([3, 3, 3], [2, 4, 8])
    assert all(o % 2 == 0 for o in offsets) and max(offsets) == 14


def test_ch02_deeplab_rates_2_and_4_keep_the_field():
    """Section "What dilation costs": at output stride 8 DeepLab v3 removes the strides of
    ResNet's last two blocks and gives their layers rates 2 and 4 (Section 4); the field of
    every unit stays what it was, with 4 (then 16) times the positions."""
    # One strided 3x3 layer then one more 3x3 layer per block, the strided one first.
    strided = S.receptive_field([3, 3, 3, 3], strides=[2, 1, 2, 1])
    dilated = S.receptive_field([3, 3, 3, 3], strides=1, dilations=[1, 2, 2, 4])
    assert strided == dilated == 19
    for blocks in range(1, 4):
        ks = [3, 3] * blocks
        rates = [1] + [2**b for b in range(1, blocks) for _ in (0, 1)] + [2**blocks]
        assert S.receptive_field(ks, strides=[2, 1] * blocks) == S.receptive_field(
            ks, dilations=rates)


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_ch02_equivalent_kernel_deep_stacks_are_as_the_prompt_says(seed):
    """Exercise 3: "Some hidden stacks are 12 to 16 layers deep: one tap from each layer makes
    10^7 to 2·10^15 different chains" (the product of the kernels' sizes), while E stays small
    enough for a layer-by-layer composition."""
    from chapter_text import markdown

    from autograder.checks import SEED, cases_for, ch02_dilated
    assert ("Some hidden stacks are 12 to 16 layers deep: one tap from each layer makes "
            "$10^7$ to $2\\cdot10^{15}$ different chains") in markdown("02_dilated")
    deep = [(k, d) for k, d in cases_for("ch02.equivalent_kernel", SEED if seed is None else seed)
            if len(k) > 3]
    assert len(deep) == 6
    for kernels, dilations in deep:
        assert 12 <= len(kernels) <= 16
        assert 10**7 <= math.prod(k.size for k in kernels) <= 2 * 10**15
        assert len(ch02_dilated._equivalent_kernel(kernels, dilations)) <= 9 * 97**2
