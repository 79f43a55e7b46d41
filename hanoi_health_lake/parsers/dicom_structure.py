"""Is a DICOM Part 10 file cut short? pydicom reads what is there and stops quietly at the end.

We walk the element headers (never the values) from the meta group to the end, checking that
every declared length fits in the file and that undefined-length sequences and encapsulated
pixel data reach their delimiters. A structure we do not understand is given the benefit of the
doubt: only a provable shortfall counts as truncation.
"""

from __future__ import annotations

import struct

UNDEFINED = 0xFFFFFFFF
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
# Explicit-VR value representations with a 2-byte reserved field and a 4-byte length.
LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED = ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.8.1")


class _CutShort(Exception):
    pass


class _Unknown(Exception):
    pass


class _Walker:
    def __init__(self, data: bytes, explicit: bool, little: bool) -> None:
        self.data, self.explicit, self.endian = data, explicit, "<" if little else ">"

    def header(self, pos: int) -> tuple[int, int, int]:
        """(tag, value length, header size) of the element at `pos`."""
        data, end = self.data, self.endian
        if pos + 8 > len(data):
            raise _CutShort
        group, elem = struct.unpack_from(f"{end}HH", data, pos)
        tag = group << 16 | elem
        if group == 0xFFFE or not self.explicit:
            return tag, struct.unpack_from(f"{end}I", data, pos + 4)[0], 8
        vr = data[pos + 4 : pos + 6]
        if not (vr.isalpha() and vr.isupper()):
            raise _Unknown
        if vr in LONG_VRS:
            if pos + 12 > len(data):
                raise _CutShort
            return tag, struct.unpack_from(f"{end}I", data, pos + 8)[0], 12
        return tag, struct.unpack_from(f"{end}H", data, pos + 6)[0], 8

    def elements(self, pos: int, stop_tag: int | None = None, group: int | None = None) -> int:
        """Walk elements from `pos` to the end (or `stop_tag`, or past `group`); return the end."""
        while pos < len(self.data):
            if group is not None and self.data[pos : pos + 2] != struct.pack("<H", group):
                return pos
            tag, length, size = self.header(pos)
            pos += size
            if tag == stop_tag:
                return pos
            pos = self.items(pos) if length == UNDEFINED else pos + length
            if pos > len(self.data):
                raise _CutShort
        if stop_tag is not None:
            raise _CutShort
        return pos

    def items(self, pos: int) -> int:
        """Items of an undefined-length sequence (or pixel fragments) up to the delimiter."""
        while True:
            tag, length, _ = self.header(pos)
            pos += 8
            if tag == SEQUENCE_END:
                return pos
            if tag != ITEM:
                raise _Unknown
            pos = self.elements(pos, stop_tag=ITEM_END) if length == UNDEFINED else pos + length
            if pos > len(self.data):
                raise _CutShort


def is_truncated(
    data: bytes, has_preamble: bool, transfer_syntax: str | None, little: bool
) -> bool:
    """True when the file provably ends before its declared content does."""
    try:
        pos = 0
        if has_preamble:
            pos = _Walker(data, explicit=True, little=True).elements(132, group=0x0002)
        if transfer_syntax in DEFLATED:
            return False  # the dataset is compressed; pydicom inflates and checks it
        explicit = transfer_syntax != IMPLICIT_LE if transfer_syntax else None
        if explicit is None:
            vr = data[pos + 4 : pos + 6]
            explicit = vr.isalpha() and vr.isupper()
        little = little if transfer_syntax is None else transfer_syntax != EXPLICIT_BE
        _Walker(data, explicit, little).elements(pos)
    except _CutShort:
        return True
    except (_Unknown, struct.error):
        return False
    return False
