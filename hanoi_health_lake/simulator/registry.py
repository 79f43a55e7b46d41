"""The facility registry the Department keeps, written as `registry/facilities.csv`.

Facility codes are 5 characters, `01` (Hanoi) + 3. Public facilities and hospitals take the 999
numeric codes `01001`–`01999` (`01000` is the temporary code for Hanoi residents, never issued);
private clinics, of which there are more than 1,000, take a letter and two base-36 characters:
`01A00`–`01ZZZ` (26 × 36 × 36 = 33,696 codes). Both sets are handed out in a seeded order, so codes
carry no meaning beyond being unique — as in the real registry.

Go-live dates follow the city plan (STANDARDS.md §5): public hospitals connected by 2025-12-30,
most other facilities by 2026-03-01, some private clinics later and some never (empty
go_live_date). Most facilities name whom to call about their data deliveries (contact_name,
contact_phone, contact_email: staff business contacts from Faker's vi_VN name and phone lists);
some leave them blank, as registries do. A facility that signs QĐ 130 XML dossiers may have its
own signature policy (signature_policy: public hospitals, connected and with certificates
registered since phase 1, have failed signatures quarantined; others follow the default).
Besides the published columns each facility carries how its software exports (encoding,
delimiter, bundle type, …); those are not in the CSV, as the Department would not know.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from faker.providers.phone_number.vi_VN import Provider as FakerPhone

from hanoi_health_lake.reference.wards import HanoiWard, hanoi_wards
from hanoi_health_lake.simulator.data_files import data_rows
from hanoi_health_lake.simulator.names import pools
from hanoi_health_lake.simulator.rand import base36, rng
from hanoi_health_lake.simulator.scales import Scale

REGISTRY_COLUMNS = (
    "facility_code", "name", "facility_type", "ownership", "level", "ward_code", "ward_name",
    "opened_date", "go_live_date", "datasets", "export_format", "imaging_format",
    "contact_name", "contact_phone", "contact_email", "signature_policy",
)  # fmt: skip
CONTACT_SHARE = 0.85  # facilities whose registry row names a data-delivery contact
EMAIL_SHARE = 0.8  # of those, the ones that also give an e-mail
PHASE1_DEADLINE = date(2025, 12, 30)  # public hospitals connected
PHASE2_DEADLINE = date(2026, 3, 1)  # everyone else, routinely synchronised
HOSPITAL_TYPES = ("central_hospital", "city_hospital", "private_hospital")
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "cp1258")
_CLINIC_KINDS = (
    ("Phòng khám Đa khoa", "general", 0.25), ("Phòng khám Nội tổng hợp", "general", 0.12),
    ("Phòng khám Nhi", "paediatrics", 0.10), ("Phòng khám Nha khoa", "dental", 0.15),
    ("Phòng khám Sản phụ khoa", "obstetrics", 0.10), ("Phòng khám Mắt", "eye", 0.06),
    ("Phòng khám Tai Mũi Họng", "ent", 0.07), ("Phòng khám Da liễu", "dermatology", 0.05),
    ("Phòng khám Y học cổ truyền", "traditional", 0.10),
)  # fmt: skip
_PRIVATE_HOSPITAL_KINDS = (
    ("Bệnh viện Đa khoa", "general"), ("Bệnh viện Đa khoa Quốc tế", "general"),
    ("Bệnh viện Phụ sản", "obstetrics"), ("Bệnh viện Đa khoa", "general"),
    ("Bệnh viện Mắt", "eye"), ("Bệnh viện Đa khoa", "general"),
)  # fmt: skip
_SPECIALISED_CITY_HOSPITALS = 8  # the first rows of the city group are the city's top hospitals


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    facility_type: str
    ownership: str  # public_central | public_city | private
    level: str  # specialised | basic | initial (Law on Medical Examination and Treatment 2023)
    ward: HanoiWard
    opened_date: date
    go_live_date: date | None
    datasets: tuple[str, ...]
    export_format: str  # fhir_json | fhir_ndjson | csv
    imaging_format: str  # dicom | dicom_json | ""
    specialty: str
    size: float  # relative volume within its type
    # How its software exports — unknown to the Department, so not in the CSV.
    csv_encoding: str
    csv_delimiter: str
    icd_dotless: bool  # writes J069 rather than J06.9 in CSV
    bundle_type: str  # collection | transaction
    fhir_utc: bool  # FHIR times in UTC (…Z) rather than +07:00
    export_minute: int  # usual minute of the night its export job runs
    punctuality: float  # 0 (erratic) … 1 (never late)
    # Whom the Department calls about the facility's deliveries; "" when the registry has none.
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    # What a failed dossier signature does (parsers/xml_signature.py): "quarantine", or "" for
    # the Department's default (report while phase 2 runs). Set for XML senders only.
    signature_policy: str = ""

    def is_live(self, day: date) -> bool:
        return self.go_live_date is not None and self.go_live_date <= day

    def row(self) -> dict[str, str]:
        return {
            "facility_code": self.code,
            "name": self.name,
            "facility_type": self.facility_type,
            "ownership": self.ownership,
            "level": self.level,
            "ward_code": self.ward.code,
            "ward_name": self.ward.name,
            "opened_date": self.opened_date.isoformat(),
            "go_live_date": self.go_live_date.isoformat() if self.go_live_date else "",
            "datasets": ";".join(self.datasets),
            "export_format": self.export_format,
            "imaging_format": self.imaging_format,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
            "signature_policy": self.signature_policy,
        }


@cache
def _names() -> dict[str, list[tuple[str, str, float]]]:
    groups: dict[str, list[tuple[str, str, float]]] = {}
    for row in data_rows("sim_facility_names.csv"):
        groups.setdefault(row["group"], []).append(
            (row["name"], row["specialty"], float(row["size"]))
        )
    return groups


def build_registry(scale: Scale, seed: int, start: date) -> list[Facility]:
    """The registry for a scale, sorted by facility code."""
    rnd = rng(seed, "registry", scale.name)
    wards = hanoi_wards()
    urban = [w for w in wards if w.kind == "phường"]
    drafts = _hospital_drafts(scale, rnd, urban, wards) + _primary_care_drafts(scale, rnd, wards)
    numeric = [f"01{n:03d}" for n in range(1, 1000)]
    lettered = [f"01{chr(65 + n // 1296)}{base36(n % 1296, 2).upper()}" for n in range(26 * 1296)]
    rnd.shuffle(numeric)
    rnd.shuffle(lettered)
    facilities = []
    hospitals_seen = csv_seen = 0
    for ftype, name, specialty, size, ward in drafts:
        code = lettered.pop() if ftype == "private_clinic" else numeric.pop()
        opened = _opened(ftype, rnd, start)
        go_live = _go_live(ftype, rnd, opened)
        if ftype in HOSPITAL_TYPES:
            # Rotate formats over hospitals so even the tiny scale has every profile.
            fmt = ("csv", "fhir_json", "fhir_ndjson")[hospitals_seen % 3]
            imaging = ("dicom", "dicom_json")[hospitals_seen % 2]
            hospitals_seen += 1
        else:
            fmt = _export_format(ftype, rnd)
            imaging = "dicom_json" if ftype == "health_centre" and rnd.random() < 0.5 else ""
        rotation = csv_seen if fmt == "csv" else 0
        csv_seen += fmt == "csv"
        facilities.append(
            Facility(
                code=code,
                name=name,
                facility_type=ftype,
                ownership=_ownership(ftype),
                level=_level(ftype, name),
                ward=ward,
                opened_date=opened,
                go_live_date=go_live,
                datasets=_datasets(ftype, imaging),
                export_format=fmt,
                imaging_format=imaging,
                specialty=specialty,
                size=size,
                csv_encoding=CSV_ENCODINGS[rotation % 3],
                csv_delimiter=",;"[(rotation // 3) % 2],
                icd_dotless=rnd.random() < 0.3,
                bundle_type="transaction" if rnd.random() < 0.4 else "collection",
                fhir_utc=rnd.random() < 0.25,
                export_minute=rnd.randrange(30, 7 * 60),
                punctuality=rnd.betavariate(6, 1),
            )
        )
    return _with_contacts(sorted(facilities, key=lambda f: f.code), seed, scale.name)


def _with_contacts(facilities: list[Facility], seed: int, scale_name: str) -> list[Facility]:
    """Contacts drawn from their own stream, so adding them changed no other registry value."""
    rnd = rng(seed, "registry-contacts", scale_name)
    parts = pools()
    out = []
    for f in facilities:
        if rnd.random() >= CONTACT_SHARE:
            out.append(f)
            continue
        female = rnd.random() < 0.6
        sex = "female" if female else "male"
        family = parts["family"].pick_one(rnd.random())
        middle = parts[f"middle_{sex}"].pick_one(rnd.random())
        given = parts[f"given_{sex}"].pick_one(rnd.random())
        phone = "".join(
            str(rnd.randrange(10)) if ch == "#" else ch for ch in rnd.choice(FakerPhone.formats)
        )
        email = ""
        if rnd.random() < EMAIL_SHARE:
            local = _ascii(f"{given}.{family}{middle[0]}").lower()
            email = f"{local}{rnd.randrange(100)}@{rnd.choice(_EMAIL_DOMAINS)}"
        out.append(
            replace(
                f,
                contact_name=f"{family} {middle} {given}",
                contact_phone=phone,
                contact_email=email,
            )
        )
    return out


_EMAIL_DOMAINS = ("gmail.com", "yahoo.com.vn", "hanoi.gov.vn", "outlook.com")


def _ascii(text: str) -> str:
    """Vietnamese letters without their marks (Đ/đ has no decomposition of its own)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c != " ")


def _hospital_drafts(scale, rnd: random.Random, urban, wards) -> list[tuple]:
    names = _names()
    drafts = []
    for ftype, group in (("central_hospital", "central"), ("city_hospital", "city")):
        mean_size = sum(s for _, _, s in names[group]) / len(names[group])
        for name, specialty, size in names[group][: scale.facilities[ftype]]:
            drafts.append((ftype, name, specialty, size / mean_size,
                           rnd.choice(urban)))  # fmt: skip
    brands = [b for b, _, _ in names["brand"]]
    for k, brand in enumerate(rnd.sample(brands, scale.facilities["private_hospital"])):
        kind, specialty = _PRIVATE_HOSPITAL_KINDS[k % len(_PRIVATE_HOSPITAL_KINDS)]
        size = rnd.lognormvariate(0, 0.5)
        drafts.append(("private_hospital", f"{kind} {brand}", specialty, size,
                       rnd.choice(urban)))  # fmt: skip
    for name, specialty, _ in names["district"][: scale.facilities["health_centre"]]:
        drafts.append(("health_centre", name, specialty, rnd.lognormvariate(0, 0.3),
                       rnd.choice(wards)))  # fmt: skip
    return drafts


def _primary_care_drafts(scale, rnd: random.Random, wards) -> list[tuple]:
    drafts = []
    n_stations = scale.facilities["health_station"]
    station_wards = sorted(rnd.sample(range(len(wards)), n_stations))
    for w in station_wards:
        drafts.append(("health_station", f"Trạm Y tế {wards[w].name}", "general",
                       rnd.lognormvariate(0, 0.4), wards[w]))  # fmt: skip
    brands = [b for b, _, _ in _names()["brand"]]
    n = scale.facilities["private_clinic"]
    kinds = rnd.choices(_CLINIC_KINDS, weights=[s for _, _, s in _CLINIC_KINDS], k=n)
    clinic_wards = rnd.choices(wards, weights=[1.6 if w.kind == "phường" else 1.0 for w in wards],
                               k=n)  # fmt: skip
    seen: dict[str, int] = {}
    for (label, specialty, _), ward in zip(kinds, clinic_wards, strict=True):
        base = f"{label} {rnd.choice(brands)}"
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} cơ sở {seen[base]}"
        drafts.append(("private_clinic", name, specialty, rnd.lognormvariate(0, 0.8), ward))
    return drafts


def _ownership(ftype: str) -> str:
    if ftype == "central_hospital":
        return "public_central"
    return "private" if ftype.startswith("private") else "public_city"


def _level(ftype: str, name: str) -> str:
    if ftype == "central_hospital":
        return "specialised"
    if ftype == "city_hospital":
        top = [n for n, _, _ in _names()["city"][:_SPECIALISED_CITY_HOSPITALS]]
        return "specialised" if name in top else "basic"
    return "initial" if ftype in ("health_station", "private_clinic") else "basic"


def _datasets(ftype: str, imaging: str) -> tuple[str, ...]:
    if ftype == "private_clinic":
        return ("encounters", "prescriptions")
    if ftype == "health_station":
        return ("encounters", "prescriptions", "referrals")
    base = ("encounters", "prescriptions", "referrals", "appointments")
    return (*base, "imaging_studies") if imaging else base


def _export_format(ftype: str, rnd: random.Random) -> str:
    u = rnd.random()
    if ftype == "private_clinic":
        return "csv" if u < 0.7 else ("fhir_json" if u < 0.9 else "fhir_ndjson")
    return "csv" if u < 0.8 else "fhir_json"


def _opened(ftype: str, rnd: random.Random, start: date) -> date:
    if ftype == "private_clinic":
        if rnd.random() < 0.02:  # opens while the simulation runs
            return start + timedelta(days=rnd.randrange(1, 30))
        return date(2000, 1, 1) + timedelta(days=rnd.randrange(9000))
    first_year = {"health_station": 1985, "health_centre": 1990}.get(ftype, 1950)
    return date(first_year, 1, 1) + timedelta(days=rnd.randrange(365 * 25))


def _go_live(ftype: str, rnd: random.Random, opened: date) -> date | None:
    u = rnd.random()
    if ftype in ("central_hospital", "city_hospital"):
        window = (date(2025, 9, 15), PHASE1_DEADLINE)
    elif ftype == "private_clinic":
        if u < 0.18:
            return None
        on_time = u < 0.83
        window = (date(2025, 12, 15), PHASE2_DEADLINE) if on_time else (
            PHASE2_DEADLINE + timedelta(days=1), date(2026, 6, 30))  # fmt: skip
    else:
        if u < 0.03:
            return None
        on_time = u < 0.9
        window = (date(2025, 11, 1), PHASE2_DEADLINE) if on_time else (
            PHASE2_DEADLINE + timedelta(days=1), date(2026, 4, 30))  # fmt: skip
    span = (window[1] - window[0]).days
    return max(opened, window[0] + timedelta(days=rnd.randrange(span + 1)))


def registry_csv(facilities: list[Facility]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REGISTRY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for f in facilities:
        writer.writerow(f.row())
    return buf.getvalue().encode("utf-8")


def unregistered_codes(facilities: list[Facility], rnd: random.Random, n: int) -> list[str]:
    """Codes a facility might wrongly send: unused Hanoi codes and other provinces' codes."""
    used = {f.code for f in facilities}
    out: list[str] = []
    while len(out) < n:
        if rnd.random() < 0.5:
            code = f"{rnd.choice((79, 31, 48, 26, 30)):02d}{rnd.randrange(1, 1000):03d}"
        else:
            code = f"01{rnd.randrange(1, 1000):03d}"
        if code not in used:
            out.append(code)
    return out
