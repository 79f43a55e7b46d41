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
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with imaging_studies as (

    select * from lake.imaging_studies

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
        cast(study_uid as varchar) as study_uid,
        cast(accession_number as varchar) as accession_number,
        cast(modality as varchar) as modality,
        study_at,
        cast(body_part as varchar) as body_part,
        cast(description as varchar) as description,
        cast(number_of_instances as integer) as number_of_instances,
        cast(sop_class_uid as varchar) as sop_class_uid,
        cast(transfer_syntax as varchar) as transfer_syntax,
        cast(character_set as varchar) as character_set,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from imaging_studies

)

select * from final
