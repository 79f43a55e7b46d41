"""`hhl check FILE`: one file judged offline with the ingest's own parsers and contracts."""

from __future__ import annotations

from csv import DictWriter
from pathlib import Path

from hanoi_health_lake.cli import main
from hanoi_health_lake.simulator import xml_export
from tests.xml_dossiers import DAY, FACILITY, PEOPLE, episode, two_episodes, xml1


def _check(capsys, *argv) -> tuple[int, str]:
    code = main(["check", *map(str, argv)])
    return code, capsys.readouterr().out


def _write(path: Path, episodes, **kw) -> Path:
    path.write_bytes(xml_export.to_bytes(xml_export.dossier(FACILITY, DAY, episodes, **kw)))
    return path


def test_a_vendors_sample_dossier_is_judged_under_its_own_facility(tmp_path, capsys):
    sample = _write(tmp_path / "vendor-sample.xml", two_episodes())
    code, out = _check(capsys, sample, "--date", "2026-03-01")
    assert code == 0, out
    assert f"landing/{FACILITY}/2026-03-01/hoso__" in out
    assert "encounters: 2 record(s), 2 accepted" in out
    assert "lab_results: 2 record(s), 2 accepted" in out
    assert "kept in bronze, not yet used: 2 (XML8)" in out
    assert "registry rules not judged" in out and out.rstrip().endswith(
        "OK: every record would be accepted"
    )


def test_a_rejected_dossier_prints_its_rule_and_exits_1(tmp_path, capsys):
    sample = _write(tmp_path / "hoso__20260302T061500.xml", two_episodes(), declared=5)
    code, out = _check(capsys, sample)
    assert code == 1
    assert "REJECTED whole file [xml.count_mismatch]" in out
    assert "SOLUONGHOSO says 5 episode(s) but the file holds 2" in out


def test_bad_records_are_listed_with_their_locator_and_reason(tmp_path, capsys):
    bad = episode("LK005", PEOPLE[0])
    bad[0] = ("XML1", [xml1("LK005", PEOPLE[0], NGAY_RA="202602301130")])
    sample = _write(tmp_path / "sample.xml", [bad])
    code, out = _check(capsys, sample, "--registry", _registry(tmp_path, FACILITY))
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("REJECTED encounters episode 1 XML1"))
    assert "conformance.date_format" in line
    assert "NGAY_RA: '202602301130' is not a valid time yyyymmddHHMM" in out
    # with a registry, the referral target 01001 is judged, and it is not registered
    assert "REJECTED referrals episode 1 XML13 [conformance.referral_target_known]" in out
    assert "registry rules not judged" not in out


def test_a_csv_in_its_landing_folder_keeps_its_landing_name(tmp_path, capsys):
    folder = tmp_path / FACILITY / "2026-03-01"
    folder.mkdir(parents=True)
    row = xml1("LK1", PEOPLE[0])
    csv = folder / "encounters__20260302T061500.csv"
    with csv.open("w", encoding="utf-8", newline="") as out:
        writer = DictWriter(out, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    code, out = _check(capsys, csv)
    assert code == 0, out
    assert f"judged as landing/{FACILITY}/2026-03-01/encounters__20260302T061500.csv" in out
    assert "encounters: 1 record(s), 1 accepted" in out


def test_an_external_entity_is_refused_and_its_target_never_printed(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("VENDOR-SECRET-42")
    sample = tmp_path / "evil.xml"
    sample.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS [<!ENTITY x SYSTEM "file://'
        + str(secret).encode()
        + b'">]><GIAMDINHHS><THONGTINDONVI><MACSKCB>&x;</MACSKCB></THONGTINDONVI></GIAMDINHHS>'
    )
    code, out = _check(capsys, sample)
    assert code == 1 and "[xml.forbidden_dtd]" in out and "VENDOR-SECRET" not in out


def _registry(tmp_path: Path, *codes: str) -> Path:
    path = tmp_path / "facilities.csv"
    path.write_text("facility_code,name\n" + "".join(f"{c},x\n" for c in codes))
    return path


def test_signatures_are_judged_against_the_homes_certificates(tmp_path, capsys):
    from hanoi_health_lake.simulator.xml_signing import sign_dossier
    from tests.test_pki import facility_identity

    me = facility_identity(FACILITY)
    signed = sign_dossier(
        xml_export.dossier(FACILITY, DAY, two_episodes()), me.key_pem, me.cert_pem
    )
    sample = tmp_path / "signed.xml"
    sample.write_bytes(xml_export.to_bytes(signed))
    code, out = _check(capsys, sample)
    assert code == 0 and "reported [signature.unknown_signer]" in out
    home = tmp_path / "home"
    (home / "registry" / "certificates").mkdir(parents=True)
    (home / "registry" / "certificates" / f"{FACILITY}.pem").write_bytes(me.cert_pem)
    _registry(home / "registry", FACILITY, "01001")
    code, out = _check(capsys, sample, "--home", home)
    assert code == 0 and "reported" not in out and "registry rules not judged" not in out


def test_a_vendors_sample_checkin_table_is_judged_as_checkins(tmp_path, capsys):
    from tests.unit.test_parsers_xml import checkin_bytes, checkin_row

    sample = tmp_path / "trang-thai-kcb.xml"
    sample.write_bytes(checkin_bytes(checkin_row("LK1", PEOPLE[0]), checkin_row("LK2", PEOPLE[1])))
    code, out = _check(capsys, sample, "--date", "2026-03-01")
    assert code == 0, out
    assert f"landing/{FACILITY}/2026-03-01/checkin__" in out
    assert "checkins: 2 record(s), 2 accepted" in out
