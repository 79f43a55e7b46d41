"""Asset checks: data contracts, facility volume, reconciliation, as Dagster check results."""
