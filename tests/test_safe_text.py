"""Names shown to the instructor (safe_text): nothing reaches a terminal or a spreadsheet
as a control, and the original bytes come back from what was written."""

from __future__ import annotations

import os
import random

import pytest

from autograder.course.safe_text import is_plain, original, raw, safe, shown

NAMES = [b"h3-\xff\xfe.ipynb", b"\x1b[2J\x1b]0;owned\x07.ipynb", b"=HYPERLINK(\"x\").ipynb",
         b"'quoted", b"back\\slash\\x41", b"\xe2\x80\xae gnp.ipynb", b"tab\there", b"new\nline",
         b"+1", b"-1", b"@SUM(A1)", "é ü 中文 😀.ipynb".encode(), b"\\x1b literally", b"",
         b"\xc2\x9b31m C1 control", b"zero\xe2\x80\x8bwidth"]


@pytest.mark.parametrize("name", NAMES)
def test_shown_names_hold_no_control_and_give_back_the_bytes(name):
    text = shown(os.fsdecode(name))
    assert all(c.isprintable() or c == " " for c in text)
    text.encode("utf-8")  # writable: no lone surrogate left
    assert text[:1] not in ("=", "+", "-", "@")
    assert raw(text) == name


def test_plain_names_are_left_alone():
    for name in ["alice", "01_convolution.ipynb", "Zoë O'Brien", "中文", "a b-c_d.e"]:
        assert shown(name) == name and is_plain(name)
    assert not is_plain("=1+1") and not is_plain("x\x1b") and not is_plain(os.fsdecode(b"\xff"))


def test_any_bytes_round_trip():
    rng = random.Random(0)
    for _ in range(2000):
        name = bytes(rng.choice([0x1b, 0x5c, 0x3d, 0x27, 0x78, 0x41, 0xff, 0xc3, 0xa9, 0xe2, 0x80,
                                 0xae, 0x0a, 0x20, 0x75]) for _ in range(rng.randrange(8)))
        assert raw(shown(os.fsdecode(name))) == name
        assert original(shown(os.fsdecode(name))) == os.fsdecode(name)


def test_free_text_keeps_its_backslashes_and_loses_its_controls():
    assert safe("graded h3-\\xff.ipynb as x\x1b[2J") == "graded h3-\\xff.ipynb as x\\u001b[2J"
    assert safe("=cmd") == "'=cmd"
