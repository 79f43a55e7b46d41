-- First-file lag per facility type over the period: quantiles over delivered expected
-- facility-dataset days, and the share on time.
select
    facility_type,
    count(*) as expected,
    count(*) filter (where is_delivered) as delivered,
    count(*) filter (where is_on_time) as on_time,
    count(*) filter (where is_on_time) / count(*) as on_time_share,
    quantile_cont(first_lag_hours, 0.5) as lag_p50_hours,
    quantile_cont(first_lag_hours, 0.9) as lag_p90_hours,
    quantile_cont(first_lag_hours, 0.95) as lag_p95_hours,
    max(first_lag_hours) as lag_max_hours
from mart_coverage_daily
where service_date between $start and $end and is_expected
group by facility_type
