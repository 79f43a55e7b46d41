"""The outbreak bulletin: one self-contained HTML section (Vietnamese labels, inline SVG charts,
no script, no external resource) that the reports embed, and a page around it for `hhl bulletin`.

Rules it keeps:
- ward-level counts from 1 to 4 are shown as "<5", and an alarm's threshold is withheld with
  them (an alarm above a threshold of 3.2 would give the count away);
- a geography whose signal was computed on incomplete data never counts as "no alarm": the
  summary puts it under "chưa kết luận" (no conclusion), and the silent facilities and wards
  with incomplete reporting are listed beside the alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import polars as pl

from hanoi_health_lake.config import lake_dir, registry_path, reports_dir
from hanoi_health_lake.outbreaks.cases import CITY, WARD
from hanoi_health_lake.outbreaks.day import MissingInput, read_gold
from hanoi_health_lake.outbreaks.reporting import days_back
from hanoi_health_lake.outbreaks.svg import legend_html, trend_svg
from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.reference.registry import load_registry
from hanoi_health_lake.reference.wards import hanoi_wards

TREND_DAYS = 28
MAX_WARD_CHARTS = 6
MAX_LISTED_PLACES = 20
FACILITY_TYPES_VI = {
    "central_hospital": "Bệnh viện trung ương",
    "city_hospital": "Bệnh viện thành phố",
    "private_hospital": "Bệnh viện tư nhân",
    "health_centre": "Trung tâm y tế",
    "health_station": "Trạm y tế",
    "private_clinic": "Phòng khám tư nhân",
}
STYLE = """
.hhl-bulletin{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;
  max-width:960px}
.hhl-bulletin table{border-collapse:collapse;margin:.5em 0 1em;font-size:14px}
.hhl-bulletin th,.hhl-bulletin td{border:1px solid #d1d5db;padding:4px 8px;text-align:left}
.hhl-bulletin th{background:#f3f4f6}
.hhl-bulletin td.num{text-align:right;font-variant-numeric:tabular-nums}
.hhl-bulletin .alarm{color:#b91c1c;font-weight:600}
.hhl-bulletin .caveat{background:#fef3c7;border-left:4px solid #d97706;padding:.5em .8em}
.hhl-bulletin .hhl-legend span{margin-right:1em;font-size:13px}
.hhl-bulletin .hhl-legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.hhl-bulletin .note{font-size:13px;color:#4b5563}
"""


@dataclass
class BulletinData:
    day: date
    signals: pl.DataFrame  # outbreak_signals of the trend days
    completeness: pl.DataFrame  # reporting_completeness of the day
    silence: pl.DataFrame  # facility_silence of the day
    facility_names: dict[str, str]
    suppress_below: int = 5


def load_bulletin_data(
    lake_root: Path, registry: pl.DataFrame, day: date, trend_days: int = TREND_DAYS
) -> BulletinData:
    signals = read_gold(lake_root, "outbreak_signals", days_back(day, trend_days))
    if signals.filter(pl.col("service_date") == day).is_empty():
        raise MissingInput(
            f"no outbreak signals for {day}: materialise the surveillance assets for that day "
            f"(e.g. `hhl run --from {day} --to {day}`)"
        )
    return BulletinData(
        day=day,
        signals=signals,
        completeness=read_gold(lake_root, "reporting_completeness", [day]),
        silence=read_gold(lake_root, "facility_silence", [day]),
        facility_names=dict(registry.select("facility_code", "name").iter_rows()),
    )


def write_bulletin(home: Path, day: date) -> Path:
    """Render the bulletin of `day` from the lake under `home` into reports/bulletin-<day>.html."""
    data = load_bulletin_data(lake_dir(home), load_registry(registry_path(home)), day)
    out = reports_dir(home) / f"bulletin-{day.isoformat()}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bulletin_page(data), encoding="utf-8")
    return out


def bulletin_page(data: BulletinData) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Bản tin cảnh báo sớm dịch bệnh {data.day:%d/%m/%Y}</title></head>"
        f"<body>\n{bulletin_section(data)}\n</body></html>\n"
    )


def bulletin_section(data: BulletinData) -> str:
    """The bulletin as one <section> with its own scoped style."""
    today = data.signals.filter(pl.col("service_date") == data.day)
    alarms = today.filter(pl.col("alarm"))
    parts = [
        f'<section class="hhl-bulletin" lang="vi"><style>{STYLE}</style>',
        f"<h2>Cảnh báo sớm dịch bệnh — ngày {data.day:%d/%m/%Y}</h2>",
        _lead(alarms, data),
        "<h3>Tóm tắt theo nhóm bệnh</h3>",
        _summary_table(today),
        "<h3>Cảnh báo hiện tại</h3>",
        _alarm_table(alarms, data.suppress_below) if alarms.height else
        "<p>Không có cảnh báo nào trong ngày.</p>",
        *(_group_detail(g, data) for g in _ordered_groups(alarms)),
        _silence_section(data),
        _notes(today, data.suppress_below),
        "</section>",
    ]  # fmt: skip
    return "\n".join(parts)


def _names() -> tuple[dict[str, str], dict[str, str]]:
    return {g.group_id: g.name_vi for g in disease_groups()}, {
        w.code: w.name for w in hanoi_wards()
    }


def _ordered_groups(frame: pl.DataFrame) -> list[str]:
    order = [g.group_id for g in disease_groups()]
    present = set(frame["group_id"].to_list())
    return [g for g in order if g in present]


def _place(row: dict) -> str:
    if row["geo_level"] == CITY:
        return "Toàn thành phố"
    return _names()[1].get(row["ward_code"], row["ward_code"])


def _count(row: dict, suppress_below: int) -> str:
    if row["geo_level"] == WARD and 0 < row["observed"] < suppress_below:
        return f"&lt;{suppress_below}"
    return str(row["observed"])


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def _lead(alarms: pl.DataFrame, data: BulletinData) -> str:
    city = alarms.filter(pl.col("geo_level") == CITY).height
    groups = alarms["group_id"].n_unique()
    silent = data.silence.filter(pl.col("is_silent")).height
    incomplete = data.completeness.filter(
        pl.col("is_incomplete") & (pl.col("geo_level") == WARD)
    ).height
    return (
        f'<p><strong class="{"alarm" if alarms.height else ""}">{alarms.height} cảnh báo</strong> '
        f"({city} toàn thành phố, {alarms.height - city} phường/xã) ở {groups} nhóm bệnh. "
        f"{silent} cơ sở y tế không gửi dữ liệu; {incomplete} phường/xã có dữ liệu chưa đầy đủ.</p>"
    )


def _summary_table(today: pl.DataFrame) -> str:
    group_names = _names()[0]
    rows = []
    for group in _ordered_groups(today):
        mine = today.filter(pl.col("group_id") == group)
        city = mine.filter(pl.col("geo_level") == CITY).row(0, named=True)
        wards = mine.filter(pl.col("geo_level") == WARD)
        alarmed = wards.filter(pl.col("alarm")).height
        unclear = wards.filter(~pl.col("alarm") & pl.col("computed_on_incomplete_data")).height
        quiet = wards.height - alarmed - unclear
        city_state = (
            '<span class="alarm">Có cảnh báo</span>' if city["alarm"]
            else "Chưa kết luận (dữ liệu chưa đầy đủ)" if city["computed_on_incomplete_data"]
            else "Không" if city["status"] == "ok"
            else "Chưa đủ lịch sử"
        )  # fmt: skip
        rows.append(
            f"<tr><td>{escape(group_names.get(group, group))}</td>"
            f'<td class="num">{city["observed"]}</td>'
            f'<td class="num">{_number(city["expected"])}</td>'
            f'<td>{city_state}</td><td class="num">{alarmed}</td><td class="num">{quiet}</td>'
            f'<td class="num">{unclear}</td></tr>'
        )
    return (
        "<table><thead><tr><th>Nhóm bệnh</th><th>Ca mới (toàn TP)</th><th>Kỳ vọng</th>"
        "<th>Cảnh báo toàn TP</th><th>Phường/xã có cảnh báo</th>"
        "<th>Phường/xã không cảnh báo (đủ dữ liệu)</th>"
        "<th>Phường/xã chưa kết luận (thiếu dữ liệu)</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _alarm_table(alarms: pl.DataFrame, suppress_below: int) -> str:
    group_names = _names()[0]
    rows = []
    ordered = alarms.sort("group_id", "geo_level", "ward_code", nulls_last=False)
    for row in ordered.iter_rows(named=True):
        hidden = row["geo_level"] == WARD and 0 < row["observed"] < suppress_below
        notes = []
        if row["computed_on_incomplete_data"]:
            notes.append("Dữ liệu ngày này chưa đầy đủ")
        if row["baseline_incomplete_days"]:
            notes.append(f"Thiếu dữ liệu {row['baseline_incomplete_days']} ngày trong đường cơ sở")
        if row["upperbound"] is None and not hidden:
            notes.append("Cảnh báo tiếp diễn từ hai ngày trước: hôm nay không có ngưỡng riêng")
        note = "; ".join(notes)
        rows.append(
            f"<tr><td>{escape(group_names.get(row['group_id'], row['group_id']))}</td>"
            f"<td>{escape(_place(row))}</td>"
            f'<td class="num alarm">{_count(row, suppress_below)}</td>'
            f'<td class="num">{_number(row["expected"])}</td>'
            f'<td class="num">{"—" if hidden else _number(row["upperbound"])}</td>'
            f"<td>{escape((row['method'] or '').upper())}</td><td>{note}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Nhóm bệnh</th><th>Địa bàn</th><th>Số ca mới</th><th>Kỳ vọng</th>"
        "<th>Ngưỡng</th><th>Phương pháp</th><th>Ghi chú</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _group_detail(group: str, data: BulletinData) -> str:
    group_names, ward_names = _names()
    name = group_names.get(group, group)
    series = data.signals.filter(pl.col("group_id") == group)
    city = series.filter(pl.col("geo_level") == CITY).sort("service_date")
    alarmed_wards = (
        series.filter(
            (pl.col("service_date") == data.day) & pl.col("alarm") & (pl.col("geo_level") == WARD)
        )["ward_code"]
        .sort()
        .to_list()
    )
    parts = [
        f"<h4>{escape(name)}</h4>",
        f"<p>Toàn thành phố, {city.height} ngày gần nhất:</p>",
        trend_svg(
            city["service_date"].to_list(),
            city["observed"].to_list(),
            expected=city["expected"].to_list(),
            upperbound=city["upperbound"].to_list(),
            alarm=city["alarm"].to_list(),
            label=f"{name}: số ca mới toàn thành phố",
        ),
        legend_html(with_expected=True),
    ]
    if alarmed_wards:
        listed = ", ".join(escape(ward_names.get(w, w)) for w in alarmed_wards)
        parts.append(f"<p>Phường/xã có cảnh báo: {listed}.</p>")
    # One chart per ward, each with its own small counts withheld: a chart of several wards
    # together would give a withheld count away by difference.
    for ward in alarmed_wards[:MAX_WARD_CHARTS]:
        mine = series.filter(pl.col("ward_code") == ward).sort("service_date")
        observed = [None if 0 < n < data.suppress_below else n for n in mine["observed"].to_list()]
        place = ward_names.get(ward, ward)
        parts += [
            f"<p>{escape(place)}:</p>",
            trend_svg(
                mine["service_date"].to_list(),
                observed,
                alarm=mine["alarm"].to_list(),
                hidden_below=data.suppress_below,
                label=f"{name}: số ca mới tại {place}",
            ),
        ]
    if alarmed_wards:
        parts.append(legend_html(with_expected=False, hidden_below=data.suppress_below))
    return "\n".join(parts)


def _silence_section(data: BulletinData) -> str:
    ward_names = _names()[1]
    silent = data.silence.filter(pl.col("is_silent")).sort(
        "days_without_delivery", "facility_code", descending=[True, False]
    )
    incomplete = data.completeness.filter(pl.col("is_incomplete")).sort(
        "reporting_share", nulls_last=True
    )
    parts = [
        "<h3>Cơ sở y tế không gửi dữ liệu</h3>",
        '<p class="caveat">Số ca thấp ở các địa bàn có dữ liệu chưa đầy đủ có thể do cơ sở y tế '
        "chưa gửi dữ liệu, <strong>không có nghĩa là không có dịch</strong>. Cảnh báo tại các địa "
        "bàn mà đường cơ sở thiếu dữ liệu có thể chỉ do cơ sở y tế gửi dữ liệu trở lại.</p>",
    ]
    if silent.height:
        rows = "".join(
            f"<tr><td>{escape(r['facility_code'])}</td>"
            f"<td>{escape(data.facility_names.get(r['facility_code'], ''))}</td>"
            f"<td>{escape(FACILITY_TYPES_VI.get(r['facility_type'], r['facility_type']))}</td>"
            f"<td>{escape(ward_names.get(r['ward_code'], r['ward_code'] or ''))}</td>"
            f"<td>{r['silent_since']:%d/%m/%Y}</td>"
            f'<td class="num">{r["days_without_delivery"]}</td></tr>'
            for r in silent.iter_rows(named=True)
        )
        parts.append(
            "<table><thead><tr><th>Mã cơ sở</th><th>Tên cơ sở</th><th>Loại hình</th>"
            "<th>Phường/xã</th><th>Không gửi từ ngày</th><th>Số ngày</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    else:
        parts.append("<p>Tất cả cơ sở y tế đã kết nối đều gửi dữ liệu khám bệnh.</p>")
    if incomplete.height:
        places = ", ".join(
            f"{escape(_place(r))} ({_percent(r['reporting_share'])})"
            for r in incomplete.head(MAX_LISTED_PLACES).iter_rows(named=True)
        )
        more = incomplete.height - MAX_LISTED_PLACES
        if more > 0:
            places += f" và {more} địa bàn khác"
        parts.append(f"<p>Địa bàn có dữ liệu chưa đầy đủ (tỷ lệ báo cáo): {places}.</p>")
    return "\n".join(parts)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _notes(today: pl.DataFrame, suppress_below: int) -> str:
    methods = sorted({m.upper() for m in today["method"].drop_nulls().to_list()})
    return (
        f'<p class="note">Ca mới: người bệnh được chẩn đoán thuộc nhóm bệnh, không tính lần tái '
        f"khám trong thời gian theo dõi. Phương pháp phát hiện: {', '.join(methods) or '—'} "
        f"(theo gói R surveillance). Số ca dưới {suppress_below} ở cấp phường/xã được ẩn để bảo "
        "vệ thông tin cá nhân.</p>"
    )
