"""Pinyin initials of Chinese characters, so a clerk can pick 宣传活动 by typing "xchd".

GB2312 orders its 3,755 first-level characters, the most common ones of written
Chinese, by their pinyin; so the initial of such a character is found from its GB2312
code alone, with the 23 code points below where each initial letter starts. That is
the whole table: nothing to download, and it works for any program a township writes,
not only the programs shipped with vledger. The codec is Python's own.

Second-level GB2312 characters (rarer ones, ordered by radical) and characters outside
GB2312 have no initial here; a choice that holds one is still found by its prefix or
its number. A few common characters have two readings (行 háng/xíng, 长 cháng/zhǎng);
GB2312 files each under one of them, and `_ALSO` gives both, so either initial
matches.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache

__all__ = ["initials", "initials_of"]

# (first GB2312 code of the letter's block, letter); i, u and v start no syllable.
_STARTS = (
    (0xB0A1, "a"), (0xB0C5, "b"), (0xB2C1, "c"), (0xB4EE, "d"), (0xB6EA, "e"),
    (0xB7A2, "f"), (0xB8C1, "g"), (0xB9FE, "h"), (0xBBF7, "j"), (0xBFA6, "k"),
    (0xC0AC, "l"), (0xC2E8, "m"), (0xC4C3, "n"), (0xC5B6, "o"), (0xC5BE, "p"),
    (0xC6DA, "q"), (0xC8BB, "r"), (0xC8F6, "s"), (0xCBFA, "t"), (0xCDDA, "w"),
    (0xCEF4, "x"), (0xD1B9, "y"), (0xD4D1, "z"),
)  # fmt: skip
_CODES = tuple(code for code, _ in _STARTS)
_LEVEL_ONE_END = 0xD7F9  # the last first-level character

# Common characters read two ways, with the initial GB2312 does not file them under.
_ALSO: dict[str, str] = {
    "行": "hx", "长": "cz", "重": "cz", "会": "hk", "乐": "ly", "调": "dt", "传": "cz",
    "种": "cz", "朝": "cz", "解": "jx", "省": "sx", "率": "ls", "参": "cs", "藏": "cz",
    "便": "bp", "单": "ds", "给": "gj", "期": "jq", "系": "jx", "仇": "cq", "校": "jx",
}  # fmt: skip


@cache
def initials_of(char: str) -> str:
    """Every pinyin initial `char` may have ("" when unknown); a Latin letter or digit
    is its own initial (lowercase), so "A区" matches "aq"."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return ""
    if len(encoded) != 2:
        return ""
    code = encoded[0] << 8 | encoded[1]
    if not _CODES[0] <= code <= _LEVEL_ONE_END:
        return ""
    letter = _STARTS[bisect_right(_CODES, code) - 1][1]
    both = _ALSO.get(char, "")
    return letter + both.replace(letter, "") if letter in both else letter


def initials(text: str) -> list[str]:
    """Each character's possible initials, skipping characters that have none."""
    return [found for found in (initials_of(c) for c in text) if found]


def matches_initials(text: str, typed: str) -> bool:
    """Whether `typed` (lowercase letters and digits) spells the initials that `text`
    starts with: "xc" and "xchd" both match 宣传活动."""
    letters = initials(text)
    if not typed or len(typed) > len(letters):
        return False
    return all(letter in options for letter, options in zip(typed, letters, strict=False))
