"""The simulator's own record of what happened at a facility on a day, before any file format.

One `Episode` per encounter (QĐ 130 XML1 row, FHIR Encounter), with its drug lines, referral
letter, re-examination appointment and imaging study as separate records, so each dataset of
docs/landing-formats.md §2 is a list of one of these classes. Exporters turn them into files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from hanoi_health_lake.simulator.diagnoses import Diagnosis
from hanoi_health_lake.simulator.population import Person
from hanoi_health_lake.simulator.prescribing import Line


@dataclass(frozen=True, slots=True)
class Episode:
    ma_lk: str
    person: Person
    patient_no: str  # MA_BN, the facility's own patient number
    setting: str  # outpatient | inpatient | day_inpatient | emergency
    loai_kcb: str  # MA_LOAI_KCB
    doituong: str  # MA_DOITUONG_KCB: 1 right level, 2 emergency, 3 other level
    admitted: datetime
    inpatient_at: datetime | None
    discharged: datetime
    primary: Diagnosis
    secondary: tuple[str, ...]
    result: str  # KET_QUA_DTRI
    discharge_type: str  # MA_LOAI_RV
    referred_from: str  # MA_NOI_DI
    referred_to: str  # MA_NOI_DEN
    followup: date | None
    cost: int
    insurance_paid: int
    weight_kg: float
    department: str
    doctor: str
    registered_facility: str  # MA_DKBD

    @property
    def record_id(self) -> str:
        return self.ma_lk


@dataclass(frozen=True, slots=True)
class DrugLine:
    episode: Episode
    stt: int
    line: Line
    prescription_code: str
    ordered_at: datetime

    @property
    def record_id(self) -> str:
        return f"{self.episode.ma_lk}-{self.stt}"

    @property
    def amount(self) -> int:
        return round(self.line.quantity * self.line.use.unit_price_vnd)


@dataclass(frozen=True, slots=True)
class Referral:
    episode: Episode
    number: str  # SO_CHUYENTUYEN
    to_code: str
    reason: str  # MA_LYDO_CT
    transport: str

    @property
    def record_id(self) -> str:
        return self.number


@dataclass(frozen=True, slots=True)
class Appointment:
    episode: Episode
    number: str  # SO_GIAYHEN_KL
    at: datetime
    issued: date

    @property
    def record_id(self) -> str:
        return self.number


@dataclass(frozen=True, slots=True)
class Study:
    episode: Episode
    uid: str
    series_uid: str
    instance_uid: str
    accession: str
    modality: str
    sop_class: str
    at: datetime
    body_part: str
    description: str
    instances: int

    @property
    def record_id(self) -> str:
        return self.uid


Record = Episode | DrugLine | Referral | Appointment | Study
