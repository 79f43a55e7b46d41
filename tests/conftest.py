"""Fixtures shared by every test folder; their helpers live in importable modules beside this."""

import pytest

from tests.shared_cache import remember_root
from tests.simulator_fixtures import simulated_tiny  # noqa: F401  (a session fixture)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-minutes",
        type=float,
        default=0,
        help="run the fuzzing suite (tests/fuzz) for this many minutes instead of its short "
        "budget, including the seed sweep (docs/testing.md)",
    )


@pytest.fixture(scope="session", autouse=True)
def _shared_builds_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tell helpers that are plain functions, not fixtures (tests/browser/report_page.py), where
    this session's shared builds go, so the xdist workers build each home once between them."""
    remember_root(tmp_path_factory)


@pytest.fixture(scope="session", autouse=True)
def _identity_key() -> None:
    """Every ingest encrypts the day's identities (health_book/keys.py): a test key, never the
    developer's own key file."""
    import os

    os.environ.setdefault("HHL_IDENTITY_KEY", IDENTITY_TEST_KEY)


IDENTITY_TEST_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
