"""Where the outbreak bulletin joins the city dashboard.

The bulletin is another package's work (`hanoi_health_lake/outbreaks/bulletin.py`): one
self-contained HTML section (no script, no external resource) read from the lake's gold tables.
The import is guarded so the dashboard still builds where that package is absent, and a day
without outbreak signals gives no bulletin rather than a failed report.
"""

from __future__ import annotations

from pathlib import Path

from hanoi_health_lake.config import lake_dir, registry_path
from hanoi_health_lake.reports.period import Period


def outbreak_bulletin(home: Path, period: Period) -> str | None:
    """The bulletin's HTML section for the period's last day, or None when there is none."""
    try:
        from hanoi_health_lake.outbreaks.bulletin import bulletin_section, load_bulletin_data
        from hanoi_health_lake.outbreaks.day import MissingInput
        from hanoi_health_lake.reference.registry import load_registry
    except ImportError:
        return None
    try:
        registry = load_registry(registry_path(home))
        data = load_bulletin_data(lake_dir(home), registry, period.end)
    except (MissingInput, FileNotFoundError):
        return None
    return bulletin_section(data)
