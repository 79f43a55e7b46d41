-- The city's coverage per dataset over a stretch of days: what every dashboard chart rests on.
select
    dataset,
    sum(expected) as expected,
    sum(delivered) as delivered,
    sum(delivered) / nullif(sum(expected), 0) as delivered_share
from mart_coverage_rollup_daily
where service_date between $from_date and $end and dimension = 'city'
group by dataset
