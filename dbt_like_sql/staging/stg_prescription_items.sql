-- description: One row per prescribed drug line (QĐ 130 XML2, FHIR MedicationRequest) from silver, typed.
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
--   line_id: Drug line id within the facility (MA_LK-STT).
--   prescription_code: National e-prescription code the line belongs to.
--   encounter_id: Episode the line was prescribed in (MA_LK).
--   line_no: Line number within the episode (STT).
--   drug_code: Active-ingredient code of the shared drug list (MA_THUOC).
--   drug_name: Prescribed drug name as written (TEN_THUOC).
--   atc_code: WHO ATC code of the drug.
--   route: Route of administration (DUONG_DUNG).
--   unit: Unit of the quantity (DON_VI_TINH).
--   strength: Strength (HAM_LUONG).
--   dosage: Dosage instruction (LIEU_DUNG).
--   quantity: Quantity prescribed, up to 3 decimals (SO_LUONG).
--   unit_price_vnd: Unit price in VND (DON_GIA).
--   amount_vnd: Line amount in VND, quantity times price (THANH_TIEN_BV).
--   doctor_id: Prescribing doctor (MA_BAC_SI).
--   ordered_at: Order time (NGAY_YL); with time zone.
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with prescription_items as (

    select * from lake.prescription_items

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
        cast(prescription_code as varchar) as prescription_code,
        cast(encounter_id as varchar) as encounter_id,
        cast(line_no as integer) as line_no,
        cast(drug_code as varchar) as drug_code,
        cast(drug_name as varchar) as drug_name,
        cast(atc_code as varchar) as atc_code,
        cast(route as varchar) as route,
        cast(unit as varchar) as unit,
        cast(strength as varchar) as strength,
        cast(dosage as varchar) as dosage,
        cast(quantity as decimal(18, 3)) as quantity,
        cast(unit_price_vnd as decimal(18, 3)) as unit_price_vnd,
        cast(amount_vnd as decimal(18, 3)) as amount_vnd,
        cast(doctor_id as varchar) as doctor_id,
        ordered_at,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from prescription_items

)

select * from final
