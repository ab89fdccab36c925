"""Reference implementation of every convolution type in the book (numpy only).

Semantics follow ``torch.nn.functional``: NCHW (or unbatched CHW) inputs, OIHW
weights, int-or-pair arguments, output dtype = input dtype. Instructor-side:
the hidden tests compare student answers to these functions.
"""

from .activations import relu, relu_backward
from .backward import conv2d_backward_naive, conv2d_grad_input, conv2d_grad_weight
from .beyond2d import conv1d, conv3d
from .columns import im2col
from .counts import conv_macs, conv_params, depthwise_separable_cost_ratio
from .coverage import hdc_max_distances, is_dense, reachable_offsets
from .depthwise import depthwise_conv2d, depthwise_separable_conv2d, pointwise_conv2d
from .dilation import dilate_kernel, insert_zeros
from .equivalent import compose_conv2d, fold_batch_norm
from .gradcheck import numerical_gradient
from .grouped import block_diagonal_weight, channel_shuffle
from .init import fan_in, kaiming_normal
from .kinks import largest_exact_step, largest_exact_step_naive
from .losses import cross_entropy, cross_entropy_backward, log_softmax
from .lowrank import low_rank_approximation, rank_for_error
from .matrix import conv_matrix
from .memory import memory_access
from .normalization import batch_norm, batch_norm_backward, group_norm, group_norm_backward
from .optim import sgd_step
from .padding import tf_same_padding
from .pixelshuffle import pixel_shuffle, pixel_unshuffle
from .pooling import avg_pool2d, max_pool2d
from .pooling_backward import max_pool2d_backward
from .residual import residual_block, residual_block_backward
from .separable import rank1_approximation, separable_split, spatially_separable_conv2d
from .sizes import (
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    pool_output_size,
    receptive_field,
    receptive_window,
)
from .standard import conv2d, conv2d_naive
from .transposed import conv_transpose2d, conv_transpose2d_naive
from .upsampling import bilinear_kernel

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "batch_norm_backward",
    "bilinear_kernel",
    "block_diagonal_weight",
    "channel_shuffle",
    "compose_conv2d",
    "conv1d",
    "conv2d",
    "conv2d_backward_naive",
    "conv2d_grad_input",
    "conv2d_grad_weight",
    "conv2d_naive",
    "conv3d",
    "conv_macs",
    "conv_matrix",
    "conv_output_size",
    "conv_params",
    "conv_transpose2d",
    "conv_transpose2d_naive",
    "conv_transpose_output_size",
    "cross_entropy",
    "cross_entropy_backward",
    "depthwise_conv2d",
    "depthwise_separable_conv2d",
    "depthwise_separable_cost_ratio",
    "dilate_kernel",
    "effective_kernel_size",
    "fan_in",
    "fold_batch_norm",
    "group_norm",
    "group_norm_backward",
    "hdc_max_distances",
    "im2col",
    "insert_zeros",
    "is_dense",
    "kaiming_normal",
    "largest_exact_step",
    "largest_exact_step_naive",
    "log_softmax",
    "low_rank_approximation",
    "max_pool2d",
    "max_pool2d_backward",
    "memory_access",
    "numerical_gradient",
    "pixel_shuffle",
    "pixel_unshuffle",
    "pointwise_conv2d",
    "pool_output_size",
    "rank1_approximation",
    "rank_for_error",
    "reachable_offsets",
    "receptive_field",
    "receptive_window",
    "relu",
    "relu_backward",
    "residual_block",
    "residual_block_backward",
    "separable_split",
    "sgd_step",
    "spatially_separable_conv2d",
    "tf_same_padding",
]
