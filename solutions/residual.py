"""ResNet's basic block with group norm, forward and backward (He et al. 2016, Fig. 2).

    y = relu(x + GN2(conv(relu(GN1(conv(x, w1))), w2)))      3x3 convolutions, padding 1

The input is used twice, by the branch and by the identity shortcut, so its gradient is the
sum of the two paths' gradients: the shortcut passes the gradient behind the last ReLU on
unchanged, the branch sends it back through both convolutions and norms.
"""

from __future__ import annotations

from .activations import relu, relu_backward
from .backward import conv2d_grad_input
from .normalization import group_norm, group_norm_backward
from .standard import conv2d

EPS = 1e-5


def _check_block(x, w1, w2):
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    c = x.shape[1]
    for name, w in (("w1", w1), ("w2", w2)):
        if w.shape != (c, c, 3, 3):
            raise ValueError(f"{name} must have shape {(c, c, 3, 3)} (C -> C, 3x3) for the "
                             f"shortcut to add up, got {w.shape}")


def residual_block(x, w1, gamma1, beta1, w2, gamma2, beta2, groups, eps=EPS):
    """The block's output and what its backward pass needs: ``(y, saved)``."""
    _check_block(x, w1, w2)
    h1 = conv2d(x, w1, padding=1)
    a1 = relu(group_norm(h1, groups, gamma1, beta1, eps))
    h2 = conv2d(a1, w2, padding=1)
    y = relu(x + group_norm(h2, groups, gamma2, beta2, eps))
    return y, (h1, a1, h2, y)


def residual_block_backward(grad_output, x, w1, gamma1, beta1, w2, gamma2, beta2, groups,
                            eps=EPS):
    """dL/dx of :func:`residual_block`, given dL/dy: the shortcut's part plus the branch's."""
    _, (h1, a1, h2, y) = residual_block(x, w1, gamma1, beta1, w2, gamma2, beta2, groups, eps)
    g = relu_backward(grad_output, y)          # behind the last ReLU; both paths start here
    branch = group_norm_backward(g, h2, groups, gamma2, eps)[0]
    branch = relu_backward(conv2d_grad_input(a1.shape, w2, branch, padding=1), a1)
    branch = group_norm_backward(branch, h1, groups, gamma1, eps)[0]
    return g + conv2d_grad_input(x.shape, w1, branch, padding=1)
