"""The numbers a panel shows in the browser equal the package's for the same settings.

Each panel runs as the static book shows it (its text/html, no kernel, offline Chromium);
sweeps move its controls over a grid and compare output sizes, padding, parameters, MACs
and the filtered image with `solutions` (the reference) and `convlab.filters`.
"""

from __future__ import annotations

import itertools
import os
import random
import re

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from book_browser import CHROMIUM  # noqa: E402
from panel_page import panel_page, set_and_read, sweep  # noqa: E402

import convlab  # noqa: E402
import solutions  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]


def _or_none(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError:
        return None


def test_conv_panel_sizes_equal_the_reference_over_every_setting():
    names = ["input_size", "kernel_size", "stride", "padding", "dilation"]
    grid = list(itertools.product(range(1, 10), range(1, 6), range(1, 4), range(4), range(1, 4)))
    with panel_page(convlab.ConvPanel()) as (page, errors, offsite):
        shown = sweep(page, 0, names, grid)
    assert not errors and not offsite
    for (n, k, s, p, d), view in zip(grid, shown):
        expected = _or_none(solutions.conv_output_size, n, k, s, p, d)
        data = view["data"]
        assert int(data["padding"]) == p
        if expected is None:
            assert int(data["outputSize"]) < 1 and "no output" in view["formula"], (n, k, s, p, d)
            assert view["caption"].startswith("No output"), (n, k, s, p, d)
        else:
            assert int(data["outputSize"]) == expected, (n, k, s, p, d)
            assert view["formula"].endswith(f"= {expected}"), view["formula"]
            assert int(data["cells"]) == expected**2, (n, k, s, p, d)


def test_transposed_panel_sizes_equal_the_reference_over_every_setting():
    names = ["input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"]
    grid = list(itertools.product(range(1, 6), range(1, 5), range(1, 4), range(4), range(3),
                                  range(1, 3)))
    with panel_page(convlab.TransposedPanel()) as (page, errors, offsite):
        shown = sweep(page, 0, names, grid)
    assert not errors and not offsite
    for (n, k, s, p, op, d), view in zip(grid, shown):
        expected = _or_none(solutions.conv_transpose_output_size, n, k, s, p, op, d)
        data = view["data"]
        # zeros between inputs and around them: the equivalent stride-1 convolution
        assert int(data["between"]) == s - 1
        assert int(data["padding"]) == solutions.effective_kernel_size(k, d) - 1 - p
        if expected is None:
            assert view["caption"].startswith("No output"), (n, k, s, p, op, d)
        else:
            assert int(data["outputSize"]) == expected, (n, k, s, p, op, d)
            assert int(data["cells"]) == expected**2, (n, k, s, p, op, d)


@pytest.mark.parametrize("transposed", [False, True])
def test_window_panel_sums_equal_the_reference_convolution(transposed):
    # values=True: the input is arange % 10, the kernel arange % 4 (d2l's hand example)
    n = 2 if transposed else 4
    x = (np.arange(n * n) % 10).reshape(1, 1, n, n).astype(float)
    w = (np.arange(4) % 4).reshape(1, 1, 2, 2).astype(float)
    if transposed:
        panel = convlab.TransposedPanel(input_size=n, kernel_size=2, stride=2, values=True)
        expected = solutions.conv_transpose2d(x, w, stride=2)[0, 0]
    else:
        panel = convlab.ConvPanel(input_size=n, kernel_size=2, stride=2, padding=1, values=True)
        expected = solutions.conv2d(x, w, stride=2, padding=1)[0, 0]
    with panel_page(panel) as (page, errors, _):
        for position in range(expected.size):
            view = set_and_read(page, 0, position=position)
            r, c = divmod(position, expected.shape[1])
            assert view["caption"].endswith(f"= {expected[r, c]:g}"), view["caption"]
    assert not errors


def test_groups_panel_weight_shape_equals_the_reference_parameter_count():
    panel = convlab.GroupsPanel()
    with panel_page(panel) as (page, errors, _):
        for c_in, c_out in itertools.product(range(1, 13), repeat=2):
            view = set_and_read(page, 0, in_channels=c_in, out_channels=c_out)
            offered = page.evaluate("() => [...document.querySelector('[name=groups]').options]"
                                    ".map(o => Number(o.value))")
            assert offered == [g for g in range(1, 13) if c_in % g == 0 and c_out % g == 0]
            for g in offered:
                view = set_and_read(page, 0, groups=g)
                shape = re.search(r"= \((\d+), (\d+), k, k\):", view["formula"]).groups()
                params = int(shape[0]) * int(shape[1])
                assert params == solutions.conv_params(c_in, c_out, 1, groups=g, bias=False)
                assert int(view["data"]["perGroup"]) == c_in // g
    assert not errors


def test_cost_panel_counts_equal_the_reference():
    rng = random.Random(0)
    grid = [(64, 128, 3, 56), (1, 1, 1, 1), (512, 1024, 9, 224)] + [
        (rng.randint(1, 512), rng.randint(1, 1024), rng.randint(1, 9), rng.randint(1, 224))
        for _ in range(150)]
    names = ["in_channels", "out_channels", "kernel_size", "size"]
    with panel_page(convlab.SeparableCostPanel()) as (page, errors, _):
        shown = sweep(page, 0, names, grid)
    assert not errors
    for (c_in, c_out, k, size), view in zip(grid, shown):
        data = {key: float(view["data"][key]) for key in
                ("standardParams", "standardMacs", "separableParams", "separableMacs", "ratio")}
        assert data["standardParams"] == solutions.conv_params(c_in, c_out, k, bias=False)
        assert data["standardMacs"] == solutions.conv_macs(c_in, c_out, k, size)
        assert data["separableParams"] == (
            solutions.conv_params(c_in, c_in, k, groups=c_in, bias=False)
            + solutions.conv_params(c_in, c_out, 1, bias=False))
        assert data["separableMacs"] == (solutions.conv_macs(c_in, c_in, k, size, groups=c_in)
                                         + solutions.conv_macs(c_in, c_out, 1, size))
        ratio = solutions.depthwise_separable_cost_ratio(c_out, k)
        assert data["ratio"] == pytest.approx(ratio, rel=1e-12)
        assert f"= {ratio:.4f}:" in view["formula"]


GEOMETRIES = [(3, 1, 0, 1), (3, 2, 1, 1), (2, 1, 0, 2), (5, 3, 2, 1), (1, 1, 0, 1), (7, 4, 8, 4)]


@pytest.mark.parametrize("size", [24, 128])
def test_filter_panel_image_equals_the_reference_convolution(size):
    panel = convlab.FilterPanel(size=size)
    names = ["image", "kernel", "kernel_size", "stride", "padding", "dilation"]
    grid = [(image, kernel, *geometry) for image in convlab.SAMPLE_IMAGES
            for kernel in convlab.KERNEL_NAMES for geometry in GEOMETRIES]
    if size == 128:  # the book's size: one geometry per kernel keeps the transfer small
        grid = grid[::len(GEOMETRIES) - 1]
    with panel_page(panel) as (page, errors, _):
        shown = sweep(page, 0, names, grid)
    assert not errors
    for (image, kernel, k, s, p, d), view in zip(grid, shown):
        weight = _or_none(convlab.named_kernel, kernel, k)
        if weight is None:  # e.g. no 1×1 Sobel kernel: the panel says so, shows no output
            assert view["output"] is None and "Sobel" in view["formula"]
            continue
        x = convlab.sample_image(image, size)[None, None]
        expected = solutions.conv2d(x, weight[None, None], stride=s, padding=p, dilation=d)[0, 0]
        out = view["output"]
        assert out["size"] == expected.shape[0] == int(view["data"]["outputSize"])
        np.testing.assert_allclose(np.reshape(out["data"], expected.shape), expected, rtol=0,
                                   atol=1e-12, err_msg=str((image, kernel, k, s, p, d)))
        assert view["formula"].endswith(f"= {expected.shape[0]}")


def test_filter_panel_without_output_says_why():
    with panel_page(convlab.FilterPanel(size=8)) as (page, errors, _):
        view = set_and_read(page, 0, kernel_size=7, dilation=4)
    assert view["output"] is None and "no output" in view["formula"]
    assert not errors


def test_panels_are_keyboard_operable_and_labelled():
    panels = [convlab.ConvPanel(), convlab.TransposedPanel(), convlab.GroupsPanel(),
              convlab.FilterPanel(size=16), convlab.SeparableCostPanel()]
    with panel_page(*panels) as (page, errors, _):
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            '.convlab-panel input, .convlab-panel select, .convlab-panel button')]
            .filter(e => !(e.getAttribute('aria-label') || e.closest('label')?.textContent.trim()))
            .map(e => e.outerHTML)""")
        assert unlabelled == []
        figures = page.evaluate("""() => [...document.querySelectorAll(
            '.convlab-panel svg, .convlab-panel canvas')].map(e => [e.getAttribute('role'),
            e.getAttribute('aria-label') || ''])""")
        assert figures and all(role == "img" and len(label) > 10 for role, label in figures)
        for index in range(len(panels)):
            root = page.locator(".convlab-panel").nth(index)
            slider = root.locator('input[type="range"]').first
            picture = root.locator(".convlab-picture")
            before = (slider.input_value(), picture.inner_html())
            slider.focus()
            page.keyboard.press("End" if before[0] == slider.get_attribute("min") else "Home")
            after = (slider.input_value(), picture.inner_html())
            assert after[0] != before[0] and after[1] != before[1], type(panels[index]).__name__
    assert not errors
