-- description: One row per ICD-10 code of an accepted encounter, from silver, typed.
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
--   encounter_id: Episode the diagnosis belongs to (MA_LK).
--   icd10: ICD-10 code with dot.
--   icd10_chapter: WHO ICD-10 chapter (roman numeral).
--   is_primary: True for the main diagnosis (MA_BENH_CHINH).
--   seq: Position among the encounter's codes, 1 for the main one.
--   admitted_at: Admission or check-in time of the encounter; with time zone.
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with diagnoses as (

    select * from lake.diagnoses

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
        cast(encounter_id as varchar) as encounter_id,
        cast(icd10 as varchar) as icd10,
        cast(icd10_chapter as varchar) as icd10_chapter,
        cast(is_primary as boolean) as is_primary,
        cast(seq as integer) as seq,
        admitted_at,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from diagnoses

)

select * from final
