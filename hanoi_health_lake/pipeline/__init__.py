"""The ingest of one service day, as plain functions: parse → bronze → supersede → validate →
conform → tables ready to write. Dagster assets and `hhl run` call into here."""
