"""Imaging studies: which modality and body part a diagnosis calls for, and the study's UIDs.

UIDs sit under the UUID-derived root 2.25 and are fixed by (seed, facility, episode), so a
correction or a duplicate delivery carries the same StudyInstanceUID, as a PACS would.
"""

from __future__ import annotations

import random
from datetime import timedelta

from hanoi_health_lake.simulator.care_records import Episode, Study
from hanoi_health_lake.simulator.rand import dicom_uid

SOP_CLASS = {
    "CR": "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography Image Storage
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray Image Storage - For Presentation
    "CT": "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    "MR": "1.2.840.10008.5.1.4.1.1.4",  # MR Image Storage
    "US": "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image Storage
}
_MODALITY_VI = {"CR": "Chụp X-quang", "DX": "Chụp X-quang số hóa", "CT": "Chụp CLVT",
                "MR": "Chụp cộng hưởng từ", "US": "Siêu âm"}  # fmt: skip
_INSTANCES = {"CR": (1, 2), "DX": (1, 3), "CT": (60, 400), "MR": (120, 600), "US": (4, 30)}
# ICD-10 prefix → (DICOM BodyPartExamined, Vietnamese description of the region).
_BODY_PARTS = (
    ("S06", "HEAD", "sọ não"), ("I63", "HEAD", "sọ não"), ("G43", "HEAD", "sọ não"),
    ("S52", "WRIST", "cổ tay"), ("S61", "HAND", "bàn tay"), ("S42", "CLAVICLE", "xương đòn"),
    ("S72", "HIP", "khớp háng"), ("S82", "LEG", "cẳng chân"), ("S93", "ANKLE", "cổ chân"),
    ("M17", "KNEE", "khớp gối"), ("M54", "LSPINE", "cột sống thắt lưng"),
    ("M47", "SPINE", "cột sống"), ("C50", "BREAST", "tuyến vú"), ("K", "ABDOMEN", "ổ bụng"),
    ("N", "ABDOMEN", "ổ bụng"), ("O", "PELVIS", "thai"), ("Z34", "PELVIS", "thai"),
    ("R10", "ABDOMEN", "ổ bụng"), ("C22", "ABDOMEN", "ổ bụng"), ("E03", "NECK", "tuyến giáp"),
    ("K02", "JAW", "răng"), ("Z01.2", "JAW", "răng"),
)  # fmt: skip


def _body_part(code: str) -> tuple[str, str]:
    for prefix, part, label in sorted(_BODY_PARTS, key=lambda p: -len(p[0])):
        if code.startswith(prefix):
            return part, label
    return "CHEST", "ngực thẳng"


def study_for(seed: int, rnd: random.Random, episode: Episode, accession: str) -> Study:
    hint = episode.primary.imaging
    modality = hint if hint in SOP_CLASS else "CR"
    if modality == "CR" and rnd.random() < 0.3:
        modality = "DX"
    if modality == "DX" and episode.primary.code.startswith("M54") and rnd.random() < 0.2:
        modality = "MR"
    part, label = _body_part(episode.primary.code)
    minutes = max(1, int((episode.discharged - episode.admitted).total_seconds() // 60))
    at = episode.discharged - timedelta(minutes=rnd.randint(1, min(minutes, 180)))
    at = max(at, episode.discharged.replace(hour=0, minute=0))
    key = (seed, "study", episode.ma_lk)
    return Study(
        episode=episode,
        uid=dicom_uid(*key),
        series_uid=dicom_uid(*key, "series"),
        instance_uid=dicom_uid(*key, "instance"),
        accession=accession,
        modality=modality,
        sop_class=SOP_CLASS[modality],
        at=at,
        body_part=part,
        description=f"{_MODALITY_VI[modality]} {label}",
        instances=rnd.randint(*_INSTANCES[modality]),
    )
