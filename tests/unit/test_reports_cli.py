"""`hhl report`: writes the day's (or week's) pages and workbooks, or says why it cannot."""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from hanoi_health_lake import cli
from tests.browser.report_page import SYNTHETIC_END, synthetic_home


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    copy = tmp_path_factory.mktemp("cli") / "home"
    shutil.copytree(synthetic_home(), copy)
    return copy


def test_report_writes_both_pages_and_workbooks_in_the_chosen_language(home, capsys):
    code = cli.main(["report", "--date", str(SYNTHETIC_END), "--home", str(home), "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0
    folder = home / "reports" / "daily" / SYNTHETIC_END.isoformat()
    for name in ("coverage.html", "coverage.xlsx", "dashboard.html", "dashboard.xlsx"):
        assert (folder / name).stat().st_size > 0
        assert str(folder / name) in out
    assert 'data-default-lang="en"' in (folder / "coverage.html").read_text(encoding="utf-8")
    # Headline figures, contents, then the first table.
    sheets = [s.title for s in load_workbook(folder / "coverage.xlsx").worksheets[:3]]
    assert sheets == ["Headline figures", "About", "Overview"]
    assert "facilities due" in out


def test_report_of_a_week_goes_under_its_monday(home):
    assert cli.main(["report", "--date", str(SYNTHETIC_END), "--home", str(home), "--week"]) == 0
    assert (home / "reports" / "weekly" / "2026-03-09" / "coverage.html").exists()


def test_report_of_a_day_without_marts_fails_with_a_reason(home, capsys):
    assert cli.main(["report", "--date", "2027-01-01", "--home", str(home)]) == 1
    assert "hhl run --from 2027-01-01 --to 2027-01-01" in capsys.readouterr().out


def test_report_without_a_warehouse_fails_with_a_reason(tmp_path, capsys):
    assert cli.main(["report", "--date", "2026-03-01", "--home", str(tmp_path)]) == 1
    assert "warehouse not found" in capsys.readouterr().out
