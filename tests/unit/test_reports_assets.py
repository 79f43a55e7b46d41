"""The reports assets: a day's and a week's pages materialised through Dagster."""

from __future__ import annotations

import shutil
import warnings

import dagster as dg
import pytest

from hanoi_health_lake.assets.marts import MART_ASSETS
from hanoi_health_lake.assets.reports import (
    MART_DEPS,
    REPORT_ASSETS,
    coverage_report,
    coverage_report_weekly,
)
from hanoi_health_lake.resources import LakeResource
from tests.browser.report_page import SYNTHETIC_END, query, synthetic_home


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    copy = tmp_path_factory.mktemp("assets") / "home"
    shutil.copytree(synthetic_home(), copy)
    return copy


def test_report_assets_depend_on_the_marts_their_queries_read():
    mart_keys = {a.key for a in MART_ASSETS}
    for asset in REPORT_ASSETS:
        deps = {d.asset_key for d in asset.specs_by_key[asset.key].deps}
        assert {dg.AssetKey(name) for name in MART_DEPS} <= deps
        assert deps - {coverage_report.key} <= mart_keys
        assert asset.group_names_by_key[asset.key] == "reports"
    assert "mart_coverage_rollup_daily" in MART_DEPS and "mart_phase_status" in MART_DEPS
    defs = dg.Definitions(
        assets=[*MART_ASSETS, *REPORT_ASSETS], resources={"lake": LakeResource(home=".")}
    )
    defs.resolve_asset_graph()


def test_daily_asset_writes_the_days_pages_with_the_marts_headline(home):
    result = dg.materialize(
        [coverage_report],
        partition_key=SYNTHETIC_END.isoformat(),
        resources={"lake": LakeResource(home=str(home))},
    )
    assert result.success
    metadata = result.asset_materializations_for_node("coverage_report")[0].metadata
    for name in ("coverage_html", "coverage_xlsx", "dashboard_html", "dashboard_xlsx"):
        assert metadata[name].value.startswith(str(home / "reports" / "daily"))
    mart = query(
        home,
        "select on_time_share, facilities_expected from mart_coverage_rollup_daily "
        "where service_date = ? and dimension = 'city' and dataset = 'all'",
        [SYNTHETIC_END],
    )[0]
    assert metadata["on_time_share"].value == pytest.approx(mart["on_time_share"])
    assert metadata["facilities_expected"].value == mart["facilities_expected"]


def test_weekly_asset_is_partitioned_monday_to_sunday(home):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = dg.materialize(
            [coverage_report_weekly],
            partition_key="2026-03-09",
            resources={"lake": LakeResource(home=str(home))},
        )
    assert result.success
    window = coverage_report_weekly.partitions_def.time_window_for_partition_key("2026-03-09")
    assert (window.end - window.start).days == 7 and window.start.weekday() == 0
    assert (home / "reports" / "weekly" / "2026-03-09" / "dashboard.xlsx").exists()
