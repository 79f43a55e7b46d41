"""Feedback scorecards: for each facility whose deliveries had rejections, what it sent, which
rules its records broke (with the rule's meaning in Vietnamese) and where each rejected record
sits — file and row, line or entry — so it can find and fix them. Never a record's content."""

from __future__ import annotations

import re

import polars as pl

from hanoi_health_lake.reference.registry import CONTACT_COLUMNS
from hanoi_health_lake.reports.common import by_key, column, label_column, rows
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Column, Recipient, Scorecards, Section, Table, Text
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.quality import rules_table
from hanoi_health_lake.reports.source import ReportSource

LOCATORS_PER_RULE = 50
TOTALS = ("files", "files_failed", "delivered", "accepted", "quarantined", "superseded")


def _code(id: str = "facility_code") -> Column:
    return Column(id, label(f"col.{id}"), "text")


def scorecards_section(src: ReportSource, period: Period) -> Section:
    params = {"start": period.start, "end": period.end}
    totals = src.frame("scorecard_totals", **params).sort("facility_code", "dataset")
    rules = src.frame("scorecard_rules", **params).sort(
        ["facility_code", "records_quarantined", "files_quarantined", "rule_id"],
        descending=[False, True, True, False],
    )
    locators = src.frame("scorecard_locators", per_rule=LOCATORS_PER_RULE, **params)
    facilities = by_key(src.frame("facilities"), "facility_code")
    flagged = sorted(
        set(rules["facility_code"].to_list())
        | set(totals.filter(pl.col("files_failed") > 0)["facility_code"].to_list())
    )
    recipients = []
    for code in flagged:
        info = facilities.get((code,))
        contact = None
        if info is None:
            subtitle = label("scorecard.unregistered")
            name = code
        else:
            kind = code_label("facility_type", info["facility_type"])
            ward = info["ward_name"] or ""
            subtitle = Text(f"{kind.vi} · {ward}", f"{kind.en} · {ward}")
            name = info["facility_name"]
            contact = _contact(info)
        recipients.append(Recipient(code, name, subtitle, contact))
    delivered_codes = set(totals["facility_code"].to_list())
    return Section(
        "scorecards",
        label("section.scorecards"),
        label("intro.scorecards", n=str(LOCATORS_PER_RULE)),
        [
            Scorecards(
                recipients=recipients,
                totals=_totals_table(totals),
                rules=_rules_table(rules),
                locators=_locators_table(locators),
                clean_facilities=len(delivered_codes - set(flagged)),
            )
        ],
    )


def _contact(info: dict) -> Text:
    """The registry's contact for the facility's deliveries, or a word that it names none."""
    given = [info[c] for c in CONTACT_COLUMNS if info[c]]
    if not given:
        return label("scorecard.no_contact")
    return label("scorecard.contact", who=" · ".join(given))


def _totals_table(totals: pl.DataFrame) -> Table:
    data = rows(totals)
    return Table(
        id="scorecard_totals",
        title=label("table.scorecard_totals"),
        columns=[_code(), label_column("dataset")]
        + [column(m) for m in TOTALS]
        + [column("quarantine_share", "share")],
        rows=[
            [r["facility_code"], code_label("dataset", r["dataset"])]
            + [r[m] for m in TOTALS]
            + [r["quarantine_share"]]
            for r in data
        ],
        row_ids=[f"{r['facility_code']}:{r['dataset']}" for r in data],
        sheet=label("sheet.scorecard_totals"),
    )


def _rules_table(rules: pl.DataFrame) -> Table:
    return rules_table(
        "scorecard_rules",
        label("table.scorecard_rules"),
        label("sheet.scorecard_rules"),
        _code(),
        [(r["facility_code"], r["facility_code"], r) for r in rows(rules)],
    )


# The parsers write locators in English ("row 12", "line 3", "entry 4 (Encounter/e1)").
_LOCATOR = re.compile(r"^(row|line|entry) (\d+)(.*)$")


def _locator(r: dict) -> Text | str:
    if r["record_no"] is None:
        return label("locator.whole_file")
    if not r["locator"]:
        return label("locator.record", n=str(r["record_no"]))
    found = _LOCATOR.match(r["locator"])
    if found is None:
        return r["locator"]
    unit, n, rest = found.groups()
    return Text(f"{label(f'locator.{unit}').vi} {n}{rest}", r["locator"])


def _locators_table(locators: pl.DataFrame) -> Table:
    data = rows(locators)
    return Table(
        id="scorecard_locators",
        title=label("table.scorecard_locators", n=str(LOCATORS_PER_RULE)),
        columns=[
            _code(),
            _code("rule_id"),
            label_column("dataset"),
            column("service_date", "date"),
            _code("source_file"),
            _code("locator"),
            column("of_rule"),
        ],
        rows=[
            [
                r["facility_code"],
                r["rule_id"],
                code_label("dataset", r["dataset"]),
                r["service_date"],
                r["source_file"],
                _locator(r),
                r["of_rule"],
            ]
            for r in data
        ],
        sheet=label("sheet.scorecard_locators"),
    )
