"""The surveillance assets materialised on the small ingested lake, then the bulletin command."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from deltalake import DeltaTable

from hanoi_health_lake.assets.outbreaks import OUTBREAK_ASSETS
from hanoi_health_lake.cli import main
from hanoi_health_lake.reference.disease_groups import disease_groups, groups_for
from hanoi_health_lake.reference.registry import load_registry
from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.resources import LakeResource
from tests.browser.report_page import build_marts
from tests.integration.lake_helpers import INGESTED, copy_home, days, read

GOLD = ("case_counts", "outbreak_signals", "facility_silence", "reporting_completeness")
DAYS = days("2026-03-01", "2026-03-02", "2026-03-03")
assert (DAYS[0], DAYS[-1]) == INGESTED


def gold(home: Path, name: str) -> pl.DataFrame:
    return pl.from_arrow(DeltaTable(str(home / "lake" / "gold" / name)).to_pyarrow_table())


def materialise(home: Path, day: date) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        OUTBREAK_ASSETS,
        partition_key=day.isoformat(),
        resources={"lake": LakeResource(home=str(home))},
        instance=dg.DagsterInstance.ephemeral(),
    )


@pytest.fixture(scope="module")
def home(ingested_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = copy_home(ingested_home, tmp_path_factory.mktemp("surveillance") / "home")
    for day in DAYS:
        assert materialise(home, day).success
    return home


def test_every_gold_table_has_one_partition_per_day(home: Path) -> None:
    for name in GOLD:
        assert sorted(gold(home, name)["service_date"].unique().to_list()) == DAYS, name


def test_first_day_cases_are_the_distinct_patients_per_group(home: Path) -> None:
    # On the lake's first day nothing came before, so every patient with a diagnosis in a
    # group is a new case of it.
    diagnoses = read(home, "diagnoses").filter(pl.col("service_date") == DAYS[0])
    expected: dict[str, set[str]] = {}
    for key, code in diagnoses.select("patient_key", "icd10").iter_rows():
        for group in groups_for(code):
            expected.setdefault(group, set()).add(key)
    city = gold(home, "case_counts").filter(
        (pl.col("service_date") == DAYS[0]) & (pl.col("geo_level") == "city")
    )
    assert {g: n for g, n in city.select("group_id", "cases").iter_rows() if n} == {
        g: len(keys) for g, keys in expected.items()
    }
    assert sum(len(k) for k in expected.values()) > 50  # the check is not vacuous


def test_counts_are_dense_and_wards_add_up_to_at_most_the_city(home: Path) -> None:
    counts = gold(home, "case_counts")
    assert counts.height == len(DAYS) * len(disease_groups()) * (1 + len(hanoi_wards()))
    totals = counts.group_by("service_date", "group_id", "geo_level").agg(pl.col("cases").sum())
    wide = totals.pivot(on="geo_level", index=["service_date", "group_id"], values="cases")
    assert wide.filter(pl.col("ward") > pl.col("city")).is_empty()


def test_signals_say_why_and_short_history_never_alarms(home: Path) -> None:
    signals = gold(home, "outbreak_signals")
    assert signals.height == gold(home, "case_counts").height
    # Three days of history are too few for EARS C3.
    assert set(signals["status"]) == {"short_history"} and not signals["alarm"].any()
    assert signals["why"].str.contains("days of history").all()
    small = signals.filter((pl.col("geo_level") == "ward") & pl.col("observed").is_between(1, 4))
    assert small.height > 0 and small["suppressed"].all()


def test_silence_lists_the_facilities_expected_to_send(home: Path) -> None:
    silence = gold(home, "facility_silence").filter(pl.col("service_date") == DAYS[-1])
    registry = load_registry(home / "registry" / "facilities.csv").filter(
        pl.col("go_live_date") <= DAYS[-1], pl.col("datasets").list.contains("encounters")
    )
    assert set(silence["facility_code"]) == set(registry["facility_code"])
    completeness = gold(home, "reporting_completeness")
    assert completeness.filter(pl.col("geo_level") == "city").height == len(DAYS)


def test_no_gold_table_holds_a_person_identifier(home: Path) -> None:
    for name in GOLD:
        frame = gold(home, name)
        assert not {"patient_key", "citizen_id", "full_name", "phone"} & set(frame.columns)
        for column in frame.select(pl.col(pl.Utf8)).columns:
            assert not frame[column].drop_nulls().str.contains(r"^[0-9a-f]{64}$").any(), column


def test_a_rerun_replaces_the_day_in_one_commit_per_table(home: Path) -> None:
    before = {name: gold(home, name).sort(pl.all()) for name in GOLD}
    versions = {name: DeltaTable(str(home / "lake" / "gold" / name)).version() for name in GOLD}
    assert materialise(home, DAYS[1]).success
    for name in GOLD:
        assert gold(home, name).sort(pl.all()).equals(before[name]), name
        assert DeltaTable(str(home / "lake" / "gold" / name)).version() == versions[name] + 1


def test_hhl_bulletin_writes_a_self_contained_page(home: Path) -> None:
    # The bulletin reads the marts, as every report does: build them from the gold tables.
    build_marts(home)
    assert main(["bulletin", "--date", DAYS[-1].isoformat(), "--home", str(home)]) == 0
    page = (home / "reports" / f"bulletin-{DAYS[-1].isoformat()}.html").read_text("utf-8")
    assert "ngày 03/03/2026" in page and "Sốt xuất huyết Dengue" in page
    assert '<header class="top">' in page  # the reports' header and style
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(
        r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|<link rel="stylesheet""", markup
    )
    # A day not computed is an error that says what to run.
    assert main(["bulletin", "--date", "2026-03-04", "--home", str(home)]) == 2
