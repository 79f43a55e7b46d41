"""Build a period's two pages — the coverage report and the city dashboard — from the warehouse
and write each as HTML and as an Excel workbook under HHL_HOME/reports/<kind>/<first day>/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hanoi_health_lake.config import TIMEZONE, reports_dir, warehouse_path
from hanoi_health_lake.reports.bulletin import bulletin_sections
from hanoi_health_lake.reports.common import period_title
from hanoi_health_lake.reports.coverage import coverage_sections
from hanoi_health_lake.reports.dashboard import dashboard_sections
from hanoi_health_lake.reports.html import render_html
from hanoi_health_lake.reports.labels import label
from hanoi_health_lake.reports.model import Lang, Page, Section, Text
from hanoi_health_lake.reports.period import Period, day_period
from hanoi_health_lake.reports.source import ReportSource, open_source
from hanoi_health_lake.reports.workbook import write_workbook

COVERAGE = "coverage"
DASHBOARD = "dashboard"
BULLETIN = "bulletin"


class NoCoverageData(LookupError):
    """The warehouse holds no coverage for the period: its marts were not built for those days."""


@dataclass(frozen=True)
class ReportFiles:
    coverage_html: Path
    coverage_xlsx: Path
    dashboard_html: Path
    dashboard_xlsx: Path
    # The city's headline figures, as on the page (for run metadata and the command's summary).
    headline: dict[str, float | int | None] = field(default_factory=dict)

    def all(self) -> list[Path]:
        return [self.coverage_html, self.coverage_xlsx, self.dashboard_html, self.dashboard_xlsx]


def _generated(warehouse: Path) -> Text:
    now = datetime.now(ZoneInfo(TIMEZONE)).strftime("%d/%m/%Y %H:%M")
    return label("page.generated", at=now, warehouse=warehouse.name)


def _check_period(src: ReportSource, period: Period) -> None:
    days = src.scalar(
        "select count(distinct service_date) from mart_coverage_rollup_daily "
        "where service_date between ? and ?",
        [period.start, period.end],
    )
    if not days:
        raise NoCoverageData(
            f"the warehouse has no coverage for {period.start} … {period.end}: build those days "
            f"first with `hhl run --from {period.start} --to {period.end}` (ingest and marts)"
        )


def _page(
    kind: str,
    period: Period,
    sections: list[Section],
    warehouse: Path,
    links: dict[Text, str] | None = None,
) -> Page:
    """A page of `kind` with the header every report page shares: its title (label
    page.<kind>.title), the period, and when and from which warehouse it was generated."""
    return Page(
        kind=kind,
        title=label(f"page.{kind}.title"),
        subtitle=period_title(period),
        period=period,
        sections=sections,
        generated=_generated(warehouse),
        links=links or {},
    )


def coverage_page(src: ReportSource, period: Period, warehouse: Path) -> Page:
    sections = coverage_sections(src, period)
    return _page(
        COVERAGE, period, sections, warehouse, {label("page.dashboard.link"): f"{DASHBOARD}.html"}
    )


def dashboard_page(src: ReportSource, period: Period, warehouse: Path) -> Page:
    sections = dashboard_sections(src, period)
    return _page(
        DASHBOARD, period, sections, warehouse, {label("page.coverage.link"): f"{COVERAGE}.html"}
    )


def build_pages(home: Path, period: Period, warehouse: Path | None = None) -> list[Page]:
    """The coverage page and the dashboard page of `period`, read from the warehouse."""
    warehouse = Path(warehouse) if warehouse else warehouse_path(home)
    with open_source(warehouse) as src:
        _check_period(src, period)
        return [coverage_page(src, period, warehouse), dashboard_page(src, period, warehouse)]


def bulletin_page(src: ReportSource, day: date, warehouse: Path) -> Page:
    """The outbreak bulletin of `day` as a page of its own, with the reports' header and style."""
    return _page(BULLETIN, day_period(day), bulletin_sections(src, day), warehouse)


def write_bulletin(home: Path, day: date, lang: Lang = "vi", warehouse: Path | None = None) -> Path:
    """Render the bulletin of `day` from the warehouse's marts into reports/bulletin-<day>.html;
    raises NoSignals when the marts hold none for the day."""
    warehouse = Path(warehouse) if warehouse else warehouse_path(home)
    with open_source(warehouse) as src:
        page = bulletin_page(src, day, warehouse)
    out = reports_dir(home) / f"bulletin-{day.isoformat()}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(page, lang), encoding="utf-8")
    return out


def city_headline(page: Page) -> dict[str, float | int | None]:
    """The whole city's row of the coverage page's headline table, by column id."""
    table = next(t for t in page.tables() if t.id == "headline")
    assert table.row_ids is not None
    row = table.rows[table.row_ids.index("city:hanoi")]
    return {c.id: v for c, v in zip(table.columns, row, strict=True) if c.id != "group"}  # type: ignore[misc]


def write_reports(
    home: Path,
    period: Period,
    lang: Lang = "vi",
    *,
    warehouse: Path | None = None,
    out_dir: Path | None = None,
) -> ReportFiles:
    """Write both pages of `period` as HTML (opening in `lang`, with a toggle to the other
    language) and as workbooks in `lang`; returns where they went."""
    warehouse = Path(warehouse) if warehouse else warehouse_path(home)
    out = Path(out_dir) if out_dir else reports_dir(home) / period.folder
    with open_source(warehouse) as src:
        _check_period(src, period)
        pages = [
            coverage_page(src, period, warehouse),
            dashboard_page(src, period, warehouse),
        ]
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, object] = {"headline": city_headline(pages[0])}
    for page in pages:
        html = out / f"{page.kind}.html"
        html.write_text(render_html(page, lang), encoding="utf-8")
        written[f"{page.kind}_html"] = html
        written[f"{page.kind}_xlsx"] = write_workbook(page, out / f"{page.kind}.xlsx", lang)
    return ReportFiles(**written)
