-- description: One row per check-in (QĐ 4750 check-in table, checkin__<ts>.xml): care started, the earliest signal that a facility is live; from silver, typed.
-- materialized: view
-- columns:
--   facility_code: Facility code (MA_CSKCB), 5 characters starting with 01.
--   service_date: Day care started (Asia/Ho_Chi_Minh); the partition.
--   patient_key: Pseudonymous patient key (HMAC-SHA256 of the typed identifier).
--   patient_key_type: What the key was made from: cccd, bhyt, local or episode.
--   sex: male, female, other or unknown.
--   birth_year: Year of birth.
--   age_years: Age in whole years at check-in.
--   ward_code: Ward or commune of residence (absent in the check-in table).
--   encounter_id: Episode id (MA_LK); the dossier sent after care carries the same id.
--   encounter_type: outpatient, inpatient, day_inpatient or emergency (MA_LOAI_KCB).
--   admitted_at: Check-in time (NGAY_VAO); with time zone.
--   inpatient_at: Inpatient admission time (NGAY_VAO_NOI_TRU); with time zone.
--   patient_category: Patient category code (MA_DOITUONG_KCB).
--   registered_facility_code: Insurance card's registered facility (MA_DKBD).
--   service_code: First service ordered (MA_DICH_VU).
--   service_name: First service's name (TEN_DICH_VU).
--   drug_code: First drug ordered (MA_THUOC).
--   drug_name: First drug's name (TEN_THUOC).
--   supply_code: First supply used (MA_VAT_TU).
--   supply_name: First supply's name (TEN_VAT_TU).
--   ordered_at: Time of the first order (NGAY_YL); with time zone.
--   export_ts: Facility's export time, local; the latest export wins.
--   source_file: Delivered file under landing/ the record came from.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (check-in files only carry this table).

with checkins as (

    select * from lake.checkins

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
        cast(encounter_type as varchar) as encounter_type,
        admitted_at,
        inpatient_at,
        cast(patient_category as varchar) as patient_category,
        cast(registered_facility_code as varchar) as registered_facility_code,
        cast(service_code as varchar) as service_code,
        cast(service_name as varchar) as service_name,
        cast(drug_code as varchar) as drug_code,
        cast(drug_name as varchar) as drug_name,
        cast(supply_code as varchar) as supply_code,
        cast(supply_name as varchar) as supply_name,
        ordered_at,
        export_ts,
        cast(source_file as varchar) as source_file,
        cast(record_no as integer) as record_no,
        cast(source_format as varchar) as source_format
    from checkins

)

select * from final
