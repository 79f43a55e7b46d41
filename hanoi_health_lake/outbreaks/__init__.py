"""Epidemic early warning, the pipeline step (no Dagster here: the assets wire these functions).

- cases.py: new cases per disease group and day, city and ward of residence, a return visit
  within the window not counted again (`count_cases`);
- reporting.py: facility silence and reporting completeness, apart from alarms
  (`facility_silence`, `reporting_completeness`);
- signals.py: the detection method on every series, with why and the incomplete-data flag
  (`compute_signals`);
- day.py: one service day read from the lake; tables.py: the gold tables;
- bulletin.py (with svg.py): the HTML bulletin;
Benchmarking detection against injected outbreaks lives in hanoi_health_lake/benchmarks/
(detection.py). This package is the pipeline step; the detection algorithms it calls are in
hanoi_health_lake/surveillance/.
"""

from hanoi_health_lake.outbreaks.cases import count_cases, new_cases
from hanoi_health_lake.outbreaks.reporting import facility_silence, reporting_completeness
from hanoi_health_lake.outbreaks.settings import OutbreakSettings
from hanoi_health_lake.outbreaks.signals import compute_signals

__all__ = [
    "OutbreakSettings",
    "compute_signals",
    "count_cases",
    "facility_silence",
    "new_cases",
    "reporting_completeness",
]
