"""Helpers only tests use; nothing under hanoi_health_lake/ may import them."""
