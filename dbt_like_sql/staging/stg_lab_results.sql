-- description: One row per lab or imaging result item (QĐ 130 XML4, from XML dossiers) from silver, typed.
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
--   service_code: Service the result belongs to (MA_DICH_VU).
--   test_code: Test item code (MA_CHI_SO).
--   test_name: Test item name (TEN_CHI_SO).
--   value: Result value as written (GIA_TRI).
--   unit: Unit of measure (DON_VI_DO).
--   description: Description (MO_TA).
--   conclusion: Conclusion (KET_LUAN).
--   result_at: Result time (NGAY_KQ); with time zone.
--   doctor_id: Doctor who read the result (MA_BS_DOC_KQ).
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (XML dossiers only carry this table).

with lab_results as (

    select * from lake.lab_results

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
        cast(test_code as varchar) as test_code,
        cast(test_name as varchar) as test_name,
        cast(value as varchar) as value,
        cast(unit as varchar) as unit,
        cast(description as varchar) as description,
        cast(conclusion as varchar) as conclusion,
        result_at,
        cast(doctor_id as varchar) as doctor_id,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from lab_results

)

select * from final
