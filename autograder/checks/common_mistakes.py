"""The mistakes students make in every chapter, written once.

A convolution-like exercise is a reference function of its arguments; the classic slips are
the same function with one setting left out (stride 1, no padding, dilation 1), the kernel
flipped, or the result cast back to the input's integer dtype. Each helper builds that
:class:`Mistake` from the chapter's reference and the position of the setting in its
argument list, so a check file lists only the mistakes particular to its chapter in full.
A chapter whose reference is a model with keyword switches names its mistakes with
:func:`variant`; one with positional settings with :func:`with_argument`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import Mistake

FLIPPED_ADVICE = "do not flip the kernel: this is cross-correlation."
INTEGER_ADVICE = ("the weights are floats: return a float array even for an integer x (do "
                  "not cast back to x.dtype, nor accumulate in np.zeros_like(x)).")


def variant(model: Callable[..., object], /, **switches) -> Callable[..., object]:
    """``model`` with some of its keyword switches set: the answer a :class:`Mistake` names.

    A chapter writes one model of an exercise's answer whose keywords switch one step off or
    swap it (``decay=False``, ``ties="last"``); each mistake is that model with one switch,
    so the catalogue does not repeat a lambda per mistake.
    """
    return lambda *args: model(*args, **switches)


def with_argument(reference: Callable, position: int, value) -> Callable:
    """``reference`` with its argument at ``position`` replaced by ``value``."""

    def answer(*args):
        return reference(*args[:position], value, *args[position + 1:])

    return answer


def ignored(setting: str, reference: Callable, position: int, advice: str,
            neutral=1) -> Mistake:
    """``"<setting> ignored"``: the reference computed with that setting at its neutral value
    (1 for a stride or a dilation, 0 for padding)."""
    return Mistake(f"{setting} ignored", with_argument(reference, position, neutral), advice)


def flipped_kernel(reference: Callable, position: int = 1,
                   advice: str = FLIPPED_ADVICE) -> Mistake:
    """``"flipped kernel"``: true convolution, the kernel at ``position`` rotated by 180°."""

    def answer(*args):
        kernel = np.asarray(args[position])[..., ::-1, ::-1].copy()
        return reference(*args[:position], kernel, *args[position + 1:])

    return Mistake("flipped kernel", answer, advice)


def integer_cast(reference: Callable, advice: str = INTEGER_ADVICE) -> Mistake:
    """``"result cast to the input's integer dtype"``: the reference's result in the dtype of
    the first argument (the input)."""

    def answer(*args):
        return np.asarray(reference(*args)).astype(np.asarray(args[0]).dtype)

    return Mistake("result cast to the input's integer dtype", answer, advice)
