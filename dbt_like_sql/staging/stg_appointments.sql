-- description: One row per re-examination appointment (giấy hẹn khám lại) from silver, typed.
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
--   appointment_id: Appointment letter number (SO_GIAYHEN_KL).
--   encounter_id: Episode the appointment was issued from (MA_LK).
--   appointment_at: Appointment time (NGAY_HEN_KL); with time zone.
--   appointment_date: Appointment day.
--   issued_date: Day the letter was issued (NGAY_CT).
--   primary_icd10: Main diagnosis, ICD-10 with dot (MA_BENH_CHINH).
--   doctor_id: Issuing doctor (MA_BAC_SI).
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with appointments as (

    select * from lake.appointments

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from appointments

)

select * from final
