-- description: Coverage per facility, dataset and service day: whether the registry expects the
--   dataset, whether any file came, on time, how late, complete against the facility's own
--   volume band, valid, and connected since when.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   facility_type: Registry facility type (central_hospital, city_hospital, ..., private_clinic);
--     NULL for a code not in the registry.
--   ownership: Registry ownership: public_central, public_city or private.
--   ward_code: Ward or commune where the facility is (5-digit code, 2025 list).
--   is_registered: The facility code is in the registry.
--   is_required: The registry lists the dataset among those the facility must send.
--   is_expected: Required and the facility is due on this day (int_facility_due: go-live and
--     opening both passed).
--   is_delivered: At least one file for the facility, dataset and day arrived, read or not.
--   files: Files delivered for the day.
--   files_failed: Files that could not be read.
--   first_export_ts: Export time of the first file, local time.
--   due_ts: When the first file was due: due_days_after days later at due_time (sla_settings).
--   is_on_time: The first file was exported by due_ts (false when nothing came).
--   first_lag_hours: Hours from the end of the service day to the first file's export.
--   lag_p50_hours: Median over the day's files of the hours from the day's end to export.
--   lag_p95_hours: 95th percentile over the day's files of that lag.
--   records_delivered: Records delivered (reconciliation).
--   records_accepted: Records accepted into silver.
--   records_quarantined: Records quarantined.
--   history_weeks: Deliveries on the same weekday in the previous 8 weeks.
--   band_low: Lowest accepted count the facility's volume band allows.
--   band_high: Highest accepted count the facility's volume band allows.
--   completeness: within_band, below_band, above_band, insufficient_history or not_delivered.
--   is_complete: Accepted records inside the band; false when nothing came, NULL on
--     insufficient history.
--   quarantine_share: Quarantined records over delivered records.
--   is_valid: No file failed and quarantine_share is at most max_quarantine_share; NULL when
--     nothing came.
--   connected_since: First service day the facility delivered this dataset, up to this day.
--   is_connected: The facility has delivered this dataset at least once up to this day.
--   last_delivery_date: Latest service day up to this one with a delivery of this dataset.
--   days_since_delivery: Days since last_delivery_date (0 when delivered today); if it never
--     delivered, days since it became due (int_facility_due) counting this one; NULL when neither
--     applies. (Not the statistical silence of mart_facility_silence_daily.is_silent.)
--   is_laggard: Expected and days_since_delivery at least laggard_days_since_delivery
--     (sla_settings): the one laggard rule, read by mart_laggards and by the report's "no file
--     for days" status.

-- The days built are the window, clamped on a full rebuild (no bounds) to the days from the
-- first to the last delivery in the lake. connected_since and last_delivery_date need the
-- deliveries before the window: one pass over the narrow int_deliveries_daily (a row per
-- facility, dataset and day delivered), the one input that grows with history.

with facilities as (

    select * from lake.facilities

),

settings as (

    select * from int_settings

),

due as (

    select * from int_facility_due

),

deliveries as (

    select * from int_deliveries_daily
    where service_date between getvariable('start_date') and getvariable('end_date')

),

earlier_deliveries as (

    -- Before the window, one row per facility dataset is all that is needed.
    select
        facility_code,
        dataset,
        min(service_date) as first_delivery_date,
        max(service_date) as last_delivery_date
    from int_deliveries_daily
    where service_date < getvariable('start_date')
    group by facility_code, dataset

),

volumes as (

    select * from int_volume_bands
    where service_date between getvariable('start_date') and getvariable('end_date')

),

bounds as (

    select
        greatest(
            getvariable('start_date'),
            least(coalesce(min(service_date), getvariable('end_date')), getvariable('end_date'))
        ) as first_day,
        least(
            getvariable('end_date'),
            greatest(coalesce(max(service_date), getvariable('start_date')), getvariable('start_date'))
        ) as last_day
    from deliveries

),

calendar as (

    select cast(day as date) as service_date
    from bounds
    cross join generate_series(bounds.first_day, bounds.last_day, interval 1 day) as days (day)

),

required as (

    select
        facility_code,
        unnest(datasets) as dataset
    from facilities

),

keys as (

    select
        calendar.service_date,
        required.facility_code,
        required.dataset
    from calendar
    cross join required
    inner join facilities on facilities.facility_code = required.facility_code
    where facilities.opened_date is null or facilities.opened_date <= calendar.service_date

    union

    select
        service_date,
        facility_code,
        dataset
    from deliveries

),

window_deliveries as (

    select
        keys.service_date,
        keys.facility_code,
        keys.dataset,
        min(deliveries.service_date) as first_delivery_date,
        max(deliveries.service_date) as last_delivery_date
    from keys
    inner join deliveries
        on
            deliveries.facility_code = keys.facility_code
            and deliveries.dataset = keys.dataset
            and deliveries.service_date <= keys.service_date
    group by keys.service_date, keys.facility_code, keys.dataset

),

joined as (

    select
        keys.service_date,
        keys.facility_code,
        keys.dataset,
        facilities.facility_type,
        facilities.ownership,
        facilities.ward_code,
        facilities.facility_code is not null as is_registered,
        required.facility_code is not null as is_required,
        coalesce(
            required.facility_code is not null and due.due_from <= keys.service_date,
            false
        ) as is_expected,
        deliveries.facility_code is not null as is_delivered,
        coalesce(deliveries.files, 0) as files,
        coalesce(deliveries.files_failed, 0) as files_failed,
        deliveries.first_export_ts,
        keys.service_date + settings.due_days_after + settings.due_time as due_ts,
        deliveries.first_lag_hours,
        deliveries.lag_p50_hours,
        deliveries.lag_p95_hours,
        volumes.delivered as records_delivered,
        volumes.accepted as records_accepted,
        volumes.quarantined as records_quarantined,
        volumes.history_weeks,
        volumes.band_low,
        volumes.band_high,
        volumes.completeness as band_verdict,
        settings.max_quarantine_share,
        settings.laggard_days_since_delivery,
        due.due_from,
        coalesce(earlier_deliveries.first_delivery_date, window_deliveries.first_delivery_date)
            as connected_since,
        coalesce(window_deliveries.last_delivery_date, earlier_deliveries.last_delivery_date)
            as last_delivery_date
    from keys
    cross join settings
    left join facilities on facilities.facility_code = keys.facility_code
    left join due on due.facility_code = keys.facility_code
    left join required
        on required.facility_code = keys.facility_code and required.dataset = keys.dataset
    left join deliveries
        on
            deliveries.service_date = keys.service_date
            and deliveries.facility_code = keys.facility_code
            and deliveries.dataset = keys.dataset
    left join volumes
        on
            volumes.service_date = keys.service_date
            and volumes.facility_code = keys.facility_code
            and volumes.dataset = keys.dataset
    left join earlier_deliveries
        on
            earlier_deliveries.facility_code = keys.facility_code
            and earlier_deliveries.dataset = keys.dataset
    left join window_deliveries
        on
            window_deliveries.service_date = keys.service_date
            and window_deliveries.facility_code = keys.facility_code
            and window_deliveries.dataset = keys.dataset

),

judged as (

    select
        *,
        case
            when not is_delivered then 'not_delivered'
            else coalesce(band_verdict, 'insufficient_history')
        end as completeness,
        records_quarantined / nullif(records_delivered, 0) as quarantine_share
    from joined

),

final as (

    select
        service_date,
        facility_code,
        dataset,
        facility_type,
        ownership,
        ward_code,
        is_registered,
        is_required,
        is_expected,
        is_delivered,
        files,
        files_failed,
        first_export_ts,
        due_ts,
        coalesce(first_export_ts <= due_ts, false) as is_on_time,
        first_lag_hours,
        lag_p50_hours,
        lag_p95_hours,
        records_delivered,
        records_accepted,
        records_quarantined,
        history_weeks,
        band_low,
        band_high,
        completeness,
        case
            when completeness = 'not_delivered' then false
            when completeness = 'insufficient_history' then null
            else completeness = 'within_band'
        end as is_complete,
        quarantine_share,
        case
            when is_delivered
                then files_failed = 0 and coalesce(quarantine_share, 0) <= max_quarantine_share
        end as is_valid,
        connected_since,
        connected_since is not null as is_connected,
        last_delivery_date,
        case
            when last_delivery_date is not null then date_diff('day', last_delivery_date, service_date)
            when is_expected then date_diff('day', due_from, service_date) + 1
        end as days_since_delivery,
        coalesce(
            is_expected and (
                case
                    when last_delivery_date is not null
                        then date_diff('day', last_delivery_date, service_date)
                    else date_diff('day', due_from, service_date) + 1
                end
            ) >= laggard_days_since_delivery,
            false
        ) as is_laggard
    from judged

)

select * from final
