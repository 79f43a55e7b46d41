"""One file never stops the day: a number beyond what its silver column holds quarantines its
record under `conformance.out_of_range` (naming field and value), and a file our own code fails
on is set aside whole under `file.internal_error`; the rest of the day lands."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pydicom
import pytest

from hanoi_health_lake.formats import fhir_conventions as fc
from hanoi_health_lake.pipeline import ingest_day as ingest_day_module
from hanoi_health_lake.pipeline.ingest_day import ingest_day
from hanoi_health_lake.reference.registry import load_registry, registry_codes
from hanoi_health_lake.simulator.run import simulate

DAY = date(2026, 3, 1)
RULE = "conformance.out_of_range"


@pytest.fixture(scope="module")
def clean_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("range")
    simulate(DAY, 1, "tiny", seed=7, out=home, fault_rate=0.0, xml_share=0.0)  # CSV and FHIR files
    return home


def _ingest(home: Path):
    codes = registry_codes(load_registry(home / "registry" / "facilities.csv"))
    return ingest_day(home / "landing", DAY, registry_codes=codes, key=b"k" * 32, run_id="test")


def _renumber_first_drug_line(home: Path, digits: str) -> tuple[str, str]:
    """Give the first MedicationRequest of a FHIR Bundle a line id ending in `digits`."""
    for path in sorted((home / "landing").rglob("prescriptions__*.json")):
        bundle = json.loads(path.read_bytes())
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") != "MedicationRequest":
                continue
            for ident in resource.get("identifier", []):
                if ident.get("system") == fc.SID_PRESCRIPTION_LINE:
                    ident["value"] = ident["value"].rsplit("-", 1)[0] + "-" + digits
                    path.write_text(json.dumps(bundle), encoding="utf-8")
                    return str(path.relative_to(home / "landing")), ident["value"]
    raise AssertionError("the simulation should deliver a FHIR Bundle of prescriptions")


def _count_instances(home: Path, count: int) -> str:
    path = sorted((home / "landing").rglob("imaging_studies__*.dcm"))[0]
    ds = pydicom.dcmread(path)
    ds.NumberOfStudyRelatedInstances = count
    ds.save_as(path)
    return str(path.relative_to(home / "landing"))


@pytest.mark.parametrize(
    ("digits", "value"),
    [(str(2**31), str(2**31)), ("9" * 25, "9" * 25)],  # past int32, past int64
)
def test_a_drug_line_number_beyond_its_column_quarantines_only_its_record(
    clean_day: Path, tmp_path: Path, digits: str, value: str
):
    home = tmp_path / "home"
    shutil.copytree(clean_day, home)
    before = _ingest(home)
    relpath, line_id = _renumber_first_drug_line(home, digits)
    day = _ingest(home)

    quarantine = pl.from_arrow(day.tables["quarantine"])
    assert quarantine.height == 1, quarantine.select("source_file", "reason").to_dicts()
    row = quarantine.row(0, named=True)
    assert row["source_file"] == relpath and row["rule_ids"] == [RULE]
    assert f"line_no: {value}" in row["reason"] and "out of range" in row["reason"]
    # Everything else landed as it did before.
    assert (
        day.tables["prescription_items"].num_rows
        == before.tables["prescription_items"].num_rows - 1
    )
    assert line_id not in pl.from_arrow(day.tables["prescription_items"])["line_id"].to_list()
    for table in ("encounters", "referrals", "appointments", "imaging_studies"):
        assert day.tables[table].num_rows == before.tables[table].num_rows, table


def test_an_instance_count_beyond_its_column_quarantines_only_its_study(
    clean_day: Path, tmp_path: Path
):
    home = tmp_path / "home"
    shutil.copytree(clean_day, home)
    before = _ingest(home)
    relpath = _count_instances(home, 10**11)
    day = _ingest(home)

    quarantine = pl.from_arrow(day.tables["quarantine"])
    assert quarantine["source_file"].to_list() == [relpath]
    assert quarantine["rule_ids"].to_list() == [[RULE]]
    assert "number_of_instances: 100000000000" in quarantine["reason"][0]
    assert day.tables["imaging_studies"].num_rows == before.tables["imaging_studies"].num_rows - 1
    assert day.tables["encounters"].num_rows == before.tables["encounters"].num_rows
    rec = pl.from_arrow(day.tables["reconciliation"])
    assert (rec["delivered"] == rec["accepted"] + rec["quarantined"] + rec["superseded"]).all()


def test_an_internal_error_on_one_file_sets_that_file_aside_and_lands_the_rest(
    clean_day: Path, monkeypatch: pytest.MonkeyPatch
):
    before = _ingest(clean_day)
    encounters = pl.from_arrow(before.tables["encounters"])
    target = encounters["source_file"].mode().sort()[0]  # the file with the most encounters
    theirs = encounters.filter(pl.col("source_file") == target).height
    real_conform = ingest_day_module.conform

    def conform_failing_on_target(dataset, accepted, *args, **kwargs):
        # Fault injection: our own conform step raising on one file's rows, as a bug would.
        if target in accepted["source_file"].to_list():
            raise RuntimeError("provoked for the test")
        return real_conform(dataset, accepted, *args, **kwargs)

    monkeypatch.setattr(ingest_day_module, "conform", conform_failing_on_target)
    day = _ingest(clean_day)

    quarantine = pl.from_arrow(day.tables["quarantine"])
    assert quarantine.height == theirs > 0
    assert set(quarantine["source_file"]) == {target}
    assert quarantine["rule_ids"].to_list() == [["file.internal_error"]] * theirs
    assert quarantine["reason"][0].startswith(f"{target}: set aside whole, an internal error")
    assert "RuntimeError: provoked for the test" in quarantine["reason"][0]
    assert quarantine["payload"].null_count() == 0  # the records as delivered, for a rerun
    assert day.tables["encounters"].num_rows == before.tables["encounters"].num_rows - theirs
    assert target not in pl.from_arrow(day.tables["encounters"])["source_file"].to_list()
    for table in ("prescription_items", "referrals", "appointments", "imaging_studies"):
        assert day.tables[table].num_rows == before.tables[table].num_rows, table
    rec = pl.from_arrow(day.tables["reconciliation"])
    assert (rec["delivered"] == rec["accepted"] + rec["quarantined"] + rec["superseded"]).all()
    assert rec["quarantined"].sum() == theirs
