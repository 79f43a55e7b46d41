"""The bulletin: self-contained, Vietnamese, small ward counts withheld, silence caveat."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import polars as pl
import pytest

from hanoi_health_lake.outbreaks.bulletin import BulletinData, bulletin_page, bulletin_section
from hanoi_health_lake.outbreaks.signals import SIGNAL_SCHEMA
from hanoi_health_lake.reference.wards import hanoi_wards

DAY = date(2026, 4, 28)
WARD_A, WARD_B = hanoi_wards()[0], hanoi_wards()[1]
VOID = {"meta", "br", "hr", "img", "input", "link", "circle", "line", "rect", "polyline"}


def signal_rows() -> list[dict]:
    rows = []
    for k in range(28):
        d = DAY - timedelta(days=27 - k)
        today = d == DAY
        for group, ward, observed, alarm, incomplete in (
            ("dengue", None, 30 if today else 10 + k % 3, today, False),
            ("dengue", WARD_A.code, 3 if today else k % 2, today, False),
            ("ili", None, 400, False, False),
            ("ili", WARD_B.code, 7, False, today),
        ):
            rows.append(
                {
                    "service_date": d, "group_id": group,
                    "geo_level": "city" if ward is None else "ward", "ward_code": ward,
                    "observed": observed, "expected": 1.4 if ward else 11.0,
                    "upperbound": 2.6 if ward else 16.5, "alarm": alarm, "method": "ears-c2",
                    "status": "ok", "why": "", "history_days": 40, "reporting_share": 1.0,
                    "computed_on_incomplete_data": incomplete, "baseline_incomplete_days": 0,
                    "suppressed": bool(ward) and 0 < observed < 5,
                }
            )  # fmt: skip
    return rows


def data() -> BulletinData:
    completeness = pl.DataFrame(
        {
            "service_date": [DAY, DAY],
            "geo_level": ["city", "ward"],
            "ward_code": [None, WARD_B.code],
            "reporting_share": [0.97, 0.4],
            "is_incomplete": [False, True],
        }
    )
    silence = pl.DataFrame(
        {
            "service_date": [DAY, DAY],
            "facility_code": ["01256", "01300"],
            "facility_type": ["health_station", "private_clinic"],
            "ward_code": [WARD_B.code, WARD_A.code],
            "days_without_delivery": [3, 1],
            "silent_since": [DAY - timedelta(days=2), DAY],
            "is_silent": [True, False],
        }
    )
    return BulletinData(
        day=DAY,
        signals=pl.DataFrame(signal_rows(), schema=SIGNAL_SCHEMA),
        completeness=completeness,
        silence=silence,
        facility_names={"01256": "Trạm Y tế Phường Ngọc Hà", "01300": "Phòng khám Nhi An"},
    )


@pytest.fixture(scope="module")
def page() -> str:
    return bulletin_page(data())


def test_the_page_needs_nothing_from_the_network(page: str) -> None:
    assert not re.search(r"https?:|//[a-z]|<script|<link|<iframe|@import|url\(|src=", page, re.I)


def test_the_markup_is_balanced(page: str) -> None:
    class Checker(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag not in VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag not in VOID:
                assert self.stack and self.stack.pop() == tag, tag

    checker = Checker()
    checker.feed(page)
    assert checker.stack == []


def test_alarms_are_listed_with_vietnamese_names_and_a_trend_chart_each(page: str) -> None:
    assert "ngày 28/04/2026" in page and "Sốt xuất huyết Dengue" in page
    alarms = page.split("<h3>Cảnh báo hiện tại</h3>")[1].split("</table>")[0]
    assert "Toàn thành phố" in alarms and WARD_A.name in alarms
    assert "Hội chứng cúm" not in alarms
    assert page.count("<svg") == 2  # the city series and the alarmed ward
    assert "2 cảnh báo" in page


def test_small_ward_counts_and_their_thresholds_are_withheld(page: str) -> None:
    alarms = page.split("<h3>Cảnh báo hiện tại</h3>")[1].split("</table>")[0]
    ward_row = next(r for r in alarms.split("<tr>") if WARD_A.name in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", ward_row)
    assert cells[2] == "&lt;5" and cells[4] == "—"
    ward_chart = page.split(f"<p>{WARD_A.name}:</p>")[1].split("</svg>")[0]
    assert not re.search(r"<title>\d\d/\d\d: [1-4]\b", ward_chart)
    assert "28/04: &lt;5 — cảnh báo" in ward_chart  # the alarm day is marked, not its count
    # The city count is large enough to publish.
    city_row = next(r for r in alarms.split("<tr>") if "Toàn thành phố" in r)
    assert re.findall(r"<td[^>]*>(.*?)</td>", city_row)[2] == "30"


def test_silent_facilities_and_incomplete_wards_are_not_read_as_no_outbreak(page: str) -> None:
    silence = page.split("<h3>Cơ sở y tế không gửi dữ liệu</h3>")[1]
    assert "Trạm Y tế Phường Ngọc Hà" in silence and "26/04/2026" in silence
    assert "Phòng khám Nhi An" not in silence  # one day without files is not silence yet
    assert "không có nghĩa là không có dịch" in silence
    assert f"{WARD_B.name} (40%)" in silence
    summary = page.split("<h3>Tóm tắt theo nhóm bệnh</h3>")[1].split("</table>")[0]
    ili = next(r for r in summary.split("<tr>") if "Hội chứng cúm" in r)
    # Ward B had no alarm but incomplete data: "no conclusion", not "no alarm".
    assert re.findall(r"<td[^>]*>(.*?)</td>", ili)[-3:] == ["0", "0", "1"]


def test_a_day_without_alarms_says_so() -> None:
    quiet = data()
    quiet.signals = quiet.signals.with_columns(alarm=pl.lit(False))
    section = bulletin_section(quiet)
    assert "Không có cảnh báo nào trong ngày." in section and "<svg" not in section
