"""Fictional citizens for the unit tests that build parsed records by hand: every personal field
a parser reads from a delivery, but the ward and the facility's own patient number, which each
test picks."""

from __future__ import annotations

from datetime import date

NGUYEN_VAN_AN = {
    "citizen_id": "001085012345",  # Hanoi, man born in the 1900s, 85
    "full_name": "Nguyễn Văn An",
    "birth_date": date(1985, 4, 25),
    "birth_year": 1985,
    "sex": "male",
    "insurance_number": "DN4010123456789",
    "phone": "0912345678",
    "address_line": "Số 10 ngõ 166 Hai Bà Trưng",
}
