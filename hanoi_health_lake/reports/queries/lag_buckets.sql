-- How late first files came per facility type over the period: expected facility-dataset days
-- that were on time, late by bucket of hours from the end of the service day to the first file's
-- export, or not delivered.
with coverage as (

    select * from mart_coverage_daily
    where service_date between $start and $end and is_expected

),

final as (

    select
        facility_type,
        case
            when not is_delivered then 'not_delivered'
            when is_on_time then 'on_time'
            when first_lag_hours <= 24 then 'late_24h'
            when first_lag_hours <= 48 then 'late_48h'
            when first_lag_hours <= 168 then 'late_7d'
            else 'late_more'
        end as bucket,
        count(*) as facility_days
    from coverage
    group by all

)

select * from final
