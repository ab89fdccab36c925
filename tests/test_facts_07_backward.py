"""Chapter 07 (backward): every formula and number in its text, checked with `solutions` and torch.

Each test names the chapter section whose claim it checks. The index-level formulas are
written out as loops here and compared with the reference gradients, with torch's autograd,
and with central differences.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pytorch_box import run_pytorch_box
from single_channel import corr

import solutions as S

X = np.arange(9.0).reshape(3, 3)
W = np.array([[0.0, 1.0], [2.0, 3.0]])
DY = np.array([[1.0, -1.0], [2.0, 0.0]])


def _loop_gradients(x, w, dy, s, p, d, g):
    """The chapter's three formulas, index by index (groups: channel j*C_in/g + c')."""
    n_img, c_in, h, wd = x.shape
    c_out, c_in_g, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    per_out = c_out // g
    for n, o, i, j in np.ndindex(dy.shape):
        first = (o // per_out) * c_in_g
        for c, a, b in np.ndindex(c_in_g, kh, kw):
            u, v = s * i + d * a, s * j + d * b
            dw[o, c, a, b] += dy[n, o, i, j] * xp[n, first + c, u, v]
            dxp[n, first + c, u, v] += dy[n, o, i, j] * w[o, c, a, b]
    return dxp[:, :, p:p + h, p:p + wd], dw, dy.sum(axis=(0, 2, 3))


def _torch_gradients(x, w, bias, dy, s, p, d, g):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, bias))
    torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p, dilation=d,
                               groups=g).backward(torch.tensor(dy))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def test_ch07_running_example():
    """Sections "One layer" to "input gradient": Y, dB = 2, dW, dX and their hand sums."""
    np.testing.assert_array_equal(corr(X, W), [[19, 25], [37, 43]])
    assert 1 - 1 + 2 + 0 == 2
    assert 1 * 0 + (-1) * 1 + 2 * 3 + 0 * 4 == 5
    assert 1 * 3 + (-1) * 2 + 2 * 1 + 0 * 0 == 3
    dx, dw, db = _loop_gradients(X[None, None], W[None, None], DY[None, None], 1, 0, 1, 1)
    np.testing.assert_array_equal(db, [2])
    np.testing.assert_array_equal(dw[0, 0], [[5, 7], [11, 13]])
    np.testing.assert_array_equal(dx[0, 0], [[0, 1, -1], [2, 3, -3], [4, 6, 0]])
    np.testing.assert_allclose(S.conv2d_grad_weight(X[None, None], (1, 1, 2, 2), DY[None, None]),
                               dw)
    np.testing.assert_allclose(S.conv2d_grad_input((1, 1, 3, 3), W[None, None], DY[None, None]),
                               dx)
    # dW is the forward pass with dY as the kernel; dX the full true convolution of dY and W.
    np.testing.assert_array_equal(corr(X, DY), dw[0, 0])
    np.testing.assert_array_equal(corr(np.pad(DY, 1), W[::-1, ::-1]), dx[0, 0])
    # and both are what a loss with this dY really has: L = sum(dY * Y)
    np.testing.assert_allclose(S.numerical_gradient(lambda w: np.sum(DY * corr(X, w)), W),
                               dw[0, 0], atol=1e-8)
    np.testing.assert_allclose(S.numerical_gradient(lambda x: np.sum(DY * corr(x, W)), X),
                               dx[0, 0], atol=1e-8)


CONFIGS = [  # (N, C_in, C_out, H, W, kh, kw, stride, padding, dilation, groups)
    (2, 4, 6, 9, 8, 3, 2, 2, 1, 2, 2),
    (3, 3, 2, 7, 10, 2, 3, 3, 2, 1, 1),
    (1, 6, 3, 8, 8, 3, 3, 2, 1, 1, 3),
    (2, 2, 2, 6, 5, 1, 2, 2, 0, 3, 2),
    (1, 1, 1, 11, 7, 4, 3, 3, 0, 2, 1),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_ch07_index_formulas_match_reference_and_autograd(config):
    """The dB, dW, dX formulas (with batch, stride, padding, dilation, groups)."""
    n, c_in, c_out, h, wd, kh, kw, s, p, d, g = config
    rng = np.random.default_rng(sum(config))
    x = rng.standard_normal((n, c_in, h, wd))
    w = rng.standard_normal((c_out, c_in // g, kh, kw))
    bias = rng.standard_normal(c_out)
    y = S.conv2d(x, w, bias, stride=s, padding=p, dilation=d, groups=g)
    dy = rng.standard_normal(y.shape)
    loops = _loop_gradients(x, w, dy, s, p, d, g)
    auto = _torch_gradients(x, w, bias, dy, s, p, d, g)
    reference = (S.conv2d_grad_input(x.shape, w, dy, stride=s, padding=p, dilation=d, groups=g),
                 S.conv2d_grad_weight(x, w.shape, dy, stride=s, padding=p, dilation=d, groups=g),
                 dy.sum(axis=(0, 2, 3)))
    for mine, theirs, ref in zip(loops, auto, reference):
        np.testing.assert_allclose(mine, theirs, atol=1e-10)
        np.testing.assert_allclose(ref, theirs, atol=1e-10)
    # dX = conv_transpose2d(dY, W) with the same s, p, d and output_padding r per axis
    r = tuple((size + 2 * p - d * (k - 1) - 1) % s for size, k in ((h, kh), (wd, kw)))
    np.testing.assert_allclose(S.conv_transpose2d(dy, w, stride=s, padding=p, output_padding=r,
                                                  groups=g, dilation=d), loops[0], atol=1e-10)
    # the stamps cover (o - 1)s + d(k - 1) + 1 = n + 2p - r cells of the padded input
    for size, k, o, rem in ((h, kh, y.shape[2], r[0]), (wd, kw, y.shape[3], r[1])):
        assert (o - 1) * s + d * (k - 1) + 1 == size + 2 * p - rem


def test_ch07_stride_and_dilation_trade_places_and_the_crop():
    """Section "weight gradient": dY acts as a kernel dilated by s, moved with stride d; it fits
    k + floor(r/d) times, the first k being dW. Example n=8, k=3, s=2, p=1: o=4, r=1, 4 fits."""
    rng = np.random.default_rng(7)
    for n, k, s, p, d in [(8, 3, 2, 1, 1), (5, 3, 2, 0, 1), (11, 2, 3, 1, 2), (9, 3, 2, 2, 2)]:
        o = S.conv_output_size(n, k, s, p, d)
        r = (n + 2 * p - d * (k - 1) - 1) % s
        x, dy = rng.standard_normal((n, n)), rng.standard_normal((o, o))
        swapped = corr(np.pad(x, p), dy, stride=d, dilation=s)
        assert swapped.shape == (k + r // d,) * 2
        np.testing.assert_allclose(swapped[:k, :k], S.conv2d_grad_weight(
            x[None, None], (1, 1, k, k), dy[None, None], stride=s, padding=p, dilation=d)[0, 0],
            atol=1e-10)
    assert S.conv_output_size(8, 3, 2, 1) == 4 and (8 + 2 - 3) % 2 == 1
    assert S.conv_output_size(5, 3, 2) == 2 and 5 - (2 * (2 - 1) + 1) + 1 == 3  # the panel


def test_ch07_gather_view_and_output_padding_example():
    """Section "input gradient": stride 1 = full true convolution; stride s = zero insertion
    first; k=3, s=2, p=1 maps 5 and 6 to 3 (r = 0 and 1), so output_padding 0 or 1."""
    rng = np.random.default_rng(8)
    dy, w = rng.standard_normal((4, 5)), rng.standard_normal((3, 2))
    full = corr(np.pad(dy, ((2, 2), (1, 1))), w[::-1, ::-1])
    np.testing.assert_allclose(S.conv2d_grad_input((1, 1, 6, 6), w[None, None],
                                                   dy[None, None])[0, 0], full, atol=1e-12)
    spread = S.insert_zeros(dy, 1)
    strided = corr(np.pad(spread, ((2, 2), (1, 1))), w[::-1, ::-1])
    np.testing.assert_allclose(S.conv2d_grad_input((1, 1, 9, 10), w[None, None], dy[None, None],
                                                   stride=2)[0, 0], strided, atol=1e-12)
    for n, r in ((5, 0), (6, 1)):
        assert S.conv_output_size(n, 3, 2, 1) == 3 and (n + 2 - 3) % 2 == r
        assert S.conv_transpose_output_size(3, 3, 2, 1, r) == n
    assert S.conv_transpose_output_size(3, 3, 2, 1, 0) == 5  # the panel's start


def test_ch07_groups_keep_gradients_inside():
    """Section "groups": dY of group j changes only group j's dX; dW's grouped shape."""
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((2, 6, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    dy = np.zeros((2, 4, 3, 3))
    dy[:, 2:] = rng.standard_normal((2, 2, 3, 3))  # gradient only in group 1's outputs
    dx = S.conv2d_grad_input(x.shape, w, dy, groups=2)
    assert not dx[:, :3].any() and dx[:, 3:].any()
    dw = S.conv2d_grad_weight(x, w.shape, dy, groups=2)
    assert dw.shape == w.shape and not dw[:2].any()


def test_ch07_in_pytorch_box():
    """The "In PyTorch" box: autograd's grads equal conv2d_input / conv2d_weight / dy.sum."""
    ns = run_pytorch_box("07_backward")
    x, w, dy = ns["x"], ns["w"], ns["dy"]
    assert torch.allclose(x.grad, ns["dx"])
    assert torch.allclose(w.grad, ns["dw"]) and torch.allclose(ns["b"].grad, ns["db"])
    args = dict(stride=2, padding=1, dilation=2, groups=2)
    np.testing.assert_allclose(S.conv2d_grad_input(tuple(x.shape), w.detach().numpy(),
                                                   dy.numpy(), **args), ns["dx"].detach().numpy(),
                               atol=1e-10)
    np.testing.assert_allclose(S.conv2d_grad_weight(x.detach().numpy(), tuple(w.shape),
                                                    dy.numpy(), **args), ns["dw"].detach().numpy(),
                               atol=1e-10)


def test_ch07_taylor_errors_and_step_sizes():
    """Section "Checking gradients": errors ε f''/2 and ε² f'''/6; u = 2^-53; best steps."""
    e, eps = np.exp(1.0), 1e-3
    one_sided = (np.exp(1 + eps) - e) / eps - e
    central = (np.exp(1 + eps) - np.exp(1 - eps)) / (2 * eps) - e
    assert one_sided == pytest.approx(eps * e / 2, rel=1e-3)
    assert central == pytest.approx(eps**2 * e / 6, rel=1e-3)
    u = 2.0**-53
    assert u == np.finfo(float).eps / 2 and f"{u:.1e}" == "1.1e-16"
    assert f"{u ** (1 / 3):.0e}" == "5e-06" and f"{u ** 0.5:.0e}" == "1e-08"
    # the chapter's measurement on exp at 1
    steps = np.logspace(-13, -1, 49)
    best_one = steps[np.abs((np.exp(1 + steps) - e) / steps - e).argmin()]
    best_central = steps[np.abs((np.exp(1 + steps) - np.exp(1 - steps)) / (2 * steps)
                                - e).argmin()]
    assert 1e-9 <= best_one <= 1e-7 and 1e-6 <= best_central <= 1e-4


def test_ch07_directional_check_and_adjoint():
    """A random direction: (L(W+εV) - L(W-εV))/2ε = <dW, V> for the quadratic loss; and
    further exercise 3, <X ⋆ W, dY> = <W, X ⋆ dY>."""
    rng = np.random.default_rng(0)
    x, w, t = rng.standard_normal((6, 6)), rng.standard_normal((3, 3)), rng.standard_normal((4, 4))

    def loss(w):
        return 0.5 * np.sum((corr(x, w) - t) ** 2)

    dw = corr(x, corr(x, w) - t)
    v = rng.standard_normal(w.shape)
    numeric = (loss(w + 1e-5 * v) - loss(w - 1e-5 * v)) / 2e-5
    assert numeric == pytest.approx(np.sum(dw * v), rel=1e-7)
    dy = rng.standard_normal((4, 4))
    assert np.sum(corr(x, w) * dy) == pytest.approx(np.sum(w * corr(x, dy)))


def _coverage(n, k, s, p=0, d=1):
    o = S.conv_output_size(n, k, s, p, d)
    return S.conv2d_grad_input((1, 1, 1, n), np.ones((1, 1, 1, k)), np.ones((1, 1, 1, o)),
                               stride=(1, s), padding=(0, p), dilation=(1, d))[0, 0, 0]


def test_ch07_checkerboard_counts():
    """Section "checkerboard gradients": 1,2,1,2 for k=3, s=2 (products 1, 2, 4 in 2-D);
    2 everywhere inside for k=4, s=2; k=2, s=3 never reads 2, 5, 8; the last r cells unread."""
    np.testing.assert_array_equal(_coverage(9, 3, 2), [1, 1, 2, 1, 2, 1, 2, 1, 1])
    assert set(np.outer(_coverage(9, 3, 2), _coverage(9, 3, 2)).ravel()) == {1, 2, 4}
    np.testing.assert_array_equal(_coverage(10, 4, 2)[2:-2], 2)
    cov = _coverage(11, 2, 3)  # windows at 0, 3, 6, 9
    assert list(np.flatnonzero(cov == 0)) == [2, 5, 8]
    n, k, s = 12, 3, 4  # windows at 0, 4, 8: gaps 3 and 7, and cell 11 after the last (r = 1)
    assert (n - k) % s == 1 and list(np.flatnonzero(_coverage(n, k, s) == 0)) == [3, 7, 11]
    # without dilation, gaps (away from the end) exactly when s > k
    for k, s in [(2, 3), (3, 4), (3, 3), (4, 2), (1, 2), (1, 1)]:
        cov = _coverage(40, k, s)[: -(k + s)]
        assert (cov == 0).any() == (s > k)
    # dilation's own holes: k=2, d=2, s=3 reads 0, 2, 3, 5, 6, 8, ..., never 1, 4, 7, ...
    cov = _coverage(30, 2, 3, 0, 2)
    assert list(np.flatnonzero(cov)[:6]) == [0, 2, 3, 5, 6, 8]
    assert list(np.flatnonzero(cov == 0)[:3]) == [1, 4, 7]


def test_ch07_phase_rule():
    """Interior cell u of a stride-s layer (d = 1) gets dY times the taps a ≡ u + p (mod s)."""
    rng = np.random.default_rng(10)
    for k, s, p in [(3, 2, 0), (5, 2, 1), (5, 3, 2), (4, 2, 1)]:
        w = rng.standard_normal(k)
        n = 30
        o = S.conv_output_size(n, k, s, p)
        dx = S.conv2d_grad_input((1, 1, 1, n), w[None, None, None], np.ones((1, 1, 1, o)),
                                 stride=(1, s), padding=(0, p))[0, 0, 0]
        for u in range(k, n - k - s):
            assert dx[u] == pytest.approx(sum(w[a] for a in range(k) if (a - u - p) % s == 0))


def test_ch07_box_kernels_3_and_4():
    """The photo figure: a constant dY through a 3x3 box (s=2) varies inside, a 4x4 box does not."""
    for k, varies in ((3, True), (4, False)):
        back = S.conv_transpose2d(np.ones((1, 1, 8, 8)), np.ones((1, 1, k, k)) / k**2, stride=2)
        inside = back[0, 0, k:-k, k:-k]
        assert (np.ptp(inside) > 0) == varies


def test_ch07_exercise_literals():
    """Exercise 1: Richardson's step minimises its error model, derived here; the visible
    literals."""
    from fractions import Fraction

    from autograder.checks.ch07_backward import _richardson_step

    u = 2.0 ** -53
    # R's truncation: on f(t) = t^5 at x = 1 (f5 = 120, higher derivatives 0) the error of
    # (4 D(e) - D(2 e)) / 3 is exactly -e^4 f5 / 30; and R = (8 (f1 - f-1) - (f2 - f-2)) / (12 e),
    # whose coefficients add up to 18 / 12 = 3 / 2 in absolute value.
    for e in (Fraction(1, 10), Fraction(1, 1000)):
        D = lambda h: ((1 + h) ** 5 - (1 - h) ** 5) / (2 * h)  # noqa: E731
        assert (4 * D(e) - D(2 * e)) / 3 - 5 == -e ** 4 * 120 / 30
    assert (8 + 8 + 1 + 1) / 12 == 3 / 2
    for f, f5 in [(1.0, 1.0), (1e6, -3.0), (0.01, 50.0)]:
        eps = _richardson_step(f, f5)
        error = [e**4 * abs(f5) / 30 + 1.5 * u * abs(f) / e for e in (eps * 0.99, eps, eps * 1.01)]
        assert error[1] < error[0] and error[1] < error[2]
    # the visible check's literals (at points whose ratios state no scaling law)
    np.testing.assert_allclose([_richardson_step(1, 1), _richardson_step(3e4, 2),
                                _richardson_step(1, -7)], [1.0455e-03, 7.1537e-03, 7.0842e-04],
                               rtol=1e-4)


def test_ch07_citations_and_math():
    """Distill's section "Artifacts in Gradients" carries the checkerboard-gradient claim; the
    math shows conv_transpose2d as a name (no literal backslash-underscore in \\text{})."""
    from chapter_text import markdown

    text = markdown("07_backward")
    assert '"Artifacts in Gradients"' in text and "Deconvolution and Checkerboard Artifacts" in text
    assert "\\text{conv\\_" not in text and "\\text{output\\_" not in text
    assert "\\mathrm{conv\\_transpose2d}" in text


def _golden_section(f, f5):
    """A float64 golden-section search on Richardson's total error (the model derived)."""
    u, ratio = 2.0 ** -53, (math.sqrt(5) - 1) / 2
    error = lambda e: e**4 * abs(f5) / 30 + 1.5 * u * abs(f) / e  # noqa: E731
    a, b = 1e-8, 1.0
    for _ in range(200):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        a, b = (a, d) if error(c) < error(d) else (c, b)
    return (a + b) / 2


# The closed form as students spell it: each must pass the 1e-13 comparison on every seed.
CLOSED_FORMS = [
    lambda f, f5: (45 * 2.0 ** -53 * abs(f) / (4 * abs(f5))) ** (1 / 5),
    lambda f, f5: (11.25 * np.finfo(float).eps / 2 * abs(f / f5)) ** 0.2,
    lambda f, f5: float(np.exp(np.log(45 * 2.0 ** -53 * abs(f) / (4 * abs(f5))) / 5)),
    lambda f, f5: (1.5 * 2.0 ** -53 * abs(f) / (4 * abs(f5) / 30)) ** (1 / 5),
    lambda f, f5: (45 / 4 * 2.0 ** -53) ** 0.2 * abs(f) ** 0.2 / abs(f5) ** 0.2,
    lambda f, f5: math.pow(abs(f) / abs(f5) * (3 * 2.0 ** -53 / 2) / (4 / 30), 1 / 5),
]


def test_ch07_richardson_step_tolerance_and_flat_minimum():
    """Exercise 1's prompt: the step is compared to a relative 10^-13 (a few float64 roundings:
    the closed form in six spellings is within 2e-15 of the reference and passes for every
    student); near the minimum E(eps* (1 + delta)) = E* (1 + 2 delta^2 + ...), so comparing
    float64 values of E locates eps* only to about sqrt(u / 2) ~ 10^-8, which a golden-section
    search shows on the hidden cases."""
    from chapter_text import markdown
    from mutants import verdict

    from autograder.checks import CHECKS, cases_for
    from autograder.checks.ch07_backward import _richardson_step

    text = markdown("07_backward")
    assert "compares your step with that minimiser to a relative $10^{-13}$" in text
    assert "pins the step down only to about $10^{-8}$" in text
    check = CHECKS["ch07.richardson_step"]
    assert (check.rtol, check.atol) == (1e-13, 0.0)
    cases = [c for seed in (None, 1, 2) for c in
             (cases_for("ch07.richardson_step") if seed is None else
              cases_for("ch07.richardson_step", seed))]
    for form in CLOSED_FORMS:
        assert max(abs(form(*c) / _richardson_step(*c) - 1) for c in cases) < 2e-15
        assert all(verdict("ch07.richardson_step", form, seed) is None for seed in (None, 1, 2))
    # E = A e^4 + B / e at its minimum (4 A e^4 = B / e): E* = 5 A e^4, E'' e^2 = 20 A e^4, so
    # E / E* = 1 + (20 / 5) / 2 delta^2 = 1 + 2 delta^2; float64 tells 1 + 2 delta^2 from 1
    # once 2 delta^2 > u: delta > sqrt(u / 2) = 7.5e-9.
    e, a = 1e-3, 1.0
    b = 4 * a * e**5
    ratio = [(a * (e * (1 + t))**4 + b / (e * (1 + t))) / (5 * a * e**4) for t in (1e-4, -1e-4)]
    np.testing.assert_allclose(ratio, 1 + 2 * 1e-8, rtol=1e-11)
    assert 5e-9 < math.sqrt(2.0 ** -53 / 2) < 2e-8
    golden = [abs(_golden_section(*c) / _richardson_step(*c) - 1) for c in cases]
    assert 1e-9 < max(golden) < 1e-7


def _torch_trained(n, k, s, p, d):
    """torch's autograd: the taps whose weight gradient is non-zero for x = 1, dY = 1 (every
    product is positive, so a tap's gradient is zero only if it met padding alone)."""
    import torch.nn.functional as F

    w = torch.ones((1, 1, k), dtype=torch.float64, requires_grad=True)
    y = F.conv1d(torch.ones((1, 1, n), dtype=torch.float64), w, stride=s, padding=p, dilation=d)
    y.sum().backward()
    return int((w.grad != 0).sum())


def test_ch07_trained_taps_against_torch_and_deeplab():
    """Exercise 2: the reference and the notebook's solution count the taps torch's autograd
    gives a gradient, on every small layer (strides larger than the input included) and on
    the hidden small cases; DeepLabv3's 3x3 filter at rate 64 and 65 on a 65-cell axis keeps
    3 and 1 taps (rate close to the map size: a 1x1 filter); the visible literals."""
    from mutants import notebook_solution

    from autograder.checks import cases_for
    from autograder.checks.ch07_backward import _fits, _trained_taps

    solution = notebook_solution("07", "trained_taps")
    layers = [(n, k, s, p, d) for n in range(1, 12) for k in range(1, 7) for s in range(1, 8)
              for d in range(1, 4) for p in range(0, d * (k - 1) + s + 2)
              if _fits(n, k, p, d)]
    layers += [c for seed in (None, 1) for c in
               (cases_for("ch07.trained_taps") if seed is None else
                cases_for("ch07.trained_taps", seed)) if max(c) <= 200]
    assert len(layers) > 3000 and sum(s > n for n, _k, s, _p, _d in layers) > 1000
    for layer in layers:
        assert _trained_taps(*layer) == solution(*layer) == _torch_trained(*layer), layer
    assert (_torch_trained(65, 3, 1, 64, 64), _torch_trained(65, 3, 1, 65, 65)) == (3, 1)
    assert [_trained_taps(*c) for c in [(65, 3, 1, 64, 64), (65, 3, 1, 65, 65), (8, 3, 2, 1, 1),
                                        (3, 9, 2, 4, 1), (2, 5, 4, 4, 1)]] == [3, 1, 3, 5, 3]
    # on the large hidden layers the solution agrees with the reference too
    large = [c for c in cases_for("ch07.trained_taps") if max(c) > 200]
    assert all(_trained_taps(*c) == solution(*c) for c in large)


def test_ch07_trained_taps_prompt_sizes_hold_for_every_student():
    """Exercise 2's prompt: sizes, strides, paddings and dilations up to 10^12; some strides
    larger than the input, and those layers small (all five numbers <= 100); and most large
    layers have taps that never learn, at both ends of the kernel in some."""
    from chapter_text import markdown

    from autograder.checks import cases_for
    from autograder.checks.ch07_backward import _interval_taps, _trained_taps

    text = " ".join(markdown("07_backward").split())
    assert ("The hidden layers have sizes, strides, paddings and dilations up to $10^{12}$. In "
            "some of them the stride is larger than the input; those are small "
            "($n, k, s, p, d \\le 100$).") in text
    assert "DeepLabv3 (Chen et al., 2017, Sec. 3.3)" in text
    for seed in (None, 1, 2, 3):
        cases = cases_for("ch07.trained_taps") if seed is None else \
            cases_for("ch07.trained_taps", seed)
        assert max(max(c) for c in cases) <= 10**12
        assert sum(max(c) >= 10**11 for c in cases) >= 3
        wide = [c for c in cases if c[2] > c[0]]
        assert len(wide) >= 8 and all(max(c) <= 100 for c in wide)
        # where the stride exceeds the input, the two ends' rule is wrong on some layers
        assert any(_interval_taps(*c) != _trained_taps(*c) for c in wide)
        large = [c for c in cases if max(c) > 10**6]
        assert sum(_trained_taps(*c) < c[1] for c in large) * 2 > len(large)
        # and in several both the kernel and the windows exceed 10^6: no loop over either
        assert sum(min(c[1], S.conv_output_size(*c)) > 10**6 for c in cases) >= 5


def test_ch07_per_example_grad_norms_against_torch():
    """Exercise 3: the reference and the notebook's solution equal the norms of the weight
    gradients torch's autograd gives each example alone, on the hidden small layers of two
    students; the visible literals."""
    import torch.nn.functional as F
    from mutants import notebook_solution

    from autograder.checks import cases_for
    from autograder.checks.ch07_backward import _per_example_norms

    solution = notebook_solution("07", "per_example_grad_norms")
    for seed in (None, 1):
        cases = cases_for("ch07.per_example_grad_norms") if seed is None else \
            cases_for("ch07.per_example_grad_norms", seed)
        for x, dy, ks, s, p in cases[:-1]:
            expected = []
            for n in range(len(x)):
                w = torch.zeros((dy.shape[1], x.shape[1], *ks), dtype=torch.float64,
                                requires_grad=True)
                y = F.conv2d(torch.tensor(x[n:n + 1], dtype=torch.float64), w, stride=s,
                             padding=p)
                (y * torch.tensor(dy[n:n + 1], dtype=torch.float64)).sum().backward()
                expected.append(float(w.grad.norm()))
            np.testing.assert_allclose(_per_example_norms(x, dy, ks, s, p), expected,
                                       rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(solution(x, dy, ks, s, p), expected, rtol=1e-12,
                                       atol=1e-12)
    demo = X[None, None], DY[None, None]
    np.testing.assert_allclose(_per_example_norms(*demo, (2, 2), 1, 0), [math.sqrt(364)])
    np.testing.assert_allclose(S.conv2d_grad_weight(*demo[:1], (1, 1, 2, 2), demo[1]),
                               [[[[5, 7], [11, 13]]]])
    np.testing.assert_allclose(_per_example_norms(np.arange(1.0, 10).reshape(1, 1, 3, 3),
                                                  np.array([[[[1.0, 2], [0, -1]]]]), (2, 2), 2,
                                                  1), [9.0])


def test_ch07_wide_layer_as_the_prompt_says():
    """Exercise 3's prompt: the wide layer (15,000 input channels, 10x10 kernels, 4 10^5 output
    channels, 11x11 input, stride 2, padding 1, two images) is among every student's cases; each
    dW_n has 6 10^11 entries (4.8 TB); the chapter's cases fit the grader dir with room."""
    from chapter_text import markdown
    from mutants import hidden_calls

    from autograder.checks import cases_for
    from autograder.sandbox.base import Limits

    text = " ".join(markdown("07_backward").split())
    assert ("$15{,}000$ input channels with $10\\times10$ kernels, $4\\times10^5$ output channels, "
            "an $11\\times11$ input with stride 2 and padding 1, and two images") in text
    assert "has $6\\times10^{11}$ entries (4.8 TB)" in text
    assert "(DP-SGD, Abadi et al., 2016)" in text
    for seed in (None, 1, 2):
        cases = cases_for("ch07.per_example_grad_norms") if seed is None else \
            cases_for("ch07.per_example_grad_norms", seed)
        x, dy, ks, s, p = cases[-1]
        assert (x.shape, dy.shape, ks, s, p) == ((2, 15000, 11, 11), (2, 4 * 10**5, 2, 2),
                                                 (10, 10), 2, 1)
        entries = dy.shape[1] * x.shape[1] * math.prod(ks)
        assert entries == 6 * 10**11 and round(8 * entries / 1e12, 1) == 4.8
    chapter_bytes = sum(a.nbytes for check_id in hidden_calls("07") for case in cases_for(check_id)
                        for a in case if isinstance(a, np.ndarray))
    assert chapter_bytes < 0.6 * Limits().grader_bytes, chapter_bytes
