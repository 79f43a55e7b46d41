-- Freshness per facility type and dataset over the period (mart_freshness_daily): files,
-- the median of the days' p50 and the worst day's p95 minutes from arrival to silver and to
-- the marts, and the phase-3 measure summed over facility-days.
select
    facility_type,
    dataset,
    sum(files) as files,
    median(to_silver_p50_minutes) as to_silver_p50_minutes,
    max(to_silver_p95_minutes) as to_silver_p95_minutes,
    median(to_marts_p50_minutes) as to_marts_p50_minutes,
    max(to_marts_p95_minutes) as to_marts_p95_minutes,
    sum(facilities_with_care) as facility_days_with_care,
    sum(facilities_realtime) as facility_days_realtime,
    sum(facilities_realtime) / nullif(sum(facilities_with_care), 0) as realtime_share,
    max(realtime_minutes) as realtime_minutes
from mart_freshness_daily
where service_date between $start and $end
group by facility_type, dataset
order by facility_type, dataset
