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
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with prescriptions as (

    select * from lake.prescriptions

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from prescriptions

)

select * from final
