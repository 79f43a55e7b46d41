-- description: One row per lab or imaging result item (QĐ 130 XML4, from XML dossiers) from silver, typed.
-- materialized: view
-- columns:
--   facility_code: Facility code (MA_CSKCB), 5 characters starting with 01.
--   service_date: Day the care happened (Asia/Ho_Chi_Minh); the partition.
--   patient_key: Pseudonymous patient key (HMAC-SHA256 of the typed identifier), the episode's.
--   patient_key_type: What the key was made from: cccd, bhyt, local or episode.
--   sex: male, female, other or unknown.
--   birth_year: Year of birth.
--   age_years: Age in whole years at the visit.
--   ward_code: Ward or commune of residence (5-digit code, 2025 list).
--   line_id: Line id MA_LK-STT.
--   encounter_id: Episode id (MA_LK).
--   line_no: Line number (STT).
--   service_code: Service the result belongs to (MA_DICH_VU).
--   test_code: Test item code (MA_CHI_SO).
--   test_name: Test item name (TEN_CHI_SO).
--   value: Result value as written (GIA_TRI).
--   unit: Unit of measure (DON_VI_DO).
--   description: Description (MO_TA).
--   conclusion: Conclusion (KET_LUAN).
--   result_at: Result time (NGAY_KQ); with time zone.
--   doctor_id: Doctor who read the result (MA_BS_DOC_KQ).
--   source_file: Delivered file under landing/ the record came from.
--   export_ts: Facility's export time, local; the latest export wins.
--   record_no: Position of the record in its file (1-based).
--   source_format: Delivery format: qd130_xml (XML dossiers only carry this table).

with lab_results as (

    select * from lake.lab_results

),

final as (

    -- Silver is typed by the lake catalog already: the view leaves out the run id and
    -- gives the few columns analysts sum or compare their narrower SQL type.
    select * exclude (run_id) replace (
        cast(record_no as integer) as record_no
    )
    from lab_results

)

select * from final
