-- description: Coverage of expected facility datasets per service day, rolled up by facility
--   type, ownership, ward and the whole city, per dataset and for all datasets together.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   dimension: What the rows are grouped by: facility_type, ownership, ward_code or city.
--   group_value: The group: a facility type, an ownership, a ward code, or hanoi.
--   dataset: A dataset, or all for every dataset together.
--   facilities_expected: Facilities expected to send at least one of the datasets.
--   expected: Facility datasets expected that day.
--   delivered: Expected facility datasets with at least one file.
--   on_time: Expected facility datasets whose first file came by the deadline.
--   complete: Expected facility datasets inside their volume band; 0 while completeness cannot be
--     judged (see completeness_judged).
--   completeness_judged: Expected facility datasets with enough history (or no delivery) to
--     judge completeness; 0 on a day when no delivered dataset of the group has enough history
--     (fewer than band_min_weeks same-weekday weeks): not enough history yet, not failure.
--   completeness_insufficient: Delivered expected facility datasets with too little history to
--     judge completeness.
--   valid: Delivered expected facility datasets with no failed file and a small quarantine share.
--   connected: Expected facility datasets delivered at least once up to that day.
--   delivered_share: delivered over expected.
--   on_time_share: on_time over expected.
--   complete_share: complete over completeness_judged; NULL while nothing can be judged.
--   valid_share: valid over delivered.
--   connected_share: connected over expected.
--   lag_p50_hours: Median first-file lag in hours over delivered expected facility datasets.
--   lag_p95_hours: 95th percentile of that lag.

-- Counts here are of facilities, not of people, so they are not suppressed.
-- Completeness of a group-day is judged only once at least one of its delivered datasets has the
-- history to judge: before that, the datasets that sent nothing would be the only ones "judged"
-- and the rate would read 0 % (0 of n) where the truth is "not enough history yet".

with coverage as (

    select * from mart_coverage_daily
    where
        service_date between getvariable('start_date') and getvariable('end_date')
        and is_expected

),

by_dimension as (

    select
        coverage.*,
        unnest([
            {'dimension': 'facility_type', 'group_value': facility_type},
            {'dimension': 'ownership', 'group_value': ownership},
            {'dimension': 'ward_code', 'group_value': ward_code},
            {'dimension': 'city', 'group_value': 'hanoi'}
        ]) as grouping
    from coverage

),

grouped as (

    select
        by_dimension.*,
        unnest([dataset, 'all']) as dataset_group
    from by_dimension

),

final as (

    select
        service_date,
        grouping.dimension as dimension,
        grouping.group_value as group_value,
        dataset_group as dataset,
        count(distinct facility_code) as facilities_expected,
        count(*) as expected,
        count(*) filter (where is_delivered) as delivered,
        count(*) filter (where is_on_time) as on_time,
        case when bool_or(is_delivered and is_complete is not null) then
            count(*) filter (where is_complete)
        else 0 end as complete,
        case when bool_or(is_delivered and is_complete is not null) then
            count(is_complete)
        else 0 end as completeness_judged,
        count(*) filter (where is_delivered and is_complete is null) as completeness_insufficient,
        count(*) filter (where is_valid) as valid,
        count(*) filter (where is_connected) as connected,
        count(*) filter (where is_delivered) / count(*) as delivered_share,
        count(*) filter (where is_on_time) / count(*) as on_time_share,
        case when bool_or(is_delivered and is_complete is not null) then
            count(*) filter (where is_complete) / nullif(count(is_complete), 0)
        end as complete_share,
        count(*) filter (where is_valid) / nullif(count(*) filter (where is_delivered), 0)
            as valid_share,
        count(*) filter (where is_connected) / count(*) as connected_share,
        quantile_cont(first_lag_hours, 0.5) as lag_p50_hours,
        quantile_cont(first_lag_hours, 0.95) as lag_p95_hours
    from grouped
    group by service_date, grouping.dimension, grouping.group_value, dataset_group

)

select * from final
