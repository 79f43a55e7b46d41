"""The citizen's electronic health book (Sổ sức khỏe điện tử): a daily per-citizen FHIR feed.

docs/health-book.md is the contract for the receiving side. The identities it needs live only in
the restricted zone, each identifying field encrypted (cipher.py); only the feed decrypts them,
and every decryption leaves an audit row (audit.py).
"""
