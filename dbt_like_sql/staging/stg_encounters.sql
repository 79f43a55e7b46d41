-- description: Accepted encounters (one row per episode of care) from silver, typed.
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
--   encounter_id: Episode id within the facility (MA_LK).
--   encounter_type: outpatient, inpatient, day_inpatient, emergency, ...
--   admitted_at: Admission or check-in time (NGAY_VAO); with time zone.
--   inpatient_at: Inpatient admission time (NGAY_VAO_NOI_TRU); with time zone.
--   discharged_at: Discharge or end time (NGAY_RA); with time zone.
--   primary_icd10: Main diagnosis, ICD-10 with dot (MA_BENH_CHINH).
--   secondary_icd10: Other diagnoses, ICD-10 list (MA_BENH_KT).
--   treatment_result: Treatment result code (KET_QUA_DTRI).
--   discharge_type: Discharge type code (MA_LOAI_RV); 2 and 5 are referrals.
--   referred_from: Facility that referred the patient here (MA_NOI_DI).
--   referred_to: Facility the patient was referred to (MA_NOI_DEN).
--   followup_date: Re-examination date (first of NGAY_TAI_KHAM).
--   total_cost_vnd: Total cost in VND (T_TONGCHI_BV).
--   insurance_paid_vnd: Paid by health insurance, VND (T_BHTT).
--   patient_paid_vnd: Paid by the patient, VND (T_BNTT).
--   weight_kg: Body weight in kg (CAN_NANG).
--   department_code: Treating department (MA_KHOA).
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with encounters as (

    select * from lake.encounters

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no,
        cast(total_cost_vnd as bigint) as total_cost_vnd,
        cast(insurance_paid_vnd as bigint) as insurance_paid_vnd,
        cast(patient_paid_vnd as bigint) as patient_paid_vnd
    )
    from encounters

)

select * from final
