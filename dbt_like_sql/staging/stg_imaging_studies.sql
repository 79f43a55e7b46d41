-- description: One row per imaging study (DICOM headers, FHIR ImagingStudy) from silver, typed.
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
--   study_uid: Study Instance UID.
--   accession_number: Accession number (RIS order).
--   modality: Modality code (CT, MR, CR, US, ...).
--   study_at: Study date and time; with time zone.
--   body_part: Body part examined.
--   description: Study description.
--   number_of_instances: Number of study-related instances (images).
--   sop_class_uid: SOP Class UID of the study's objects.
--   transfer_syntax: Transfer syntax UID of the delivered file.
--   character_set: DICOM Specific Character Set (ISO_IR 192 for UTF-8).
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with imaging_studies as (

    select * from lake.imaging_studies

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and the
    -- receipt counts of the DICOM roll-up (no model reads them), and narrows record_no.
    select * exclude (run_id, records_received, series_received, instances_received) replace (
        cast(record_no as integer) as record_no
    )
    from imaging_studies

)

select * from final
