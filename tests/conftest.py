"""Fixtures shared by every test folder; their helpers live in importable modules beside this."""

from tests.simulator_fixtures import simulated_tiny  # noqa: F401  (a session fixture)
