"""Parse untrusted XML (16,000 senders) without letting a file attack the parser.

Library: `lxml` (libxml2), with a hardened parser, rather than `defusedxml`. Why: the dossier
signature has to be verified with `signxml`, which works on lxml trees, so the envelope is parsed
once, by lxml, and the signature is checked on that same tree; defusedxml's lxml support is
deprecated and its ElementTree flavour would mean a second parse with another library. lxml is
the most used XML library for Python and is hardened here as follows:

- entities are never expanded (`resolve_entities=False`), no DTD is loaded (`load_dtd=False`),
  nothing is fetched from the network (`no_network=True`): a "billion laughs" bomb or an external
  entity pointing at a local file (XXE) stays an unexpanded reference, so parsing is bounded in
  time and memory and the referenced file is never read;
- and then any document that declares a DTD at all is rejected (`xml.forbidden_dtd`): QĐ 130 files
  never have one, so a DOCTYPE is either a mistake or an attack, and is refused before any of its
  content is used;
- libxml2's own limits stay on (`huge_tree=False`: depth 256, 10 MB per text node), and ours are
  tighter and named (`XmlLimits`): bytes of a file, bytes of one decoded inner table, element depth
  and element count, counted while parsing so an oversized file stops early.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from hanoi_health_lake.config import setting
from hanoi_health_lake.parsers import rejection as r

FORBIDDEN_DTD = "xml.forbidden_dtd"
TOO_LARGE = "xml.too_large"
TOO_COMPLEX = "xml.too_complex"

_ENV_PREFIX = "HHL_XML_"
MIN_ELEMENT_BYTES = 4  # `<a/>`: no element takes fewer bytes


@dataclass(frozen=True)
class XmlLimits:
    """Named limits for untrusted XML; each can be set by `HHL_XML_<NAME>` (upper case)."""

    # A day's dossier of a large hospital is tens of MB; four times that is surely wrong.
    max_file_bytes: int = 256 * 2**20
    # One decoded NOIDUNGFILE (one table of one episode): a long stay's drug lines fit in 1 MB.
    max_table_bytes: int = 16 * 2**20
    # The envelope with its signature is about 8 deep; the inner tables 3.
    max_depth: int = 32
    # Elements in one document (the envelope, or one inner table).
    max_elements: int = 2_000_000

    @classmethod
    def from_env(cls) -> XmlLimits:
        values = {}
        for name in cls.__dataclass_fields__:
            text = setting(_ENV_PREFIX + name.upper())
            if text:
                try:
                    values[name] = int(text)
                except ValueError:
                    raise ValueError(
                        f"{_ENV_PREFIX}{name.upper()} must be a whole number"
                    ) from None
        return cls(**values)


def parse_untrusted(
    data: bytes, limits: XmlLimits, what: str, malformed_rule: str
) -> etree._Element:
    """The root element of `data`, or FileRejected: `malformed_rule` when it is not well-formed
    XML, `xml.forbidden_dtd` when it declares a DTD or entities, `xml.too_complex` past the
    depth or element limit. `what` names the document in messages ("the envelope", "XML2 of …")."""
    if len(data) <= MIN_ELEMENT_BYTES * limits.max_elements:
        # Too short to hold more elements than the limit, so nothing can run away while it is
        # parsed: parse it whole and check after (the event loop below costs a Python step per
        # element: a city day's envelopes and check-ins spent 2 s in it).
        return parse_small(data, limits, what, malformed_rule)
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        # Comments and processing instructions stay: the signature's digest may cover them.
    )
    depth = elements = 0
    try:
        for event, _ in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            elements += 1
            if depth > limits.max_depth:
                raise r.FileRejected(
                    TOO_COMPLEX, f"{what} nests deeper than {limits.max_depth} elements"
                )
            if elements > limits.max_elements:
                raise r.FileRejected(
                    TOO_COMPLEX, f"{what} has more than {limits.max_elements} elements"
                )
    except etree.XMLSyntaxError as exc:
        if _declares_dtd(data):
            raise r.FileRejected(FORBIDDEN_DTD, f"{what} declares a DTD (DOCTYPE)") from None
        raise r.FileRejected(malformed_rule, f"{what} is not well-formed XML ({exc.msg})") from None
    root = events.root
    if root is None:
        raise r.FileRejected(malformed_rule, f"{what} has no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise r.FileRejected(
            FORBIDDEN_DTD,
            f"{what} declares a DTD (DOCTYPE); entities and DTDs are refused, unread",
        )
    return root


_LOCAL = threading.local()  # lxml parsers must not be shared between threads
_COUNT = etree.XPath("count(//*)")


@lru_cache(maxsize=4)
def _deeper_than(depth: int) -> etree.XPath:
    return etree.XPath("boolean(/" + "*/" * depth + "*)")


def _small_parser() -> etree.XMLParser:
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
        )
    return parser


def parse_small(data: bytes, limits: XmlLimits, what: str, malformed_rule: str) -> etree._Element:
    """`parse_untrusted` for a document already known to be small (an inner table, checked
    against `max_table_bytes` before decoding, or any document too short to pass the element
    limit): parsed whole with one reusable hardened parser,
    about five times faster than an iterparse per table, then held to the same depth and count
    limits (counted in libxml2's XPath, not in Python)."""
    try:
        root = etree.fromstring(data, _small_parser())
    except etree.XMLSyntaxError as exc:
        if _declares_dtd(data):
            raise r.FileRejected(FORBIDDEN_DTD, f"{what} declares a DTD (DOCTYPE)") from None
        raise r.FileRejected(malformed_rule, f"{what} is not well-formed XML ({exc.msg})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise r.FileRejected(
            FORBIDDEN_DTD,
            f"{what} declares a DTD (DOCTYPE); entities and DTDs are refused, unread",
        )
    if _deeper_than(limits.max_depth)(root):
        raise r.FileRejected(TOO_COMPLEX, f"{what} nests deeper than {limits.max_depth} elements")
    if _COUNT(root) > limits.max_elements:
        raise r.FileRejected(TOO_COMPLEX, f"{what} has more than {limits.max_elements} elements")
    return root


def _declares_dtd(data: bytes) -> bool:
    """A DOCTYPE in the prolog (before the root element), for a document that did not parse."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def check_size(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise r.FileRejected(TOO_LARGE, f"{what} is {size} bytes, above the limit of {limit}")
