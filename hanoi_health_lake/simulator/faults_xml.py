"""Whole-file faults of a QĐ 130 XML dossier, each one the insurance gateway rejects the file for
(parsers/xml_qd130.py): the damage is done to the envelope tree before it is signed, as a
faulty HIS would sign what it built; a cut-off file, and the two attacks (an entity-expansion
bomb, an external entity naming a local file), are made after serialising."""

from __future__ import annotations

import base64
import random

from lxml import etree

from hanoi_health_lake.simulator.fault_values import FaultContext

TREE_FAULTS = (
    "xml_malformed_table", "xml_bad_base64", "xml_unknown_table", "xml_count_mismatch",
    "xml_episode_mismatch", "xml_facility_mismatch",
)  # fmt: skip
_UNKNOWN_TABLES = ("XML16", "XML0", "BANG1", "XML_1")
ATTACK_FAULTS = ("xml_entity_bomb", "xml_external_entity")
# A file whose content must never reach the lake: the parser refuses any DTD unread.
LOCAL_FILE = "file:///etc/passwd"


def _tables(root: etree._Element) -> list[etree._Element]:
    return root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")


def damage_tree(kind: str, root: etree._Element, ctx: FaultContext) -> str:
    """Damage `root` in place for `kind`; returns the kind done (a count mismatch when the file
    has nothing the kind needs, e.g. no episode of two tables for an MA_LK mismatch)."""
    rnd = ctx.rnd
    tables = _tables(root)
    if kind == "xml_facility_mismatch":
        root.find("THONGTINDONVI/MACSKCB").text = ctx.unregistered_code()
        return kind
    if kind in ("xml_malformed_table", "xml_bad_base64", "xml_unknown_table") and tables:
        target = rnd.choice(tables)
        content = target.find("NOIDUNGFILE")
        if kind == "xml_unknown_table":
            target.find("LOAIHOSO").text = rnd.choice(_UNKNOWN_TABLES)
        elif kind == "xml_bad_base64":
            text = content.text
            at = rnd.randrange(len(text))
            content.text = text[:at] + rnd.choice("%*!#") + text[at + 1 :]
        else:
            inner = base64.b64decode(content.text)
            cut = inner[: max(1, int(len(inner) * rnd.uniform(0.3, 0.9)))]
            content.text = base64.b64encode(cut).decode("ascii")
        return kind
    if kind == "xml_episode_mismatch":
        episodes = [h for h in root.iter("HOSO") if len(h.findall("FILEHOSO")) > 1]
        if episodes:
            content = rnd.choice(episodes).findall("FILEHOSO")[-1].find("NOIDUNGFILE")
            inner = base64.b64decode(content.text)
            start = inner.index(b"<MA_LK>") + len(b"<MA_LK>")
            end = inner.index(b"</MA_LK>", start)
            other = inner[start:end] + b"9"  # another episode's link, as a mixed-up export has
            inner = inner.replace(inner[start - 7 : end + 8], b"<MA_LK>" + other + b"</MA_LK>")
            content.text = base64.b64encode(inner).decode("ascii")
            return kind
    declared = root.find("THONGTINHOSO/SOLUONGHOSO")
    declared.text = str(int(declared.text) + rnd.randint(1, 3))
    return "xml_count_mismatch"


def cut_off(data: bytes, rnd: random.Random) -> bytes:
    """The file cut inside its body: the envelope no longer parses."""
    return data[: max(60, int(len(data) * rnd.uniform(0.3, 0.9)))]


def tamper(root: etree._Element, ctx: FaultContext) -> None:
    """Change the signed dossier as someone editing it afterwards would: an amount of XML1 (or,
    without one, the creation date), so the signature no longer verifies."""
    for content in root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO/NOIDUNGFILE"):
        inner = base64.b64decode(content.text)
        start = inner.find(b"<T_TONGCHI_BV>")
        if start < 0:
            continue
        start += len(b"<T_TONGCHI_BV>")
        end = inner.index(b"</", start)
        raised = str(int(inner[start:end] or b"0") + ctx.rnd.randint(1, 9) * 100_000).encode()
        content.text = base64.b64encode(inner[:start] + raised + inner[end:]).decode("ascii")
        return
    created = root.find("THONGTINHOSO/NGAYLAP")
    created.text = "19990101" if created.text != "19990101" else "20000101"


def _bomb_dtd() -> bytes:
    """Ten entities, each ten of the one before: `&lol9;` would be 10^9 "lol"s (3 GB)."""
    lines = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return ("<!DOCTYPE GIAMDINHHS [\n  " + "\n  ".join(lines) + "\n]>\n").encode()


def with_attack(data: bytes, kind: str) -> bytes:
    """The serialised dossier with a DTD after its XML declaration and the entity used as the
    text of NGAYLAP, as an attacker would send it."""
    if kind == "xml_entity_bomb":
        dtd, use = _bomb_dtd(), b"&lol9;"
    else:
        dtd = f'<!DOCTYPE GIAMDINHHS [\n  <!ENTITY ext SYSTEM "{LOCAL_FILE}">\n]>\n'.encode()
        use = b"&ext;"
    end = data.index(b"?>") + 2 if data.startswith(b"<?xml") else 0
    head, body = data[:end], data[end:].lstrip()
    start = body.index(b"<NGAYLAP>") + len(b"<NGAYLAP>")
    body = body[:start] + use + body[body.index(b"</NGAYLAP>", start) :]
    return head + b"\n" + dtd + body
