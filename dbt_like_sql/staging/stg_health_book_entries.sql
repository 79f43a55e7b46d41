-- description: The health book's outcome for each accepted encounter: sent to the citizen's
--   book (with when it first reached it) or withheld, and why.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh); the partition.
--   facility_code: Facility code (MA_CSKCB).
--   encounter_id: Episode id within the facility (MA_LK).
--   patient_key: Pseudonymous patient key.
--   discharged_at: Discharge or end time of the episode (NGAY_RA); with time zone.
--   outcome: sent, no_citizen_id, opted_out or withheld_category.
--   first_sent_at: When the first document version carrying the episode was issued (UTC).

with entries as (

    select * from lake.health_book_entries
    where service_date between getvariable('start_date') and getvariable('end_date')

),

final as (

    select
        cast(service_date as date) as service_date,
        cast(facility_code as varchar) as facility_code,
        cast(encounter_id as varchar) as encounter_id,
        cast(patient_key as varchar) as patient_key,
        discharged_at,
        cast(outcome as varchar) as outcome,
        first_sent_at
    from entries

)

select * from final
