-- The city's coverage shares per day over the trend window (all datasets together).
select
    service_date,
    facilities_expected,
    expected,
    delivered_share,
    on_time_share,
    complete_share,
    valid_share,
    connected_share
from mart_coverage_rollup_daily
where
    service_date between $trend_start and $end
    and dimension = 'city'
    and dataset = 'all'
order by service_date
