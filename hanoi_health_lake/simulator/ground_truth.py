"""The simulator's ground truth (docs/landing-formats.md §7): what a correct pipeline must find.

- `faults.csv`: every injected fault; file faults have no record_no.
- `clean_counts.csv`: per facility, dataset and service day with at least one file landed:
  records `delivered` in files not rejected whole, of which `quarantined` (an injected record
  fault), `superseded` (a later export_ts carries the same record id) and `accepted` (the rest).
- `deliveries.csv`: per facility (opened by then), dataset it must send, and service day:
  `expected` = records the facility had that day (0: nothing to send), `delivered` = records in
  the first delivery that landed (0 if none), `first_export_ts`, `on_time` (1 if by 08:00 the
  next day), `silent` = why nothing came on time: never_connected | silent_stretch | late.
- `silences.csv`: every silent stretch.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field

from hanoi_health_lake.faults import RULE_FOR_KIND

FAULT_COLUMNS = ("kind", "rule_id", "level", "file", "record_no", "locator", "record_id",
                 "dataset", "facility_code", "service_date")  # fmt: skip
COUNT_COLUMNS = ("facility_code", "dataset", "service_date", "delivered", "accepted",
                 "superseded", "quarantined")  # fmt: skip
DELIVERY_COLUMNS = ("facility_code", "dataset", "service_date", "expected", "delivered",
                    "first_export_ts", "on_time", "silent")  # fmt: skip
SILENCE_COLUMNS = ("facility_code", "start_date", "end_date", "reason")


@dataclass
class Truth:
    faults: list[tuple] = field(default_factory=list)
    counts: list[tuple] = field(default_factory=list)
    deliveries: list[tuple] = field(default_factory=list)
    silences: list[tuple] = field(default_factory=list)
    # (format, "files" | "records") → number written
    stats: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def extend(self, other: Truth) -> None:
        self.faults += other.faults
        self.counts += other.counts
        self.deliveries += other.deliveries
        self.silences += other.silences
        for k, v in other.stats.items():
            self.stats[k] += v


def group_truth(truth: Truth, key: tuple[str, str, str], delivered_files: list) -> None:
    """Fault rows and the clean count of one (facility, dataset, day): `delivered_files` holds
    (export_ts, relative directory, files) for every version that landed."""
    code, dataset, day = key
    latest: dict[str, str] = {}
    records = []
    for ts, folder, files in delivered_files:
        for f in files:
            path = f"{folder}/{f.name}"
            if f.fault:
                truth.faults.append((f.fault, RULE_FOR_KIND[f.fault], "file", path, "", "", "",
                                     dataset, code, day))  # fmt: skip
                continue
            if not f.counted:
                continue
            for slot in f.records:
                if slot.fault:
                    truth.faults.append((slot.fault, RULE_FOR_KIND[slot.fault], "record", path,
                                         slot.record_no, slot.locator, slot.record_id, dataset,
                                         code, day))  # fmt: skip
                else:
                    latest[slot.record_id] = max(latest.get(slot.record_id, ts), ts)
                records.append((slot, ts))
    quarantined = sum(1 for slot, _ in records if slot.fault)
    superseded = sum(1 for slot, ts in records if not slot.fault and ts < latest[slot.record_id])
    delivered = len(records)
    truth.counts.append((code, dataset, day, delivered, delivered - quarantined - superseded,
                         superseded, quarantined))  # fmt: skip


def _csv(columns: tuple[str, ...], rows: list[tuple]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _fault_order(row: tuple) -> tuple:
    return (row[3], row[4] if row[4] != "" else 0, row[0])


def files(truth: Truth, args: dict, outbreaks: list[dict]) -> dict[str, bytes]:
    """File name → bytes of every ground-truth file, rows in a fixed order."""
    manifest = {"generator": "hhl simulate", "args": args, "outbreaks": outbreaks}
    return {
        "manifest.json": (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode(),
        "faults.csv": _csv(FAULT_COLUMNS, sorted(truth.faults, key=_fault_order)),
        "clean_counts.csv": _csv(COUNT_COLUMNS, sorted(truth.counts)),
        "deliveries.csv": _csv(DELIVERY_COLUMNS, sorted(truth.deliveries)),
        "silences.csv": _csv(SILENCE_COLUMNS, sorted(truth.silences)),
    }
