"""ResNet's downsampling basic block with group norm, forward and backward (He et al. 2016,
Fig. 2 and Eq. 2, Sec. 3.3: a 1x1 projection shortcut, both paths with stride 2).

    y = relu(GN2(conv(relu(GN1(conv(x, w1, stride=2, padding=1))), w2, padding=1))
             + conv(x, ws, stride=2))

The input is used twice, by the branch and by the projection, so its gradient is the sum of
the two paths' gradients. A stride-2 convolution is the stride-1 one read at every other
position, so its input gradient is the stride-1 gradient of the output gradient with zeros
inserted between its entries (``conv2d_grad_input`` with the input's size, which settles the
size a strided layer leaves ambiguous).
"""

from __future__ import annotations

from .activations import relu, relu_backward
from .backward import conv2d_grad_input
from .normalization import group_norm, group_norm_backward
from .standard import conv2d

EPS = 1e-5
STRIDE = 2


def _check_block(x, w1, w2, ws):
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    c, c_out = x.shape[1], w1.shape[0]
    for name, w, shape in (("w1", w1, (c_out, c, 3, 3)), ("w2", w2, (c_out, c_out, 3, 3)),
                           ("ws", ws, (c_out, c, 1, 1))):
        if w.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (C={c} in, C'={c_out} out), got "
                             f"{w.shape}")


def residual_block(x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups, eps=EPS):
    """The block's output and what its backward pass needs: ``(y, saved)``."""
    _check_block(x, w1, w2, ws)
    h1 = conv2d(x, w1, stride=STRIDE, padding=1)
    a1 = relu(group_norm(h1, groups, gamma1, beta1, eps))
    h2 = conv2d(a1, w2, padding=1)
    y = relu(group_norm(h2, groups, gamma2, beta2, eps) + conv2d(x, ws, stride=STRIDE))
    return y, (h1, a1, h2, y)


def residual_block_backward(grad_output, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups,
                            eps=EPS):
    """dL/dx of :func:`residual_block`, given dL/dy: the projection's part plus the branch's."""
    _, (h1, a1, h2, y) = residual_block(x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups,
                                        eps)
    g = relu_backward(grad_output, y)          # behind the last ReLU; both paths start here
    branch = group_norm_backward(g, h2, groups, gamma2, eps)[0]
    branch = relu_backward(conv2d_grad_input(a1.shape, w2, branch, padding=1), a1)
    branch = group_norm_backward(branch, h1, groups, gamma1, eps)[0]
    return (conv2d_grad_input(x.shape, ws, g, stride=STRIDE)
            + conv2d_grad_input(x.shape, w1, branch, stride=STRIDE, padding=1))
