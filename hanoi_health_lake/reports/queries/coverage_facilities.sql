-- Facilities expected and first-file lag over the report period per dimension and group, for all
-- datasets together: distinct facilities and lag quantiles cannot be summed over days, so they are
-- taken over the period's expected facility-dataset days of mart_coverage_daily (for one day the
-- same figures as mart_coverage_rollup_daily).
with coverage as (

    select * from mart_coverage_daily
    where service_date between $start and $end and is_expected

),

grouped as (

    select
        case
            when grouping(facility_type) = 0 then 'facility_type'
            when grouping(ownership) = 0 then 'ownership'
            when grouping(ward_code) = 0 then 'ward_code'
            else 'city'
        end as dimension,
        coalesce(facility_type, ownership, ward_code, 'hanoi') as group_value,
        count(distinct facility_code) as facilities_expected,
        quantile_cont(first_lag_hours, 0.5) as lag_p50_hours,
        quantile_cont(first_lag_hours, 0.95) as lag_p95_hours
    from coverage
    group by grouping sets ((facility_type), (ownership), (ward_code), ())

)

select * from grouped
