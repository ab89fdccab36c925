"""Chapter 06 (grouped): every formula and number in its text, checked with `solutions`
and torch.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_reference import conv2d

import solutions as S


def _dependency(channels, groups):
    """D[o, c] = 1 when output o of a grouped layer reads input c."""
    ones = np.ones((channels, channels // groups, 1, 1))
    return (S.block_diagonal_weight(ones, groups)[:, :, 0, 0] != 0).astype(int)


def _shuffle_matrix(channels, groups):
    """S with S[p, order[p]] = 1: (S @ z)[p] is the channel that lands at position p."""
    return S.channel_shuffle(np.eye(channels, dtype=int)[None], groups)[0]


def test_ch06_filter_groups_halve_links_and_filters():
    """Section "Filter groups": 8 -> 8 channels, g = 1, 2, 4, 8; each doubling halves the
    filters, and g = 8 leaves one input channel per output."""
    counts = [S.conv_params(8, 8, 3, groups=g, bias=False) // 9 for g in (1, 2, 4, 8)]
    assert counts == [64, 32, 16, 8]
    assert (_dependency(8, 8) == np.eye(8)).all()


def test_ch06_alexnet_kernel_shapes_are_groups_of_two():
    """Section "Filter groups": conv2 5x5x48 (96 channels before), conv4 and conv5 3x3x192
    (384 before) are g = 2; conv3 reads all 256 maps of layer 2."""
    for c_in, c_out, depth in [(96, 256, 48), (384, 384, 192), (384, 256, 192)]:
        assert c_in // 2 == depth
        assert S.conv_params(c_in, c_out, 3, groups=2, bias=False) == c_out * depth * 9


def test_ch06_grouped_formula_and_worked_example():
    """Section "The grouped convolution": (1, 2, 3, 4), g = 2, weight [[1, 1], [1, -1]]:
    1·1 + 1·2 = 3 and 1·3 - 1·4 = -1; the dense weight [[1, 1, 0, 0], [0, 0, 1, -1]]."""
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1, 1)
    w = np.array([[1.0, 1.0], [1.0, -1.0]]).reshape(2, 2, 1, 1)
    assert 1 * 1 + 1 * 2 == 3 and 1 * 3 - 1 * 4 == -1
    np.testing.assert_array_equal(S.conv2d(x, w, groups=2).ravel(), [3, -1])
    np.testing.assert_array_equal(conv2d(x, w, groups=2).ravel(), [3, -1])
    dense = S.block_diagonal_weight(w, 2)
    np.testing.assert_array_equal(dense[:, :, 0, 0], [[1, 1, 0, 0], [0, 0, 1, -1]])
    np.testing.assert_array_equal(S.conv2d(x, dense).ravel(), [3, -1])


@pytest.mark.parametrize("c_in, c_out, g", [(8, 12, 4), (6, 6, 3), (4, 8, 2), (6, 12, 6)])
def test_ch06_output_block_j_reads_input_block_j_only(c_in, c_out, g):
    """Section "The grouped convolution": weight (C_out, C_in/g, k, k); output block j is a
    standard convolution of input block j; = dense conv with the block-diagonal weight,
    which tile + mask builds as in the text."""
    rng = np.random.default_rng(c_in * c_out + g)
    x = rng.standard_normal((1, c_in, 7, 7))
    w = rng.standard_normal((c_out, c_in // g, 3, 3))
    y = S.conv2d(x, w, groups=g)
    np.testing.assert_allclose(y, conv2d(x, w, groups=g), atol=1e-12)
    pi, po = c_in // g, c_out // g
    for j in range(g):
        np.testing.assert_allclose(y[:, j * po:(j + 1) * po],
                                   S.conv2d(x[:, j * pi:(j + 1) * pi], w[j * po:(j + 1) * po]),
                                   atol=1e-12)
    mask = np.kron(np.eye(g), np.ones((po, pi)))
    dense = mask[:, :, None, None] * np.tile(w, (1, g, 1, 1))
    np.testing.assert_array_equal(dense, S.block_diagonal_weight(w, g))
    np.testing.assert_allclose(S.conv2d(x, dense), y, atol=1e-12)
    with pytest.raises(ValueError, match="must divide"):  # g must divide both channel counts
        S.conv_params(c_in, c_out + 1, 3, groups=g)
    # only 1/g of the dense matrix is filled: C_out * C_in/g of the C_out * C_in filters
    assert mask.sum() == c_out * c_in // g == mask.size // g


@pytest.mark.parametrize("c_in, c_out, k, g, hw", [(96, 256, 5, 2, 27), (256, 256, 3, 32, 14),
                                                   (12, 8, 3, 4, 5), (64, 64, 3, 64, 56)])
def test_ch06_params_and_macs_divided_by_g_bias_not(c_in, c_out, k, g, hw):
    """Section "What groups save": params C_out(C_in/g)k^2 + C_out, MACs C_out H W (C_in/g)k^2;
    also g groups of (C_out/g)(C_in/g)k^2 weights."""
    params = S.conv_params(c_in, c_out, k, groups=g)
    assert params == c_out * (c_in // g) * k * k + c_out
    assert params == g * (c_out // g) * (c_in // g) * k * k + c_out
    macs = S.conv_macs(c_in, c_out, k, hw, groups=g)
    assert macs == c_out * hw * hw * (c_in // g) * k * k
    assert S.conv_params(c_in, c_out, k, bias=False) == g * S.conv_params(c_in, c_out, k,
                                                                            groups=g, bias=False)
    assert S.conv_macs(c_in, c_out, k, hw) == g * macs
    model = torch.nn.Conv2d(c_in, c_out, k, groups=g)
    assert sum(p.numel() for p in model.parameters()) == params


def test_ch06_alexnet_and_resnext_numbers():
    """Section "What groups save": 307,456 vs 614,656 parameters; 223,948,800 vs 447,897,600
    MACs on 27x27; ResNet bottleneck 69,632 vs ResNeXt-50 (32x4d) 70,144 weights."""
    assert 256 * 48 * 25 + 256 == S.conv_params(96, 256, 5, groups=2) == 307_456
    assert S.conv_params(96, 256, 5) == 614_656
    assert 256 * 27 * 27 * 48 * 25 == S.conv_macs(96, 256, 5, 27, groups=2) == 223_948_800
    assert S.conv_macs(96, 256, 5, 27) == 447_897_600
    # the 27x27 of the Caffe version: 227 -> conv1 11x11 s4 -> 55 -> pool 3 s2 -> 27 -> conv2
    # 5x5 with padding 2 keeps 27
    assert S.conv_output_size(227, 11, 4) == 55
    assert S.conv_output_size(55, 3, 2) == 27
    assert S.conv_output_size(27, 5, 1, 2) == 27
    resnet = 256 * 64 + S.conv_params(64, 64, 3, bias=False) + 64 * 256
    resnext = 256 * 128 + S.conv_params(128, 128, 3, groups=32, bias=False) + 128 * 256
    assert resnet == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert resnext == 256 * 128 + 128 * 4 * 9 + 128 * 256 == 70_144
    assert 128 // 32 == 4 and 128 == 2 * 64  # four channels per group, twice the channels


def test_ch06_plot_across_g():
    """Section "What groups save": 256 -> 256, 3x3, 14x14: weights and MACs fall as 1/g down to
    depthwise at g = 256; parameters level off because of the 256 biases."""
    for g in 2 ** np.arange(9):
        g = int(g)
        assert S.conv_params(256, 256, 3, groups=g, bias=False) * g == 256 * 256 * 9
        assert S.conv_macs(256, 256, 3, 14, groups=g) * g == 256 * 256 * 9 * 14 * 14
    assert S.conv_params(256, 256, 3, groups=256) == 256 * 9 + 256


def test_ch06_stacked_groups_stay_block_diagonal():
    """Section "Groups do not talk to each other": products of block-diagonal dependency
    matrices stay block diagonal, for any depth; checked against real stacked convolutions."""
    d = _dependency(12, 3)
    reach = d
    for _ in range(5):
        reach = (d @ reach > 0).astype(int)
        np.testing.assert_array_equal(reach, d)
    # perturbing one input channel of group 0 changes only group 0's outputs of a 3-layer stack
    rng = np.random.default_rng(5)
    ws = [rng.standard_normal((12, 4, 3, 3)) for _ in range(3)]
    x = rng.standard_normal((1, 12, 12, 12))
    probe = x.copy()
    probe[0, 1] += 1.0

    def stack(z):
        for w in ws:
            z = S.conv2d(z, w, padding=1, groups=3)
        return z

    changed = np.abs(stack(probe) - stack(x)).sum(axis=(0, 2, 3)) > 1e-9
    assert changed.tolist() == [True] * 4 + [False] * 8


def test_ch06_shuffle_by_hand_and_wrong_way():
    """Section "Channel shuffle": (0, 3, 1, 4, 2, 5) for g = 2, (0, 2, 4, 1, 3, 5) for g = 3;
    the (C/g, g) reshape gives (0, 2, 4, 1, 3, 5) for g = 2, a different permutation (the
    inverse, which exercise 4 asks for); torch agrees."""
    six = np.arange(6.0).reshape(1, 6, 1, 1)
    assert S.channel_shuffle(six, 2).ravel().tolist() == [0, 3, 1, 4, 2, 5]
    assert S.channel_shuffle(six, 3).ravel().tolist() == [0, 2, 4, 1, 3, 5]
    wrong = np.arange(6).reshape(3, 2).T.ravel()
    assert wrong.tolist() == [0, 2, 4, 1, 3, 5]
    assert np.argsort([0, 3, 1, 4, 2, 5]).tolist() == wrong.tolist()  # inverse permutation
    for g in (2, 3):
        shuffled = torch.nn.ChannelShuffle(g)(torch.from_numpy(six)).numpy()
        np.testing.assert_array_equal(shuffled, S.channel_shuffle(six, g))
    # the wrong way mixes as well: S^T instead of S, and the stack's dependency is transposed
    for c, g in [(6, 2), (12, 3), (8, 4), (12, 2)]:
        d, s = _dependency(c, g), _shuffle_matrix(c, g)
        np.testing.assert_array_equal(_shuffle_matrix(c, c // g), s.T)
        np.testing.assert_array_equal(d @ s.T @ d, (d @ s @ d).T)
        np.testing.assert_array_equal(d @ s.T @ d @ s.T @ d, (d @ s @ d @ s @ d).T)
    # any two neighbours come from different groups (g = 2)
    order = S.channel_shuffle(six, 2).ravel().astype(int)
    assert all(order[p] // 3 != order[p + 1] // 3 for p in range(5))


def test_ch06_shuffle_makes_the_stack_dense():
    """Section "Channel shuffle": with 12 channels in 3 groups, D·D reaches 4 inputs per output,
    D·S·D all 12; every block of the next layer sees every group iff C/g >= g; 8 channels in
    4 groups: two layers reach half (4), a third layer (second shuffle) all 8."""
    d, s = _dependency(12, 3), _shuffle_matrix(12, 3)
    assert ((d @ d > 0).sum(axis=1) == 4).all()
    assert ((d @ s @ d > 0).sum(axis=1) == 12).all()
    for c, g in [(6, 2), (12, 3), (8, 2), (8, 4), (12, 4), (16, 4), (18, 3), (12, 6)]:
        d, s = _dependency(c, g), _shuffle_matrix(c, g)
        assert ((d @ s @ d > 0).all()) == (c // g >= g), (c, g)
    d, s = _dependency(8, 4), _shuffle_matrix(8, 4)
    assert ((d @ s @ d > 0).sum(axis=1) == 4).all()
    assert (d @ s @ d @ s @ d > 0).all()


def test_ch06_depthwise_is_groups_equal_channels():
    """Section "Depthwise convolution is grouped convolution": g = C_in, weight (C_out, 1, k, k),
    multiplier C_out/C_in; C_out k^2 weights and C_out H W k^2 MACs."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 4, 9, 9))
    w = rng.standard_normal((8, 1, 3, 3))
    np.testing.assert_allclose(S.conv2d(x, w, groups=4), S.depthwise_conv2d(x, w), atol=1e-12)
    np.testing.assert_allclose(S.conv2d(x, w, groups=4), conv2d(x, w, groups=4), atol=1e-12)
    assert S.conv_params(4, 8, 3, groups=4, bias=False) == 8 * 9
    assert S.conv_macs(4, 8, 3, 7, groups=4) == 8 * 7 * 7 * 9
    assert (np.count_nonzero(S.block_diagonal_weight(np.ones((8, 1, 1, 1)), 4), axis=1) == 1).all()


def test_ch06_mobilenet_pointwise_share():
    """Section "Channel shuffle": about 95% of MobileNet's multiply-adds are 1x1 (chapter 05)."""
    from test_facts_05_depthwise_separable import _mobilenet

    _, _, separable, pointwise = _mobilenet()
    assert round(pointwise[1] / separable[1], 2) == 0.95


def _unit(c, m, g, h, w):
    """(weights, MACs) of a stride-1 ShuffleNet unit: grouped 1x1, depthwise 3x3, grouped 1x1."""
    weights = (S.conv_params(c, m, 1, groups=g, bias=False)
               + S.conv_params(m, m, 3, groups=m, bias=False)
               + S.conv_params(m, c, 1, groups=g, bias=False))
    macs = (S.conv_macs(c, m, 1, (h, w), groups=g) + S.conv_macs(m, m, 3, (h, w), groups=m)
            + S.conv_macs(m, c, 1, (h, w), groups=g))
    return weights, macs


@pytest.mark.parametrize("c, g", [(144, 1), (200, 2), (240, 3), (272, 4), (384, 8)])
def test_ch06_shufflenet_unit_cost(c, g):
    """Section "Channel shuffle": the unit's bottleneck is a quarter of its channels; its
    cost is the paper's hw(2cm/g + 9m) (stage-2 widths of ShuffleNet 1x for g = 1..8)."""
    m = c // 4
    for h, w in [(28, 28), (14, 14), (7, 7)]:
        weights, macs = _unit(c, m, g, h, w)
        assert macs == h * w * (2 * c * m // g + 9 * m) == weights * h * w
    assert _unit(240, 60, 3, 28, 28) == (10_140, 7_949_760)


def _g2(h, w, c1, c2, g):
    """(B, M) of a 1x1 conv: multiply-accumulates and memory access cost (ShuffleNet V2)."""
    return (S.conv_macs(c1, c2, 1, (h, w), groups=g),
            S.memory_access(c1, c2, 1, (h, w), (h, w), groups=g))


def test_ch06_memory_access_formula_and_table():
    """Section "Fewer MACs, not less memory traffic": B = hw c1 c2 / g, M = hw(c1 + c2) +
    c1 c2 / g; 256 -> 256 on 28x28: g = 1 gives 51,380,224 and 466,944 (110 per value), g = 32
    1,605,632 and 403,456 (4.0): 32 times fewer MACs, 14% fewer values moved."""
    for h, w, c1, c2, g in [(28, 28, 256, 256, 1), (7, 9, 12, 24, 4), (1, 1, 8, 8, 8)]:
        assert _g2(h, w, c1, c2, g) == (h * w * c1 * c2 // g, h * w * (c1 + c2) + c1 * c2 // g)
    table = {g: _g2(28, 28, 256, 256, g) for g in (1, 2, 4, 8, 16, 32)}
    assert table[1] == (51_380_224, 466_944) and table[32] == (1_605_632, 403_456)
    assert round(table[1][0] / table[1][1], 1) == 110.0
    assert round(table[32][0] / table[32][1], 1) == 4.0
    assert table[1][0] == 32 * table[32][0]
    assert round(1 - table[32][1] / table[1][1], 2) == 0.14
    ratios = [b / m for b, m in table.values()]
    assert ratios == sorted(ratios, reverse=True)


def test_ch06_g1_equal_widths_minimise_memory_access():
    """G1: for g = 1 and fixed B, M >= 2 sqrt(hw B) + B / hw, with equality at c1 = c2; the
    code cell's 128 -> 512 moves 567,296 values instead of 466,944."""
    for h, w, c in [(28, 28, 256), (14, 14, 64), (5, 3, 12)]:
        b = h * w * c * c
        bound = 2 * np.sqrt(h * w * b) + b / (h * w)
        assert np.isclose(_g2(h, w, c, c, 1)[1], bound)
        for c1 in range(1, 4 * c + 1):
            if (c * c) % c1 == 0:
                c2 = c * c // c1
                assert _g2(h, w, c1, c2, 1)[0] == b and _g2(h, w, c1, c2, 1)[1] >= bound - 1e-9
    assert _g2(28, 28, 128, 512, 1) == (51_380_224, 567_296)
    assert 28 * 28 * (128 + 512) + 128 * 512 == 567_296


def test_ch06_g2_at_fixed_flops_memory_grows_with_g():
    """G2 as the paper tests it: keep B fixed by widening the output,
    c2 = B g / (hw c1); then M = hw c1 + B g / c1 + B / hw grows with g."""
    h = w = 28
    c1, b = 256, 28 * 28 * 256 * 256
    previous = 0
    for g in (1, 2, 4, 8, 16, 32):
        c2 = b * g // (h * w * c1)
        macs, memory = _g2(h, w, c1, c2, g)
        assert macs == b
        assert memory == h * w * c1 + b * g // c1 + b // (h * w)
        assert memory > previous
        previous = memory
    assert _g2(28, 28, 256, 1024, 4)[1] == 28 * 28 * (256 + 1024) + 65_536


# ShuffleNet V2's Table 2 (Ma et al. 2018): ten stacked 1x1 layers on 56x56, total width c for
# each g, and images per second at batch size 1 (GPU, GTX 1080Ti; ARM, Snapdragon 810).
G2_TABLE = {1: (128, 2451, 64, 40.0), 2: (180, 1725, 90, 35.0), 4: (256, 1026, 128, 32.9),
            8: (360, 634, 180, 27.8)}


def test_ch06_g2_table_of_the_paper():
    """Section "Fewer MACs, not less memory traffic": in the paper's Table 2 the widths keep the
    FLOPs c^2 / g fixed (to 1.2%), M grows with g, and 8 groups run more than two times slower
    than 1 on the GPU and 30% slower on the ARM processor."""
    hw = 56 * 56
    for column in (0, 2):
        widths = {g: row[column] for g, row in G2_TABLE.items()}
        flops = [widths[g] ** 2 / g for g in widths]
        assert max(flops) / min(flops) < 1.013
        # (the ARM widths 90 and 180 are not divisible by every g: the paper's M formula, as is)
        memory = [hw * 2 * widths[g] + widths[g] ** 2 / g for g in widths]
        assert memory == sorted(memory)
    assert G2_TABLE[1][1] / G2_TABLE[8][1] > 2
    assert round(1 - G2_TABLE[8][3] / G2_TABLE[1][3], 2) == 0.30


def test_ch06_pytorch_box():
    """The "In PyTorch" box: nn.Conv2d(groups=3) and nn.ChannelShuffle(3) equal the chapter's
    grouped convolution and shuffle."""
    from pytorch_box import run_pytorch_box

    box = run_pytorch_box("06_grouped")
    conv = box["grouped"]
    assert tuple(conv.weight.shape) == (9, 2, 3, 3)
    y = S.conv2d(box["x"].numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                 groups=3)
    np.testing.assert_allclose(box["y"].detach().numpy(), y, atol=1e-10)
    np.testing.assert_allclose(box["shuffled"].detach().numpy(), S.channel_shuffle(y, 3),
                               atol=1e-10)


def test_ch06_visible_check_literals():
    """The literal expectations of the exercise check cells."""
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1, 1)
    w = np.array([[1.0, 1.0], [1.0, -1.0]]).reshape(2, 2, 1, 1)
    np.testing.assert_array_equal(S.conv2d(x, w, np.array([10.0, 20.0]), groups=2).ravel(),
                                  [13, 19])
    np.testing.assert_array_equal(S.conv2d(x, np.ones((4, 2, 1, 1)), groups=2).ravel(),
                                  [3, 3, 7, 7])
    ramp = np.stack([np.arange(16.0).reshape(4, 4), -np.arange(16.0).reshape(4, 4)])
    np.testing.assert_array_equal(S.conv2d(ramp, np.ones((2, 1, 1, 1)), stride=3, groups=2),
                                  [[[0, 3], [12, 15]], [[0, -3], [-12, -15]]])
    np.testing.assert_array_equal(S.conv2d(ramp, np.ones((2, 1, 2, 2)), dilation=3, groups=2),
                                  [[[30]], [[-30]]])
    assert 0 + 3 + 12 + 15 == 30
    # exercise 2: the outputs one channel reaches, against the dependency matrices of every
    # small ShuffleNet V2 stack (first half unchanged, branch outputs on all branch inputs,
    # concatenated and shuffled by 2 with the reference's channel_shuffle)
    from autograder.checks.ch06_grouped import _layers_to_mix, _reached

    assert (_reached(8, 1, 5), _reached(8, 1, 1), _reached(8, 3, 1)) == (4, 1, 4)
    for c in range(2, 41, 2):
        d = np.eye(c, dtype=bool)
        for units in range(1, 12):
            branch = np.repeat(d[c // 2:].any(0, keepdims=True), c // 2, 0)
            d = S.channel_shuffle(np.concatenate([d[:c // 2], branch])[None].astype(float),
                                  2)[0] > 0
            assert [_reached(c, units, ch) for ch in range(c)] == list(d.sum(0)), (c, units)
    # exercise 3: the depth, against the dependency matrices of every small stack
    assert [_layers_to_mix(*a) for a in [(12, 3), (8, 4), (16, 8), (5, 1), (6, 6)]] == [2, 3, 4,
                                                                                      1, 0]
    for c in range(1, 49):
        for g in [g for g in range(1, c + 1) if c % g == 0]:
            d, s, reach, depth = _dependency(c, g), _shuffle_matrix(c, g), None, 0
            for layers in range(1, 12):
                reach = d if reach is None else d @ s @ reach
                if (reach > 0).all():
                    depth = layers
                    break
            assert _layers_to_mix(c, g) == depth, (c, g)
    d, s = _dependency(4, 2), _shuffle_matrix(4, 2)
    np.testing.assert_array_equal(d @ d > 0, [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1],
                                              [0, 0, 1, 1]])
    assert (d @ s @ d > 0).all()


def test_ch06_layers_to_mix_against_random_dependency_matrices():
    """Exercise 3's reference, whose depth comes from the reach growing by C/g per layer,
    against the D S D ... products of random small stacks beyond the exhaustive C < 49 of
    the test above: block widths and group counts of 2-40, on either side of each other,
    and the hidden cases' kinds (group counts on a power of the block width, one off)."""
    from autograder.checks.ch06_grouped import _layers_to_mix

    rng = np.random.default_rng(18)
    pairs = [(b * g, g) for b, g in [(2, 63), (2, 64), (2, 65), (3, 26), (3, 27), (3, 28),
                                     (4, 15), (4, 16), (4, 17), (7, 49), (20, 19), (20, 21)]]
    while len(pairs) < 40:
        b, g = (int(v) for v in rng.integers(2, 41, 2))
        if b * g <= 400:
            pairs.append((b * g, g))
    for c, g in pairs:
        d, s = _dependency(c, g), _shuffle_matrix(c, g)
        reach, depth = d, 1
        while not (reach > 0).all():
            reach, depth = (d @ s @ reach > 0).astype(int), depth + 1
        assert _layers_to_mix(c, g) == depth, (c, g)
