"""Opening a report page in headless Debian Chromium through Playwright, recording every console
error and every request the page makes; and the homes the report tests read.

Chromium is the system one (`apt-get install chromium`), never a Playwright download.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class OpenedPage:
    page: object  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def external_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]

    def metric(self, metric: str) -> str:
        """The raw value (`data-v`) of the element showing a headline figure."""
        found = self.page.locator(f'[data-metric="{metric}"]')
        assert found.count() == 1, f"{metric}: {found.count()} elements"
        return found.get_attribute("data-v")

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def chromium_or_skip() -> None:
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    chromium_or_skip()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


CHARTS_DRAWN = (
    "document.querySelectorAll('.js-plotly-plot').length"
    " === document.querySelectorAll('[data-chart]').length"
)


@contextmanager
def open_page(chromium, path: Path, width: int = 1400) -> Iterator[OpenedPage]:
    """The page at `path`, loaded and its charts drawn. Every request is recorded, and any that
    is not local (file:, data:) is aborted, so a page that needs the network shows it."""
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    opened = OpenedPage(page)
    page.on("console", lambda m: m.type == "error" and opened.console_errors.append(m.text))
    page.on("pageerror", lambda e: opened.page_errors.append(str(e)))
    page.on("request", lambda r: opened.requests.append(r.url))
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL_SCHEMES) else r.abort()
    )
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_function(CHARTS_DRAWN)
        yield opened
    finally:
        context.close()


# --- homes with a built warehouse ---------------------------------------------------------------

SYNTHETIC_END = date(2026, 3, 15)  # a Sunday
SYNTHETIC_DAYS = 36  # enough for the 30-day trend and some same-weekday history
WEEK_START = date(2026, 3, 2)  # a Monday
PSEUDONYM_KEY = b"report-tests-key-0123456789"


def build_marts(home: Path) -> Path:
    """Build every SQL model into the home's warehouse, as the marts assets do."""
    from hanoi_health_lake.config import PROJECT_ROOT, lake_dir, warehouse_path
    from hanoi_health_lake.sqlmodels import Warehouse, load_models
    from hanoi_health_lake.sqlmodels.build import build
    from hanoi_health_lake.sqlmodels.loader import find_seeds

    sql = PROJECT_ROOT / "dbt_like_sql"
    build(Warehouse(warehouse_path(home)), lake_dir(home), load_models(sql), find_seeds(sql))
    return warehouse_path(home)


def _scratch(name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"hhl-report-{name}-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _built(build, *key) -> Path:
    """`build(folder)` once per session for every xdist worker (tests/shared_cache.py), or in a
    scratch folder when called outside pytest."""
    from tests.shared_cache import built_once, recorded_root

    root = recorded_root()
    if root is None:
        home = _scratch(str(key[0]))
        build(home)
        return home
    return built_once(root, build, *key)


@cache
def synthetic_home() -> Path:
    """A lake of synthetic days (the marts benchmark's generator: silent datasets, late files,
    quarantined records) and its warehouse: fast, and rich enough for every section. Built once
    per test session (shared by the xdist workers); read-only, tests that write work on copies."""
    return _built(_build_synthetic_home, "report-synthetic", SYNTHETIC_END, SYNTHETIC_DAYS)


def _build_synthetic_home(home: Path) -> None:
    import pyarrow as pa

    from hanoi_health_lake.benchmarks.lake_tables import reference_tables, write_lake
    from hanoi_health_lake.benchmarks.synthetic_day import synthetic_day, synthetic_facilities
    from hanoi_health_lake.config import lake_dir

    facilities = synthetic_facilities(60, home / "registry")
    days = [SYNTHETIC_END - timedelta(days=k) for k in range(SYNTHETIC_DAYS - 1, -1, -1)]
    parts = [synthetic_day(d, facilities, 160, seed=7) for d in days]
    tables = {name: pa.concat_tables([p[name] for p in parts]) for name in parts[0]}
    write_lake(lake_dir(home), reference_tables(facilities) | tables)
    build_marts(home)


@cache
def surveilled_home() -> Path:
    """The synthetic home plus the surveillance gold tables of its days (computed by the
    pipeline's own code) and the marts over them: a home with an outbreak bulletin."""
    from hanoi_health_lake.benchmarks.lake_tables import write_gold
    from hanoi_health_lake.config import lake_dir

    home = _scratch("surveilled")
    shutil.copytree(synthetic_home(), home, dirs_exist_ok=True)
    facilities = reference_facilities(home)
    days = [SYNTHETIC_END - timedelta(days=k) for k in range(SYNTHETIC_DAYS - 1, -1, -1)]
    write_gold(lake_dir(home), facilities, days)
    build_marts(home)
    return home


def reference_facilities(home: Path):
    """The home's facilities reference table (Arrow), as the lake holds it."""
    from deltalake import DeltaTable

    from hanoi_health_lake.config import lake_dir

    return DeltaTable(str(lake_dir(home) / "reference" / "facilities")).to_pyarrow_table()


@cache
def simulated_week_home() -> Path:
    """A simulated tiny Hanoi week (Monday to Sunday) with its ground truth, ingested without
    Dagster (the same day functions the ingest asset calls) and its marts built. Built once per
    test session (shared by the xdist workers); read-only."""
    return _built(_build_simulated_week_home, "report-week", WEEK_START)


def _build_simulated_week_home(home: Path) -> None:
    from hanoi_health_lake.config import lake_dir, landing_dir, registry_path
    from hanoi_health_lake.pipeline.ingest_day import ingest_day
    from hanoi_health_lake.pipeline.write_day import write_day
    from hanoi_health_lake.reference.registry import load_registry, registry_codes
    from hanoi_health_lake.simulator.run import simulate
    from tests.fuzz.pipeline import write_reference

    simulate(WEEK_START, 7, "tiny", 1, home, 0.01)
    write_reference(home, run_id="report-tests")
    codes = registry_codes(load_registry(registry_path(home)))
    for k in range(7):
        day = ingest_day(
            landing_dir(home),
            WEEK_START + timedelta(days=k),
            registry_codes=codes,
            key=PSEUDONYM_KEY,
            run_id="report-tests",
        )
        write_day(lake_dir(home), day, "report-tests")
    build_marts(home)


def synthetic_period(kind: str):
    from hanoi_health_lake.reports import day_period, week_period

    return day_period(SYNTHETIC_END) if kind == "daily" else week_period(SYNTHETIC_END)


@cache
def synthetic_pages(kind: str) -> dict[str, object]:
    """The synthetic home's pages (`coverage`, `dashboard`) for its last day or week."""
    from hanoi_health_lake.reports.build import build_pages

    return {page.kind: page for page in build_pages(synthetic_home(), synthetic_period(kind))}


def table_of(page, table_id: str):
    return next(t for t in page.tables() if t.id == table_id)


def table_rows(page, table_id: str) -> dict[str, dict]:
    """A table's rows by row id, each a dict of column id → value."""
    table = table_of(page, table_id)
    return {
        row_id: {c.id: v for c, v in zip(table.columns, row, strict=True)}
        for row_id, row in zip(table.row_ids, table.rows, strict=True)
    }


@cache
def synthetic_reports(kind: str = "daily"):
    """The synthetic home's reports for its last day (`daily`) or last week (`weekly`)."""
    from hanoi_health_lake.reports import write_reports

    # Each worker writes its own copy: the shared home is read by the other worker meanwhile.
    period = synthetic_period(kind)
    return write_reports(synthetic_home(), period, out_dir=_scratch("reports") / period.folder)


def query(home: Path, sql: str, params: list | None = None) -> list[dict]:
    """Rows of a query on the home's warehouse, opened read-only as an analyst would."""
    import duckdb
    import polars as pl

    from hanoi_health_lake.config import warehouse_path

    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    try:
        frame = con.sql(sql, params=params).pl()
    finally:
        con.close()
    # DuckDB sums integers into decimals; compare plain numbers.
    return frame.with_columns(
        pl.col(n).cast(pl.Int64 if t.scale == 0 else pl.Float64)
        for n, t in frame.schema.items()
        if isinstance(t, pl.Decimal)
    ).to_dicts()
