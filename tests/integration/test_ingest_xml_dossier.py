"""A hand-built QĐ 130 XML dossier, landed in a tiny simulated day, reaches silver through the
real pipeline (Dagster in-process, Delta, contracts); a hostile dossier fails only itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from hanoi_health_lake.automation.inprocess import run_days
from hanoi_health_lake.config import registry_path
from hanoi_health_lake.simulator import xml_export
from tests.integration.lake_helpers import SILVER, ZONES, copy_home, read
from tests.xml_dossiers import PEOPLE, episode

DAY = date(2026, 3, 1)
SECRET = "TOP-SECRET-FROM-THE-SERVER-7f3a"


@pytest.fixture(scope="module")
def xml_home(simulated_home: Path, tmp_path_factory: pytest.TempPathFactory):
    home = copy_home(simulated_home, tmp_path_factory.mktemp("xml") / "home")
    codes = pl.read_csv(registry_path(home), infer_schema=False)["facility_code"].to_list()
    sender, target = codes[0], codes[1]
    folder = home / "landing" / sender / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    episodes = [
        episode(f"X{sender}-{n}", person, sender, target) for n, person in enumerate(PEOPLE)
    ]
    good = folder / "hoso__20260302T061500.xml"
    good.write_bytes(xml_export.to_bytes(xml_export.dossier(sender, "20260302", episodes)))
    secret = tmp_path_factory.mktemp("server") / "passwd"
    secret.write_text(SECRET)
    hostile = folder / "hoso__20260302T070000.xml"
    hostile.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS [<!ENTITY x SYSTEM "file://'
        + str(secret).encode()
        + b'">]><GIAMDINHHS><THONGTINDONVI><MACSKCB>&x;</MACSKCB></THONGTINDONVI></GIAMDINHHS>'
    )
    assert all(r.success for r in run_days(home, DAY, DAY))
    return home, sender, good.relative_to(home / "landing").as_posix(), hostile


def test_the_dossier_lands_in_every_silver_table_it_feeds(xml_home):
    home, _, rel, _ = xml_home
    expected = {
        "encounters": 2, "diagnoses": 26, "prescription_items": 4, "prescriptions": 2,
        "referrals": 2, "appointments": 2, "services": 2, "lab_results": 2,
    }  # fmt: skip
    for table, n in expected.items():
        rows = read(home, table).filter(pl.col("source_file") == rel)
        assert rows.height == n, table
    encounters = read(home, "encounters").filter(pl.col("source_file") == rel)
    assert set(encounters["source_format"]) == {"qd130_xml"}
    assert encounters["patient_key_type"].to_list() == ["cccd", "cccd"]
    # XML2–4 lines borrow the patient of their episode
    services = read(home, "services").filter(pl.col("source_file") == rel)
    assert sorted(services["patient_key"]) == sorted(encounters["patient_key"])


def test_bronze_keeps_every_table_with_its_own_dataset(xml_home):
    home, _, rel, _ = xml_home
    bronze = read(home, "bronze_records").filter(pl.col("source_file") == rel)
    counted = bronze.filter(~pl.col("is_auxiliary")).group_by("dataset").len()
    assert dict(counted.iter_rows()) == {
        "encounters": 2, "prescriptions": 4, "services": 2, "lab_results": 2,
        "referrals": 2, "appointments": 2,
    }  # fmt: skip
    kept = bronze.filter(pl.col("is_auxiliary"))
    assert kept.select("dataset", "resource_type").unique().rows() == [("hoso", "XML8")]
    assert kept.height == 2


def test_reconciliation_counts_the_dossier_per_dataset(xml_home):
    home, sender, _, _ = xml_home
    recon = read(home, "reconciliation").filter(pl.col("facility_code") == sender)
    mine = {r["dataset"]: r for r in recon.iter_rows(named=True)}
    assert (mine["hoso"]["files"], mine["hoso"]["files_failed"]) == (2, 1)
    for dataset, n in {"services": 2, "lab_results": 2}.items():
        row = mine[dataset]
        assert (row["delivered"], row["accepted"], row["quarantined"]) == (n, n, 0)
    for row in recon.iter_rows(named=True):
        assert row["delivered"] == row["accepted"] + row["quarantined"] + row["superseded"]


def test_the_hostile_dossier_is_quarantined_and_its_target_appears_nowhere(xml_home):
    home, _, _, hostile = xml_home
    quarantined = read(home, "quarantine").filter(pl.col("dataset") == "hoso")
    assert quarantined["rule_ids"].to_list() == [["xml.forbidden_dtd"]]
    assert hostile.name in quarantined["reason"][0]
    for name in ZONES:
        text = repr(read(home, name).rows())
        assert SECRET not in text, name


def test_no_identifier_of_the_dossier_reaches_silver(xml_home):
    home, _, _, _ = xml_home
    secrets = [
        p[k] for p in PEOPLE for k in ("HO_TEN", "SO_CCCD", "MA_THE_BHYT", "DIEN_THOAI", "DIA_CHI")
    ]
    for name in SILVER:
        text = repr(read(home, name).rows())
        assert not [s for s in secrets if s in text], name
