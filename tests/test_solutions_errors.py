"""Bad arguments raise ValueError/TypeError that name the argument and the rule broken."""

from __future__ import annotations

import numpy as np
import pytest

import solutions

X = np.zeros((1, 4, 6, 6))
W = np.zeros((2, 4, 3, 3))
WT = np.zeros((4, 2, 3, 3))

CONV2D_ERRORS = [
    # (description, call, exception, message pattern)
    ("channel mismatch", lambda: solutions.conv2d(X, np.zeros((2, 3, 3, 3))), ValueError,
     "channel mismatch: input has 4 channels"),
    ("groups do not divide C_in", lambda: solutions.conv2d(X, W, groups=3), ValueError,
     "groups=3 must divide the 4 input channels"),
    ("groups do not divide C_out", lambda: solutions.conv2d(X, np.zeros((3, 2, 3, 3)),
                                                            groups=2), ValueError,
     "groups=2 must divide the 3 output channels"),
    ("zero stride", lambda: solutions.conv2d(X, W, stride=0), ValueError,
     "stride must be positive"),
    ("negative stride in a pair", lambda: solutions.conv2d(X, W, stride=(1, -1)), ValueError,
     r"stride\[1\] must be positive"),
    ("zero dilation", lambda: solutions.conv2d(X, W, dilation=0), ValueError,
     "dilation must be positive"),
    ("negative padding", lambda: solutions.conv2d(X, W, padding=-1), ValueError,
     "padding must be at least 0"),
    ("kernel larger than padded input", lambda: solutions.conv2d(X, np.zeros((2, 4, 7, 3))),
     ValueError, "kernel larger than the padded input: the dilated kernel height is 7"),
    ("dilated kernel larger", lambda: solutions.conv2d(X, W, dilation=3), ValueError,
     "dilated kernel height is 7"),
    ("input rank", lambda: solutions.conv2d(np.zeros((6, 6)), W), ValueError,
     r"input must be 4-D \(N, C, H, W\) or 3-D"),
    ("weight rank", lambda: solutions.conv2d(X, np.zeros((2, 4, 3))), ValueError,
     "weight must be 4-D"),
    ("bias length", lambda: solutions.conv2d(X, W, np.zeros(3)), ValueError,
     r"bias must have shape \(2,\)"),
    ("unknown padding string", lambda: solutions.conv2d(X, W, padding="full"), ValueError,
     "padding must be an int, a pair of ints, 'valid' or 'same', got 'full'"),
    ("same with stride", lambda: solutions.conv2d(X, W, padding="same", stride=2), ValueError,
     "padding='same' needs stride 1"),
    ("float stride", lambda: solutions.conv2d(X, W, stride=1.5), TypeError,
     "stride must be an int or a pair of ints, got 1.5"),
    ("bool groups", lambda: solutions.conv2d(X, W, groups=True), TypeError,
     "groups must be an int"),
    ("triple stride", lambda: solutions.conv2d(X, W, stride=(1, 1, 1)), ValueError,
     "stride must be an int or a pair of ints"),
    ("list input", lambda: solutions.conv2d(X.tolist(), W), TypeError,
     "input must be a numpy array, got list"),
    ("integer input", lambda: solutions.conv2d(X.astype(int), W), TypeError,
     "input must have a floating dtype"),
    ("complex weight", lambda: solutions.conv2d(X, W.astype(complex)), TypeError,
     "weight must hold real numbers"),
    ("empty channel axis", lambda: solutions.conv2d(np.zeros((1, 0, 6, 6)), W), ValueError,
     "input must have at least one channel"),
]

TRANSPOSE_ERRORS = [
    ("weight layout", lambda: solutions.conv_transpose2d(X, np.zeros((2, 4, 3, 3))), ValueError,
     r"weight.shape\[0\] is 2 .*\(C_in, C_out/groups, kH, kW\)"),
    ("groups", lambda: solutions.conv_transpose2d(X, WT, groups=3), ValueError,
     "groups=3 must divide the 4 input channels"),
    ("output_padding too large", lambda: solutions.conv_transpose2d(X, WT, stride=2,
                                                                    output_padding=2),
     ValueError, "output_padding must be smaller than either stride or dilation"),
    ("string padding", lambda: solutions.conv_transpose2d(X, WT, padding="same"), ValueError,
     "conv_transpose2d takes padding as an int or a pair"),
    ("padding crops everything", lambda: solutions.conv_transpose2d(X[:, :, :1, :1], WT,
                                                                    padding=2),
     ValueError, "padding=2 crops the whole output"),
    ("bias length", lambda: solutions.conv_transpose2d(X, WT, np.zeros(4)), ValueError,
     r"bias must have shape \(2,\)"),
    ("negative output_padding", lambda: solutions.conv_transpose2d(X, WT, output_padding=-1),
     ValueError, "output_padding must be at least 0"),
]

G = np.zeros((1, 2, 4, 4))  # conv2d(X, W)'s output

GRAD_ERRORS = [
    ("grad: input_size type", lambda: solutions.conv2d_grad_input(X, W, G), TypeError,
     "input_size must be a tuple of ints, got ndarray"),
    ("grad: input_size length", lambda: solutions.conv2d_grad_input((4, 6), W, G), ValueError,
     "input_size must have 3 or 4 entries"),
    ("grad: input_size floats", lambda: solutions.conv2d_grad_input((1, 4, 6.0, 6), W, G),
     TypeError, "input_size must hold ints"),
    ("grad: input_size zero", lambda: solutions.conv2d_grad_input((1, 4, 0, 6), W, G),
     ValueError, "input size must be positive"),
    ("grad: output shape", lambda: solutions.conv2d_grad_input((1, 4, 7, 7), W, G), ValueError,
     r"grad_output must have the shape of conv2d's output, \(1, 2, 5, 5\)"),
    ("grad: stride ambiguity", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W, G,
                                                                   stride=2), ValueError,
     r"grad_output must have the shape of conv2d's output, \(1, 2, 2, 2\)"),
    ("grad: batch mismatch", lambda: solutions.conv2d_grad_input((2, 4, 6, 6), W, G),
     ValueError, r"\(2, 2, 4, 4\)"),
    ("grad: batched vs unbatched", lambda: solutions.conv2d_grad_input((4, 6, 6), W, G),
     ValueError, "both need a batch axis or neither"),
    ("grad: channels", lambda: solutions.conv2d_grad_input((1, 3, 6, 6), W, G), ValueError,
     "channel mismatch: input has 3 channels"),
    ("grad: groups", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W, G, groups=3),
     ValueError, "groups=3 must divide the 4 input channels"),
    ("grad: string padding", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W, G,
                                                                 padding="same"),
     ValueError, "padding must be an int or a pair of ints for a gradient"),
    ("grad: zero stride", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W, G, stride=0),
     ValueError, "stride must be positive"),
    ("grad: list grad_output", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W,
                                                                   G.tolist()),
     TypeError, "grad_output must be a numpy array"),
    ("grad: weight rank", lambda: solutions.conv2d_grad_input((1, 4, 6, 6), W[0], G),
     ValueError, "weight must be 4-D"),
    ("grad_weight: size length", lambda: solutions.conv2d_grad_weight(X, (2, 4, 3), G),
     ValueError, "weight_size must have 4 entries"),
    ("grad_weight: kernel too big", lambda: solutions.conv2d_grad_weight(X, (2, 4, 7, 7), G),
     ValueError, "kernel larger than the padded input"),
    ("grad_weight: integer input", lambda: solutions.conv2d_grad_weight(X.astype(int),
                                                                        (2, 4, 3, 3), G),
     TypeError, "input must have a floating dtype"),
    ("grad_weight: grad rank", lambda: solutions.conv2d_grad_weight(X, (2, 4, 3, 3), G[0, 0]),
     ValueError, r"grad_output must be 4-D \(N, C, H, W\) or 3-D"),
]

POOL_ERRORS = [
    ("pool: padding over half the kernel", lambda: solutions.max_pool2d(X, 3, padding=2),
     ValueError, r"padding must be at most half the kernel size \(p <= k // 2\), got "
                 "padding 2 for a kernel height of 3"),
    ("pool: kernel too big", lambda: solutions.max_pool2d(X, 7), ValueError,
     "kernel larger than the padded input: the dilated kernel height is 7"),
    ("pool: dilated kernel too big", lambda: solutions.max_pool2d(X, 3, dilation=3),
     ValueError, "the dilated kernel height is 7"),
    ("pool: zero stride", lambda: solutions.avg_pool2d(X, 2, stride=0), ValueError,
     "stride must be positive"),
    ("pool: zero kernel", lambda: solutions.avg_pool2d(X, (2, 0)), ValueError,
     r"kernel_size\[1\] must be positive"),
    ("pool: float kernel", lambda: solutions.max_pool2d(X, 2.0), TypeError,
     "kernel_size must be an int or a pair of ints"),
    ("pool: string padding", lambda: solutions.max_pool2d(X, 2, padding="same"), TypeError,
     "padding must be an int or a pair of ints"),
    ("pool: negative padding", lambda: solutions.avg_pool2d(X, 2, padding=-1), ValueError,
     "padding must be at least 0"),
    ("pool: ceil_mode int", lambda: solutions.avg_pool2d(X, 2, ceil_mode=1), TypeError,
     "ceil_mode must be True or False"),
    ("pool: count_include_pad", lambda: solutions.avg_pool2d(X, 2, count_include_pad=None),
     TypeError, "count_include_pad must be True or False"),
    ("pool: input rank", lambda: solutions.max_pool2d(np.zeros((6, 6)), 2), ValueError,
     r"input must be 4-D \(N, C, H, W\) or 3-D"),
    ("pool: integer input", lambda: solutions.max_pool2d(X.astype(int), 2), TypeError,
     "input must have a floating dtype"),
]

HELPER_ERRORS = [
    ("size: n not int", lambda: solutions.conv_output_size(5.0, 3), TypeError,
     "n must be an int"),
    ("size: kernel too big", lambda: solutions.conv_output_size(3, 5), ValueError,
     "kernel larger than the padded input"),
    ("size: zero stride", lambda: solutions.conv_output_size(5, 3, 0), ValueError,
     "stride must be positive"),
    ("transpose size: op", lambda: solutions.conv_transpose_output_size(5, 3, 1, 0, 1),
     ValueError, "output_padding must be smaller"),
    ("params: groups", lambda: solutions.conv_params(6, 4, 3, groups=4), ValueError,
     "groups=4 must divide the 6 input channels"),
    ("params: bias type", lambda: solutions.conv_params(6, 4, 3, bias=None), TypeError,
     "bias must be True or False"),
    ("shuffle: groups", lambda: solutions.channel_shuffle(X, 3), ValueError,
     "groups=3 must divide the 4 channels"),
    ("shuffle: rank", lambda: solutions.channel_shuffle(np.zeros((4, 4)), 2), ValueError,
     "at least 3 dimensions"),
    ("separable: not rank 1", lambda: solutions.separable_split(np.eye(3)), ValueError,
     "kernel is not separable"),
    ("separable: not 2-D", lambda: solutions.separable_split(np.ones(3)), ValueError,
     "kernel must be 2-D"),
    ("receptive field: lengths", lambda: solutions.receptive_field([3, 3], strides=[1]),
     ValueError, "strides must have one entry per layer"),
    ("receptive field: empty", lambda: solutions.receptive_field([]), ValueError,
     "at least one layer"),
    ("pointwise: kernel", lambda: solutions.pointwise_conv2d(X, np.zeros((2, 4, 3, 3))),
     ValueError, r"pointwise weight must be \(C_out, C_in\)"),
    ("conv_matrix: shape", lambda: solutions.conv_matrix((6, 6), W), ValueError,
     r"input_shape must be \(C_in, H, W\)"),
    ("insert_zeros: negative gap", lambda: solutions.insert_zeros(np.ones((2, 2)), -1),
     ValueError, "gap must be at least 0"),
    ("dilate_kernel: zero", lambda: solutions.dilate_kernel(np.ones((3, 3)), 0), ValueError,
     "dilation must be positive"),
]


ALL_ERRORS = CONV2D_ERRORS + TRANSPOSE_ERRORS + GRAD_ERRORS + POOL_ERRORS + HELPER_ERRORS


@pytest.mark.parametrize("name, call, exc, pattern",
                         ALL_ERRORS, ids=[c[0] for c in ALL_ERRORS])
def test_bad_argument_is_named(name, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("fn", [solutions.conv2d, solutions.conv2d_naive])
def test_naive_and_fast_reject_alike(fn):
    with pytest.raises(ValueError, match="channel mismatch"):
        fn(X, np.zeros((2, 3, 3, 3)))
