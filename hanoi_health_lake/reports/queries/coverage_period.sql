-- Coverage of the report period per dimension (facility_type, ownership, ward_code, city), group
-- and dataset (or all): the counts of mart_coverage_rollup_daily summed over the period's days.
-- Shares are recomputed from the sums, so a one-day period gives the mart's own shares.
with rollup as (

    select * from mart_coverage_rollup_daily
    where service_date between $start and $end

),

final as (

    select
        dimension,
        group_value,
        dataset,
        count(distinct service_date) as days,
        sum(expected) as expected,
        sum(delivered) as delivered,
        sum(on_time) as on_time,
        sum(complete) as complete,
        sum(completeness_judged) as completeness_judged,
        sum(completeness_insufficient) as completeness_insufficient,
        sum(valid) as valid,
        sum(connected) as connected,
        sum(delivered) / nullif(sum(expected), 0) as delivered_share,
        sum(on_time) / nullif(sum(expected), 0) as on_time_share,
        sum(complete) / nullif(sum(completeness_judged), 0) as complete_share,
        sum(valid) / nullif(sum(delivered), 0) as valid_share,
        sum(connected) / nullif(sum(expected), 0) as connected_share
    from rollup
    group by dimension, group_value, dataset

)

select * from final
