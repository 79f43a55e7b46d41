"""Encoding CSV text the way Vietnamese hospital software writes it.

Windows-1258 has the base letters with circumflex, breve and horn (â ê ô ă ơ ư đ) and the five
tone marks as combining characters, but few precomposed toned letters; text is written with the
tone mark after the letter ("ế" = "ê" + U+0301). A reader decodes it and normalises to NFC.
"""

from __future__ import annotations

import unicodedata
from functools import cache


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1258")
    except UnicodeEncodeError:
        return False
    return True


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _cp1258_form(ch: str) -> str:
    """`ch` as Windows-1258 spells it: the base letter with its circumflex, breve or horn
    precomposed, then the tone mark as a combining character."""
    if _encodable(ch):
        return ch
    decomposed = unicodedata.normalize("NFD", ch)
    tones = "".join(m for m in decomposed[1:] if m in _TONE_MARKS)
    others = "".join(m for m in decomposed[1:] if m not in _TONE_MARKS)
    head = unicodedata.normalize("NFC", decomposed[0] + others)
    if len(head) == 1 and _encodable(head) and _encodable(tones):
        return head + tones
    raise UnicodeEncodeError("cp1258", ch, 0, 1, "no Windows-1258 spelling")


@cache
def _cp1258_table() -> dict[int, str]:
    # Latin-1 Supplement to Latin Extended Additional covers every Vietnamese letter.
    table = {}
    for cp in range(0x00C0, 0x1F00):
        ch = chr(cp)
        if unicodedata.category(ch).startswith("L") and not _encodable(ch):
            try:
                table[cp] = _cp1258_form(ch)
            except UnicodeEncodeError:
                continue
    return table


def encode_text(text: str, encoding: str) -> bytes:
    """`encoding`: utf-8, utf-8-sig (with BOM), cp1258 (decomposed) or utf-16 (Excel's
    "Unicode text", which the warehouse does not accept)."""
    if encoding == "cp1258":
        return text.translate(_cp1258_table()).encode("cp1258")
    return text.encode(encoding)
