"""Fixtures shared by every test folder; their helpers live in importable modules beside this."""

import pytest

from tests.shared_cache import remember_root
from tests.simulator_fixtures import simulated_tiny  # noqa: F401  (a session fixture)

# The modules that hold one xdist worker longest, longest first (measured: docs/testing.md,
# "Speed"). `make test` hands whole modules to the two workers in collection order
# (--dist loadfile --no-loadscope-reorder), so these start at once and the many short modules
# fill in around them; left to xdist's default order (most tests first) the Postgres module,
# with few tests, started minutes late and its worker finished long after the other.
LONGEST_FIRST = (
    "tests/integration/test_production_postgres.py",
    "tests/fuzz/test_fuzz_ingest.py",
    "tests/browser/test_dagster_ui.py",
    "tests/integration/test_ingest_parallel.py",
    "tests/integration/test_ingest_no_double_count.py",
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
