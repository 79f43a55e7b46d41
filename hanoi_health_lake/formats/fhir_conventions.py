"""How Vietnamese identifiers travel in FHIR R4 resources delivered to the warehouse.

Vietnam has no published national FHIR core profile that fixes these systems yet, so we name them
as URNs under `urn:vn:moh:` and publish them to vendors (docs/landing-formats.md). Parsers map by
system when it is present and fall back to what any valid FHIR resource carries otherwise.
"""

from __future__ import annotations

SID_CITIZEN_ID = "urn:vn:moh:sid:cccd"  # số định danh cá nhân, 12 digits
SID_INSURANCE = "urn:vn:moh:sid:bhyt"  # mã thẻ BHYT, 15 chars
SID_FACILITY = "urn:vn:moh:sid:ma-cskcb"  # facility code, 5 chars
SID_PATIENT_LOCAL = "urn:vn:moh:sid:ma-bn"  # facility's own patient number
SID_EPISODE = "urn:vn:moh:sid:ma-lk"  # MA_LK, the episode link key
SID_EPRESCRIPTION = "urn:vn:moh:sid:don-thuoc"  # national e-prescription code
SID_PRESCRIPTION_LINE = "urn:vn:moh:sid:dong-thuoc"  # MA_LK + "-" + STT
SID_REFERRAL = "urn:vn:moh:sid:giay-chuyen-tuyen"  # SO_CHUYENTUYEN
SID_APPOINTMENT = "urn:vn:moh:sid:giay-hen-kham-lai"  # SO_GIAYHEN_KL
SID_DRUG = "urn:vn:moh:sid:ma-thuoc"  # active-ingredient code of the shared list
SID_PRACTITIONER = "urn:vn:moh:sid:ma-bac-si"

CS_ICD10 = "http://hl7.org/fhir/sid/icd-10"
CS_ATC = "http://www.whocc.no/atc"
CS_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"  # Encounter.class
CS_SNOMED = "http://snomed.info/sct"
CS_DISCHARGE_TYPE = "urn:vn:moh:cs:ma-loai-rv"
CS_TREATMENT_RESULT = "urn:vn:moh:cs:ket-qua-dtri"
CS_ROUTE = "urn:vn:moh:cs:duong-dung"
CS_REFERRAL_REASON = "urn:vn:moh:cs:ma-lydo-ct"

EXT_WARD_CODE = "urn:vn:moh:ext:ma-xa"  # on Patient.address: MAXA_CU_TRU, valueCode

SNOMED_PATIENT_REFERRAL = "3457005"  # ServiceRequest.category of a referral letter

# Encounter.class code → our encounter_type.
ACT_CODE_TYPE = {
    "AMB": "outpatient",
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "inpatient",
    "SS": "day_inpatient",
    "EMER": "emergency",
    "HH": "home",
    "VR": "virtual",
    "FLD": "field",
    "OBSENC": "observation",
    "PRENC": "pre_admission",
}
