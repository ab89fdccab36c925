"""Reference implementation of every convolution type in the book (numpy only).

Semantics follow ``torch.nn.functional``: NCHW (or unbatched CHW) inputs, OIHW
weights, int-or-pair arguments, output dtype = input dtype. Instructor-side:
the hidden tests compare student answers to these functions.
"""

from .backward import conv2d_backward_naive, conv2d_grad_input, conv2d_grad_weight
from .columns import im2col
from .counts import conv_macs, conv_params, depthwise_separable_cost_ratio
from .depthwise import depthwise_conv2d, depthwise_separable_conv2d, pointwise_conv2d
from .dilation import dilate_kernel, insert_zeros
from .gradcheck import numerical_gradient
from .grouped import block_diagonal_weight, channel_shuffle
from .matrix import conv_matrix
from .pooling import avg_pool2d, max_pool2d
from .separable import rank1_approximation, separable_split, spatially_separable_conv2d
from .sizes import (
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    receptive_field,
)
from .standard import conv2d, conv2d_naive
from .transposed import conv_transpose2d, conv_transpose2d_naive

__all__ = [
    "avg_pool2d",
    "block_diagonal_weight",
    "channel_shuffle",
    "conv2d",
    "conv2d_backward_naive",
    "conv2d_grad_input",
    "conv2d_grad_weight",
    "conv2d_naive",
    "conv_macs",
    "conv_matrix",
    "conv_output_size",
    "conv_params",
    "conv_transpose2d",
    "conv_transpose2d_naive",
    "conv_transpose_output_size",
    "depthwise_conv2d",
    "depthwise_separable_conv2d",
    "depthwise_separable_cost_ratio",
    "dilate_kernel",
    "effective_kernel_size",
    "im2col",
    "insert_zeros",
    "max_pool2d",
    "numerical_gradient",
    "pointwise_conv2d",
    "rank1_approximation",
    "receptive_field",
    "separable_split",
    "spatially_separable_conv2d",
]

from .equivalent import compose_conv2d, fold_batch_norm
from .lowrank import low_rank_approximation, rank_for_error
from .memory import memory_access

__all__ += ["compose_conv2d", "fold_batch_norm", "low_rank_approximation", "memory_access",
            "rank_for_error"]

# Chapters 01-03, curriculum v2: TensorFlow's 'SAME', dense coverage, bilinear upsampling.
from .coverage import hdc_max_distances, is_dense, reachable_offsets  # noqa: E402
from .padding import tf_same_padding  # noqa: E402
from .upsampling import bilinear_kernel  # noqa: E402

__all__ += ["bilinear_kernel", "hdc_max_distances", "is_dense", "reachable_offsets",
            "tf_same_padding"]
