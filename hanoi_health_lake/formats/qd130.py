"""QĐ 130/QĐ-BYT table layouts as delivered in CSV (one table per file, QĐ 130 column names).

The simulator writes these columns and the CSV parser checks them: a file lacking a REQUIRED
column is rejected whole (`missing_column`); a header matching none of the tables is
`unknown_layout`. Extra columns are allowed (QĐ 130 tables have more columns than we use).

Column formats (STANDARDS.md §1): times `yyyymmddHHMM` (12 chars), dates `yyyymmdd` (8 chars,
`00` for an unknown day or month of birth), money VND without decimals, quantities with up to
three decimals and `.` as decimal separator, lists (`MA_BENH_KT`, `NGAY_TAI_KHAM`) joined by `;`.
"""

from __future__ import annotations

# Dataset each table feeds.
TABLE_DATASET = {
    "XML1": "encounters",
    "XML2": "prescriptions",
    "XML13": "referrals",
    "XML14": "appointments",
}
DATASET_TABLE = {v: k for k, v in TABLE_DATASET.items()}

XML1_COLUMNS = (
    "MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "MA_THE_BHYT",
    "MA_DKBD", "DIA_CHI", "MATINH_CU_TRU", "MAXA_CU_TRU", "DIEN_THOAI", "CHAN_DOAN_VAO",
    "CHAN_DOAN_RV", "MA_BENH_CHINH", "MA_BENH_KT", "MA_DOITUONG_KCB", "MA_NOI_DI", "MA_NOI_DEN",
    "NGAY_VAO", "NGAY_VAO_NOI_TRU", "NGAY_RA", "NGAY_TAI_KHAM", "SO_NGAY_DTRI", "KET_QUA_DTRI",
    "MA_LOAI_RV", "T_TONGCHI_BV", "T_BHTT", "T_BNTT", "MA_LOAI_KCB", "MA_KHOA", "MA_CSKCB",
    "CAN_NANG",
)  # fmt: skip
XML1_REQUIRED = (
    "MA_LK", "MA_BN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "MA_BENH_CHINH", "MA_LOAI_KCB",
    "NGAY_VAO", "NGAY_RA", "MA_CSKCB",
)  # fmt: skip

# MA_DON_THUOC (national e-prescription code) is not a QĐ 130 XML2 column; QĐ 808 carries it in
# the e-prescription message. Facilities that export XML2 add it as an extra column; we document
# it as our one extension of the table.
XML2_COLUMNS = (
    "MA_LK", "STT", "MA_THUOC", "TEN_THUOC", "DON_VI_TINH", "HAM_LUONG", "DUONG_DUNG",
    "LIEU_DUNG", "SO_DANG_KY", "SO_LUONG", "DON_GIA", "THANH_TIEN_BV", "MA_BAC_SI", "NGAY_YL",
    "MA_DON_THUOC",
)  # fmt: skip
XML2_REQUIRED = ("MA_LK", "STT", "MA_THUOC", "TEN_THUOC", "SO_LUONG", "NGAY_YL")

XML13_COLUMNS = (
    "MA_LK", "SO_CHUYENTUYEN", "MA_CSKCB", "MA_NOI_DI", "MA_NOI_DEN", "HO_TEN", "NGAY_SINH",
    "GIOI_TINH", "DIA_CHI", "MA_THE_BHYT", "NGAY_VAO", "NGAY_RA", "CHAN_DOAN_RV",
    "MA_BENH_CHINH", "MA_BENH_KT", "MA_LOAI_RV", "MA_LYDO_CT", "PHUONGTIEN_VC", "MA_BAC_SI",
)  # fmt: skip
XML13_REQUIRED = ("MA_LK", "SO_CHUYENTUYEN", "MA_CSKCB", "MA_NOI_DEN", "MA_BENH_CHINH", "NGAY_RA")

XML14_COLUMNS = (
    "MA_LK", "SO_GIAYHEN_KL", "MA_CSKCB", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "DIA_CHI",
    "MA_THE_BHYT", "NGAY_VAO", "NGAY_RA", "NGAY_HEN_KL", "CHAN_DOAN_RV", "MA_BENH_CHINH",
    "MA_BENH_KT", "MA_BAC_SI", "NGAY_CT",
)  # fmt: skip
XML14_REQUIRED = ("MA_LK", "SO_GIAYHEN_KL", "MA_CSKCB", "NGAY_HEN_KL", "NGAY_CT")

TABLE_COLUMNS = {
    "XML1": XML1_COLUMNS,
    "XML2": XML2_COLUMNS,
    "XML13": XML13_COLUMNS,
    "XML14": XML14_COLUMNS,
}
TABLE_REQUIRED = {
    "XML1": XML1_REQUIRED,
    "XML2": XML2_REQUIRED,
    "XML13": XML13_REQUIRED,
    "XML14": XML14_REQUIRED,
}

# Codes (STANDARDS.md §1).
GIOI_TINH = {"1": "male", "2": "female", "3": "other"}
# MA_LOAI_KCB → our encounter_type; MA_DOITUONG_KCB "2" (cấp cứu) overrides to emergency.
MA_LOAI_KCB_TYPE = {
    "01": "outpatient", "02": "outpatient", "05": "outpatient", "07": "outpatient",
    "08": "outpatient", "03": "inpatient", "04": "day_inpatient", "09": "inpatient",
}  # fmt: skip
EMERGENCY_DOITUONG = "2"

# --- The XML dossier (hồ sơ XML, GIAMDINHHS envelope; STANDARDS.md §1) ---
# Tables the dossier carries beyond the CSV ones: services and supplies, lab and imaging results.
XML3_COLUMNS = (
    "MA_LK", "STT", "MA_DICH_VU", "TEN_DICH_VU", "MA_VAT_TU", "TEN_VAT_TU", "DON_VI_TINH",
    "SO_LUONG", "DON_GIA", "THANH_TIEN_BV", "MA_KHOA", "MA_BAC_SI", "NGAY_YL", "NGAY_KQ",
)  # fmt: skip
XML4_COLUMNS = (
    "MA_LK", "STT", "MA_DICH_VU", "MA_CHI_SO", "TEN_CHI_SO", "GIA_TRI", "DON_VI_DO", "MO_TA",
    "KET_LUAN", "NGAY_KQ", "MA_BS_DOC_KQ",
)  # fmt: skip
# Every table of the dossier we map, and the dataset each feeds.
DOSSIER_TABLE_DATASET = {**TABLE_DATASET, "XML3": "services", "XML4": "lab_results"}
# Tables received and kept in bronze (counted there), not yet mapped to silver: clinical progress,
# HIV care, discharge paper, record summary, birth certificate, maternity and sick-leave
# certificates, medical assessment, tuberculosis treatment.
DOSSIER_KEPT_TABLES = ("XML5", "XML6", "XML7", "XML8", "XML9", "XML10", "XML11", "XML12", "XML15")
# The element of an inner table that holds one row; tables whose root is the row (XML1 TONG_HOP,
# XML13, XML14) are absent. Vendors differ on the wrapper elements, so only the row tag counts.
DOSSIER_ROW_TAG = {
    "XML2": "CHI_TIET_THUOC",
    "XML3": "CHI_TIET_DVKT",
    "XML4": "CHI_TIET_CLS",
}
DOSSIER_ROOT_TAG = {
    "XML1": "TONG_HOP",
    "XML2": "CHITIEU_CHITIET_THUOC",
    "XML3": "CHITIEU_CHITIET_DVKT_VTYT",
    "XML4": "CHITIEU_CHITIET_DICHVUCANLAMSANG",
    "XML13": "CHI_TIEU_GIAYCHUYENTUYEN",
    "XML14": "CHI_TIEU_GIAYHEN_KHAMLAI",
    "XML7": "CHI_TIEU_DULIEU_GIAYRAVIEN",  # kept in bronze (the simulator writes it)
}

# --- The check-in table (bảng chỉ tiêu trạng thái KCB, QĐ 4750; STANDARDS.md §1) ---
# Sent on its own when care starts, before the dossier: `checkin__<export_ts>.xml`, root
# CHI_TIEU_TRANG_THAI_KCB, one TRANG_THAI_KCB per check-in (one file per check-in or per few
# minutes). A subset of XML1 plus the first service, drug or supply ordered. 26 fields.
CHECKIN_TABLE = "CHECKIN"
CHECKIN_ROOT_TAG = "CHI_TIEU_TRANG_THAI_KCB"
CHECKIN_ROW_TAG = "TRANG_THAI_KCB"
CHECKIN_COLUMNS = (
    "MA_LK", "STT", "MA_BN", "HO_TEN", "SO_CCCD", "NGAY_SINH", "GIOI_TINH", "MA_THE_BHYT",
    "MA_DKBD", "GT_THE_TU", "GT_THE_DEN", "MA_DOITUONG_KCB", "NGAY_VAO", "NGAY_VAO_NOI_TRU",
    "LY_DO_VNT", "MA_LY_DO_VNT", "MA_LOAI_KCB", "MA_CSKCB", "MA_DICH_VU", "TEN_DICH_VU",
    "MA_THUOC", "TEN_THUOC", "MA_VAT_TU", "TEN_VAT_TU", "NGAY_YL", "DU_PHONG",
)  # fmt: skip
CHECKIN_REQUIRED = ("MA_LK", "MA_BN", "NGAY_SINH", "GIOI_TINH", "NGAY_VAO", "MA_LOAI_KCB",
                    "MA_CSKCB")  # fmt: skip
# Every table a parser maps to records, and the dataset each feeds.
PARSED_TABLE_DATASET = {**DOSSIER_TABLE_DATASET, CHECKIN_TABLE: "checkins"}
