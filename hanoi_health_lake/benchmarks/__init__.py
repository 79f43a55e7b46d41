"""Benchmarks behind `hhl bench`: code that measures the system, kept apart from the domain
packages so that no pipeline module imports it (tests/unit/test_package_layers.py checks).

- ingest.py: `hhl bench ingest`, the full ingest against a plain bulk read;
- parsers.py: `hhl bench parsers`, parser throughput on a synthetic city-like day;
- marts.py: `hhl bench marts`, a day's incremental refresh on 30 vs 90 days of history, with
  lake_tables.py (lake tables built in memory and written as Delta tables, also used by tests)
  and synthetic_day.py (one synthetic service day of every table the marts read);
- detection.py: `hhl bench detection`, with encounters_landing.py (a day's diagnoses straight
  from landing files) and detection_scoring.py (scoring against injected outbreaks);
- simulator.py: `hhl bench simulate`.
"""
