"""Reference data: Hanoi wards, facility registry, ICD-10 list, drug list (no Dagster import)."""
