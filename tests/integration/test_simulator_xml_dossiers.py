"""`hhl simulate --xml-share 1.0`: every hospital sends signed QĐ 130 XML dossiers, and the real
ingest finds exactly the simulator's ground truth for them — counts per facility, dataset and
day, every injected fault under its rule, nothing clean quarantined, every signature valid."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.config import registry_path
from hanoi_health_lake.simulator.run import simulate
from tests.integration.lake_helpers import (
    assert_counts_reconcile,
    assert_quarantine_holds_exactly,
    day_text,
    ground_truth,
    read,
)

DAY = date(2026, 3, 1)
DAYS = 2


@pytest.fixture(scope="module")
def xml_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("xml_sim") / "home"
    # A high fault rate, so whole-dossier rejections happen too among a few dozen dossiers.
    simulate(DAY, DAYS, "tiny", seed=8, out=home, fault_rate=0.25, xml_share=1.0)
    assert all(r.success for r in run_days(home, DAY, DAY.replace(day=DAYS)))
    return home


def _dossiers(home: Path) -> list[Path]:
    return sorted((home / "landing").glob("*/*/hoso__*.xml"))


def test_every_hospital_sends_signed_dossiers_and_nothing_else_for_its_records(xml_lake: Path):
    registry = pl.read_csv(registry_path(xml_lake), infer_schema=False)
    hospitals = registry.filter(pl.col("facility_type").str.ends_with("hospital"))
    assert set(hospitals["export_format"]) == {"qd130_xml"}
    senders = {p.parts[-3] for p in _dossiers(xml_lake)}
    assert senders == set(hospitals["facility_code"])
    certs = {p.stem for p in (xml_lake / "registry" / "certificates").glob("*.pem")}
    assert certs == senders
    for code in senders:
        # imaging stays DICOM (some of those file names broken on purpose: unsafe_path)
        names = [p.name for p in (xml_lake / "landing" / code).glob("*/*")]
        others = [
            n
            for n in names
            if not n.startswith(("hoso__", "checkin__")) and "imaging_studies" not in n
        ]
        assert not others, (code, others)
    files = read(xml_lake, "bronze_files")
    hoso = files.filter(pl.col("source_file").str.contains("/hoso__"))
    assert hoso.height == len(_dossiers(xml_lake))
    # Signed with the facility's certificate: no signature verdict on any dossier that parses.
    parsed = hoso.filter(pl.col("status") == "ok")
    assert parsed.height > 0
    assert parsed.filter(pl.col("error_rule").is_not_null()).height == 0
    # Check-ins come as care starts, beside the dossiers, and count as their own dataset.
    checkins = files.filter(pl.col("source_file").str.contains("/checkin__"))
    assert checkins.height > 0 and set(checkins["status"]) == {"ok"}
    assert {p.split("/")[0] for p in checkins["source_file"]} == senders


def test_dossier_counts_equal_the_ground_truth_per_facility_dataset_and_day(xml_lake: Path):
    expected = ground_truth(xml_lake, "clean_counts").filter(pl.col("delivered") > 0)
    assert_counts_reconcile(expected, xml_lake)
    registry = pl.read_csv(registry_path(xml_lake), infer_schema=False)
    xml_codes = registry.filter(pl.col("export_format") == "qd130_xml")["facility_code"]
    from_xml = expected.filter(pl.col("facility_code").is_in(xml_codes.implode()))
    assert set(from_xml["dataset"]) >= {"encounters", "prescriptions"}
    assert from_xml["accepted"].sum() > 100
    # seed 8 has a late corrected dossier: a few episodes re-sent, their first copies superseded
    corrected = from_xml.filter(pl.col("superseded").is_between(1, pl.col("accepted") - 1))
    assert corrected.height > 0


def test_every_fault_in_a_dossier_is_quarantined_under_its_rule(xml_lake: Path):
    faults = ground_truth(xml_lake, "faults")
    in_dossiers = faults.filter(pl.col("file").str.contains("hoso__"))
    assert set(in_dossiers["level"]) == {"file", "record"}, "faults in rows and whole files"
    assert_quarantine_holds_exactly(faults, xml_lake)


def test_checkins_reach_silver_as_the_ground_truth_counts_them(xml_lake: Path):
    truth = ground_truth(xml_lake, "clean_counts").filter(pl.col("dataset") == "checkins")
    assert truth["accepted"].sum() > 0
    silver = day_text(read(xml_lake, "checkins"))
    got = silver.group_by("facility_code", "service_date").len()
    joined = truth.join(got, on=["facility_code", "service_date"], how="full", coalesce=True)
    assert joined.filter(pl.col("accepted").fill_null(-1) != pl.col("len").fill_null(0)).is_empty()
    # Care started on the folder's day, and the patient is a pseudonymous key.
    local_day = silver["admitted_at"].dt.convert_time_zone("Asia/Ho_Chi_Minh").dt.date()
    assert (local_day.cast(pl.Utf8) == silver["service_date"]).all()
    assert silver["patient_key"].null_count() == 0
    assert {"full_name", "citizen_id", "patient_local_id"}.isdisjoint(silver.columns)


def test_tables_not_yet_used_are_kept_and_counted_never_dropped(xml_lake: Path):
    files = read(xml_lake, "bronze_files").filter(pl.col("status") == "ok")
    kept = (
        files.select("kept_tables")
        .explode("kept_tables")
        .unnest("kept_tables")
        .drop_nulls("table_name")
    )
    records = read(xml_lake, "bronze_records").filter(
        (pl.col("dataset") == "hoso") & pl.col("is_auxiliary")
    )
    assert kept["records"].sum() == records.height > 0
    assert set(kept["table_name"]) == set(records["resource_type"]) == {"XML7"}
