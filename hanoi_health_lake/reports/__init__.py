"""Reports for managers and leaders, read from the DuckDB warehouse: the facility coverage report
and the city dashboard, each as a self-contained HTML page (Vietnamese, with an English toggle)
and an Excel workbook holding the same figures. No Dagster here: the assets wrap `write_reports`.
"""

from hanoi_health_lake.reports.build import NoCoverageData, ReportFiles, write_reports
from hanoi_health_lake.reports.period import Period, day_period, week_period

__all__ = ["NoCoverageData", "Period", "ReportFiles", "day_period", "week_period", "write_reports"]
