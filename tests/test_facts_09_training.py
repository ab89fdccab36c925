"""Chapter 09 (training): every number and claim in its text, computed or pinned to its source.

Each test names the section whose claim it checks. The chapter's own code cells are run here
(they are the text's numpy) and compared with `solutions` and with torch.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from chapter_text import markdown
from pytorch_box import CHAPTERS, run_pytorch_box

import solutions as S
from solutions import cnn

TEXT = markdown("09_training")


def _cells() -> list[str]:
    nb = json.loads((CHAPTERS / "09_training" / "09_training.ipynb").read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and "nbgrader" not in c["metadata"]]


@pytest.fixture(scope="module")
def chapter():
    """The chapter's narrative namespace: every cell but the training runs."""
    import matplotlib

    matplotlib.use("Agg")
    namespace: dict = {}
    for source in _cells():
        if "convlab.TrainingView(" in source or "results = {" in source:
            continue
        exec(compile(source, "09_training", "exec"), namespace)  # noqa: S102 - the book's code
    return namespace


def test_ch09_data():
    """"The data": 1,797 images, 8x8, ink counted in 4x4 blocks, 0..16; 360 held out."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    assert digits.images.shape == (1797, 8, 8) and digits.images.max() == 16
    described = " ".join(digits.DESCR.split())
    assert "nonoverlapping blocks of 4x4" in described and "in the range 0..16" in described
    assert "1,797 handwritten digits" in TEXT and "hold out 360 images" in TEXT
    x_train, x_test, _, _ = cnn.digits_split()
    assert (len(x_train), len(x_test)) == (1437, 360)


def test_ch09_network_table(chapter):
    """"The network": the weight counts and output shapes of the table."""
    params, _ = chapter["init_params"]("standard", np.random.default_rng(0))
    assert params["conv1"].size + 2 * 16 == 16 * 1 * 9 + 2 * 16
    assert params["conv2"].size + 2 * 32 == 32 * 16 * 9 + 2 * 32
    assert params["conv3"].size + params["conv3.bias"].size == 10 * 32 * 4 + 10
    x = np.zeros((1, 1, 8, 8))
    logits, seen = chapter["forward"](chapter["network"](), params,
                                      {"norm1": None, "norm2": None}, x)
    assert [s.shape[1:] for s in seen if s.ndim == 4][4] == (16, 4, 4)  # after the first pool
    assert seen[-1].shape[1:] == (32, 2, 2) and logits.shape == (1, 10)


def test_ch09_chapter_code_matches_the_reference(chapter):
    """Every layer of the text equals `solutions` (and so torch, test_solutions_training)."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    dy = rng.standard_normal((2, 6, 5, 5))
    np.testing.assert_allclose(chapter["conv_forward"](x, w, padding=1, groups=2),
                               S.conv2d(x, w, padding=1, groups=2))
    dx, dw, _ = chapter["conv_backward"](x, w, dy, padding=1, groups=2)
    np.testing.assert_allclose(dx, S.conv2d_grad_input(x.shape, w, dy, padding=1, groups=2))
    np.testing.assert_allclose(dw, S.conv2d_grad_weight(x, w.shape, dy, padding=1, groups=2))
    z, t = rng.standard_normal((5, 10)) * 30, rng.integers(0, 10, 5)
    loss, dz = chapter["cross_entropy"](z, t)
    assert loss == pytest.approx(float(S.cross_entropy(z, t)))
    np.testing.assert_allclose(dz, S.cross_entropy_backward(z, t))
    h = rng.integers(0, 3, (2, 3, 4, 6)).astype(float)  # ties: the first maximum wins
    g = rng.standard_normal((2, 3, 2, 3))
    np.testing.assert_allclose(chapter["pool_backward"](g, h), S.max_pool2d_backward(g, h, 2))
    x = rng.standard_normal((4, 3, 2, 2))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    stats = {"mean": np.zeros(3), "var": np.ones(3)}
    mean, var = np.zeros(3), np.ones(3)
    np.testing.assert_allclose(chapter["bn_forward"](x, gamma, beta, stats),
                               S.batch_norm(x, mean, var, gamma, beta, training=True))
    np.testing.assert_allclose(stats["mean"], mean)
    np.testing.assert_allclose(stats["var"], var)  # the unbiased running variance, as torch
    upstream = rng.standard_normal(x.shape)
    for ours, ref in zip(chapter["bn_backward"](upstream, x, gamma),
                         S.batch_norm_backward(upstream, x, gamma)):
        np.testing.assert_allclose(ours, ref)
    p, b = chapter["sgd_step"](np.ones(3), np.arange(3.0), None, 0.1, 0.9)
    np.testing.assert_allclose(p, S.sgd_step(np.ones(3), np.arange(3.0), None, 0.1, 0.9)[0])


def test_ch09_by_hand_examples(chapter):
    """Max pooling and cross-entropy "By hand": 3 and its gradient; log 2, log 10."""
    window = np.array([[[[1.0, 3], [2, 0]]]])
    assert chapter["pool_forward"](window).item() == 3
    np.testing.assert_array_equal(chapter["pool_backward"](np.array([[[[5.0]]]]), window),
                                  [[[[0, 5], [0, 0]]]])
    loss, dz = chapter["cross_entropy"](np.zeros((1, 2)), np.array([0]))
    assert round(loss, 3) == 0.693 and np.allclose(dz, [[-0.5, 0.5]])
    assert round(chapter["cross_entropy"](np.zeros((1, 10)), np.array([3]))[0], 3) == 2.303
    assert "L = \\log 2 \\approx 0.693" in TEXT and "\\log 10 \\approx 2.303" in TEXT
    # a tie: the mask passes back 4 times the gradient, the first maximum once
    tie, one = np.zeros((1, 1, 2, 2)), np.ones((1, 1, 1, 1))
    assert chapter["pool_backward_mask"](one, tie).sum() == 4
    assert chapter["pool_backward"](one, tie).sum() == 1


def test_ch09_gradient_checks(chapter):
    """Every printed check is near 1e-9, the constant-statistics gradient is not."""
    assert max(chapter["errors"].values()) < 1e-6
    R, x, gamma = chapter["R"], chapter["x"], chapter["gamma"]
    assert 0.1 < chapter["relative_error"](chapter["constant_stats"], chapter["numeric"]) < 1
    assert chapter["relative_error"](chapter["bn_backward"](R, x, gamma)[0],
                                     chapter["numeric"]) < 1e-6
    assert "errors of order 0.1 to 1" in TEXT


def test_ch09_batch_norm_facts():
    """Batch norm: torch's default momentum 0.1; Ioffe & Szegedy's convolutional BN, Sec. 3.2."""
    assert torch.nn.BatchNorm2d(3).momentum == 0.1
    assert "torch's default momentum of 0.1" in TEXT
    assert "Ioffe & Szegedy, 2015" in TEXT and "Sec. 3.2" in TEXT


def test_ch09_he_initialisation(chapter):
    """He et al. (2015, Sec. 2.2, Eq. 10); torch's kaiming_normal_; the 0.08 per layer."""
    assert "He et al. (2015, Sec. 2.2)" in TEXT and "Eq. 10" in TEXT
    w = torch.empty(16, 16, 3, 3)
    assert torch.nn.init._calculate_correct_fan(w, "fan_in") == 144 == S.fan_in((16, 16, 3, 3))
    assert round(0.01 * math.sqrt(144 / 2), 2) == 0.08
    # the demo: He keeps the root mean square of order 1, 0.01 loses it
    rng = np.random.default_rng(0)
    signal = rng.standard_normal((4, 16, 16, 16))
    for std, low, high in ((math.sqrt(2 / 144), 0.3, 3.0), (0.01, 0.0, 1e-15)):
        h = signal
        for _ in range(20):
            h = chapter["relu"](chapter["conv_forward"](h, std * rng.standard_normal(
                (16, 16, 3, 3)), padding=1))
        assert low <= math.sqrt((h ** 2).mean()) <= high


def test_ch09_sgd_is_torchs_form():
    """SGD: torch's note on Sutskever et al.; the two forms agree for a constant rate."""
    assert "differs from the form of Sutskever et al. (2013)" in TEXT
    rng = np.random.default_rng(2)
    p_torch, buffer, p_sutskever, v = np.zeros(3), None, np.zeros(3), np.zeros(3)
    for _ in range(5):
        g = rng.standard_normal(3)
        p_torch, buffer = S.sgd_step(p_torch, g, buffer, 0.1, 0.9)
        v = 0.9 * v - 0.1 * g
        p_sutskever = p_sutskever + v
    np.testing.assert_allclose(p_torch, p_sutskever)


def test_ch09_training_settings_are_the_reference(chapter):
    """"Training": batches of 32, lr 0.05, momentum 0.9, 8 epochs, 16 first-layer kernels;
    the chapter's defaults are the reference's, and the target is cnn.TARGET_ACCURACY."""
    import inspect

    ours = inspect.signature(cnn.train).parameters
    theirs = inspect.signature(chapter["train"]).parameters
    for name in ("epochs", "batch_size", "lr", "momentum", "seed"):
        assert ours[name].default == theirs[name].default, name
    assert (ours["epochs"].default, ours["batch_size"].default) == (8, 32)
    assert "at least 97% held-out accuracy after eight epochs, within 60 s of CPU time" in TEXT
    assert cnn.TARGET_ACCURACY == 0.97 and cnn.EPOCHS == 8
    assert "the 16 kernels of the first layer" in TEXT


def test_ch09_comparison_counts(chapter):
    """The comparison: weights and MACs of the three networks, as solutions.conv_macs counts."""
    outer = S.conv_macs(1, 16, 3, 8) + S.conv_macs(32, 10, 2, 1)
    middle_macs = {"standard": S.conv_macs(16, 32, 3, 4),
                   "separable": S.conv_macs(16, 16, 3, 4, groups=16) + S.conv_macs(16, 32, 1, 4),
                   "grouped": S.conv_macs(16, 32, 3, 4, groups=4)}
    for middle, macs in middle_macs.items():
        net = cnn.layers(middle)
        weights = sum(p.size for p in cnn.init_params(net, np.random.default_rng(0)).values())
        assert chapter["count"](middle) == (weights, outer + macs)
    assert chapter["count"]("standard") == (6138, 84224)
    assert "16 inputs, 32 outputs and $4\\times4$ map" in TEXT


def test_ch09_in_pytorch_box():
    """The box's network on 8x8 images gives (32, 10) logits and takes an SGD step."""
    ns = run_pytorch_box("09_training")
    assert ns["net"](ns["images"]).shape == (32, 10)
    assert ns["optimiser"].param_groups[0]["momentum"] == 0.9


@pytest.mark.slow
def test_ch09_measured_accuracies():
    """"The target": the chapter's measured 98.1% to 98.6% over five seeds (seeds 0-4)."""
    x_train, x_test, y_train, y_test = cnn.digits_split()
    final = [cnn.train(x_train, y_train, x_test, y_test, seed=s).accuracies[-1]
             for s in range(5)]
    assert round(min(final), 3) == 0.981 and round(max(final), 3) == 0.986, final
    assert "98.1% to 98.6% over five seeds" in TEXT


def test_ch09_exercise_1_layer_and_hand_cases():
    """Exercise 1: torch's max pooling leaves an odd size's last row out (floor mode, its
    default); the two windows "by hand" of the visible check; the hidden layers' size."""
    import torch.nn.functional as F

    from autograder.checks import cases_for

    assert "on an odd size the last row or column is left out, as torch does by default" in TEXT
    assert F.max_pool2d(torch.zeros(1, 1, 5, 7), 2).shape[-2:] == (2, 3)
    centre = np.zeros((1, 1, 3, 3))
    centre[0, 0, 1, 1] = 1.0
    one = np.ones((1, 1, 1, 1))
    np.testing.assert_array_equal(S.largest_exact_step(np.array([[[[1.0, 3], [2, -1]]]]),
                                                       centre, one), [[[[2, 1], [1, 4]]]])
    np.testing.assert_array_equal(S.largest_exact_step(np.array([[[[-1.0, -2], [-3, -4]]]]),
                                                       centre, one), [[[[1, 2], [3, 4]]]])
    assert max(case[0].size for case in cases_for("ch09.largest_exact_step")) == 18432
    assert "some with 18,432 inputs" in _solution_text()


def test_ch09_exercise_2_downsampling_block():
    """Exercise 2: ResNet's Fig. 2 block, Eq. 2's projection (option B, Sec. 3.3), stride 2 as
    conv3_1 etc. in Table 1; both strided paths give ceil(H/2) rows; the zero-kernel case of
    the visible check; the hidden blocks' size."""
    from autograder.checks import cases_for

    for phrase in ("ResNet (He et al., 2016, Fig. 2)", "their Eq. 2 adds a linear projection",
                   "(option B of Sec. 3.3)", "with a stride of 2 like\nthe block's first "
                   "convolution (Table 1)", "(N, C', \\lceil H/2\\rceil, \\lceil W/2\\rceil)"):
        assert phrase.replace("\n", " ") in TEXT.replace("\n", " "), phrase
    for h in range(2, 12):
        x = np.zeros((1, 1, h, h))
        assert S.conv2d(x, np.zeros((1, 1, 3, 3)), stride=2, padding=1).shape[-1] == -(-h // 2)
        assert S.conv2d(x, np.zeros((1, 1, 1, 1)), stride=2).shape[-1] == -(-h // 2)
    zero, one = np.zeros((1, 1, 3, 3)), np.ones(1)
    got = S.residual_block_backward(np.array([[[[3.0]]]]), np.array([[[[1.0, -2.0]]]]), zero, one,
                                    one, zero, one, np.array([0.5]), np.array([[[[2.0]]]]), 1)
    np.testing.assert_allclose(got, [[[[6, 0]]]])
    assert max(case[1].size for case in cases_for("ch09.residual_block_backward")) == 65536
    assert "some of 16 channels on 64x64 maps" in _solution_text()


def _solution_text() -> str:
    nb = json.loads((CHAPTERS / "09_training" / "09_training.ipynb").read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
