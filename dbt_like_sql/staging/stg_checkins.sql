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
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (check-in files only carry this table).

with checkins as (

    select * from lake.checkins

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from checkins

)

select * from final
