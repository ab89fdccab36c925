"""convlab: diagrams agree with the arithmetic, animations stay offline, widgets react.

Sizes are compared with `solutions` and numbers with torch (both instructor-side
test oracles); convlab itself must never import `solutions`.
"""

from __future__ import annotations

import ast
import base64
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch_reference  # noqa: E402
import traitlets  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

import convlab  # noqa: E402
import solutions  # noqa: E402
from convlab.filters import _filter_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


def output_grid(frame):
    """The output grid of a windowed frame (the second grid)."""
    return frame.grids[1]


def test_matplotlib_runs_headless():
    assert matplotlib.get_backend().lower() == "agg"


# --- diagrams: the number of output cells drawn is the output size -------------------------

CONV_CASES = [(n, k, s, p, d) for n in range(1, 8) for k in range(1, 5) for s in (1, 2, 3)
              for p in (0, 1, 2, "valid", "same") for d in (1, 2, 3)]


def _expected(n, k, s, p, d):
    try:
        return solutions.conv_output_size(n, k, s, p, d)
    except ValueError:
        return None


@pytest.mark.parametrize("n", range(1, 8))
def test_conv_frame_output_cells_match_formula(n):
    for _, k, s, p, d in (c for c in CONV_CASES if c[0] == n):
        expected = _expected(n, k, s, p, d)
        if expected is None:
            with pytest.raises(ValueError):
                convlab.conv_frame(n, k, s, p, d)
            continue
        last = convlab.conv_frame(n, k, s, p, d, position=expected**2 - 1)
        assert output_grid(last).kinds.shape == (expected, expected), (n, k, s, p, d)
        assert (output_grid(last).kinds == "current").sum() == 1
        assert len(last.taps) == k * k
        # the outlined window spans the dilated kernel: d(k - 1) + 1 cells
        assert last.window[2] == last.window[3] == d * (k - 1) + 1


@pytest.mark.parametrize("args", [(5, 3, 2, 1, 1), (7, 3, 1, 0, 2), (4, 2, 1, "same", 1),
                                  (6, 4, 1, "same", 2), (3, 3, 1, 1, 1)])
def test_conv_frames_one_frame_per_output_cell(args):
    frames = convlab.conv_frames(*args)
    assert len(frames) == solutions.conv_output_size(*args) ** 2
    currents = [tuple(np.argwhere(output_grid(f).kinds == "current")[0]) for f in frames]
    assert currents == sorted(currents) and len(set(currents)) == len(frames)


def test_conv_frame_pairs_per_axis():
    frame = convlab.conv_frame((5, 7), (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    expected = tuple(solutions.conv_output_size(n, k, s, p, d)
                     for n, k, s, p, d in ((5, 3, 2, 1, 1), (7, 2, 1, 0, 2)))
    assert output_grid(frame).kinds.shape == expected
    assert frame.grids[0].kinds.shape == (5 + 2, 7)  # padding drawn as cells


def test_same_padding_even_kernel_pads_bottom_right_like_torch():
    kinds = convlab.conv_frame(4, 2, padding="same").grids[0].kinds
    assert kinds.shape == (5, 5)
    assert (kinds[-1] == "padding").all() and (kinds[0] == "input").sum() == 4


def test_dilation_gaps_are_not_taps():
    frame = convlab.conv_frame(7, 3, dilation=2)
    taps = {(int(x), int(y)) for x, y, _ in frame.taps}
    assert taps == {(x, y) for x in (0, 2, 4) for y in (0, 2, 4)}


def test_caption_spells_out_the_d2l_example():
    frame = convlab.conv_frame(3, 2, values=True)
    assert frame.caption == "output[0, 0] = 0×0 + 1×1 + 3×2 + 4×3 = 19"


@pytest.mark.parametrize("args", [(5, 3, 2, 1, 1), (7, 3, 1, 0, 2), (4, 2, 1, "same", 2),
                                  (5, 4, 1, "same", 2), (6, (2, 3), (1, 2), (1, 0), (2, 1))])
def test_conv_frame_numbers_equal_torch(args):
    n, k, s, p, d = args
    rng = np.random.default_rng(0)
    kernel = (k, k) if isinstance(k, int) else k
    x, w = rng.integers(-3, 5, (n, n)).astype(float), rng.integers(-2, 3, kernel).astype(float)
    expected = torch_reference.one_channel(torch_reference.conv2d, x, w, stride=s, padding=p,
                                           dilation=d)
    last = convlab.conv_frame(n, k, s, p, d, position=expected.size - 1, values=(x, w))
    np.testing.assert_allclose(output_grid(last).values, expected)
    value = f"{expected.flat[-1]:g}"
    assert last.caption.endswith(f"= {value}" if expected.flat[-1] >= 0 else f"= ({value})")


def test_output_fills_in_as_the_window_slides():
    values = output_grid(convlab.conv_frame(4, 2, position=4, values=True)).values
    assert np.isfinite(values.flat[:5]).all() and np.isnan(values.flat[5:]).all()


TRANSPOSED_CASES = [(n, k, s, p, op, d) for n in range(1, 5) for k in range(1, 5)
                    for s in (1, 2, 3) for p in range(4) for op in range(3) for d in (1, 2)]


def test_transposed_frame_output_cells_match_formula():
    for n, k, s, p, op, d in TRANSPOSED_CASES:
        try:
            expected = solutions.conv_transpose_output_size(n, k, s, p, op, d)
        except ValueError:
            with pytest.raises(ValueError):
                convlab.transposed_frame(n, k, s, p, op, d)
            continue
        frame = convlab.transposed_frame(n, k, s, p, op, d, position=expected**2 - 1)
        assert output_grid(frame).kinds.shape == (expected, expected), (n, k, s, p, op, d)
        if p <= d * (k - 1):  # otherwise padding crops the spread input, drawn greyed
            assert (frame.grids[0].kinds == "input").sum() == n * n


@pytest.mark.parametrize("args", [(2, 3, 2, 0, 0, 1), (3, 3, 2, 1, 1, 1), (2, 2, 1, 0, 0, 1),
                                  (3, 3, 2, 2, 1, 1), (2, 2, 3, 0, 1, 2), (3, 4, 2, 3, 0, 1)])
def test_transposed_frame_numbers_equal_torch(args):
    n, k, s, p, op, d = args
    rng = np.random.default_rng(1)
    x, w = rng.integers(-3, 5, (n, n)).astype(float), rng.integers(-2, 3, (k, k)).astype(float)
    expected = torch_reference.one_channel(torch_reference.conv_transpose2d, x, w, stride=s,
                                           padding=p, output_padding=op, dilation=d)
    frame = convlab.transposed_frame(*args, position=expected.size - 1, values=(x, w))
    np.testing.assert_allclose(output_grid(frame).values, expected)
    assert len(convlab.transposed_frames(*args)) == expected.size


def test_transposed_zero_insertion_layout():
    kinds = convlab.transposed_frame(2, 3, stride=2).grids[0].kinds
    # 2 inputs spread to 3 cells (one zero between), 2 = d(k-1) - p zeros around
    assert kinds.shape == (7, 7)
    assert (kinds[2:5, 2:5] == np.array([["input", "inserted", "input"],
                                         ["inserted", "inserted", "inserted"],
                                         ["input", "inserted", "input"]])).all()


@pytest.mark.parametrize("c_in, c_out, groups", [(4, 4, 1), (4, 4, 2), (6, 4, 2), (8, 8, 8),
                                                 (3, 6, 3)])
def test_groups_frame_is_block_diagonal(c_in, c_out, groups):
    frame = convlab.groups_frame(c_in, c_out, groups)
    weight = frame.grids[2].kinds
    dense = solutions.block_diagonal_weight(np.ones((c_out, c_in // groups, 1, 1)), groups)
    np.testing.assert_array_equal(weight != "zero", dense[:, :, 0, 0] != 0)
    assert len(frame.links) == c_out * (c_in // groups)
    muted = convlab.groups_frame(c_in, c_out, groups, highlight=0)
    assert len(muted.links) == (c_out // groups) * (c_in // groups)


def test_groups_frame_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="groups=3 must divide"):
        convlab.groups_frame(4, 6, 3)


@pytest.mark.parametrize("frame", [
    convlab.conv_frame(1, 1), convlab.conv_frame(9, 5, 2, 2, 1, position=3, values=True),
    convlab.conv_frame(7, 3, dilation=3, values=True),
    convlab.transposed_frame(3, 3, 2, 2, 1, position=5, values=True),
    convlab.groups_frame(16, 32, 4, highlight=2)], ids=range(5))
def test_frames_render_to_png(frame):
    png, metadata = convlab.grid.frame_display(frame)
    assert png.startswith(PNG)
    assert metadata["alt"] == frame.describe() and metadata["alt"]  # the book's alt text
    assert metadata["text_px"] >= convlab.grid.MIN_TEXT_PX  # and its figure's narrowest width
    width, height = Image.open(io.BytesIO(png)).size
    artist = convlab.FrameArtist()
    artist.update(frame)
    # at most 9 inches at 80 dpi, or at the dpi that makes its smallest text 10 px
    dpi = 80 * max(1, convlab.grid.MIN_TEXT_PX / artist.text_px(80))
    assert 100 < width <= 9 * dpi + 1 and height > 80


def test_draw_into_existing_axes():
    figure = Figure()
    ax = figure.add_subplot()
    assert convlab.draw(convlab.conv_frame(5, 3, values=True), ax=ax) is figure
    figure.savefig(io.BytesIO(), format="png")


def test_frame_artist_reuses_its_figure():
    artist = convlab.FrameArtist()
    sizes = []
    for frame in convlab.conv_frames(4, 2, values=True):
        artist.update(frame)
        sizes.append(Image.open(io.BytesIO(artist.png())).size)
    assert len(artist.figure.axes) == 1 and len(set(sizes)) <= 2


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="stride"):
        convlab.conv_frame(5, 3, stride=0)
    with pytest.raises(TypeError, match="kernel_size"):
        convlab.conv_frame(5, 2.5)
    with pytest.raises(ValueError, match="position"):
        convlab.conv_frame(5, 3, position=9)
    with pytest.raises(ValueError, match="values"):
        convlab.conv_frame(3, 2, values=(np.zeros((2, 2)), np.zeros((2, 2))))
    with pytest.raises(ValueError, match="same"):
        convlab.conv_frame(5, 3, stride=2, padding="same")


# --- animations: offline, one frame per output cell --------------------------------------

def _player_parts(html):
    frames = json.loads(re.search(r"var frames = (\[.*?\])", html).group(1))
    order = json.loads(re.search(r"order = (\[.*?\])", html).group(1))
    return frames, order


def test_animation_html_is_self_contained():
    html = convlab.animate(convlab.conv_frames(5, 3, stride=2, padding=1))._repr_html_()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html, flags=re.I)
    assert urls and all(url.startswith("data:image/png;base64,") for url in urls)
    assert not re.search(r"https?://", html)
    assert "cdnjs" not in html and "font-awesome" not in html.lower()
    assert "<link" not in html.lower()


def test_animation_has_one_frame_per_output_cell():
    frames = convlab.conv_frames(7, 3, dilation=2, values=True)
    animation = convlab.animate(frames)
    stored, order = _player_parts(animation.to_html())
    assert len(animation) == len(order) == len(frames) == 9
    assert f'data-frames="{len(frames)}"' in animation.to_html()
    sizes = {Image.open(io.BytesIO(png)).size for png in animation.frames}
    assert len(sizes) == 1  # padded to one size: the player never jumps
    assert len(stored) == len(set(stored))


def test_identical_frames_are_stored_once():
    frame = convlab.conv_frame(4, 2)
    stored, order = _player_parts(convlab.animate([frame, frame, frame]).to_html())
    assert len(stored) == 1 and order == [0, 0, 0]


def test_default_animation_is_light():
    html = convlab.animate(convlab.conv_frames()).to_html()
    assert len(html.encode()) < 200_000


def test_animate_accepts_figures_and_png_and_rejects_the_rest(tmp_path):
    figure = Figure(figsize=(2, 2))
    figure.add_subplot().plot([0, 1])
    png = convlab.frame_png(convlab.conv_frame(3, 2))
    animation = convlab.animate([figure, png])
    assert len(animation) == 2
    page = animation.save(tmp_path / "player.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "convlab-player" in page
    with pytest.raises(TypeError, match="frames"):
        convlab.animate(["not a frame"])
    with pytest.raises(ValueError):
        convlab.animate([])


def test_two_players_on_one_page_have_distinct_ids():
    animation = convlab.animate([convlab.conv_frame(3, 2)])
    ids = [re.search(r'id="([^"]+)"', animation.to_html()).group(1) for _ in range(2)]
    assert ids[0] != ids[1]


def _browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    manager = sync_api.sync_playwright().start()
    try:
        return manager, manager.chromium.launch(executable_path=executable,
                                                args=["--no-sandbox"])
    except Exception as error:  # no browser on this machine
        manager.stop()
        pytest.skip(f"no headless chromium: {error}")


@pytest.mark.slow
def test_player_steps_plays_and_scrubs_offline_in_a_browser(tmp_path):
    path = convlab.animate(convlab.conv_frames(4, 2), interval=50).save(tmp_path / "a.html")
    manager, browser = _browser()
    try:
        page = browser.new_page()
        errors, requests = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        counter = page.locator(".convlab-player span")
        first = page.get_attribute(".convlab-player img", "src")
        assert counter.inner_text() == "1 / 9"
        page.click('button[data-act="next"]')
        assert counter.inner_text() == "2 / 9"
        assert page.get_attribute(".convlab-player img", "src") != first
        page.click('button[data-act="last"]')
        assert counter.inner_text() == "9 / 9"
        page.fill('input[type="range"]', "4")
        assert counter.inner_text() == "5 / 9"
        page.click('button[data-act="play"]')
        page.wait_for_function(
            "document.querySelector('.convlab-player span').textContent !== '5 / 9'")
        page.click('button[data-act="play"]')
        assert "play" in page.inner_text('button[data-act="play"]')
        assert not errors
        assert all(url.startswith(("file:", "data:")) for url in requests)
    finally:
        browser.close()
        manager.stop()


# --- panels: settings are synced traits; the static HTML carries the front end ----------

PANELS = [convlab.ConvPanel, convlab.TransposedPanel, convlab.GroupsPanel, convlab.FilterPanel,
          convlab.SeparableCostPanel]


def test_panel_settings_are_readable_and_settable_from_python():
    panel = convlab.ConvPanel(input_size=7, kernel_size=3, padding=2, dilation=2)
    assert (panel.input_size, panel.kernel_size, panel.stride, panel.padding,
            panel.dilation) == (7, 3, 1, 2, 2)
    panel.stride = 2
    assert panel.get_state()["stride"] == 2  # what the front end is sent
    with pytest.raises(traitlets.TraitError):
        panel.stride = 0
    groups = convlab.GroupsPanel(in_channels=8, out_channels=8, groups=2)
    groups.highlight = 1
    assert groups.get_state()["highlight"] == 1


@pytest.mark.parametrize("call, error", [
    (lambda: convlab.ConvPanel(kernel_size=0), ValueError),
    (lambda: convlab.ConvPanel(stride=1.5), TypeError),
    (lambda: convlab.TransposedPanel(padding=-1), ValueError),
    (lambda: convlab.GroupsPanel(in_channels=6, out_channels=4, groups=4), ValueError),
    (lambda: convlab.FilterPanel(image="lena"), ValueError),
    (lambda: convlab.FilterPanel(kernel="emboss"), ValueError),
    (lambda: convlab.SeparableCostPanel(size=0), ValueError),
])
def test_panels_refuse_bad_settings(call, error):
    with pytest.raises(error):
        call()


def test_filter_panel_output_follows_its_settings():
    panel = convlab.FilterPanel()
    assert panel.output.shape == (126, 126)
    panel.stride = 2
    assert panel.output.shape == (63, 63)
    panel.image, panel.kernel, panel.dilation = "photo", "sobel y", 2
    expected = torch_reference.one_channel(
        torch_reference.conv2d, convlab.sample_image("photo", 128),
        convlab.named_kernel("sobel y"), stride=2, padding=0, dilation=2)
    np.testing.assert_allclose(panel.output, expected, atol=1e-12)


def test_filter_panel_ships_the_exact_sample_images():
    panel = convlab.FilterPanel(size=40)
    for name, encoded in panel._images.items():
        raw = np.frombuffer(base64.b64decode(encoded["index"]), dtype=f"<u{encoded['bytes']}")
        pixels = np.asarray(encoded["palette"])[raw].reshape(40, 40)
        np.testing.assert_array_equal(pixels, convlab.sample_image(name, 40))
    assert panel._kernels["sobel x"][2] == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert "Sobel" in panel._kernels["sobel x"][0]  # no 1×1 Sobel: the reason instead


@pytest.mark.parametrize("panel", PANELS)
def test_panels_carry_a_self_contained_static_front_end(panel):
    bundle = panel()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert '<script type="module">' in html and "widget.render(" in html
    assert html.count("</script>") == 2  # nothing inlined can close the scripts early
    offline = html.replace("http://www.w3.org/2000/svg", "")  # a namespace name, not fetched
    assert not re.search(r"https?://|\bimport\s*\(|\bfetch\(", offline)
    state = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>',
                                 html).group(1))
    assert state["_panel"] == panel.__name__ and "_esm" not in state  # the module once


# --- the image demo is a plain cross-correlation, as torch computes it -------------------

@pytest.mark.parametrize("name", convlab.KERNEL_NAMES)
@pytest.mark.parametrize("geometry", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 3), (1, "same", 2)])
def test_image_demo_equals_torch_conv2d(name, geometry):
    stride, padding, dilation = geometry
    image = convlab.test_card(40)
    for size in (3, 4):
        kernel = convlab.named_kernel(name, size)
        ours = _filter_image(image, kernel, stride, padding, dilation)
        expected = torch_reference.one_channel(torch_reference.conv2d, image, kernel,
                                               stride=stride, padding=padding, dilation=dilation)
        np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_named_kernels():
    sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    np.testing.assert_array_equal(convlab.named_kernel("sobel x"), sobel)
    np.testing.assert_array_equal(convlab.named_kernel("sobel y"), np.transpose(sobel))
    np.testing.assert_array_equal(convlab.named_kernel("laplacian (edges)"),
                                  [[1, 1, 1], [1, -8, 1], [1, 1, 1]])
    for size in range(1, 8):
        for name in ("box blur", "gaussian blur", "sharpen", "identity"):
            assert convlab.named_kernel(name, size).sum() == pytest.approx(1)
        assert convlab.named_kernel("laplacian (edges)", size).sum() == 0
    np.testing.assert_array_equal(convlab.named_kernel("sobel x", 5)[0], [-1, -2, 0, 2, 1])
    with pytest.raises(ValueError, match="name must be one of"):
        convlab.named_kernel("emboss")


@pytest.mark.parametrize("name", list(convlab.SAMPLE_IMAGES))
def test_sample_images_are_grey_floats_in_unit_range(name):
    image = convlab.sample_image(name, 64)
    assert image.shape == (64, 64) and image.dtype == np.float64
    assert 0 <= image.min() < image.max() <= 1
    np.testing.assert_array_equal(image, convlab.sample_image(name, 64))


def test_checkerboard_squares():
    board = convlab.checkerboard(8, 4)
    np.testing.assert_array_equal(board[::2, ::2], [[0, 1, 0, 1], [1, 0, 1, 0]] * 2)


# --- no graded answer ships with convlab -------------------------------------------------

def test_convlab_never_imports_solutions():
    code = ("import sys, convlab\n"
            "convlab.ConvPanel(); convlab.TransposedPanel(); convlab.GroupsPanel()\n"
            "convlab.FilterPanel(); convlab.animate(convlab.conv_frames(3, 2)).to_html()\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'solutions')\n"
            "assert not bad, bad\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_convlab_source_does_not_mention_solutions():
    for path in (ROOT / "convlab").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "solutions" for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "solutions", path


def test_no_public_name_looks_like_an_exercise():
    exercises = set(solutions.__all__) | {"conv2d", "conv_output_size", "conv_params",
                                          "receptive_field", "output_size"}
    modules = [importlib.import_module(f"convlab.{info.name}")
               for info in pkgutil.iter_modules(convlab.__path__)]
    for module in [convlab, *modules]:
        public = {name for name in dir(module) if not name.startswith("_")}
        assert not public & exercises, (module.__name__, public & exercises)


def test_public_api_is_documented():
    for name in convlab.__all__:
        obj = getattr(convlab, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
