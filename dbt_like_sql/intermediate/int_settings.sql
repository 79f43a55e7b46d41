-- description: The coverage and publication settings of seed sla_settings, as one typed row;
--   a missing setting stops the build with its name.
-- materialized: table
-- columns:
--   due_days_after: Days after the service day by which its first file is due.
--   due_time: Local time of day the first file is due (08:00 by default).
--   band_min_weeks: Fewest same-weekday deliveries in the previous 8 weeks to judge completeness.
--   band_mad_multiplier: Half-width of the volume band in median absolute deviations.
--   band_floor_share: Smallest half-width of the volume band, as a share of its median.
--   band_floor_records: Smallest half-width of the volume band, in records.
--   max_quarantine_share: Largest share of delivered records quarantined on a valid day.
--   laggard_days_since_delivery: Days without a file that put an expected dataset on the laggard list.
--   phase_window_days: Trailing days over which routine and real-time phase targets are judged.
--   suppress_below: Counts of people below this are suppressed in ward-level marts.
--   realtime_minutes: Minutes from care to arrival within which a facility counts as real time.

with setting_rows as (

    select
        setting,
        value
    from sla_settings

),

pivoted as (

    select
        max(value) filter (where setting = 'due_days_after') as due_days_after,
        max(value) filter (where setting = 'due_time') as due_time,
        max(value) filter (where setting = 'band_min_weeks') as band_min_weeks,
        max(value) filter (where setting = 'band_mad_multiplier') as band_mad_multiplier,
        max(value) filter (where setting = 'band_floor_share') as band_floor_share,
        max(value) filter (where setting = 'band_floor_records') as band_floor_records,
        max(value) filter (where setting = 'max_quarantine_share') as max_quarantine_share,
        max(value) filter (where setting = 'laggard_days_since_delivery') as laggard_days_since_delivery,
        max(value) filter (where setting = 'phase_window_days') as phase_window_days,
        max(value) filter (where setting = 'suppress_below') as suppress_below,
        max(value) filter (where setting = 'realtime_minutes') as realtime_minutes
    from setting_rows

),

final as (

    select
        cast(coalesce(due_days_after, error('sla_settings: due_days_after is missing')) as integer)
            as due_days_after,
        cast(coalesce(due_time, error('sla_settings: due_time is missing')) as time) as due_time,
        cast(coalesce(band_min_weeks, error('sla_settings: band_min_weeks is missing')) as integer)
            as band_min_weeks,
        cast(
            coalesce(band_mad_multiplier, error('sla_settings: band_mad_multiplier is missing'))
            as double
        ) as band_mad_multiplier,
        cast(coalesce(band_floor_share, error('sla_settings: band_floor_share is missing')) as double)
            as band_floor_share,
        cast(
            coalesce(band_floor_records, error('sla_settings: band_floor_records is missing'))
            as double
        ) as band_floor_records,
        cast(
            coalesce(max_quarantine_share, error('sla_settings: max_quarantine_share is missing'))
            as double
        ) as max_quarantine_share,
        cast(
            coalesce(
                laggard_days_since_delivery,
                error('sla_settings: laggard_days_since_delivery is missing')
            ) as integer
        ) as laggard_days_since_delivery,
        cast(
            coalesce(phase_window_days, error('sla_settings: phase_window_days is missing'))
            as integer
        ) as phase_window_days,
        cast(coalesce(suppress_below, error('sla_settings: suppress_below is missing')) as integer)
            as suppress_below,
        cast(
            coalesce(realtime_minutes, error('sla_settings: realtime_minutes is missing'))
            as integer
        ) as realtime_minutes
    from pivoted

)

select * from final
