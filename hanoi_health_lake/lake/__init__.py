"""Delta Lake storage: table paths, partition writes, per-table writer locks (no Dagster import)."""
