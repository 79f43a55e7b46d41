"""Hand-built QĐ 130 XML dossiers for tests: realistic rows of each mapped table, per episode."""

from __future__ import annotations

from hanoi_health_lake.simulator.xml_export import Episode

FACILITY = "01012"
DAY = "20260301"
PEOPLE = [
    {
        "HO_TEN": "Nguyễn Thị Hương",
        "SO_CCCD": "001185012345",
        "NGAY_SINH": "198507140000",
        "GIOI_TINH": "2",
        "MA_THE_BHYT": "DN4010120123456",
        "DIA_CHI": "12 phố Huế, phường Hai Bà Trưng",
        "DIEN_THOAI": "0912345678",
    },
    {
        "HO_TEN": "Trần Văn Minh",
        "SO_CCCD": "001062098765",
        "NGAY_SINH": "19620000",
        "GIOI_TINH": "1",
        "MA_THE_BHYT": "HT3010120987654",
        "DIA_CHI": "5 ngõ Trại Cá, phường Tương Mai",
        "DIEN_THOAI": "0987654321",
    },
]
SECONDARY = "E11.9;I10;K21.0;J45.9;M54.5;E78.5;N18.3;K29.7;H52.1;L20.9;R51;Z87.1"  # 12 codes


def xml1(ma_lk: str, person: dict, **changes: str) -> dict[str, str]:
    row = {
        "MA_LK": ma_lk, "STT": "1", "MA_BN": f"BN{ma_lk}", **person, "MA_DKBD": FACILITY,
        "MATINH_CU_TRU": "01", "MAXA_CU_TRU": "00070", "CHAN_DOAN_VAO": "Sốt cao",
        "CHAN_DOAN_RV": "Viêm phổi", "MA_BENH_CHINH": "J18.9", "MA_BENH_KT": SECONDARY,
        "MA_DOITUONG_KCB": "1", "MA_NOI_DI": "", "MA_NOI_DEN": "01001",
        "NGAY_VAO": "202603010815", "NGAY_VAO_NOI_TRU": "", "NGAY_RA": "202603011130",
        "NGAY_TAI_KHAM": "20260308", "SO_NGAY_DTRI": "1", "KET_QUA_DTRI": "2", "MA_LOAI_RV": "2",
        "T_TONGCHI_BV": "1250000", "T_BHTT": "1000000", "T_BNTT": "250000", "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01", "MA_CSKCB": FACILITY, "CAN_NANG": "52.5",
    }  # fmt: skip
    return row | changes


def xml2(ma_lk: str, stt: int) -> dict[str, str]:
    return {
        "MA_LK": ma_lk, "STT": str(stt), "MA_THUOC": "40.17", "TEN_THUOC": "Amoxicilin",
        "DON_VI_TINH": "Viên", "HAM_LUONG": "500mg", "DUONG_DUNG": "1.01",
        "LIEU_DUNG": "Ngày uống 2 lần, mỗi lần 1 viên", "SO_DANG_KY": "VD-12345-10",
        "SO_LUONG": "14.000", "DON_GIA": "1500", "THANH_TIEN_BV": "21000", "MA_BAC_SI": "BS001",
        "NGAY_YL": "202603010900", "MA_DON_THUOC": "01012abc1234-c",
    }  # fmt: skip


def xml3(ma_lk: str) -> dict[str, str]:
    return {
        "MA_LK": ma_lk, "STT": "1", "MA_DICH_VU": "18.0001.0001",
        "TEN_DICH_VU": "Chụp X-quang ngực thẳng", "MA_VAT_TU": "", "TEN_VAT_TU": "",
        "DON_VI_TINH": "Lần", "SO_LUONG": "1", "DON_GIA": "65400", "THANH_TIEN_BV": "65400",
        "MA_KHOA": "K01", "MA_BAC_SI": "BS001", "NGAY_YL": "202603010830",
        "NGAY_KQ": "202603010910",
    }  # fmt: skip


def xml4(ma_lk: str) -> dict[str, str]:
    return {
        "MA_LK": ma_lk, "STT": "1", "MA_DICH_VU": "22.0121.1369", "MA_CHI_SO": "WBC",
        "TEN_CHI_SO": "Số lượng bạch cầu", "GIA_TRI": "11.2", "DON_VI_DO": "G/L", "MO_TA": "",
        "KET_LUAN": "Tăng nhẹ", "NGAY_KQ": "202603010940", "MA_BS_DOC_KQ": "BS002",
    }  # fmt: skip


def xml13(ma_lk: str, person: dict) -> dict[str, str]:
    return {
        "MA_LK": ma_lk, "SO_CHUYENTUYEN": f"CT{ma_lk}", "MA_CSKCB": FACILITY,
        "MA_NOI_DI": FACILITY, "MA_NOI_DEN": "01001", **person,
        "NGAY_VAO": "202603010815", "NGAY_RA": "202603011130", "CHAN_DOAN_RV": "Viêm phổi",
        "MA_BENH_CHINH": "J18.9", "MA_BENH_KT": "I10", "MA_LOAI_RV": "2", "MA_LYDO_CT": "2",
        "PHUONGTIEN_VC": "Xe cứu thương", "MA_BAC_SI": "BS001",
    }  # fmt: skip


def xml14(ma_lk: str, person: dict) -> dict[str, str]:
    return {
        "MA_LK": ma_lk, "SO_GIAYHEN_KL": f"GH{ma_lk}", "MA_CSKCB": FACILITY, **person,
        "NGAY_VAO": "202603010815", "NGAY_RA": "202603011130", "NGAY_HEN_KL": "202603080800",
        "CHAN_DOAN_RV": "Viêm phổi", "MA_BENH_CHINH": "J18.9", "MA_BAC_SI": "BS001",
        "NGAY_CT": "20260301",
    }  # fmt: skip


def xml8(ma_lk: str) -> dict[str, str]:
    return {"MA_LK": ma_lk, "CHAN_DOAN_VAO": "Sốt cao", "QT_BENHLY": "Sốt 3 ngày, ho có đờm"}


def episode(ma_lk: str, person: dict, facility: str = FACILITY, target: str = "01001") -> Episode:
    """A full episode: every mapped table, plus XML8 (kept in bronze only); `facility` sends it,
    `target` is where the patient is referred."""
    no_id = {k: v for k, v in person.items() if k not in ("SO_CCCD", "DIEN_THOAI")}
    here = {"MA_CSKCB": facility}
    return [
        ("XML1", [xml1(ma_lk, person, **here, MA_DKBD=facility, MA_NOI_DEN=target)]),
        ("XML2", [xml2(ma_lk, 1), xml2(ma_lk, 2)]),
        ("XML3", [xml3(ma_lk)]),
        ("XML4", [xml4(ma_lk)]),
        ("XML8", [xml8(ma_lk)]),
        ("XML13", [xml13(ma_lk, no_id) | here | {"MA_NOI_DI": facility, "MA_NOI_DEN": target}]),
        ("XML14", [xml14(ma_lk, no_id) | here]),
    ]


def two_episodes() -> list[Episode]:
    return [episode("LK001", PEOPLE[0]), episode("LK002", PEOPLE[1])]
