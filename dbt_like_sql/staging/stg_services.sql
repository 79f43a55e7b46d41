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
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (XML dossiers only carry this table).

with services as (

    select * from lake.services

),

final as (

    select
        cast(facility_code as varchar) as facility_code,
        cast(service_date as date) as service_date,
        cast(patient_key as varchar) as patient_key,
        cast(patient_key_type as varchar) as patient_key_type,
        cast(sex as varchar) as sex,
        cast(birth_year as integer) as birth_year,
        cast(age_years as integer) as age_years,
        cast(ward_code as varchar) as ward_code,
        cast(line_id as varchar) as line_id,
        cast(encounter_id as varchar) as encounter_id,
        cast(line_no as integer) as line_no,
        cast(service_code as varchar) as service_code,
        cast(service_name as varchar) as service_name,
        cast(supply_code as varchar) as supply_code,
        cast(supply_name as varchar) as supply_name,
        cast(unit as varchar) as unit,
        cast(quantity as double) as quantity,
        cast(unit_price_vnd as double) as unit_price_vnd,
        cast(amount_vnd as double) as amount_vnd,
        cast(department_code as varchar) as department_code,
        cast(doctor_id as varchar) as doctor_id,
        ordered_at,
        result_at,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from services

)

select * from final
