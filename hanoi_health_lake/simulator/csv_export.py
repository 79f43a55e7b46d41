"""QĐ 130 CSV exports: XML1 encounters, XML2 drug lines, XML13 referrals, XML14 appointments.

Columns and required columns come from formats/qd130.py. Encoding and delimiter are the
facility's (registry.Facility); fields containing the delimiter, quotes or line breaks are quoted.
"""

from __future__ import annotations

import csv
import io

from hanoi_health_lake.formats.qd130 import DATASET_TABLE, TABLE_COLUMNS
from hanoi_health_lake.simulator.care_records import (
    Appointment,
    DrugLine,
    Episode,
    Referral,
)
from hanoi_health_lake.simulator.encodings import encode_text
from hanoi_health_lake.simulator.fault_values import FaultContext
from hanoi_health_lake.simulator.faults_csv import ID_COLUMNS, apply_file_fault, apply_record_fault
from hanoi_health_lake.simulator.files import OutFile, RecordSlot, damage, file_name
from hanoi_health_lake.simulator.registry import Facility
from hanoi_health_lake.simulator.timefmt import qd_date, qd_time

_GIOI_TINH = {"male": "1", "female": "2"}
_GENERIC_FILE_FAULTS = ("empty_file", "unsafe_path")


def _icd(code: str, fac: Facility) -> str:
    return code.replace(".", "") if fac.icd_dotless else code


def _birth(e: Episode) -> str:
    p = e.person
    return qd_date(p.birth_date) if p.birth_day_known else f"{p.birth_date.year:04d}0000"


def _address(e: Episode) -> str:
    return f"{e.person.address_line}, {e.person.ward.name}, Thành phố Hà Nội"


def _qty(q: float) -> str:
    return str(int(q)) if q == int(q) else f"{q:.3f}".rstrip("0")


def patient_columns(e: Episode, stt: int) -> dict[str, str]:
    """The columns an XML1 row and a check-in row both open with: the episode, the row number,
    who the patient is and their insurance card."""
    p = e.person
    return {
        "MA_LK": e.ma_lk,
        "STT": str(stt),
        "MA_BN": e.patient_no,
        "HO_TEN": p.full_name,
        "SO_CCCD": p.citizen_id,
        "NGAY_SINH": _birth(e),
        "GIOI_TINH": _GIOI_TINH[p.sex],
        "MA_THE_BHYT": p.insurance,
        "MA_DKBD": e.registered_facility if p.insurance else "",
    }


def xml1_row(e: Episode, fac: Facility, stt: int) -> dict[str, str]:
    p = e.person
    nights = (e.discharged.date() - e.admitted.date()).days
    return {
        **patient_columns(e, stt),
        "DIA_CHI": _address(e),
        "MATINH_CU_TRU": "01",
        "MAXA_CU_TRU": p.ward.code,
        "DIEN_THOAI": p.phone,
        "CHAN_DOAN_VAO": e.primary.name_vi,
        "CHAN_DOAN_RV": e.primary.name_vi,
        "MA_BENH_CHINH": _icd(e.primary.code, fac),
        "MA_BENH_KT": ";".join(_icd(c, fac) for c in e.secondary),
        "MA_DOITUONG_KCB": e.doituong,
        "MA_NOI_DI": e.referred_from,
        "MA_NOI_DEN": e.referred_to,
        "NGAY_VAO": qd_time(e.admitted),
        "NGAY_VAO_NOI_TRU": qd_time(e.inpatient_at) if e.inpatient_at else "",
        "NGAY_RA": qd_time(e.discharged),
        "NGAY_TAI_KHAM": qd_date(e.followup) if e.followup else "",
        "SO_NGAY_DTRI": str(nights + 1 if e.setting == "inpatient" else 0),
        "KET_QUA_DTRI": e.result,
        "MA_LOAI_RV": e.discharge_type,
        "T_TONGCHI_BV": str(e.cost),
        "T_BHTT": str(e.insurance_paid),
        "T_BNTT": str(e.cost - e.insurance_paid),
        "MA_LOAI_KCB": e.loai_kcb,
        "MA_KHOA": e.department,
        "MA_CSKCB": fac.code,
        "CAN_NANG": f"{e.weight_kg:.1f}",
    }


def registration_number(drug_code: str) -> str:
    n = int(drug_code[1:])
    return f"VD-{(n * 7919) % 100000:05d}-{18 + n % 7:02d}"


def xml2_row(d: DrugLine, fac: Facility) -> dict[str, str]:
    use = d.line.use
    brand = use.drug.brand_names[0] if use.drug.brand_names else use.drug.generic_name
    return {
        "MA_LK": d.episode.ma_lk,
        "STT": str(d.stt),
        "MA_THUOC": use.drug.drug_code,
        "TEN_THUOC": f"{brand} {use.strength}",
        "DON_VI_TINH": use.unit,
        "HAM_LUONG": use.strength,
        "DUONG_DUNG": d.line.route,
        "LIEU_DUNG": d.line.dosage,
        "SO_DANG_KY": registration_number(use.drug.drug_code),
        "SO_LUONG": _qty(d.line.quantity),
        "DON_GIA": str(use.unit_price_vnd),
        "THANH_TIEN_BV": str(d.amount),
        "MA_BAC_SI": d.episode.doctor,
        "NGAY_YL": qd_time(d.ordered_at),
        "MA_DON_THUOC": d.prescription_code,
    }


def _letter_columns(e: Episode, fac: Facility) -> dict[str, str]:
    """Columns a referral letter (XML13) and an appointment letter (XML14) share."""
    return {
        "MA_LK": e.ma_lk,
        "MA_CSKCB": fac.code,
        "HO_TEN": e.person.full_name,
        "NGAY_SINH": _birth(e),
        "GIOI_TINH": _GIOI_TINH[e.person.sex],
        "DIA_CHI": _address(e),
        "MA_THE_BHYT": e.person.insurance,
        "NGAY_VAO": qd_time(e.admitted),
        "NGAY_RA": qd_time(e.discharged),
        "CHAN_DOAN_RV": e.primary.name_vi,
        "MA_BENH_CHINH": _icd(e.primary.code, fac),
        "MA_BENH_KT": ";".join(_icd(c, fac) for c in e.secondary),
        "MA_BAC_SI": e.doctor,
    }


def xml13_row(r: Referral, fac: Facility) -> dict[str, str]:
    return {
        **_letter_columns(r.episode, fac),
        "SO_CHUYENTUYEN": r.number,
        "MA_NOI_DI": fac.code,
        "MA_NOI_DEN": r.to_code,
        "MA_LOAI_RV": r.episode.discharge_type,
        "MA_LYDO_CT": r.reason,
        "PHUONGTIEN_VC": r.transport,
    }


def xml14_row(a: Appointment, fac: Facility) -> dict[str, str]:
    return {
        **_letter_columns(a.episode, fac),
        "SO_GIAYHEN_KL": a.number,
        "NGAY_HEN_KL": qd_time(a.at),
        "NGAY_CT": qd_date(a.issued),
    }


def rows(dataset: str, records: list, fac: Facility) -> list[dict[str, str]]:
    if dataset == "encounters":
        return [xml1_row(e, fac, k) for k, e in enumerate(records, 1)]
    if dataset == "prescriptions":
        return [xml2_row(d, fac) for d in records]
    if dataset == "referrals":
        return [xml13_row(r, fac) for r in records]
    return [xml14_row(a, fac) for a in records]


def render(columns: tuple[str, ...], rows_: list[dict[str, str]], fac: Facility) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=fac.csv_delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([r[c] for c in columns] for r in rows_)
    return buf.getvalue()


def export_csv(
    dataset: str, records: list, fac: Facility, export_ts, plan, ctx: FaultContext
) -> list[OutFile]:
    table = DATASET_TABLE[dataset]
    columns = TABLE_COLUMNS[table]
    data_rows = rows(dataset, records, fac)
    name = file_name(dataset, export_ts, "csv")
    file_fault = plan.file_fault("csv")
    if file_fault in _GENERIC_FILE_FAULTS:
        text = render(columns, data_rows, fac)
        f = OutFile(name, encode_text(text, fac.csv_encoding), "csv")
        return [damage(f, file_fault, ctx.rnd)]
    if file_fault:
        columns, data_rows, encoding = apply_file_fault(
            file_fault, table, data_rows, fac.csv_encoding, ctx.rnd
        )
        text = render(columns, data_rows, fac)
        return [OutFile(name, encode_text(text, encoding), "csv", fault=file_fault)]
    faults = plan.record_faults("csv", dataset, len(data_rows))
    for i, kind in faults.items():
        apply_record_fault(kind, table, data_rows, i, plan.partners.get(i), ctx)
    id_cols = ID_COLUMNS[table]
    slots = [
        RecordSlot(k, f"row {k}", "-".join(row[c] for c in id_cols), faults.get(k - 1))
        for k, row in enumerate(data_rows, 1)
    ]
    text = render(columns, data_rows, fac)
    return [OutFile(name, encode_text(text, fac.csv_encoding), "csv", slots)]
