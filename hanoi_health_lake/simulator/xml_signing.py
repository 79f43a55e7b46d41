"""Signing a dossier as a facility's HIS does: an enveloped XML-DSig inside CHUKYDONVI (signxml)."""

from __future__ import annotations

from lxml import etree
from signxml import XMLSigner, methods

from hanoi_health_lake.parsers.xml_signature import DSIG


def sign_dossier(root: etree._Element, key_pem: bytes, cert_pem: bytes) -> etree._Element:
    """The signed envelope; the signature covers the whole document and carries the certificate."""
    holder = root.find("CHUKYDONVI")
    if holder is None:
        holder = etree.SubElement(root, "CHUKYDONVI")
    holder.clear()
    etree.SubElement(holder, f"{{{DSIG}}}Signature", Id="placeholder", nsmap={"ds": DSIG})
    signer = XMLSigner(
        method=methods.enveloped, signature_algorithm="rsa-sha256", digest_algorithm="sha256"
    )
    return signer.sign(root, key=key_pem, cert=cert_pem)
