"""Memory access cost of a convolution: the values it reads and writes, next to its MACs.

Following ShuffleNet V2 (Ma et al. 2018), count each input value, output value and
weight once, as if on-chip memory held them all; a 1 x 1 convolution from c1 to c2
channels on an h x w map with g groups then moves ``hw(c1 + c2) + c1 c2 / g`` values
for ``hw c1 c2 / g`` MACs.
"""

from __future__ import annotations

from ._args import check_groups, check_int, check_pair


def memory_access(in_channels, out_channels, kernel_size, input_size, output_size,
                  groups=1) -> int:
    """Values read or written once each: input map, output map and weights (bias left out).

    ``input_size`` and ``output_size`` are ``(H, W)`` (or one int for a square).
    """
    c_in = check_int(in_channels, "in_channels", 1)
    c_out = check_int(out_channels, "out_channels", 1)
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    hi, wi = check_pair(input_size, "input_size", 1)
    ho, wo = check_pair(output_size, "output_size", 1)
    g = check_groups(groups, c_in, c_out)
    return c_in * hi * wi + c_out * ho * wo + c_out * (c_in // g) * kh * kw
