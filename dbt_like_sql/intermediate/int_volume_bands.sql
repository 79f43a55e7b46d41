-- description: Each facility's delivered day per dataset (reconciliation) against its own volume
--   band: the median of accepted records on the same weekday in the previous 8 weeks, plus or
--   minus a multiple of their median absolute deviation, never narrower than the floors of
--   sla_settings.
-- materialized: incremental
-- unique_key: service_date
-- lookback_days: reconciliation=56
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   files: Files delivered (reconciliation).
--   files_failed: Files that could not be read.
--   delivered: Records delivered.
--   accepted: Records accepted into silver.
--   quarantined: Records quarantined.
--   superseded: Records replaced by a later correction.
--   history_weeks: Deliveries on the same weekday in the previous 8 weeks (0 to 8).
--   band_median: Median accepted records of those deliveries.
--   band_mad: Median absolute deviation of those deliveries from band_median.
--   band_low: Lowest accepted count inside the band (not below 0).
--   band_high: Highest accepted count inside the band.
--   completeness: within_band, below_band, above_band, or insufficient_history when fewer than
--     band_min_weeks deliveries are there to compare with.

-- Only weeks the facility delivered count as history: a silent week says nothing about volume.

with reconciliation as (

    select * from lake.reconciliation
    where service_date between getvariable('start_date') - 56 and getvariable('end_date')

),

settings as (

    select * from int_settings

),

days as (

    select
        service_date,
        facility_code,
        dataset,
        files,
        files_failed,
        delivered,
        accepted,
        quarantined,
        superseded
    from reconciliation
    where service_date between getvariable('start_date') and getvariable('end_date')

),

history as (

    select
        days.service_date,
        days.facility_code,
        days.dataset,
        earlier.accepted
    from days
    inner join reconciliation as earlier
        on
            earlier.facility_code = days.facility_code
            and earlier.dataset = days.dataset
            and earlier.service_date between days.service_date - 56 and days.service_date - 7
            and date_diff('day', earlier.service_date, days.service_date) % 7 = 0

),

medians as (

    select
        service_date,
        facility_code,
        dataset,
        count(*) as history_weeks,
        median(accepted) as band_median
    from history
    group by service_date, facility_code, dataset

),

deviations as (

    select
        medians.service_date,
        medians.facility_code,
        medians.dataset,
        medians.history_weeks,
        medians.band_median,
        median(abs(history.accepted - medians.band_median)) as band_mad
    from medians
    inner join history
        on
            history.service_date = medians.service_date
            and history.facility_code = medians.facility_code
            and history.dataset = medians.dataset
    group by
        medians.service_date,
        medians.facility_code,
        medians.dataset,
        medians.history_weeks,
        medians.band_median

),

bands as (

    select
        deviations.*,
        greatest(
            settings.band_mad_multiplier * deviations.band_mad,
            settings.band_floor_share * deviations.band_median,
            settings.band_floor_records
        ) as half_width,
        deviations.history_weeks >= settings.band_min_weeks as is_judged
    from deviations
    cross join settings

),

final as (

    select
        days.service_date,
        days.facility_code,
        days.dataset,
        days.files,
        days.files_failed,
        days.delivered,
        days.accepted,
        days.quarantined,
        days.superseded,
        coalesce(bands.history_weeks, 0) as history_weeks,
        bands.band_median,
        bands.band_mad,
        case when bands.is_judged then greatest(bands.band_median - bands.half_width, 0) end
            as band_low,
        case when bands.is_judged then bands.band_median + bands.half_width end as band_high,
        case
            when not coalesce(bands.is_judged, false) then 'insufficient_history'
            when days.accepted < bands.band_median - bands.half_width then 'below_band'
            when days.accepted > bands.band_median + bands.half_width then 'above_band'
            else 'within_band'
        end as completeness
    from days
    left join bands
        on
            bands.service_date = days.service_date
            and bands.facility_code = days.facility_code
            and bands.dataset = days.dataset

)

select * from final
