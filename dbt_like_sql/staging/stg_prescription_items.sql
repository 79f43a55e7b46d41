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
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with prescription_items as (

    select * from lake.prescription_items

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no,
        cast(quantity as decimal(18, 3)) as quantity,
        cast(unit_price_vnd as decimal(18, 3)) as unit_price_vnd,
        cast(amount_vnd as decimal(18, 3)) as amount_vnd
    )
    from prescription_items

)

select * from final
