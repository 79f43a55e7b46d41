-- description: One row per e-prescription (prescription header) from silver, typed.
-- materialized: view
-- columns:
--   facility_code: Facility code (MA_CSKCB), 5 characters starting with 01.
--   service_date: Day the care happened (Asia/Ho_Chi_Minh); the partition.
--   patient_key: Pseudonymous patient key (HMAC-SHA256 of the typed identifier).
--   patient_key_type: What the key was made from: cccd, bhyt, local or episode.
--   sex: male, female, other or unknown.
--   birth_year: Year of birth.
--   age_years: Age in whole years at the visit.
--   ward_code: Ward or commune of residence (5-digit code, 2025 list).
--   prescription_code: National e-prescription code (14 characters, ends in -c/-n/-h/-y).
--   encounter_id: Episode the prescription was written in (MA_LK).
--   ordered_at: Time the prescription was ordered (NGAY_YL); with time zone.
--   n_items: Number of drug lines on the prescription.
--   doctor_id: Prescribing doctor (MA_BAC_SI).
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with prescriptions as (

    select * from lake.prescriptions

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
        cast(prescription_code as varchar) as prescription_code,
        cast(encounter_id as varchar) as encounter_id,
        ordered_at,
        cast(n_items as integer) as n_items,
        cast(doctor_id as varchar) as doctor_id,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from prescriptions

)

select * from final
