"""The outbreak bulletin as report blocks, read from the marts (mart_outbreak_signals_daily,
mart_facility_silence_daily) like every other report: the dashboard embeds its section, and
`hhl bulletin` writes it as a page of its own with the reports' header and style.

Rules it keeps:
- a withheld count is the mart's: `suppressed` rows have observed and threshold NULL, shown as
  "<n" with n the publication threshold of sla_settings (the one home of that number);
- a geography whose signal was computed on incomplete data never counts as "no alarm": the
  summary puts it under "no conclusion", and silent facilities and incompletely reporting wards
  are listed beside the alarms;
- an alarm carried by the previous days has no threshold of its own (the mart's NULL and `why`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from hanoi_health_lake.reference.disease_groups import disease_groups
from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import both, column, label_column, rows
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Chart, Column, Note, Section, Table, Text, same
from hanoi_health_lake.reports.source import ReportSource

TREND_DAYS = 28
MAX_WARD_CHARTS = 6
MAX_LISTED_PLACES = 20
CITY, WARD = "city", "ward"


class NoSignals(LookupError):
    """The warehouse holds no outbreak signals for the day."""


def _groups() -> dict[str, Text]:
    return {g.group_id: Text(g.name_vi, g.name_en) for g in disease_groups()}


def _ward_names() -> dict[str, str]:
    return {w.code: w.name for w in hanoi_wards()}


def _place(row: dict) -> Text:
    if row["geo_level"] == CITY:
        return label("bulletin.city")
    return same(_ward_names().get(row["ward_code"], row["ward_code"]))


def _count(row: dict, withheld: Text) -> int | Text | None:
    return withheld if row["suppressed"] else row["observed"]


def bulletin_sections(src: ReportSource, day: date) -> list[Section]:
    """The bulletin of `day`; raises NoSignals when the marts have none for it."""
    signals = src.frame(
        "outbreak_signals", trend_start=day - timedelta(days=TREND_DAYS - 1), end=day
    )
    today = signals.filter(pl.col("service_date") == day)
    if today.is_empty():
        raise NoSignals(
            f"no outbreak signals for {day} in the warehouse: build the marts for that day "
            f"(`hhl run --from {day} --to {day}`)"
        )
    threshold = int(src.scalar("select suppress_below from int_settings"))  # type: ignore[arg-type]
    withheld = same(f"<{threshold}")
    silence = src.frame("facility_silence", end=day)
    alarms = today.filter(pl.col("alarm"))
    order = [g for g in _groups() if g in set(today["group_id"].to_list())]
    blocks: list = [_lead(alarms, today, silence), _summary(today, order)]
    blocks.append(
        _alarm_table(alarms, withheld) if alarms.height else Note(label("bulletin.no_alarm"))
    )
    for group in [g for g in order if g in set(alarms["group_id"].to_list())]:
        blocks += _group_charts(signals, group, day, threshold)
    alarm_section = Section(
        "bulletin", label("bulletin.title", day=both(day, "date")), label("bulletin.intro"), blocks
    )
    return [alarm_section, _silence_section(today, silence, day), _notes(today, threshold)]


def _lead(alarms: pl.DataFrame, today: pl.DataFrame, silence: pl.DataFrame) -> Note:
    city = alarms.filter(pl.col("geo_level") == CITY).height
    incomplete = (
        today.filter((pl.col("geo_level") == WARD) & pl.col("computed_on_incomplete_data"))
        .select("ward_code")
        .n_unique()
    )
    text = label(
        "bulletin.lead",
        n=str(alarms.height),
        city=str(city),
        wards=str(alarms.height - city),
        groups=str(alarms["group_id"].n_unique()),
        silent=str(silence.height),
        incomplete=str(incomplete),
    )
    return Note(text, "warn" if alarms.height else "info")


def _summary(today: pl.DataFrame, order: list[str]) -> Table:
    names = _groups()
    table_rows, ids = [], []
    for group in order:
        mine = today.filter(pl.col("group_id") == group)
        found = mine.filter(pl.col("geo_level") == CITY)
        city = found.row(0, named=True) if found.height else None
        wards = mine.filter(pl.col("geo_level") == WARD)
        alarmed = wards.filter(pl.col("alarm")).height
        unclear = wards.filter(~pl.col("alarm") & pl.col("computed_on_incomplete_data")).height
        if city is None:
            state = None
        elif city["alarm"]:
            state = label("bulletin.state.alarm")
        elif city["computed_on_incomplete_data"]:
            state = label("bulletin.state.unclear")
        elif city["status"] == "ok":
            state = label("bulletin.state.none")
        else:
            state = label("bulletin.state.short_history")
        table_rows.append(
            [names.get(group, same(group)), city and city["observed"], city and city["expected"],
             state, alarmed, wards.height - alarmed - unclear, unclear]
        )  # fmt: skip
        ids.append(f"group:{group}")
    return Table(
        id="bulletin_summary",
        title=label("bulletin.summary"),
        columns=[
            label_column("disease_group"),
            column("city_cases"),
            column("expected_cases", "number"),
            label_column("city_alarm"),
            column("wards_alarmed"),
            column("wards_quiet"),
            column("wards_unclear"),
        ],
        rows=table_rows,
        row_ids=ids,
        sheet=label("sheet.bulletin_summary"),
    )


def _alarm_notes(row: dict) -> Text | None:
    notes = []
    if row["computed_on_incomplete_data"]:
        notes.append(label("bulletin.note.incomplete"))
    if row["baseline_incomplete_days"]:
        notes.append(label("bulletin.note.baseline", n=str(row["baseline_incomplete_days"])))
    if row["upperbound"] is None and not row["suppressed"]:
        notes.append(label("bulletin.note.carried"))
    if not notes:
        return None
    return Text("; ".join(n.vi for n in notes), "; ".join(n.en for n in notes))


def _alarm_table(alarms: pl.DataFrame, withheld: Text) -> Table:
    names = _groups()
    ordered = alarms.sort("group_id", "geo_level", "ward_code", nulls_last=False)
    return Table(
        id="bulletin_alarms",
        title=label("bulletin.alarms"),
        columns=[
            label_column("disease_group"),
            label_column("place"),
            Column("cases", label("col.cases"), "label"),
            column("expected_cases", "number"),
            column("threshold", "number"),
            column("method", "text"),
            Column("notes", label("col.notes"), "label", wrap=True),
        ],
        rows=[
            [
                names.get(r["group_id"], same(r["group_id"])),
                _place(r),
                _count(r, withheld),
                r["expected"],
                r["upperbound"],
                (r["method"] or "").upper(),
                _alarm_notes(r),
            ]
            for r in rows(ordered)
        ],
        row_ids=[f"{r['group_id']}:{r['ward_code'] or 'city'}" for r in rows(ordered)],
        sheet=label("sheet.bulletin_alarms"),
    )


def _group_charts(
    signals: pl.DataFrame, group: str, day: date, threshold: int
) -> list[Chart | Note]:
    name = _groups().get(group, same(group))
    series = signals.filter(pl.col("group_id") == group)
    city = series.filter(pl.col("geo_level") == CITY).sort("service_date")
    days = city["service_date"].to_list()
    found: list[Chart | Note] = [
        Chart(
            f"outbreak_{group}_city",
            label("bulletin.chart_city", group=name),
            charts.in_both(
                charts.outbreak_trend,
                days,
                city["observed"].to_list(),
                city["expected"].to_list(),
                city["upperbound"].to_list(),
                city["alarm"].to_list(),
            ),
            label("bulletin.chart_basis", n=str(len(days))),
            height=260,
        )
    ]
    alarmed = series.filter(
        (pl.col("service_date") == day) & pl.col("alarm") & (pl.col("geo_level") == WARD)
    )["ward_code"].sort()
    # One chart per ward, its withheld counts gaps: several wards in one chart would give a
    # withheld count away by difference. The ward charts draw no threshold for the same reason.
    for ward in alarmed.to_list()[:MAX_WARD_CHARTS]:
        mine = series.filter(pl.col("ward_code") == ward).sort("service_date")
        place = _ward_names().get(ward, ward)
        if not any(mine["observed"].drop_nulls()):
            # Every count withheld or zero: an empty chart says nothing, a sentence does.
            found.append(
                Note(label("bulletin.ward_withheld", group=name, ward=place, n=str(threshold)))
            )
            continue
        found.append(
            Chart(
                f"outbreak_{group}_{ward}",
                label("bulletin.chart_ward", group=name, ward=place),
                charts.in_both(
                    charts.outbreak_trend,
                    mine["service_date"].to_list(),
                    mine["observed"].to_list(),
                    None,
                    None,
                    mine["alarm"].to_list(),
                ),
                label("bulletin.chart_basis_ward", n=str(mine.height)),
                height=220,
            )
        )
    return found


def _silence_section(today: pl.DataFrame, silence: pl.DataFrame, day: date) -> Section:
    blocks: list = [Note(label("bulletin.caveat"), "warn")]
    if silence.height:
        blocks.append(
            Table(
                id="bulletin_silent",
                title=label("bulletin.silent", n=str(silence.height)),
                columns=[
                    column("facility_code", "text"),
                    Column("facility_name", label("col.facility_name"), "text", wrap=True),
                    label_column("facility_type"),
                    column("ward_name", "text"),
                    column("silent_since", "date"),
                    column("days_without_delivery"),
                ],
                rows=[
                    [
                        r["facility_code"],
                        r["facility_name"],
                        code_label("facility_type", r["facility_type"]),
                        r["ward_name"],
                        r["silent_since"],
                        r["days_without_delivery"],
                    ]
                    for r in rows(silence)
                ],
                row_ids=[r["facility_code"] for r in rows(silence)],
                sheet=label("sheet.bulletin_silent"),
            )
        )
    else:
        blocks.append(Note(label("bulletin.none_silent")))
    incomplete = (
        today.filter(pl.col("computed_on_incomplete_data"))
        .unique(["geo_level", "ward_code"])
        .sort("reporting_share", nulls_last=True)
    )
    if incomplete.height:
        places = [
            f"{_place(r).vi} ({both(r['reporting_share'], 'share').vi})"
            for r in rows(incomplete.head(MAX_LISTED_PLACES))
        ]
        more = incomplete.height - MAX_LISTED_PLACES
        listed = ", ".join(places) + (f" (+{more})" if more > 0 else "")
        blocks.append(Note(label("bulletin.incomplete", places=listed)))
    return Section("silence", label("bulletin.silence_title"), None, blocks)


def _notes(today: pl.DataFrame, threshold: int) -> Section:
    methods = ", ".join(sorted({m.upper() for m in today["method"].drop_nulls().to_list()}))
    text = label("bulletin.method_note", methods=methods or "—", n=str(threshold))
    return Section("bulletin_notes", label("bulletin.notes_title"), None, [Note(text)])
