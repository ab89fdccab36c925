"""Chapter 01 (convolution): every formula and number in its text, checked with `solutions`.

Each test names the chapter section whose claim it checks. Numbers a page
computes itself (in a code cell) are checked by executing the chapter instead
(tests/test_chapters_nbgrader.py); the claims here are the ones in prose.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from single_channel import corr

import solutions as S

X3 = np.arange(9.0).reshape(3, 3)
K2 = np.array([[0.0, 1.0], [2.0, 3.0]])


def test_ch01_sliding_kernel_worked_example():
    """Section "Sliding a kernel": 0·0+1·1+3·2+4·3 = 19, then 25, 37, 43; size n-k+1."""
    assert 0 * 0 + 1 * 1 + 3 * 2 + 4 * 3 == 19
    assert 1 * 0 + 2 * 1 + 4 * 2 + 5 * 3 == 25
    assert 3 * 0 + 4 * 1 + 6 * 2 + 7 * 3 == 37
    assert 4 * 0 + 5 * 1 + 7 * 2 + 8 * 3 == 43
    np.testing.assert_array_equal(corr(X3, K2), [[19, 25], [37, 43]])


def test_ch01_convolution_is_correlation_with_flipped_kernel():
    """Section "Convolution or cross-correlation?": true convolution flips the kernel."""
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    true_conv = np.array([[np.sum(x[i:i + 3, j:j + 2] * k[::-1, ::-1]) for j in range(6)]
                          for i in range(4)])
    np.testing.assert_allclose(corr(x, k[::-1, ::-1]), true_conv, atol=1e-12)
    assert not np.allclose(corr(x, k), true_conv)


@pytest.mark.parametrize("n, k, s, p", [(n, k, s, p) for n in range(1, 12) for k in range(1, 6)
                                        for s in (1, 2, 3) for p in range(3) if k <= n + 2 * p])
def test_ch01_output_size_formula(n, k, s, p):
    """Section "Output size": o = floor((n + 2p - k)/s) + 1, windows at 0, s, 2s, ..."""
    starts = [t for t in range(0, n + 2 * p) if t % s == 0 and t + k <= n + 2 * p]
    assert S.conv_output_size(n, k, s, p) == len(starts) == (n + 2 * p - k) // s + 1


def test_ch01_output_size_worked_example_and_padding_table():
    assert S.conv_output_size(5, 3, 2, 1) == 3  # positions 0, 2, 4
    assert S.conv_output_size(224, 7, 2, 3) == 112  # ResNet's first layer
    for n in range(3, 12):
        for k in range(1, 4):
            assert S.conv_output_size(n, k, padding="valid") == n - k + 1
            assert S.conv_output_size(n, k, padding=k - 1) == n + k - 1  # full
            if k % 2:
                assert S.conv_output_size(n, k, padding=(k - 1) // 2) == n  # same
            assert S.conv_output_size(n, k, padding="same") == n


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_ch01_same_padding_even_kernel_extra_zero_bottom_right_and_no_stride():
    x = np.random.default_rng(1).standard_normal((1, 1, 6, 6))
    w = np.random.default_rng(2).standard_normal((1, 1, 4, 4))
    ours = S.conv2d(x, w, padding="same")
    explicit = S.conv2d(np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2))), w)
    np.testing.assert_allclose(ours, explicit, atol=1e-12)
    np.testing.assert_allclose(ours, F.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                              padding="same").numpy(), atol=1e-12)
    with pytest.raises(RuntimeError):
        F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding="same", stride=2)
    with pytest.raises(ValueError):
        S.conv2d(x, w, padding="same", stride=2)


def test_ch01_keeping_the_size_at_a_stride_takes_padding_that_grows_with_n():
    """Section "Output size": at stride s > 1 an output of n windows needs
    (s - 1)(n - 1) + k - 1 zeros in all (split any way), one zero less gives n - 1 windows."""
    for s in (2, 3, 4):
        for k in range(1, 8):
            for n in range(1, 40):
                total = (s - 1) * (n - 1) + k - 1
                assert (n + total - k) // s + 1 == n
                if total:
                    assert (n + total - 1 - k) // s + 1 == n - 1
                if total % 2 == 0:
                    assert S.conv_output_size(n, k, s, total // 2) == n


def test_ch01_strided_output_is_every_sth_stride1_output():
    """Section "Output size": the stride-s windows are a subset of the stride-1 windows."""
    x = np.arange(25.0).reshape(5, 5)
    padded = np.pad(x, 1)
    np.testing.assert_array_equal(corr(padded, np.ones((3, 3)))[::2, ::2],
                                  corr(x, np.ones((3, 3)), stride=2, padding=1))
    np.testing.assert_array_equal(corr(x, np.ones((3, 3)), stride=2, padding=1),
                                  [[12, 27, 24], [63, 108, 81], [72, 117, 84]])


def test_ch01_channels_worked_example():
    """Section "Channels": 19 + 37 = 56; the output [[56, 72], [104, 120]]."""
    x = np.stack([X3, np.arange(1.0, 10.0).reshape(3, 3)])
    w = np.stack([K2, np.array([[1.0, 2.0], [3.0, 4.0]])])[None]
    assert 1 * 1 + 2 * 2 + 4 * 3 + 5 * 4 == 37
    np.testing.assert_array_equal(S.conv2d(x, w)[0], [[56, 72], [104, 120]])
    np.testing.assert_array_equal(S.conv2d(x, w, np.array([1.0]))[0], [[57, 73], [105, 121]])


def test_ch01_layer_cost_numbers():
    """Section "What a layer costs": 432 weights / 448 parameters; ResNet-34's conv3_x 3x3."""
    assert S.conv_params(3, 16, 3, bias=False) == 432
    assert S.conv_params(3, 16, 3) == 448
    assert S.conv_macs(3, 16, 3, 1) == 432
    # conv3_x's first 3x3: 64 -> 128 channels, stride 2, 56x56 -> 28x28, no bias.
    assert S.conv_output_size(56, 3, 2, 1) == 28
    assert S.conv_params(64, 128, 3, bias=False) == 73_728
    macs = S.conv_macs(64, 128, 3, 28)
    assert macs == 57_802_752 and f"{macs / 1e6:.1f}" == "57.8"
    # "makes both four times larger (the biases do not grow)"
    assert S.conv_params(64, 128, 6, bias=False) == 4 * S.conv_params(64, 128, 3, bias=False)
    assert S.conv_params(64, 128, 6) != 4 * S.conv_params(64, 128, 3)
    assert S.conv_macs(64, 128, 6, 28) == 4 * S.conv_macs(64, 128, 3, 28)


def test_ch01_resnet_layers_of_the_text_exist():
    """ResNet-34's sizes (He et al. 2016, table 1): stem 224 -> 112 (7x7, stride 2), max pool
    -> 56 (conv2_x, 64 channels); conv3_x opens with a stride-2 3x3, 64 -> 128, so 56 -> 28."""
    stem = S.conv_output_size(224, 7, 2, 3)
    pooled = S.conv_output_size(stem, 3, 2, 1)
    assert (stem, pooled) == (112, 56)
    assert S.conv_output_size(pooled, 3, 2, 1) == 28
    assert S.conv_params(3, 64, 7, bias=False) == 9408
    assert S.conv_macs(3, 64, 7, 112) == 118_013_952


@pytest.mark.parametrize("s", [1, 2, 3, 4])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7])
def test_ch01_tensorflow_same_padding(k, s):
    """Section "Output size": TF's 'SAME' keeps ceil(n/s) with the least padding, extra zero
    at the bottom/right; at stride 1 it is PyTorch's 'same'."""
    for n in range(1, 30):
        before, after = S.tf_same_padding(n, k, s)
        total = before + after
        assert total == max((-(-n // s) - 1) * s + k - n, 0)
        assert before == total // 2 and after - before in (0, 1)
        assert n + total >= k and (n + total - k) // s + 1 == -(-n // s)
        if total:  # one zero less and the last window no longer fits
            assert n + total - 1 < k or (n + total - 1 - k) // s + 1 < -(-n // s)
        if s == 1 and n >= k:
            x = np.random.default_rng(n).standard_normal((1, 1, n, n))
            w = np.ones((1, 1, k, k))
            np.testing.assert_allclose(
                S.conv2d(np.pad(x, ((0, 0), (0, 0), (before, after), (before, after))), w),
                S.conv2d(x, w, padding="same"), atol=1e-12)


def test_ch01_tensorflow_same_examples():
    """ResNet's stem: TF pads 111*2 + 7 - 224 = 5 (2 + 3), PyTorch 3 + 3; both give 112, shifted."""
    assert 111 * 2 + 7 - 224 == 5
    assert S.tf_same_padding(224, 7, 2) == (2, 3)
    assert S.conv_output_size(224, 7, 2, 3) == 112
    assert [S.tf_same_padding(n, 3, 2) for n in (5, 6, 7, 8)] == [(1, 1), (0, 1), (1, 1), (0, 1)]
    x = np.random.default_rng(5).standard_normal((1, 1, 224, 224))
    w = np.random.default_rng(6).standard_normal((1, 1, 7, 7))
    tf = S.conv2d(np.pad(x, ((0, 0), (0, 0), (2, 3), (2, 3))), w, stride=2)
    pt = S.conv2d(x, w, stride=2, padding=3)
    assert tf.shape == pt.shape == (1, 1, 112, 112)
    assert not np.allclose(tf, pt)
    # The windows sit one cell apart: TF's output is PyTorch's on an input shifted by one.
    shifted = S.conv2d(np.pad(x, ((0, 0), (0, 0), (3, 3), (3, 3)))[..., 1:, 1:], w, stride=2)
    np.testing.assert_allclose(tf, shifted[..., :112, :112], atol=1e-10)


def test_ch01_notation_true_convolution_is_ast():
    """Notation: the book writes \\ast for true convolution; \\star appears only where the
    text says other books use it."""
    from pytorch_box import CHAPTERS
    text = (CHAPTERS / "01_convolution" / "01_convolution.ipynb").read_text()
    assert "\\\\ast" in text
    assert text.count("\\\\star") == 1 and "some texts use $\\\\star$" in text


def test_ch01_im2col_matrix_of_the_text():
    """Section "im2col": the 4x4 column matrix and vec(K)^T X_col = [19, 25, 37, 43]."""
    cols = S.im2col(X3[None], 2)
    np.testing.assert_array_equal(cols, [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])
    np.testing.assert_array_equal(K2.reshape(-1) @ cols, [19, 25, 37, 43])
    # "each input value is copied into up to k_h k_w columns"
    big = S.im2col(np.arange(49.0).reshape(1, 7, 7), 3)
    counts = np.bincount(big.astype(int).ravel())
    assert counts.max() == 9


def test_ch01_visible_check_literals():
    """The literal expectations of the exercise check cells, from `solutions` or brute force."""
    def sizes(o, k, s, p):
        found = [n for n in range(1, 400) if k <= n + 2 * p and S.conv_output_size(n, k, s, p) == o]
        return min(found), max(found)

    assert sizes(4, 3, 1, 0) == (6, 6)
    assert sizes(3, 3, 2, 1) == (5, 6)
    assert sizes(112, 7, 2, 3) == (223, 224)
    x2 = np.stack([X3, np.arange(1.0, 10.0).reshape(3, 3)])
    w2 = np.stack([K2, np.array([[1.0, 2.0], [3.0, 4.0]])])[None]
    np.testing.assert_array_equal(S.conv2d(np.stack([x2, 2 * x2]), w2, np.array([1.0]))[:, 0, 0, 0],
                                  [57, 113])
    ones = np.ones((1, 1, 4, 4))
    np.testing.assert_array_equal(S.conv2d(ones, np.ones((1, 1, 3, 3)), padding=1)[0, 0],
                                  [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])
    assert S.conv2d(np.ones((3, 1, 5, 6)), np.ones((2, 1, 1, 3)), stride=2).shape == (3, 2, 3, 2)
    assert (S.conv_params(64, 128, 3, bias=False), S.conv_macs(64, 128, 3, 28)) == (73728, 57802752)
    assert (S.conv_params(3, 16, 3), S.conv_macs(3, 16, 3, S.conv_output_size(6, 3))) == (448, 6912)

    def counts(n, k, s, p):
        # A window's count per input cell: the transposed convolution of ones with ones.
        o = S.conv_output_size(n, k, s, p)
        full = S.conv_transpose2d(np.ones((1, 1, 1, o)), np.ones((1, 1, 1, k)), stride=s)[0, 0, 0]
        return np.pad(full, (0, n + 2 * p - full.size))[p:p + n]

    assert counts(5, 3, 1, 0).tolist() == [1, 2, 3, 2, 1]
    assert counts(5, 3, 2, 1).tolist() == [1, 2, 1, 2, 1]
    assert counts(6, 1, 2, 0).tolist() == [1, 0, 1, 0, 1, 0]
    x = np.arange(9.0).reshape(1, 3, 3)
    np.testing.assert_array_equal(S.im2col(x, 2, stride=2, padding=1),
                                  [[0, 0, 0, 4], [0, 0, 3, 5], [0, 1, 0, 7], [0, 2, 6, 8]])
    assert S.im2col(np.concatenate([x, 10 * x]), (1, 2)).shape == (4, 6)


def test_ch01_in_pytorch_box():
    """The "In PyTorch" box: F.conv2d, nn.Conv2d(padding='same') and F.unfold match `solutions`."""
    from pytorch_box import run_pytorch_box
    ns = run_pytorch_box("01_convolution")
    x, w, b = ns["x"].numpy(), ns["w"].numpy(), ns["b"].numpy()
    np.testing.assert_allclose(ns["y"].numpy(), S.conv2d(x, w, b, stride=2, padding=1), atol=1e-12)
    assert ns["y"].shape == (2, 4, 5, 5)
    np.testing.assert_allclose(ns["y_same"].detach().numpy(),
                               S.conv2d(x, ns["layer"].weight.detach().numpy(), padding=1),
                               atol=1e-12)
    assert ns["y_same"].shape == (2, 4, 9, 9)
    np.testing.assert_allclose(ns["cols"].numpy(), S.im2col(x, 3, stride=2, padding=1), atol=0)
    assert ns["cols"].shape == (2, 27, 25)
    np.testing.assert_allclose(ns["y_cols"].numpy(), ns["y"].numpy(), atol=1e-12)


def test_ch01_resnet_layers_match_their_sources():
    """Section "What a layer costs": conv3_1 (He et al. 2016, Table 1: downsampling by conv3_1,
    conv4_1, conv5_1 with stride 2; Section 3.4: batch normalization after every convolution)
    as torchvision builds it, bias=False; the stem Conv2d(3, 64, 7, stride 2, padding 3)."""
    from chapter_text import markdown
    text = markdown("01_convolution")
    assert "(`conv3_1` in Table 1 of He et al., 2016" in text and "Section 3.4" in text
    assert "torchvision's `resnet34`" in text and "`bias=False`" in text
    assert "`Conv2d(3, 64, kernel_size=7, stride=2, padding=3)`" in text
    conv3_1 = torch.nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)
    assert conv3_1.bias is None and conv3_1.weight.numel() == 73_728
    assert conv3_1(torch.zeros(1, 64, 56, 56)).shape == (1, 128, 28, 28)
    stem = torch.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3)
    assert stem(torch.zeros(1, 3, 224, 224)).shape == (1, 64, 112, 112)


def test_ch01_vgg_three_3x3_layers_against_one_7x7():
    """Section "What a layer costs": Simonyan and Zisserman (2015, Section 2.3): three 3x3 layers
    see 7x7 with 27C² weights; one 7x7 layer needs 49C², "81% more"."""
    from chapter_text import markdown
    assert ("(Simonyan & Zisserman, ICLR 2015, Section 2.3; arXiv preprint 2014)"
            in markdown("01_convolution"))
    assert S.receptive_field([3, 3, 3]) == 7
    for c in (1, 64, 512):
        stack = 3 * S.conv_params(c, c, 3, bias=False)
        single = S.conv_params(c, c, 7, bias=False)
        assert (stack, single) == (27 * c * c, 49 * c * c)
        assert f"{single / stack - 1:.0%}" == "81%"


def test_ch01_im2col_as_the_frameworks_describe_it():
    """Section "im2col": Caffe's BaseConvolutionLayer::forward_cpu_gemm (conv_im2col_cpu, then
    caffe_cpu_gemm per group) and the tf.nn.conv2d docs (flatten the filter, extract patches,
    right-multiply) are one matrix product of the flattened weight and the columns."""
    from chapter_text import markdown
    text = markdown("01_convolution")
    assert "Caffe's convolution layer runs `im2col` and then one GEMM" in text
    assert "TensorFlow's documentation of `tf.nn.conv2d`" in text
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    cols = S.im2col(x, (3, 2), stride=2, padding=1)            # (N, C*kh*kw, positions)
    flat = (w.reshape(4, -1) @ cols).reshape(2, 4, 4, 4)
    np.testing.assert_allclose(flat, S.conv2d(x, w, stride=2, padding=1), atol=1e-12)


def test_ch01_dense_to_convolution_counts_and_toeplitz():
    """Section "From a fully connected layer to a convolution": n = 8, k = 3, o = 6 gives 48,
    18 and 3 weights; the shared (Toeplitz) matrix is S.conv_matrix's, and in 2-D the counts
    are C_out o^2 C_in n^2, C_out o^2 C_in k^2 and C_out C_in k^2 (the last S.conv_params)."""
    n, k = 8, 3
    o = S.conv_output_size(n, k)
    assert (o * n, o * k, k) == (48, 18, 3)
    kernel = np.array([1.0, -2.0, 3.0])
    matrix = S.conv_matrix((1, 1, n), kernel[None, None, None])
    x = np.random.default_rng(3).standard_normal(n)
    np.testing.assert_allclose(matrix @ x,
                               S.conv2d(x[None, None, None], kernel[None, None, None]).ravel())
    assert S.conv_params(3, 64, 7, bias=False) == 64 * 3 * 49


def test_ch01_equivariance_stride_and_pooling():
    """Section "Translation equivariance": stride 1 commutes with every shift, stride 2 and a
    stride-2 max pool only with even shifts; the alternating signal aliases to +1 and -1, and
    the [1/2, 1/2] blur removes it."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(64)
    k = np.array([1.0, 2.0, 1.0]) / 4

    def conv(v, s):
        return S.conv1d(v[None, None], k[None, None], stride=s)[0, 0]

    def pool(v):
        return S.max_pool2d(v[None, None, None], (1, 2))[0, 0, 0]

    for t in (1, 2, 3):
        np.testing.assert_allclose(conv(x[t:], 1), conv(x, 1)[t:])
    np.testing.assert_allclose(conv(x[2:], 2), conv(x, 2)[1:len(conv(x[2:], 2)) + 1])
    assert np.abs(conv(x[1:], 2) - conv(x, 2)[:len(conv(x[1:], 2))]).max() > 0.5
    np.testing.assert_allclose(pool(x[2:]), pool(x)[1:])
    assert np.abs(pool(x[1:]) - pool(x)[:len(pool(x[1:]))]).max() > 0.5
    alternating = np.array([1.0, -1.0] * 8)
    assert set(alternating[::2]) == {1.0} and set(alternating[1:][::2]) == {-1.0}
    assert not np.any(np.convolve(alternating, [0.5, 0.5], mode="valid"))


def test_ch01_new_visible_check_literals():
    """Exercises 2 and 4: the useful weights counted cell by cell from S.conv2d's windows, and
    the output shifts checked on random inputs through S.conv1d and S.max_pool2d."""
    def useful(c_in, c_out, n, k, s=1, p=0):
        # a weight is useful where its window position holds a real cell: count the ones
        ones = np.pad(np.ones((n, n)), p)
        o = S.conv_output_size(n, k, s, p)
        local = sum(ones[i * s:i * s + k, j * s:j * s + k].sum()
                    for i in range(o) for j in range(o))
        # a shared tap is useful where some window puts it on a real cell
        taps = {(a, b) for i in range(o) for j in range(o) for a in range(k) for b in range(k)
                if ones[i * s + a, j * s + b]}
        return c_out * o * o * c_in * n * n, c_out * c_in * int(local), c_out * c_in * len(taps)

    assert useful(1, 1, 8, 3) == (2304, 324, 9)
    assert useful(1, 1, 2, 7, p=3)[2] == 9
    assert useful(1, 1, 4, 3, p=1)[1] == 100
    assert useful(3, 64, 224, 7, 2, 3)[2] == 9408
    x = np.random.default_rng(9).standard_normal(40)

    def stack(v, layers):
        for k, s in layers:
            v = S.conv1d(v[None, None], np.ones((1, 1, k)), stride=s)[0, 0]
        return v

    for layers, t, moved in [([(3, 1)], 1, 1), ([(3, 2)], 2, 1), ([(3, 2), (3, 3)], 6, 1),
                             ([(3, 2)], 1, None), ([(3, 2), (3, 3)], 2, None)]:
        a, b = stack(x, layers), stack(x[t:], layers)
        if moved is None:
            assert np.abs(b - a[:len(b)]).max() > 1e-3
        else:
            np.testing.assert_allclose(b, a[moved:moved + len(b)])


def test_ch01_useful_weights_literals_and_closed_form():
    """Exercise 2 in 1-D: the visible literals counted window by window and tap by tap; the
    hidden check's closed form (arithmetic series between the windows where the overlap
    changes shape) equal to that count on every small layer, and the billion-window literal
    equal to a second closed form: o k cells less the padding zeros read at each end."""
    from autograder.checks.ch01_convolution import _useful_weights

    def counted(n, k, s=1, p=0):
        o = (n + 2 * p - k) // s + 1
        pairs = {(t, a) for t in range(o) for a in range(k) if 0 <= t * s - p + a < n}
        return len(pairs), len({a for _, a in pairs})

    assert counted(8, 3) == (18, 3) and counted(4, 3, p=1)[0] == 10
    assert counted(224, 7, 2, 3)[1] * 3 * 64 == 1344 and counted(2, 7, p=3)[1] == 3
    assert counted(3, 5, 4, 3) == (4, 4)
    for n, k, s, p in itertools.product(range(1, 13), range(1, 13), range(1, 7), range(0, 14)):
        if k <= n + 2 * p:
            assert _useful_weights(1, 1, n, k, s, p) == counted(n, k, s, p), (n, k, s, p)

    def zeros_read(o, s, c, k):  # sum over t < o of min(k, max(0, c - s t))
        full = min(o, max(0, (c - k) // s + 1)) if c >= k else 0
        positive = min(o, max(0, (c - 1) // s + 1)) if c > 0 else 0
        m = positive - full
        return k * full + m * c - s * ((full + positive - 1) * m // 2)

    n, k, s, p = 10**12, 10**9 + 7, 999, 6 * 10**8
    o = (n + 2 * p - k) // s + 1
    local = o * k - zeros_read(o, s, p, k) - zeros_read(o, s, (o - 1) * s - p + k - n, k)
    assert (local, k) == _useful_weights(1, 1, n, k, s, p) == (1000840848164564408, 1000000007)
    assert local < 2**63 and o > 10**9
    assert _useful_weights(1, 1, 10**12, 3, 1, 1)[0] == 2999999999998


def _lengths_counted_forward(layers, over, limit):
    """Exercise 1 by its definition: every length run through the output-size formula."""
    total = 0
    for n in range(1, limit + 1):
        for (k, s, p), w in zip(layers, over):
            if n + 2 * p < k or (n + 2 * p - k) % s > w:
                break
            n = (n + 2 * p - k) // s + 1
        else:
            total += 1
    return total


def test_ch01_lengths_within_reference_against_running_every_length():
    """The hidden check's digit count equals the count by definition on 2,000 small stacks,
    padding up to k (shortest lengths with no window) and bounds up to the stride."""
    from autograder.checks.ch01_convolution import _within
    rng = np.random.default_rng(11)
    for _ in range(2000):
        layers = []
        for _ in range(int(rng.integers(1, 5))):
            k = int(rng.integers(1, 8))
            layers.append((k, int(rng.integers(1, 5)), int(rng.integers(0, k + 1))))
        over = [int(rng.integers(0, s + 1)) for _, s, _ in layers]
        limit = int(rng.integers(0, 300))
        assert _within(layers, over, limit) == _lengths_counted_forward(layers, over, limit)


def test_ch01_lengths_within_visible_literals_and_sizes_of_the_prompt():
    """Exercise 1's visible cases by definition; and the prompt's sizes (limit 10^18, a
    strides' product of 10^14, more than 10^9 combinations of cells over) are the hidden
    cases' sizes."""
    import math

    from pytorch_box import CHAPTERS

    from autograder.checks import cases_for
    assert _lengths_counted_forward([(3, 2, 1)], [1], 10) == 10
    assert _lengths_counted_forward([(5, 4, 0)], [2], 20) == 12
    assert _lengths_counted_forward([(3, 2, 0), (3, 3, 0)], [1, 0], 50) == 16
    assert _lengths_counted_forward([(3, 2, 1), (3, 3, 1)], [1, 1], 50) == 34
    text = (CHAPTERS / "01_convolution" / "01_convolution.ipynb").read_text()
    assert "`limit` may be $10^{18}$, the strides' product\\n" in text
    assert "$10^{14}$, and the bounds may let more than $10^{9}$ combinations" in text
    for cases in (cases_for("ch01.lengths_within"), cases_for("ch01.lengths_within", 1),
                  cases_for("ch01.lengths_within", 2)):
        big = [c for c in cases if len(c[0]) == 4 and min(s for _, s, _ in c[0]) >= 1000]
        assert len(big) >= 10
        assert all(math.prod(min(w, s - 1) + 1 for w, (_, s, _) in zip(over, layers)) > 10**9
                   for layers, over, _ in big)
        assert max(math.prod(s for _, s, _ in layers) for layers, _, _ in big) > 10**14
        assert max(limit for _, _, limit in cases) > 10**17
        assert all(limit <= 10**18 for _, _, limit in cases)
