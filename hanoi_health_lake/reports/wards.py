"""Coverage of the facilities in each of Hanoi's 126 wards and communes: a map-like grid and a
table."""

from __future__ import annotations

import polars as pl

from hanoi_health_lake.reference.wards import hanoi_wards
from hanoi_health_lake.reports import charts
from hanoi_health_lake.reports.common import basis, both, by_key, column, label_column
from hanoi_health_lake.reports.labels import code_label, label
from hanoi_health_lake.reports.model import Chart, Section, Table, same
from hanoi_health_lake.reports.period import Period
from hanoi_health_lake.reports.source import ReportSource

WARD_GRID_COLUMNS = 14


def wards_section(src: ReportSource, period: Period) -> Section:
    params = {"start": period.start, "end": period.end}
    coverage = by_key(
        src.frame("coverage_period", **params).filter(
            (pl.col("dimension") == "ward_code") & (pl.col("dataset") == "all")
        ),
        "group_value",
    )
    facilities = by_key(
        src.frame("coverage_facilities", **params).filter(pl.col("dimension") == "ward_code"),
        "group_value",
    )
    registry = by_key(
        src.frame("registry_counts", end=period.end).filter(pl.col("dimension") == "ward_code"),
        "group_value",
    )
    table_rows, tiles = [], []
    for ward in hanoi_wards():
        cov = coverage.get((ward.code,), {})
        reg = registry.get((ward.code,), {})
        fac = facilities.get((ward.code,), {})
        name = same(ward.name)
        table_rows.append(
            [
                ward.code,
                name,
                code_label("ward_kind", ward.kind),
                reg.get("registered", 0),
                fac.get("facilities_expected", 0),
                cov.get("expected", 0),
                cov.get("delivered_share"),
                cov.get("on_time_share"),
                cov.get("complete_share"),
                cov.get("valid_share"),
            ]
        )
        detail = label(
            "chart.ward_detail",
            registered=both(reg.get("registered", 0), "int"),
            expected=both(fac.get("facilities_expected", 0), "int"),
            on_time=both(cov.get("on_time_share"), "share"),
        )
        tiles.append((ward.code, name, cov.get("on_time_share"), detail))
    with_facilities = sum(1 for r in table_rows if r[3])
    grid = Chart(
        "ward_grid",
        label("chart.ward_grid"),
        charts.in_both(charts.ward_grid, tiles, WARD_GRID_COLUMNS),
        basis(
            src,
            period.start,
            period.end,
            extra=label("basis.wards", n=str(with_facilities), total=str(len(table_rows))),
        ),
        height=520,
    )
    table = Table(
        id="wards",
        title=label("table.wards", n=str(len(table_rows))),
        columns=[
            column("ward_code", "text"),
            label_column("ward_name"),
            label_column("ward_kind"),
            column("registered"),
            column("facilities_expected"),
            column("expected"),
            column("delivered_share", "share"),
            column("on_time_share", "share"),
            column("complete_share", "share"),
            column("valid_share", "share"),
        ],
        rows=table_rows,
        row_ids=[f"ward_code:{r[0]}" for r in table_rows],
        sheet=label("sheet.wards"),
        sortable=True,
        collapsed=True,
    )
    return Section("wards", label("section.wards"), label("intro.wards"), [grid, table])
