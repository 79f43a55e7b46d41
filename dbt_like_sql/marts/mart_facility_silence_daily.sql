-- description: Facilities that stopped reporting, per service day, kept apart from epidemic
--   alarms: a silent facility is a data gap, not a fall in disease.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day judged (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   facility_type: Registry facility type.
--   ward_code: Ward or commune where the facility is.
--   files_delivered: Encounter files delivered for the day.
--   files_readable: Of those, files that could be read.
--   days_without_delivery: Consecutive days up to this one without a readable encounters file.
--   delivery_rate: Share of recent days the facility delivered on; judges how unusual a gap is.
--   silent_since: First day of the current gap; NULL when not silent.
--   is_silent: The gap is long and unlikely for this facility: it has stopped reporting.

with silence as (

    select * from lake.facility_silence
    where service_date between getvariable('start_date') and getvariable('end_date')

),

final as (

    select
        service_date,
        facility_code,
        facility_type,
        ward_code,
        files_delivered,
        files_readable,
        days_without_delivery,
        delivery_rate,
        silent_since,
        is_silent
    from silence

)

select * from final
