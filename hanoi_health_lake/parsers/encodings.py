"""What encoding a file's bytes most likely are, to tell a sender why the file was refused.

We accept UTF-8 (with or without BOM) and, for CSV, Windows-1258; Windows-1258 decodes almost any
bytes, so a Big5 or Shift-JIS file would "decode" into nonsense. charset-normalizer names the
likely encoding; it is asked only about bytes that are not UTF-8, and on a sample, so it costs
nothing on the files we accept.
"""

from __future__ import annotations

import re
import unicodedata

from charset_normalizer import from_bytes

SAMPLE_BYTES = 64 * 1024
# Multi-byte encodings that are never Vietnamese Windows-1258 text: a file charset-normalizer
# reads as one of these is refused (`file.encoding`) rather than accepted as nonsense.
FOREIGN_MULTIBYTE = frozenset(
    {
        "big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jp", "euc_kr",
        "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "iso2022_kr", "johab", "shift_jis",
        "shift_jis_2004", "utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le",
    }
)  # fmt: skip


def likely_encoding(data: bytes) -> str | None:
    """charset-normalizer's best guess for `data` (a Python codec name), or None."""
    best = from_bytes(data[:SAMPLE_BYTES]).best()
    return best.encoding if best is not None else None


def _vietnamese_only() -> re.Pattern[str]:
    """A character that Vietnamese text in Windows-1258 never decodes to: anything but ASCII,
    the vowels with their marks (precomposed, or a base letter and a combining tone, as
    Windows-1258 writes them), đ/Đ, and the typographic punctuation of the code page."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    letters = {
        unicodedata.normalize("NFC", base + tone)
        for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
        for tone in ("", *tones)
    }
    allowed = "".join(sorted(letters)) + "đĐ" + tones + "–—‘’“”…°₫"
    return re.compile(f"[^\x00-\x7f{allowed}]")


_NOT_VIETNAMESE = _vietnamese_only()


def foreign_multibyte(data: bytes) -> str | None:
    """The encoding of bytes that are surely not Windows-1258: charset-normalizer's best guess
    is a CJK or UTF-16/32 encoding and Windows-1258 is not even among its candidates.

    A sample that reads as Vietnamese in Windows-1258 is answered at once: CJK or UTF-16 bytes
    always decode to letters no Vietnamese text holds (Ä, ÿ, ×, ¤…), and charset-normalizer,
    about 2 ms a file, was a tenth of a city day's ingest with its 3,500 Windows-1258 CSVs."""
    sample = data[:SAMPLE_BYTES]
    if not _NOT_VIETNAMESE.search(sample.decode("cp1258", errors="replace")):
        return None
    matches = from_bytes(sample)
    best = matches.best()
    if best is None or best.encoding not in FOREIGN_MULTIBYTE:
        return None
    return None if any(m.encoding == "cp1258" for m in matches) else best.encoding


def looks_utf16(data: bytes) -> bool:
    return data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:SAMPLE_BYTES]


def hint(data: bytes) -> str:
    """` (the bytes are most likely big5)` for a refused file that is not UTF-8, else ``."""
    try:
        data.decode("utf-8-sig")
        return ""
    except UnicodeDecodeError:
        pass
    guess = likely_encoding(data)
    return f" (the bytes are most likely {guess}, by charset-normalizer)" if guess else ""
