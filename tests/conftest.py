"""Fixtures shared by every test folder; their helpers live in importable modules beside this."""

import pytest

from tests.shared_cache import remember_root
from tests.simulator_fixtures import simulated_tiny  # noqa: F401  (a session fixture)

# The modules that hold one xdist worker longest, longest first (worker-seconds measured with
# --durations and --junitxml: docs/testing.md, "Speed"). `make test` hands whole modules to the two
# workers in collection order (--dist loadfile --no-loadscope-reorder), so these start first and
# the many short modules fill in around them. Left to xdist's default order (most tests first) the
# Postgres module, with seven tests, started five minutes in and its worker finished long after the
# other. A module missing here only starts later; keep the list to the measured heavy ones.
LONGEST_FIRST = (
    "tests/integration/test_production_postgres.py",
    "tests/integration/test_ingest_reruns.py",
    "tests/integration/test_exit_status.py",
    "tests/integration/test_ingest_out_of_range.py",
    "tests/integration/test_run_stopping.py",
    "tests/browser/test_dagster_ui.py",
    "tests/integration/test_outbreaks_assets.py",
    "tests/browser/test_report_first_screen.py",
    "tests/integration/test_outbreaks_silence.py",
    "tests/integration/test_hhl_run_cli.py",
    "tests/integration/test_simulator_xml_dossiers.py",
    "tests/integration/test_pseudonym_rekey.py",
    "tests/fuzz/test_fuzz_ingest.py",
    "tests/integration/test_ingest_xml_dossier.py",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-minutes",
        type=float,
        default=0,
        help="run the fuzzing suite (tests/fuzz) for this many minutes instead of its short "
        "budget, including the seed sweep (docs/testing.md)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the modules of LONGEST_FIRST to the front, in that order; every other test keeps its
    place, and a module's tests stay together and in their order."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(LONGEST_FIRST)))


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
