"""Benchmarks behind `hhl bench`: code that measures the system, kept apart from the domain
packages so that no pipeline module imports it."""
