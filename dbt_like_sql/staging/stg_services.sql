-- description: One row per service or supply line (QĐ 130 XML3, from XML dossiers) from silver, typed.
-- materialized: view
-- columns:
--   facility_code: Facility code (MA_CSKCB), 5 characters starting with 01.
--   service_date: Day the care happened (Asia/Ho_Chi_Minh); the partition.
--   patient_key: Pseudonymous patient key (HMAC-SHA256 of the typed identifier), the episode's.
--   patient_key_type: What the key was made from: cccd, bhyt, local or episode.
--   sex: male, female, other or unknown.
--   birth_year: Year of birth.
--   age_years: Age in whole years at the visit.
--   ward_code: Ward or commune of residence (5-digit code, 2025 list).
--   line_id: Line id MA_LK-STT.
--   encounter_id: Episode id (MA_LK).
--   line_no: Line number (STT).
--   service_code: Technical service code (MA_DICH_VU).
--   service_name: Service name (TEN_DICH_VU).
--   supply_code: Medical supply code (MA_VAT_TU).
--   supply_name: Medical supply name (TEN_VAT_TU).
--   unit: Unit (DON_VI_TINH).
--   quantity: Quantity (SO_LUONG).
--   unit_price_vnd: Unit price in VND (DON_GIA).
--   amount_vnd: Amount in VND (THANH_TIEN_BV).
--   department_code: Department (MA_KHOA).
--   doctor_id: Ordering doctor (MA_BAC_SI).
--   ordered_at: Order time (NGAY_YL); with time zone.
--   result_at: Result time (NGAY_KQ); with time zone.
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (XML dossiers only carry this table).

with services as (

    select * from lake.services

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from services

)

select * from final
