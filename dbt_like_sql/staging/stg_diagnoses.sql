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
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with diagnoses as (

    select * from lake.diagnoses

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from diagnoses

)

select * from final
