"""Writing QĐ 130 XML dossiers the way a hospital system does (`GIAMDINHHS` envelope).

An episode is a list of (LOAIHOSO, rows): each row a dict of QĐ 130 field → text, in order. The
inner table is wrapped as its layout says (formats/qd130.py DOSSIER_ROOT_TAG / DOSSIER_ROW_TAG),
serialised as UTF-8 XML and base64-encoded into NOIDUNGFILE. Tests build dossiers with this, and
then break them on purpose; the signature (CHUKYDONVI) is added by `xml_signing.sign_dossier`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from lxml import etree

from hanoi_health_lake.formats import qd130

Episode = Sequence[tuple[str, Sequence[dict[str, str]]]]
# The wrapper between an inner table's root and its rows (vendors' layouts).
_LIST_TAG = {
    "XML2": "DSACH_CHI_TIET_THUOC",
    "XML3": "DSACH_CHI_TIET_DVKT",
    "XML4": "DSACH_CHI_TIET_CLS",
}


def inner_table(table: str, rows: Sequence[dict[str, str]]) -> bytes:
    """One table of one episode as the XML the HIS puts in NOIDUNGFILE (before base64)."""
    root_tag = qd130.DOSSIER_ROOT_TAG.get(table, f"CHI_TIEU_{table}")
    root = etree.Element(root_tag)
    row_tag = qd130.DOSSIER_ROW_TAG.get(table)
    if row_tag:
        holder = etree.SubElement(root, _LIST_TAG[table])
        parents = [etree.SubElement(holder, row_tag) for _ in rows]
    else:
        parents = [root] * len(rows[:1])
    for parent, row in zip(parents, rows, strict=False):
        for column, value in row.items():
            etree.SubElement(parent, column).text = value
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def file_element(table: str, content: bytes) -> etree._Element:
    element = etree.Element("FILEHOSO")
    etree.SubElement(element, "LOAIHOSO").text = table
    etree.SubElement(element, "NOIDUNGFILE").text = base64.b64encode(content).decode("ascii")
    return element


def dossier(
    facility_code: str,
    created: str,
    episodes: Sequence[Episode],
    *,
    declared: int | None = None,
) -> etree._Element:
    """The envelope as a tree (sign it, or serialise it with `to_bytes`). `declared` overrides
    SOLUONGHOSO (a wrong count is a fault the simulator injects)."""
    root = etree.Element("GIAMDINHHS")
    etree.SubElement(etree.SubElement(root, "THONGTINDONVI"), "MACSKCB").text = facility_code
    info = etree.SubElement(root, "THONGTINHOSO")
    etree.SubElement(info, "NGAYLAP").text = created
    etree.SubElement(info, "SOLUONGHOSO").text = str(
        len(episodes) if declared is None else declared
    )
    listing = etree.SubElement(info, "DANHSACHHOSO")
    for episode in episodes:
        hoso = etree.SubElement(listing, "HOSO")
        for table, rows in episode:
            hoso.append(file_element(table, inner_table(table, rows)))
    etree.SubElement(root, "CHUKYDONVI")
    return root


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
