"""Check-ins (`checkin__<export_ts>.xml`) of the hospitals that send QĐ 130 XML: the QĐ 4750
check-in table a hospital system sends when care starts, before the dossier.

A check-in is the episode's first row: who (the XML1 person fields), when (NGAY_VAO), what kind of
care, and the first drug ordered. Only episodes whose care started on the day are checked in on
that day (an inpatient discharged today came in on an earlier day, before the window the
simulator makes); the folder's day is the check-in day, as the ingest places them. The day's
check-ins are batched by half hour, one small file per batch stamped a minute after it closes.
No random draw is made here, so adding check-ins changed no other simulated value; check-ins
carry no fault (they are counted in the ground truth per facility and day like any dataset).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from lxml import etree

from hanoi_health_lake.formats import qd130
from hanoi_health_lake.simulator.care_records import DrugLine, Episode
from hanoi_health_lake.simulator.csv_export import patient_columns
from hanoi_health_lake.simulator.delivery import sla
from hanoi_health_lake.simulator.files import OutFile, RecordSlot
from hanoi_health_lake.simulator.ground_truth import Truth, group_truth
from hanoi_health_lake.simulator.registry import Facility
from hanoi_health_lake.simulator.timefmt import qd_time

CHECKINS = "checkins"
CHECKIN_FILE = "checkin"
XML_FORMAT = "qd130_xml"
BATCH_MINUTES = 30
# The examination every episode starts with (simulated service code and name).
_EXAMINATION = ("02.1896", "Khám bệnh")


def checked_in(encounters: Sequence[Episode], day: date) -> list[Episode]:
    """The episodes whose care started on `day`."""
    return [e for e in encounters if e.admitted.date() == day]


def checkin_row(e: Episode, fac: Facility, stt: int, first_drug: DrugLine | None) -> dict:
    p = e.person
    drug = first_drug.line.use.drug if first_drug else None
    return {
        **patient_columns(e, stt),
        "GT_THE_TU": f"{e.admitted.year}0101" if p.insurance else "",
        "GT_THE_DEN": f"{e.admitted.year}1231" if p.insurance else "",
        "MA_DOITUONG_KCB": e.doituong,
        "NGAY_VAO": qd_time(e.admitted),
        "NGAY_VAO_NOI_TRU": qd_time(e.inpatient_at) if e.inpatient_at else "",
        "LY_DO_VNT": e.primary.name_vi if e.inpatient_at else "",
        "MA_LY_DO_VNT": "",
        "MA_LOAI_KCB": e.loai_kcb,
        "MA_CSKCB": fac.code,
        "MA_DICH_VU": _EXAMINATION[0],
        "TEN_DICH_VU": _EXAMINATION[1],
        "MA_THUOC": drug.drug_code if drug else "",
        "TEN_THUOC": drug.generic_name if drug else "",
        "MA_VAT_TU": "",
        "TEN_VAT_TU": "",
        "NGAY_YL": qd_time(first_drug.ordered_at if first_drug else e.admitted),
        "DU_PHONG": "",
    }


def checkin_table(rows: Sequence[dict[str, str]]) -> bytes:
    root = etree.Element(qd130.CHECKIN_ROOT_TAG)
    holder = etree.SubElement(root, f"DSACH_{qd130.CHECKIN_ROW_TAG}")
    for row in rows:
        element = etree.SubElement(holder, qd130.CHECKIN_ROW_TAG)
        for column, value in row.items():
            etree.SubElement(element, column).text = value
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _batch_end(at: datetime) -> datetime:
    start = at.replace(minute=at.minute - at.minute % BATCH_MINUTES, second=0, microsecond=0)
    return start + timedelta(minutes=BATCH_MINUTES)


def checkin_files(
    episodes: Sequence[Episode], drugs: Sequence[DrugLine], fac: Facility
) -> list[tuple[datetime, OutFile]]:
    """(export time, file) of each half-hour batch of check-ins, in time order."""
    first_drug: dict[str, DrugLine] = {}
    for d in drugs:
        held = first_drug.get(d.episode.ma_lk)
        if held is None or d.stt < held.stt:
            first_drug[d.episode.ma_lk] = d
    batches: dict[datetime, list[Episode]] = {}
    for e in sorted(episodes, key=lambda e: (e.admitted, e.ma_lk)):
        batches.setdefault(_batch_end(e.admitted), []).append(e)
    out = []
    for end, batch in batches.items():
        export_ts = end + timedelta(minutes=1)
        rows = [checkin_row(e, fac, i, first_drug.get(e.ma_lk)) for i, e in enumerate(batch, 1)]
        slots = [RecordSlot(i, f"check-in {i}", e.ma_lk) for i, e in enumerate(batch, 1)]
        name = f"{CHECKIN_FILE}__{export_ts:%Y%m%dT%H%M%S}.xml"
        out.append((export_ts, OutFile(name, checkin_table(rows), XML_FORMAT, slots)))
    return out


def deliver_checkins(fac: Facility, day: date, data, folder: tuple[str, str], truth: Truth):
    """Write a facility-day's check-in files and their ground truth."""
    folder_abs, folder_rel = folder
    episodes = checked_in(data.records("encounters"), day)
    files = checkin_files(episodes, data.records("prescriptions"), fac)
    if files:
        os.makedirs(folder_abs, exist_ok=True)
    for _, f in files:
        with open(os.path.join(folder_abs, f.name), "wb") as fh:
            fh.write(f.data)
    truth.stats[(XML_FORMAT, "files")] += len(files)
    truth.stats[(XML_FORMAT, "records")] += len(episodes)
    if files:
        group_truth(truth, (fac.code, CHECKINS, day.isoformat()),
                    [(ts, folder_rel, [f]) for ts, f in files])  # fmt: skip
    first = files[0][0] if files else None
    on_time = first is not None and first <= sla(day)
    truth.deliveries.append((
        fac.code, CHECKINS, day.isoformat(), len(episodes), len(episodes) if files else 0,
        f"{first:%Y%m%dT%H%M%S}" if first else "", int(on_time), "",
    ))  # fmt: skip
