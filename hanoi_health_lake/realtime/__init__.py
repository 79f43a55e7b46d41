"""The arrival path: files ingested as they land, (service day, facility) slice by slice
(docs/operators-guide.md, "Two paths: arrivals and backfills")."""
