"""The city dashboard for leaders: activity by facility type, top diagnoses, notifiable diseases
by ward, WHO/INRUD prescribing indicators, referral flows and appointment adherence. Each chart
says the days it covers and the share of expected deliveries it rests on.

Ward-level health counts come from marts that already withhold daily counts below the
publication threshold; this page sums only what was published and says where days were withheld.
"""

from __future__ import annotations

import polars as pl

from hanoi_health_lake.reference import icd10
from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.bulletin import NoSignals, bulletin_sections
from hanoi_health_lake.reports.common import (
    basis,
    both,
    by_key,
    column,
    label_column,
    rows,
    type_order,
)
from hanoi_health_lake.reports.forecast_panel import forecast_section
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Chart, Column, Note, Section, Table, Text, same
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

ACTIVITY = (
    "encounters", "encounters_outpatient", "encounters_inpatient", "encounters_day_inpatient",
    "encounters_emergency", "prescriptions", "drug_lines", "referrals_out",
    "appointments_issued", "imaging_studies",
)  # fmt: skip
TOP_DIAGNOSES = 15
TOP_WARDS = 15
INRUD_SHARES = {
    "antibiotic_share": "#c0392b",
    "injection_share": "#e67e22",
    "generic_share": "#2e75b6",
}


def _typecolumn() -> Column:
    return label_column("facility_type")


def _suppress_below(src: ReportSource) -> int:
    return int(src.scalar("select suppress_below from int_settings"))


def _withheld(threshold: int) -> Text:
    return same(f"<{threshold}")


# --- activity ---------------------------------------------------------------------------------


def activity_section(src: ReportSource, period: Period) -> Section:
    daily = src.frame("activity_daily", trend_start=period.trend_start, end=period.end)
    if daily.is_empty():
        return Section("activity", label("section.activity"), blocks=[Note(label("note.no_data"))])
    types = type_order(daily["facility_type"].to_list())
    days = sorted(daily["service_date"].unique().to_list())
    counts = by_key(daily, "service_date", "facility_type")
    chart = Chart(
        "activity",
        label("chart.activity"),
        charts.in_both(
            charts.stacked_counts,
            [same(d.isoformat()) for d in days],
            {t: [counts.get((d, t), {}).get("encounters", 0) for d in days] for t in types},
            False,
            True,
        ),
        basis(src, days[0], period.end, "encounters"),
    )
    in_period = daily.filter(pl.col("service_date").is_between(period.start, period.end))
    totals = by_key(in_period.group_by("facility_type").agg(pl.sum(*ACTIVITY)), "facility_type")
    present = [t for t in types if (t,) in totals]
    table = Table(
        id="activity_by_type",
        title=label("table.activity_by_type"),
        columns=[_typecolumn()] + [column(m) for m in ACTIVITY],
        rows=[
            [code_label("facility_type", t)] + [totals[(t,)][m] for m in ACTIVITY] for t in present
        ]
        + [[label("group.city")] + [sum(totals[(t,)][m] for t in present) for m in ACTIVITY]],
        row_ids=[f"facility_type:{t}" for t in present] + ["city:hanoi"],
        sheet=label("sheet.activity_by_type"),
        note=basis(src, period.start, period.end, "encounters"),
    )
    return Section("activity", label("section.activity"), label("intro.activity"), [chart, table])


# --- diagnoses --------------------------------------------------------------------------------


def diagnoses_section(src: ReportSource, period: Period) -> Section:
    threshold = _suppress_below(src)
    top = rows(src.frame("top_diagnoses", start=period.start, end=period.end, top=TOP_DIAGNOSES))
    if not top:
        return Section(
            "diagnoses", label("section.diagnoses"), blocks=[Note(label("note.no_data"))]
        )

    def name(code: str) -> Text:
        english = icd10.description(code) or ""
        vietnamese = icd10.name_vi(code) or english
        return Text(f"{code} — {vietnamese}".strip(" —"), f"{code} — {english}".strip(" —"))

    shown = [r for r in top if r["encounters"] >= threshold]
    chart = Chart(
        "top_diagnoses",
        label("chart.top_diagnoses"),
        charts.in_both(
            charts.bars,
            [name(r["icd10"]) for r in shown],
            [r["encounters"] for r in shown],
            "#2e75b6",
        ),
        basis(src, period.start, period.end, "encounters"),
        height=80 + 28 * len(shown),
    )
    table = Table(
        id="top_diagnoses",
        title=label("table.top_diagnoses", n=str(TOP_DIAGNOSES)),
        columns=[
            column("icd10", "text"),
            label_column("icd10_name"),
            column("icd10_chapter", "text"),
            column("encounters"),
        ],
        rows=[
            [
                r["icd10"],
                Text(
                    icd10.name_vi(r["icd10"]) or icd10.description(r["icd10"]) or "",
                    icd10.description(r["icd10"]) or "",
                ),
                r["icd10_chapter"],
                r["encounters"] if r["encounters"] >= threshold else _withheld(threshold),
            ]
            for r in top
        ],
        row_ids=[r["icd10"] for r in top],
        sheet=label("sheet.top_diagnoses"),
        note=label("note.icd10_names"),
    )
    return Section(
        "diagnoses", label("section.diagnoses"), label("intro.diagnoses"), [chart, table]
    )


# --- notifiable diseases by ward --------------------------------------------------------------


def notifiable_section(src: ReportSource, period: Period) -> Section:
    threshold = _suppress_below(src)
    counts = src.frame("notifiable_by_ward", start=period.start, end=period.end)
    intro = label("intro.notifiable", n=str(threshold))
    if counts.is_empty():
        return Section(
            "notifiable", label("section.notifiable"), intro, [Note(label("note.no_cases"))]
        )
    names = {w.code: w.name for w in hanoi_wards()}
    groups = by_key(
        counts.group_by("group_id").agg(pl.first("name_vi", "name_en", "notifiable_class")),
        "group_id",
    )
    group_ids = sorted(groups, key=lambda g: (groups[g]["notifiable_class"] or "", g[0]))
    data = rows(
        counts.sort(["published_cases", "ward_code"], descending=[True, False], nulls_last=True)
    )

    def cell(r: dict) -> object:
        if r["published_cases"] is None:
            return _withheld(threshold)
        if r["suppressed_days"]:
            return same(f"≥ {r['published_cases']}")
        return r["published_cases"]

    def ward_name(code: str | None) -> Text:
        return same(names.get(code, code)) if code else label("value.unknown_ward")

    table = Table(
        id="notifiable_by_ward",
        title=label("table.notifiable_by_ward"),
        columns=[
            column("ward_code", "text"),
            label_column("ward_name"),
            label_column("disease_group"),
            column("notifiable_class", "text"),
            column("cases"),
            column("suppressed_days"),
        ],
        rows=[
            [
                r["ward_code"],
                ward_name(r["ward_code"]),
                Text(r["name_vi"], r["name_en"]),
                r["notifiable_class"],
                cell(r),
                r["suppressed_days"],
            ]
            for r in data
        ],
        sheet=label("sheet.notifiable_by_ward"),
        sortable=True,
        collapsed=True,
    )
    by_ward = (
        counts.group_by("ward_code")
        .agg(pl.col("published_cases").sum())
        .sort(["published_cases", "ward_code"], descending=[True, False])
        .head(TOP_WARDS)["ward_code"]
        .to_list()
    )
    cells = by_key(counts, "ward_code", "group_id")
    if counts["published_cases"].drop_nulls().is_empty():
        # Every ward count is withheld: an empty heat map says nothing, a sentence does.
        note = Note(label("note.notifiable_all_withheld", n=str(threshold)))
        return Section("notifiable", label("section.notifiable"), intro, [note, table])
    z = [[(cells.get((w, g[0])) or {}).get("published_cases") for g in group_ids] for w in by_ward]
    text = [[_heat_text(cells.get((w, g[0])), threshold) for g in group_ids] for w in by_ward]
    chart = Chart(
        "notifiable",
        label("chart.notifiable"),
        charts.in_both(
            charts.heat_table,
            [ward_name(w) for w in by_ward],
            [Text(groups[g]["name_vi"], groups[g]["name_en"]) for g in group_ids],
            z,
            text,
        ),
        basis(src, period.start, period.end, "encounters"),
        height=140 + 30 * len(by_ward),
    )
    return Section(
        "notifiable",
        label("section.notifiable"),
        intro,
        [chart, table, Note(label("note.suppression", n=str(threshold)))],
    )


def _heat_text(cell: dict | None, threshold: int) -> Text | str:
    if cell is None:
        return ""
    if cell["published_cases"] is None:
        return f"<{threshold}"
    count = both(cell["published_cases"], "int")  # 1.500 in vi, 1,500 in en
    return Text(f"≥{count.vi}", f"≥{count.en}") if cell["suppressed_days"] else count


# --- prescribing ------------------------------------------------------------------------------


def prescribing_section(src: ReportSource, period: Period) -> Section:
    data = by_key(
        src.frame("prescribing_by_type", start=period.start, end=period.end), "facility_type"
    )
    types = type_order(t for (t,) in data)
    if not types:
        return Section(
            "prescribing", label("section.prescribing"), blocks=[Note(label("note.no_data"))]
        )
    metrics = ("prescriptions", "drug_lines", "drugs_per_prescription", *INRUD_SHARES)
    kinds = {"prescriptions": "int", "drug_lines": "int", "drugs_per_prescription": "number"}
    table = Table(
        id="prescribing",
        title=label("table.prescribing"),
        columns=[_typecolumn()] + [column(m, kinds.get(m, "share")) for m in metrics],
        rows=[[code_label("facility_type", t)] + [data[(t,)][m] for m in metrics] for t in types]
        + [
            [label("inrud.reference"), None, None]
            + [label(f"inrud.reference.{m}") for m in metrics[2:]]
        ],
        row_ids=[f"facility_type:{t}" for t in types] + ["who_reference"],
        sheet=label("sheet.prescribing"),
        note=label("note.inrud"),
    )
    chart = Chart(
        "prescribing",
        label("chart.prescribing"),
        charts.in_both(
            charts.grouped_shares,
            [code_label("facility_type", t) for t in types],
            {m: [data[(t,)][m] for t in types] for m in INRUD_SHARES},
            INRUD_SHARES,
            "col",
        ),
        basis(src, period.start, period.end, "prescriptions"),
    )
    return Section(
        "prescribing", label("section.prescribing"), label("intro.prescribing"), [chart, table]
    )


# --- referrals --------------------------------------------------------------------------------


def referrals_section(src: ReportSource, period: Period) -> Section:
    flows = rows(src.frame("referral_flows", start=period.start, end=period.end))
    if not flows:
        return Section(
            "referrals", label("section.referrals"), blocks=[Note(label("note.no_data"))]
        )
    threshold = _suppress_below(src)

    def cell(f: dict) -> object:
        # Small daily counts are withheld in the mart: none published, or a lower bound.
        if f["referrals"] is None:
            return _withheld(threshold)
        return same(f"≥ {f['referrals']}") if f["suppressed_days"] else f["referrals"]

    published = [f for f in flows if f["referrals"]]
    # A Sankey of no flow breaks the browser's drawing of every chart after it: when every flow
    # is withheld, the table and a sentence say so instead.
    chart = (
        Chart(
            "referrals",
            label("chart.referrals"),
            charts.in_both(
                charts.sankey,
                [
                    (f["from_facility_type"], f["to_facility_type"], f["referrals"])
                    for f in published
                ],
            ),
            basis(src, period.start, period.end, "referrals"),
            height=420,
        )
        if published
        else Note(label("note.referrals_all_withheld"))
    )
    table = Table(
        id="referral_flows",
        title=label("table.referral_flows"),
        columns=[
            label_column("from_facility_type"),
            label_column("to_facility_type"),
            column("referrals"),
        ],
        rows=[
            [
                code_label("facility_type", f["from_facility_type"]),
                code_label("facility_type", f["to_facility_type"]),
                cell(f),
            ]
            for f in flows
        ],
        row_ids=[f"{f['from_facility_type']}:{f['to_facility_type']}" for f in flows],
        sheet=label("sheet.referral_flows"),
        note=label("note.suppression_referrals", n=str(threshold)),
    )
    return Section(
        "referrals", label("section.referrals"), label("intro.referrals"), [chart, table]
    )


# --- appointments -----------------------------------------------------------------------------


def adherence_section(src: ReportSource, period: Period) -> Section:
    judged = src.frame("adherence", trend_start=period.trend_start, end=period.end)
    if judged.is_empty():
        return Section(
            "adherence",
            label("section.adherence"),
            label("intro.adherence"),
            [Note(label("note.no_adherence"))],
        )
    sums = ("appointments_due", "appointments_tracked", "kept", "kept_same_facility", "missed")
    daily = judged.group_by("due_date").agg(pl.sum(*sums)).sort("due_date")
    chart = Chart(
        "adherence",
        label("chart.adherence"),
        charts.in_both(
            charts.bars_and_line,
            daily["due_date"].to_list(),
            daily["appointments_due"].to_list(),
            [
                k / t if t else None
                for k, t in zip(daily["kept"], daily["appointments_tracked"], strict=True)
            ],
            label("col.appointments_due"),
            label("col.adherence_share"),
        ),
        basis(src, daily["due_date"][0], period.end, "appointments"),
    )
    in_period = judged.filter(pl.col("service_date").is_between(period.start, period.end))
    by_type = by_key(in_period.group_by("facility_type").agg(pl.sum(*sums)), "facility_type")
    types = type_order(t for (t,) in by_type)
    table = Table(
        id="adherence_by_type",
        title=label("table.adherence_by_type"),
        columns=[_typecolumn()] + [column(m) for m in sums] + [column("adherence_share", "share")],
        rows=[
            [code_label("facility_type", t)]
            + [by_type[(t,)][m] for m in sums]
            + [
                by_type[(t,)]["kept"] / by_type[(t,)]["appointments_tracked"]
                if by_type[(t,)]["appointments_tracked"]
                else None
            ]
            for t in types
        ],
        row_ids=[f"facility_type:{t}" for t in types],
        sheet=label("sheet.adherence_by_type"),
        note=label("note.adherence"),
    )
    return Section(
        "adherence", label("section.adherence"), label("intro.adherence"), [chart, table]
    )


# --- outbreaks --------------------------------------------------------------------------------


def outbreak_section(src: ReportSource, period: Period) -> Section:
    """The bulletin of the period's last day (reports/bulletin.py), its sections as one."""
    try:
        sections = bulletin_sections(src, period.end)
    except NoSignals:
        return Section(
            "outbreaks", label("section.outbreaks"), blocks=[Note(label("note.no_bulletin"))]
        )
    blocks = [b for s in sections for b in s.blocks]
    return Section("outbreaks", sections[0].title, label("intro.outbreaks"), blocks)


def dashboard_sections(src: ReportSource, period: Period) -> list[Section]:
    return [
        activity_section(src, period),
        diagnoses_section(src, period),
        notifiable_section(src, period),
        prescribing_section(src, period),
        referrals_section(src, period),
        adherence_section(src, period),
        outbreak_section(src, period),
        forecast_section(src, period),
    ]
