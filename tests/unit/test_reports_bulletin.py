"""The outbreak bulletin, rendered from the marts like every other report: hand-made gold tables
go through the real SQL models into a warehouse, and the bulletin reads only that warehouse.
Small ward counts are withheld by the mart's `suppressed` flag, a carried alarm shows no
threshold, silence and incomplete reporting are never read as "no outbreak"."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest
from test_marts_lake import build_project, facility, make_lake

from hanoi_health_lake.lake.delta_io import overwrite_table
from hanoi_health_lake.outbreaks.reporting import SILENCE_SCHEMA
from hanoi_health_lake.outbreaks.tables import gold_path, to_arrow
from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.reports.build import bulletin_page
from hanoi_health_lake.reports.bulletin import NoSignals, bulletin_sections
from hanoi_health_lake.reports.html import render_html
from hanoi_health_lake.reports.model import Chart, Note, Table, Text
from hanoi_health_lake.reports.source import ReportSource

DAY = date(2026, 4, 28)
WARD_A, WARD_B = hanoi_wards()[0], hanoi_wards()[1]


def signal_rows() -> list[dict]:
    rows = []
    for k in range(28):
        d = DAY - timedelta(days=27 - k)
        today = d == DAY
        for group, ward, observed, alarm, incomplete, bound in (
            ("dengue", None, 30 if today else 10 + k % 3, today, False, 16.5),
            ("dengue", WARD_A.code, 3 if today else k % 2, today, False, 2.6),
            ("ili", None, 400, False, False, 480.0),
            ("ili", WARD_B.code, 7, False, today, 12.0),
            # An alarm carried by the two previous days: no threshold of its own.
            ("sari", WARD_B.code, 6, today, False, None if today else 9.0),
        ):
            rows.append(
                {
                    "service_date": d, "group_id": group,
                    "geo_level": "city" if ward is None else "ward", "ward_code": ward,
                    "observed": observed, "expected": 1.4 if ward else 11.0,
                    "upperbound": bound, "alarm": alarm, "method": "ears-c3",
                    "status": "ok", "why": "", "history_days": 40,
                    "reporting_share": 0.4 if incomplete else 1.0,
                    "computed_on_incomplete_data": incomplete, "baseline_incomplete_days": 0,
                    "suppressed": bool(ward) and 0 < observed < 5,
                }
            )  # fmt: skip
    return rows


SILENCE = [
    {"service_date": DAY, "facility_code": "01256", "facility_type": "health_station",
     "ward_code": WARD_B.code, "files_delivered": 0, "files_readable": 0,
     "days_without_delivery": 3, "delivery_rate": 0.9, "silent_since": DAY - timedelta(days=2),
     "is_silent": True},
    {"service_date": DAY, "facility_code": "01300", "facility_type": "private_clinic",
     "ward_code": WARD_A.code, "files_delivered": 0, "files_readable": 0,
     "days_without_delivery": 1, "delivery_rate": 0.9, "silent_since": None, "is_silent": False},
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulletin")
    registry = [
        facility("01256", "health_station", "public_city", WARD_B.code, name="Trạm Y tế Ngọc Hà"),
        facility("01300", "private_clinic", "private", WARD_A.code, name="Phòng khám Nhi An"),
    ]
    lake = make_lake(root, registry, {})
    signals = pl.DataFrame(signal_rows())
    overwrite_table(
        gold_path(lake, "outbreak_signals"), to_arrow("outbreak_signals", signals), run_id="t"
    )
    silence = pl.DataFrame(SILENCE, schema={k: SILENCE_SCHEMA[k] for k in SILENCE[0]})
    overwrite_table(
        gold_path(lake, "facility_silence"), to_arrow("facility_silence", silence), run_id="t"
    )
    return build_project(root, lake)


@pytest.fixture(scope="module")
def sections(warehouse):
    with warehouse.connect(read_only=True) as con:
        return bulletin_sections(ReportSource(con), DAY)


def _tables(sections) -> dict[str, Table]:
    return {b.id: b for s in sections for b in s.blocks if isinstance(b, Table)}


def _rows(table: Table) -> dict[str, dict]:
    return {
        i: {c.id: v for c, v in zip(table.columns, r, strict=True)}
        for i, r in zip(table.row_ids, table.rows, strict=True)
    }


def test_alarms_are_listed_with_vietnamese_names_and_a_trend_chart_each(sections):
    alarms = _rows(_tables(sections)["bulletin_alarms"])
    assert set(alarms) == {"dengue:city", f"dengue:{WARD_A.code}", f"sari:{WARD_B.code}"}
    assert alarms["dengue:city"]["disease_group"].vi == "Sốt xuất huyết Dengue"
    assert alarms["dengue:city"]["cases"] == 30 and alarms["dengue:city"]["threshold"] == 16.5
    charts = [b for s in sections for b in s.blocks if isinstance(b, Chart)]
    assert {c.id for c in charts} >= {"outbreak_dengue_city", "outbreak_sari_city"}


def test_small_ward_counts_and_their_thresholds_are_withheld_by_the_marts_flag(sections):
    ward = _rows(_tables(sections)["bulletin_alarms"])[f"dengue:{WARD_A.code}"]
    assert ward["cases"] == Text("<5", "<5") and ward["threshold"] is None
    # Every count of that ward is withheld or zero: a sentence, not an empty chart.
    ids = [b.id for s in sections for b in s.blocks if isinstance(b, Chart)]
    assert f"outbreak_dengue_{WARD_A.code}" not in ids
    notes = [b.text.vi for s in sections for b in s.blocks if isinstance(b, Note)]
    assert any(WARD_A.name in n and "dưới 5" in n for n in notes)
    # A ward with counts to show has its chart, withheld days as gaps, never the number.
    sari = next(
        b
        for s in sections
        for b in s.blocks
        if isinstance(b, Chart) and b.id == f"outbreak_sari_{WARD_B.code}"
    )
    assert sari.figures["vi"]["data"][0]["y"] == [6] * 28


def test_a_carried_alarm_shows_no_threshold_and_says_why(sections):
    sari = _rows(_tables(sections)["bulletin_alarms"])[f"sari:{WARD_B.code}"]
    assert sari["cases"] == 6 and sari["threshold"] is None
    assert "không có ngưỡng riêng" in sari["notes"].vi


def test_silence_and_incomplete_wards_are_not_read_as_no_outbreak(sections):
    silent = _rows(_tables(sections)["bulletin_silent"])
    assert set(silent) == {"01256"}
    assert silent["01256"]["facility_name"] == "Trạm Y tế Ngọc Hà"
    assert silent["01256"]["facility_type"].vi == "Trạm y tế"  # the reports' labels
    summary = _rows(_tables(sections)["bulletin_summary"])
    assert summary["group:ili"]["wards_unclear"] == 1 and summary["group:ili"]["wards_quiet"] == 0
    notes = " ".join(b.text.vi for s in sections for b in s.blocks if isinstance(b, Note))
    assert "không có nghĩa là không có dịch" in notes and WARD_B.name in notes


def test_the_standalone_page_has_the_reports_header_and_style(warehouse, tmp_path):
    with warehouse.connect(read_only=True) as con:
        html = render_html(bulletin_page(ReportSource(con), DAY, warehouse.path))
    assert '<header class="top">' in html and "Bản tin cảnh báo sớm dịch bệnh" in html
    assert "table.data" in html  # the reports' stylesheet, inline
    # plotly.js mentions URLs in its code; the markup around the scripts must load none.
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", markup)


def test_a_day_without_signals_names_the_command(warehouse):
    with warehouse.connect(read_only=True) as con, pytest.raises(NoSignals, match="hhl run"):
        bulletin_sections(ReportSource(con), DAY + timedelta(days=1))


def test_the_bulletins_trend_charts_read_numbers_in_vi_vn(sections):
    from tests.chart_numbers import SEPARATORS, unformatted_axes

    charts = [b for s in sections for b in s.blocks if isinstance(b, Chart)]
    assert charts
    for chart in charts:
        for lang, figure in chart.figures.items():
            assert figure["layout"]["separators"] == SEPARATORS[lang], chart.id
            assert not unformatted_axes(figure), (chart.id, unformatted_axes(figure))
