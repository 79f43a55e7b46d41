-- description: One row per referral letter (giấy chuyển tuyến) from silver, typed.
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
--   referral_id: Referral letter number (SO_CHUYENTUYEN).
--   encounter_id: Episode the referral ended (MA_LK).
--   from_facility_code: Referring facility (MA_CSKCB or MA_NOI_DI).
--   to_facility_code: Facility referred to (MA_NOI_DEN).
--   referred_at: Time of the referral; with time zone.
--   admitted_at: Admission time of the episode (NGAY_VAO); with time zone.
--   primary_icd10: Main diagnosis, ICD-10 with dot (MA_BENH_CHINH).
--   discharge_type: Discharge type code (MA_LOAI_RV): 2 referred, 5 at the patient's request.
--   referral_reason: Reason code (MA_LYDO_CT): 1 rules, 2 capacity, 3 patient's request.
--   transport: Means of transport (PHUONGTIEN_VC).
--   doctor_id: Referring doctor (MA_BAC_SI).
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: fhir_json, fhir_ndjson, csv, dicom or dicom_json.

with referrals as (

    select * from lake.referrals

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from referrals

)

select * from final
