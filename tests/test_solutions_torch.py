"""`solutions` against torch (float64), the oracle: random sweeps over every parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from cases import conv2d_case, conv_transpose2d_case
from hypothesis import given, settings
from hypothesis import strategies as st

import solutions
from solutions import columns, standard

# 24 seeds x 100 cases = 2,400 random calls per function, split so xdist spreads them.
SEEDS = range(24)
CASES_PER_SEED = 100


pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The oracle's calls are tiny: on a loaded machine a thread pool only spins (50x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _torch(fn, args, kwargs):
    tensors = [None if a is None else torch.from_numpy(a) for a in args]
    return fn(*tensors, **kwargs).numpy()


# (reference, oracle, case generator, seed offset): each function gets its own random cases.
SWEEPS = {
    "conv2d": (solutions.conv2d, F.conv2d, conv2d_case, 0),
    "conv_transpose2d": (solutions.conv_transpose2d, F.conv_transpose2d,
                         conv_transpose2d_case, 1000),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", SWEEPS)
def test_matches_torch(name, seed):
    fn, oracle, case, offset = SWEEPS[name]
    rng = np.random.default_rng(offset + seed)
    for _ in range(CASES_PER_SEED):
        args, kwargs = case(rng)
        expected = _torch(oracle, args, kwargs)
        got = fn(*args, **kwargs)
        assert got.shape == expected.shape, kwargs
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=str(kwargs))


@pytest.mark.parametrize("fn, case, oracle", [
    (solutions.conv2d, conv2d_case, F.conv2d),
    (solutions.conv_transpose2d, conv_transpose2d_case, F.conv_transpose2d),
])
def test_float32_in_float32_out(fn, case, oracle):
    rng = np.random.default_rng(7)
    for _ in range(50):
        args, kwargs = case(rng, dtype=np.float32)
        got = fn(*args, **kwargs)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, _torch(oracle, args, kwargs), rtol=1e-4, atol=1e-4)


def test_weight_and_bias_follow_the_input_dtype():
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    out = solutions.conv2d(x, np.ones((3, 2, 3, 3)), np.ones(3, dtype=np.int64))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((1, 3, 2, 2), 19, dtype=np.float32))


def test_empty_batch_gives_empty_output_like_torch():
    x, w = np.zeros((0, 2, 5, 5)), np.ones((4, 2, 3, 3))
    assert solutions.conv2d(x, w).shape == F.conv2d(torch.zeros(0, 2, 5, 5),
                                                    torch.ones(4, 2, 3, 3)).shape


def test_large_batch_is_chunked_without_changing_the_result(monkeypatch):
    """Force one sample per chunk and compare with a single-chunk run."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((5, 4, 9, 9)), rng.standard_normal((6, 2, 3, 3))
    wt = rng.standard_normal((4, 3, 3, 3))
    whole = solutions.conv2d(x, w, groups=2), solutions.conv_transpose2d(x, wt, stride=2)
    monkeypatch.setattr(columns, "CHUNK_BYTES", 1)
    monkeypatch.setattr(standard, "DEPTHWISE_BLOCK_BYTES", 1)
    np.testing.assert_array_equal(solutions.conv2d(x, w, groups=2), whole[0])
    np.testing.assert_array_equal(solutions.conv_transpose2d(x, wt, stride=2), whole[1])
    dw = rng.standard_normal((8, 1, 3, 3))
    np.testing.assert_allclose(solutions.conv2d(x, dw, groups=4),
                               _torch(F.conv2d, (x, dw), dict(groups=4)), atol=1e-12)


# ---- size and parameter helpers against torch's layers -------------------------------------

@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 4),
       d=st.integers(1, 4))
def test_conv_output_size_matches_torch_layer(n, k, s, p, d):
    layer = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    try:
        expected = layer(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="kernel larger than the padded input"):
            solutions.conv_output_size(n, k, s, p, d)
        return
    assert solutions.conv_output_size(n, k, s, p, d) == expected


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 7), d=st.integers(1, 3),
       padding=st.sampled_from(["same", "valid"]))
def test_conv_output_size_string_padding_matches_torch(n, k, d, padding):
    layer = torch.nn.Conv2d(1, 1, k, padding=padding, dilation=d)
    try:
        expected = layer(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            solutions.conv_output_size(n, k, 1, padding, d)
        return
    assert solutions.conv_output_size(n, k, 1, padding, d) == expected


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 4),
       d=st.integers(1, 3), op=st.integers(0, 3))
def test_conv_transpose_output_size_matches_torch_layer(n, k, s, p, d, op):
    try:
        layer = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op,
                                         dilation=d)
        expected = layer(torch.zeros(1, 1, n, n)).shape[-1]
        # Some torch backends return an empty output where others raise; we always raise.
        assert expected > 0
    except (RuntimeError, ValueError, AssertionError):
        with pytest.raises(ValueError):
            solutions.conv_transpose_output_size(n, k, s, p, op, d)
        return
    assert solutions.conv_transpose_output_size(n, k, s, p, op, d) == expected


@settings(max_examples=200, deadline=None)
@given(g=st.integers(1, 4), ci=st.integers(1, 4), co=st.integers(1, 4), kh=st.integers(1, 5),
       kw=st.integers(1, 5), bias=st.booleans())
def test_conv_params_matches_torch_layer(g, ci, co, kh, kw, bias):
    layer = torch.nn.Conv2d(g * ci, g * co, (kh, kw), groups=g, bias=bias)
    expected = sum(p.numel() for p in layer.parameters())
    assert solutions.conv_params(g * ci, g * co, (kh, kw), groups=g, bias=bias) == expected


@settings(max_examples=200, deadline=None)
@given(g=st.integers(1, 5), m=st.integers(1, 5), n=st.integers(1, 3), h=st.integers(1, 4),
       ndim=st.sampled_from([3, 4]))
def test_channel_shuffle_matches_torch(g, m, n, h, ndim):
    shape = (n, g * m, h, h + 1)[:ndim]
    x = np.random.default_rng(g * 100 + m).standard_normal(shape)
    expected = torch.nn.ChannelShuffle(g)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(solutions.channel_shuffle(x, g), expected)
