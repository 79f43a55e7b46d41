"""The Hanoi facility-export simulator behind `hhl simulate` (no Dagster import).

It writes what the warehouse receives — the facility registry, every facility's daily exports in
the formats of docs/landing-formats.md, with realistic delivery (late, silent, corrected,
duplicated) and injected faults — and the ground truth a correct pipeline must reproduce.

Layout, in the order a run uses it: `scales` (how big), `registry` (facilities and their codes),
`population` (people derived from an index), `diagnoses`/`prescribing`/`imaging`/`seasons` (what
happens to them), `episodes` (a facility's day), `outbreaks`, `delivery` (when files arrive),
`corrections`, `fault_plan`/`faults_csv`/`faults_fhir`/`files` (faults), `csv_export`/
`fhir_export`/`dicom_export` (file formats), `ground_truth`, `facility_run` and `run` (the
driver). Its benchmark is hanoi_health_lake/benchmarks/simulator.py.

Determinism: every random draw comes from a generator seeded by (seed, facility, day, purpose) or
from a hash of (seed, person index), iteration is sorted, and no wall-clock time is read, so the
same arguments give byte-identical trees however many worker processes run.
"""

from hanoi_health_lake.simulator.run import OutputExists, Summary, simulate

__all__ = ["OutputExists", "Summary", "simulate"]
